from __future__ import annotations

from typing import Any, cast

import django_filters

from channels.models import Activity, ActivityKind, Connection, Outcome


class ActivityFilter(django_filters.FilterSet):
    connection = django_filters.ModelChoiceFilter(
        queryset=Connection.objects.none(), empty_label="Any connection"
    )
    kind = django_filters.ChoiceFilter(choices=ActivityKind.choices, empty_label="Any kind")
    outcome = django_filters.ChoiceFilter(choices=Outcome.choices, empty_label="Any outcome")
    open_errors = django_filters.BooleanFilter(method="unresolved", label="Unresolved errors only")

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
