"""Short leases in the database: at most one holder of a key at a time, across every worker on
every machine, and a holder that dies (a killed worker) loses it when it expires."""

from __future__ import annotations

from django.db import models


class Lease(models.Model):
    key = models.CharField(max_length=200, unique=True)
    holder = models.CharField(max_length=64)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.key} held by {self.holder} until {self.expires_at}"
