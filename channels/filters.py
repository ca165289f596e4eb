from __future__ import annotations

from typing import Any, cast

import django_filters
from django import forms
from django.db.models import Q

from channels.adapters.base import PushOutcome
from channels.models import Activity, ActivityKind, Connection, ConnectionRole, Listing, Outcome
from inventory_sync.filters import yes_no_any
from inventory_sync.models import normalize_code


class ActivityFilter(django_filters.FilterSet):
    connection = django_filters.ModelChoiceFilter(
        queryset=Connection.objects.none(), empty_label="Any connection"
    )
    kind = django_filters.ChoiceFilter(choices=ActivityKind.choices, empty_label="Any kind")
    outcome = django_filters.ChoiceFilter(choices=Outcome.choices, empty_label="Any outcome")
    open_errors = django_filters.BooleanFilter(
        method="unresolved",
        label="Unresolved errors only",
        widget=forms.Select(choices=[("", "No"), ("true", "Yes")]),
    )

    class Meta:
        model = Activity
        fields = ["connection", "kind", "outcome", "open_errors"]

    def __init__(self, *args: Any, merchant: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(django_filters.ModelChoiceFilter, self.filters["connection"])
        field.queryset = Connection.objects.for_merchant(merchant)

    def unresolved(self, queryset: Any, name: str, value: bool | None) -> Any:
        if value:
            return queryset.filter(outcome=Outcome.ERROR, resolved_at__isnull=True)
        return queryset


class ListingFilter(django_filters.FilterSet):
    """The listings page: drifted listings are what the overview's drift figure links to."""

    q = django_filters.CharFilter(method="search", label="Search SKU, barcode or title")
    connection = django_filters.ModelChoiceFilter(
        queryset=Connection.objects.none(), empty_label="Any channel", label="Channel"
    )
    outcome = django_filters.ChoiceFilter(
        choices=[
            (PushOutcome.DRIFT, "Drifted from the hub"),
            (PushOutcome.ERROR, "Push failed"),
            (PushOutcome.OK, "Pushed"),
            ("never", "Never pushed"),
        ],
        method="by_outcome",
        empty_label="Any push outcome",
        label="Last push",
    )
    matched = django_filters.BooleanFilter(
        method="by_matched", label="Matched to an item", widget=yes_no_any()
    )

    class Meta:
        model = Listing
        fields = ["q", "connection", "outcome", "matched"]

    def __init__(self, *args: Any, merchant: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(django_filters.ModelChoiceFilter, self.filters["connection"])
        field.queryset = Connection.objects.for_merchant(merchant).filter(role=ConnectionRole.CHANNEL)

    def search(self, queryset: Any, name: str, value: str) -> Any:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(code_normalized__contains=normalize_code(value))
            | Q(sku__icontains=value)
            | Q(barcode=value)
            | Q(title__icontains=value)
        )

    def by_outcome(self, queryset: Any, name: str, value: str) -> Any:
        if value == "never":
            return queryset.filter(last_push_outcome="")
        return queryset.filter(last_push_outcome=value) if value else queryset

    def by_matched(self, queryset: Any, name: str, value: bool | None) -> Any:
        if value is None:
            return queryset
        return queryset.filter(item__isnull=not value)
