"""Reservations (units sold and not yet recorded by the master) and the immutable stock ledger."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, NoReturn

from django.db import models

from .items import QTY, Item
from .orders import OrderLine
from .tenancy import MerchantOwned, MerchantQuerySet


class ReservationState(models.TextChoices):
    OPEN = "open", "Open"
    CANCELLED = "cancelled", "Cancelled"
    RELEASED = "released", "Released"
    POSTED = "posted", "Posted to the master"


class Reservation(MerchantOwned):
    """A live order line's claim on an item. One per line; `quantity` is what it holds now
    (0 once closed) and `revision` counts its changes, which makes ledger keys unique."""

    line = models.OneToOneField(OrderLine, on_delete=models.PROTECT, related_name="reservation")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="reservations")
    quantity = models.DecimalField(**QTY)
    state = models.CharField(max_length=10, choices=ReservationState.choices, default=ReservationState.OPEN)
    revision = models.PositiveIntegerField(default=1)
    posting_ref = models.CharField(max_length=100, blank=True, help_text="The posting that closed it.")
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["item", "state"], name="reservation_item_state")]

    def __str__(self) -> str:
        return f"{self.item_id} x{self.quantity} ({self.state})"


class MovementKind(models.TextChoices):
    RESERVE = "reserve", "Reserved for an order"
    RESERVATION_CHANGE = "reservation_change", "Reservation changed (refund, edit)"
    CANCEL = "cancel", "Order cancelled"
    RELEASE = "release", "Released without fulfilment"
    UNMATCH = "unmatch", "Matching removed"
    POST = "post", "Posted to the master"
    MASTER_REFRESH = "master_refresh", "Master quantity read"


class LedgerQuerySet(MerchantQuerySet):
    def update(self, **kwargs: Any) -> NoReturn:
        raise TypeError("the stock ledger is append-only")

    def delete(self) -> NoReturn:
        raise TypeError("the stock ledger is append-only")


class StockMovement(MerchantOwned):
    """One immutable row per change of an item's master quantity or reservations.

    The counters on Item are a cache of this table: `check_counters` recomputes them from it.
    """

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(max_length=20, choices=MovementKind.choices)
    on_hand_delta = models.DecimalField(**QTY, default=Decimal(0))
    reserved_delta = models.DecimalField(**QTY, default=Decimal(0))
    on_hand_after = models.DecimalField(**QTY)
    reserved_after = models.DecimalField(**QTY)
    source = models.CharField(max_length=200, help_text="What caused it: an order, a posting, a master read.")
    idempotency_key = models.CharField(max_length=200)
    reservation = models.ForeignKey(
        Reservation, null=True, blank=True, on_delete=models.PROTECT, related_name="movements"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = LedgerQuerySet.as_manager()  # type: ignore[misc]  # a stricter manager than the base one

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "idempotency_key"], name="one_movement_per_key"),
        ]
        indexes = [models.Index(fields=["item", "id"], name="movement_item")]

    def __str__(self) -> str:
        return f"{self.kind} {self.item_id} on_hand{self.on_hand_delta:+} reserved{self.reserved_delta:+}"

    @property
    def available_delta(self) -> Decimal:
        return self.on_hand_delta - self.reserved_delta

    @property
    def available_after(self) -> Decimal:
        return self.on_hand_after - self.reserved_after

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise TypeError("stock movements are immutable")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("stock movements are immutable")
