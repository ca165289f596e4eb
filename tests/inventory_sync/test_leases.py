"""Leases: one holder at a time, lost when it expires (a killed worker), never stolen while held."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from inventory_sync.leases import exclusive, lease_acquire, lease_release


@pytest.mark.django_db
def test_one_holder_at_a_time_and_release_frees_the_key():
    first = lease_acquire("push:1", ttl=30)
    assert first is not None
    assert lease_acquire("push:1", ttl=30) is None
    assert lease_acquire("push:2", ttl=30) is not None  # other keys are independent
    lease_release(first)
    assert lease_acquire("push:1", ttl=30) is not None


@pytest.mark.django_db
def test_an_expired_lease_is_taken_over_and_the_old_holder_cannot_refresh_it():
    dead = lease_acquire("push:1", ttl=0.05)
    assert dead is not None
    time.sleep(0.1)
    successor = lease_acquire("push:1", ttl=30)
    assert successor is not None
    assert dead.refresh() is False  # the killed worker's lease is gone for good
    assert successor.refresh() is True


@pytest.mark.django_db
def test_exclusive_yields_none_when_held():
    with exclusive("inbox:7") as outer:
        assert outer is not None
        with exclusive("inbox:7") as inner:
            assert inner is None
    with exclusive("inbox:7") as again:
        assert again is not None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_eight_workers_racing_for_one_key_get_exactly_one_lease():
    barrier = threading.Barrier(8)
    winners: list[str] = []

    def race() -> None:
        try:
            barrier.wait()
            held = lease_acquire("push:42", ttl=30)
            if held is not None:
                winners.append(held.holder)
        finally:
            connection.close()

    threads = [threading.Thread(target=race) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(winners) == 1
