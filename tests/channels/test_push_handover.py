"""A push run shares the workers with the inbox: it does not sleep its debounce while webhooks
wait, and after a round it lets its worker go to them, queueing its continuation behind them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from channels import push
from channels.adapters.base import PushOutcome, PushResult, StockUpdate
from channels.models import Listing, PushRound
from inventory_sync.leases import lease_acquire, lease_release
from tests.factories import ConnectionFactory, ListingFactory, MerchantFactory, stocked_item

pytestmark = pytest.mark.django_db


class Channel:
    """Takes every write; the first write marks another listing dirty, as a sale read in by the
    inbox on the other worker would while this round is in flight."""

    push_batch_limit = 100

    def __init__(self, on_first_write=None) -> None:
        self.writes: list[list[str]] = []
        self.on_first_write = on_first_write

    def push_stock(self, updates: list[StockUpdate], *, idempotency_key: str) -> list[PushResult]:
        self.writes.append(sorted(u.listing_external_id for u in updates))
        if len(self.writes) == 1 and self.on_first_write:
            self.on_first_write()
        return [PushResult(u.listing_external_id, PushOutcome.OK, u.quantity) for u in updates]


@pytest.fixture
def shop(settings):
    settings.PUSH_DEBOUNCE_SECONDS = 0
    merchant = MerchantFactory()
    return ConnectionFactory(merchant=merchant, sync_inventory=True)


def dirty_listing(shop, sku: str) -> Listing:
    item = stocked_item(merchant=shop.merchant, on_hand=Decimal(9), sku=sku)
    return ListingFactory(connection=shop, sku=sku, item=item, last_seen_qty=0, push_pending=True)


@pytest.fixture
def requests(monkeypatch, shop):
    """The continuations asked for, and whether the run's lease was already let go then."""
    asked: list[tuple[str, int, str, bool]] = []

    def request_run(func, connection_id, *, queue, key):
        held = lease_acquire(key)
        if held is not None:
            lease_release(held)
        asked.append((func, connection_id, queue, held is not None))

    monkeypatch.setattr(push, "request_run", request_run)
    return asked


def test_with_webhooks_waiting_a_run_does_one_round_then_queues_its_rest_behind_them(
    shop, requests, monkeypatch
):
    first = dirty_listing(shop, "A")
    later = dirty_listing(shop, "B")
    Listing.objects.filter(pk=later.pk).update(push_pending=False)
    channel = Channel(on_first_write=lambda: Listing.objects.filter(pk=later.pk).update(push_pending=True))
    monkeypatch.setattr(push, "_webhooks_waiting", lambda: True)

    push.push_connection(shop.pk, adapter=channel)

    assert channel.writes == [[first.external_id]]
    assert PushRound.objects.filter(connection=shop).count() == 1
    assert Listing.objects.get(pk=later.pk).push_pending
    assert requests == [(push.PUSH_TASK, shop.pk, "webhooks", True)]


def test_with_nothing_else_waiting_a_run_drains_round_after_round(shop, requests, monkeypatch):
    first = dirty_listing(shop, "A")
    later = dirty_listing(shop, "B")
    Listing.objects.filter(pk=later.pk).update(push_pending=False)
    channel = Channel(on_first_write=lambda: Listing.objects.filter(pk=later.pk).update(push_pending=True))
    monkeypatch.setattr(push, "_webhooks_waiting", lambda: False)

    push.push_connection(shop.pk, adapter=channel)

    assert channel.writes == [[first.external_id], [later.external_id]]
    assert not Listing.objects.filter(connection=shop, push_pending=True).exists()
    assert requests == []


def test_a_run_with_nothing_left_asks_for_no_continuation_even_if_webhooks_wait(shop, requests, monkeypatch):
    dirty_listing(shop, "A")
    channel = Channel()
    monkeypatch.setattr(push, "_webhooks_waiting", lambda: True)

    push.push_connection(shop.pk, adapter=channel)

    assert len(channel.writes) == 1
    assert requests == []


@pytest.mark.parametrize(("webhooks_waiting", "slept"), [(False, True), (True, False)])
def test_the_debounce_does_not_sleep_while_webhooks_wait(
    shop, settings, monkeypatch, webhooks_waiting, slept
):
    settings.PUSH_DEBOUNCE_SECONDS = 5
    dirty_listing(shop, "A")
    Listing.objects.filter(connection=shop).update(dirty_since=push.timezone.now())
    sleeps: list[float] = []
    monkeypatch.setattr(push.time, "sleep", sleeps.append)
    monkeypatch.setattr(push, "_webhooks_waiting", lambda: webhooks_waiting)

    push.push_connection(shop.pk, adapter=Channel())

    assert bool(sleeps) is slept
    assert all(0 < s <= 5 for s in sleeps)
