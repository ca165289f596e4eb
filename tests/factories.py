"""factory_boy factories: tests build what they need instead of relying on magic primary keys."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from channels.models import (
    Activity,
    ActivityKind,
    Connection,
    ConnectionKind,
    ConnectionRole,
    ConnectionStatus,
    ImportKind,
    ImportRun,
    Listing,
)
from inventory_sync.models import Item, ItemType, Membership, Merchant, Order, OrderLine, Role
from inventory_sync.services.stock import MasterReading, apply_master_readings
from mapping.models import Matching

PASSWORD = "a-long-test-password-42"


class MerchantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Merchant

    name = factory.Sequence(lambda n: f"Merchant {n}")
    slug = factory.Sequence(lambda n: f"merchant-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def saved(self, create, extracted, **kwargs):
        if create:
            self.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    merchant = factory.SubFactory(MerchantFactory)
    role = Role.OWNER


class ConnectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Connection

    merchant = factory.SubFactory(MerchantFactory)
    kind = ConnectionKind.SHOPIFY
    role = ConnectionRole.CHANNEL
    name = factory.Sequence(lambda n: f"Shop {n}")
    status = ConnectionStatus.ACTIVE
    base_url = "http://127.0.0.1:9/"
    credentials = factory.LazyFunction(lambda: {"access_token": "test-token"})
    webhook_secret = "test-webhook-secret"


class ItemFactory(factory.django.DjangoModelFactory):
    """An item with master_on_hand 0; use `stocked_item(...)` for one with stock (via the ledger)."""

    class Meta:
        model = Item

    merchant = factory.SubFactory(MerchantFactory)
    name = factory.Sequence(lambda n: f"Item {n}")
    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    type = ItemType.INVENTORY
    tracked = True
    master_id = factory.Sequence(lambda n: str(1000 + n))


def stocked_item(*, merchant: Merchant, on_hand: int | Decimal, at: datetime | None = None, **fields) -> Item:
    """An item whose on-hand quantity came from a master reading, ledger row included."""
    item = ItemFactory(merchant=merchant, **fields)
    apply_master_readings(
        merchant=merchant,
        readings=[MasterReading(item.pk, Decimal(on_hand), at or datetime(2026, 1, 1, tzinfo=UTC), "0")],
        source="test:seed",
    )
    item.refresh_from_db()
    return item


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    connection = factory.SubFactory(ConnectionFactory)
    merchant = factory.SelfAttribute("connection.merchant")
    external_id = factory.Sequence(lambda n: str(5000 + n))
    number = factory.Sequence(lambda n: f"#{1000 + n}")
    channel_created_at = factory.Sequence(
        lambda n: datetime(2026, 11, 1, tzinfo=UTC).replace(minute=n % 60, hour=n // 60 % 24)
    )
    channel_updated_at = factory.SelfAttribute("channel_created_at")


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    merchant = factory.SelfAttribute("order.merchant")
    connection = factory.SelfAttribute("order.connection")
    external_id = factory.Sequence(lambda n: str(90000 + n))
    product_code = factory.LazyAttribute(lambda o: o.item.sku if o.item else "UNKNOWN")
    code_normalized = factory.LazyAttribute(lambda o: o.product_code.upper())
    quantity = 1
    item = None


class ListingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Listing

    connection = factory.SubFactory(ConnectionFactory)
    merchant = factory.SelfAttribute("connection.merchant")
    external_id = factory.Sequence(lambda n: str(70000 + n))
    sku = factory.Sequence(lambda n: f"LIST-{n}")
    code_normalized = factory.LazyAttribute(lambda o: o.sku.upper())
    tracked = True


class MatchingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Matching

    connection = factory.SubFactory(ConnectionFactory)
    merchant = factory.SelfAttribute("connection.merchant")
    item = factory.SubFactory(ItemFactory, merchant=factory.SelfAttribute("..merchant"))
    code = factory.LazyAttribute(lambda o: o.item.sku)
    code_normalized = factory.LazyAttribute(lambda o: o.code.upper())


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    merchant = factory.SubFactory(MerchantFactory)
    kind = ActivityKind.PUSH
    summary = "Pushed 3 listings"


class ImportRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ImportRun

    connection = factory.SubFactory(ConnectionFactory)
    merchant = factory.SelfAttribute("connection.merchant")
    kind = ImportKind.CHANNEL_LISTINGS
