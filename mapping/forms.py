from __future__ import annotations

from typing import Any, cast

from django import forms

from channels.models import Connection, ConnectionRole
from inventory_sync.models import Item, Merchant, normalize_code


class MatchForm(forms.Form):
    """Which connection, which codes, which item: parsed and scoped to the merchant."""

    connection = forms.ModelChoiceField(queryset=Connection.objects.none())
    code = forms.CharField(max_length=128, required=False)
    codes = forms.CharField(required=False, widget=forms.HiddenInput)
    item = forms.ModelChoiceField(queryset=Item.objects.none(), required=False, widget=forms.RadioSelect)

    def __init__(self, *args: Any, merchant: Merchant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        channels = Connection.objects.for_merchant(merchant).filter(role=ConnectionRole.CHANNEL)
        cast(forms.ModelChoiceField, self.fields["connection"]).queryset = channels
        items = Item.objects.for_merchant(merchant).filter(active=True)
        cast(forms.ModelChoiceField, self.fields["item"]).queryset = items

    def chosen_codes(self) -> list[str]:
        raw = [self.cleaned_data.get("code") or "", *(self.cleaned_data.get("codes") or "").split("\n")]
        if self.data and hasattr(self.data, "getlist"):
            raw += self.data.getlist("code")
        return sorted({normalize_code(code) for code in raw if normalize_code(code)})


def parse_picks(picks: list[str], merchant: Merchant) -> tuple[Connection | None, list[str], str]:
    """Checkbox values 'connection_id|code' from the staging table: one connection only."""
    connection_ids, codes = set(), []
    for pick in picks:
        connection_id, _, code = pick.partition("|")
        if connection_id.isdigit() and code:
            connection_ids.add(int(connection_id))
            codes.append(code)
    if len(connection_ids) != 1:
        return (
            None,
            [],
            "Choose codes of one channel at a time." if connection_ids else "Choose at least one code.",
        )
    connection = Connection.objects.for_merchant(merchant).filter(pk=connection_ids.pop()).first()
    if connection is None:
        return None, [], "Unknown channel."
    return connection, sorted(set(codes)), ""
