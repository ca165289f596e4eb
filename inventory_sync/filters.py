"""Filters of the items and orders pages (django-filter parses, selectors act)."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q

from inventory_sync.models import Item, ItemType, LineState, Order, OrderLine, OrderStatus, normalize_code
from inventory_sync.selectors import ItemStatus, filter_item_status


def yes_no_any(any_label: str = "Any") -> forms.Select:
    """A yes/no filter's choices in words ("Unknown" is django-filter's default for "any")."""
    return forms.Select(choices=[("", any_label), ("true", "Yes"), ("false", "No")])


class ItemFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search SKU, name or barcode")
    status = django_filters.ChoiceFilter(
        choices=list(ItemStatus.LABELS.items()), method="by_status", empty_label="Any status", label="Status"
    )
    type = django_filters.ChoiceFilter(choices=ItemType.choices, empty_label="Any type", label="Type")

    class Meta:
        model = Item
        fields = ["q", "status", "type"]

    def search(self, queryset: Any, name: str, value: str) -> Any:
        value = value.strip()
        if not value:
            return queryset
        # Each branch has an index on PostgreSQL (trigram on SKU and name, the normalised barcode):
        # an OR with one unindexed branch would read all 100,000 items.
        return queryset.filter(
            Q(sku__icontains=value) | Q(name__icontains=value) | Q(barcode_normalized=normalize_code(value))
        )

    def by_status(self, queryset: Any, name: str, value: str) -> Any:
        return filter_item_status(queryset, value)


class OrderFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Order number")
    status = django_filters.ChoiceFilter(
        choices=OrderStatus.choices, empty_label="Any status", label="Status"
    )
    connection = django_filters.ModelChoiceFilter(queryset=None, empty_label="Any channel", label="Channel")
    staged = django_filters.BooleanFilter(
        method="with_staged", label="Has lines waiting for a matching", widget=yes_no_any()
    )

    class Meta:
        model = Order
        fields = ["q", "status", "connection", "staged"]

    def __init__(self, *args: Any, merchant: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from channels.models import Connection, ConnectionRole

        self.filters["connection"].queryset = Connection.objects.for_merchant(merchant).filter(
            role=ConnectionRole.CHANNEL
        )

    def search(self, queryset: Any, name: str, value: str) -> Any:
        value = value.strip().lstrip("#")
        if not value:
            return queryset
        return queryset.filter(Q(number__icontains=value) | Q(external_id=value))

    def with_staged(self, queryset: Any, name: str, value: bool | None) -> Any:
        if value is None:
            return queryset
        staged = Exists(OrderLine.objects.filter(order=OuterRef("pk"), state=LineState.STAGED))
        return queryset.filter(staged if value else ~staged)
