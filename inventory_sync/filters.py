"""Filters of the items and orders pages (django-filter parses, selectors act)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q

from inventory_sync.models import Item, ItemType, Order, OrderStatus
from inventory_sync.selectors import ItemStatus, filter_item_status


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
        return queryset.filter(Q(sku__icontains=value) | Q(name__icontains=value) | Q(barcode=value))

    def by_status(self, queryset: Any, name: str, value: str) -> Any:
        return filter_item_status(queryset, value)


class OrderFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Order number")
    status = django_filters.ChoiceFilter(
        choices=OrderStatus.choices, empty_label="Any status", label="Status"
    )
    connection = django_filters.ModelChoiceFilter(queryset=None, empty_label="Any channel", label="Channel")
    staged = django_filters.BooleanFilter(method="with_staged", label="Has lines waiting for a matching")

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
        return queryset.filter(staged_lines__gt=0) if value else queryset.filter(staged_lines=0)
