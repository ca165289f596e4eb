"""Acquire, refresh and release a lease: the one-run-at-a-time guarantee for jobs keyed by a
connection (one push per connection, one inbox run per connection, ...).

Every operation is a single conditional UPDATE (or an INSERT guarded by the unique key), so two
workers can never both hold a key. A holder refreshes while it works; if its process is killed,
the lease expires after `ttl` seconds and the next run takes over.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from inventory_sync.models.leases import Lease


def default_ttl() -> float:
    return float(settings.LEASE_SECONDS)


@dataclass
class Held:
    key: str
    holder: str
    ttl: float

    def refresh(self) -> bool:
        """Extend the lease; False if it was lost (expired and taken by someone else)."""
        return bool(
            Lease.objects.filter(key=self.key, holder=self.holder).update(
                expires_at=timezone.now() + timedelta(seconds=self.ttl)
            )
        )


def lease_acquire(key: str, *, ttl: float | None = None) -> Held | None:
    ttl = ttl if ttl is not None else default_ttl()
    holder = uuid.uuid4().hex
    now = timezone.now()
    expires = now + timedelta(seconds=ttl)
    if Lease.objects.filter(key=key, expires_at__lte=now).update(holder=holder, expires_at=expires):
        return Held(key, holder, ttl)
    try:
        with transaction.atomic():
            Lease.objects.create(key=key, holder=holder, expires_at=expires)
    except IntegrityError:
        return None  # held by someone else, and not expired
    return Held(key, holder, ttl)


def lease_release(held: Held) -> None:
    expired = timezone.now() - timedelta(seconds=1)
    Lease.objects.filter(key=held.key, holder=held.holder).update(expires_at=expired)


@contextmanager
def exclusive(key: str, *, ttl: float | None = None) -> Iterator[Held | None]:
    """`with exclusive(key) as held:` held is None when another run holds the key."""
    held = lease_acquire(key, ttl=ttl)
    try:
        yield held
    finally:
        if held is not None:
            lease_release(held)
