from __future__ import annotations

from typing import Any, cast

from django import forms

from channels.models import Connection, ConnectionKind, ImportKind
from inventory_sync.models import Customer, Merchant


class ConnectionSettingsForm(forms.ModelForm):
    """Every setting of a connection; which ones show depends on its role."""

    posting_customer_ref = forms.ChoiceField(
        required=False, label="Customer for postings", help_text="Import master customers to choose one."
    )

    class Meta:
        model = Connection
        fields = [
            "name",
            "product_code_type",
            "location_id",
            "buffer",
            "percent",
            "max_listed",
            "zero_below",
            "drift_policy",
            "posting_mode",
            "posting_customer_ref",
            "posting_fee_item_ref",
            "posting_deposit_account_ref",
            "catchup_minutes",
            "reconcile_minutes",
            "postings_minutes",
        ]
        labels = {
            "product_code_type": "Match products by",
            "location_id": "Location or warehouse",
            "buffer": "Buffer (units held back)",
            "percent": "Percent of available stock to list",
            "max_listed": "Never list more than",
            "zero_below": "List 0 when fewer than this are available",
            "drift_policy": "When the channel's quantity drifted",
            "posting_fee_item_ref": "Master item for payout fees",
            "posting_deposit_account_ref": "Master account to deposit sales to",
            "catchup_minutes": "Orders catch-up every (minutes)",
            "reconcile_minutes": "Reconcile every (minutes)",
            "postings_minutes": "Look for payouts every (minutes)",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        customers = (
            Customer.objects.for_merchant(self.instance.merchant_id)
            .filter(active=True)
            .order_by("display_name")
        )
        field = cast(forms.ChoiceField, self.fields["posting_customer_ref"])
        field.choices = [("", "— none —"), *((c.master_id, c.display_name) for c in customers)]
        if self.instance.is_master:
            for name in [n for n in self.fields if n != "name"]:
                del self.fields[name]
        for name in ("percent", "buffer", "zero_below", "max_listed", "catchup_minutes", "reconcile_minutes"):
            if name in self.fields:
                self.fields[name].widget.attrs["min"] = 0
        if "percent" in self.fields:
            self.fields["percent"].widget.attrs["max"] = 100


class NewChannelForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[(ConnectionKind.SHOPIFY, "Shopify"), (ConnectionKind.WOOCOMMERCE, "WooCommerce")]
    )
    name = forms.CharField(max_length=120)
    base_url = forms.URLField(
        assume_scheme="https",
        label="Store URL",
        help_text="https://your-shop.myshopify.com or your WordPress site",
    )
    access_token = forms.CharField(
        required=False, label="Admin API access token (Shopify)", widget=forms.PasswordInput
    )
    consumer_key = forms.CharField(required=False, label="Consumer key (WooCommerce)")
    consumer_secret = forms.CharField(
        required=False, label="Consumer secret (WooCommerce)", widget=forms.PasswordInput
    )
    webhook_secret = forms.CharField(
        required=False,
        label="Webhook signing secret",
        help_text="Shopify: the app's client secret. WooCommerce: leave empty and one is generated.",
        widget=forms.PasswordInput,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == ConnectionKind.SHOPIFY and not data.get("access_token"):
            self.add_error("access_token", "Shopify needs an Admin API access token.")
        if data.get("kind") == ConnectionKind.SHOPIFY and not data.get("webhook_secret"):
            self.add_error(
                "webhook_secret", "Shopify signs webhooks with the app's client secret: paste it here."
            )
        if data.get("kind") == ConnectionKind.WOOCOMMERCE and not (
            data.get("consumer_key") and data.get("consumer_secret")
        ):
            self.add_error("consumer_key", "WooCommerce needs a consumer key and secret.")
        return data


class QuickBooksConnectForm(forms.Form):
    name = forms.CharField(max_length=120, initial="QuickBooks Online")
    client_id = forms.CharField(
        label="Client id", help_text="From your Intuit developer app (Keys & credentials)."
    )
    client_secret = forms.CharField(label="Client secret", widget=forms.PasswordInput(render_value=True))
    environment = forms.CharField(
        label="Environment",
        help_text="'production', 'sandbox', or a discovery-document URL (the local sandbox prints one).",
    )
    webhook_verifier = forms.CharField(
        required=False, label="Webhook verifier token", widget=forms.PasswordInput
    )

    def clean_environment(self) -> str:
        from channels.adapters.base import PermanentChannelError
        from channels.adapters.quickbooks.oauth import api_base_for

        environment = self.cleaned_data["environment"].strip()
        try:
            api_base_for(environment)
        except PermanentChannelError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return environment


class ImportForm(forms.Form):
    kind = forms.ChoiceField(choices=ImportKind.choices)
    connection = forms.ModelChoiceField(queryset=Connection.objects.none())

    def __init__(self, *args: Any, merchant: Merchant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["connection"]).queryset = Connection.objects.for_merchant(
            merchant
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        connection, kind = data.get("connection"), data.get("kind")
        if connection is not None and kind:
            master_kinds = {ImportKind.MASTER_ITEMS, ImportKind.MASTER_CUSTOMERS}
            if (kind in master_kinds) != connection.is_master:
                self.add_error(
                    "connection", "Items and customers come from the master; listings from a channel."
                )
        return data


class CreateItemsForm(forms.Form):
    connection = forms.ModelChoiceField(
        queryset=Connection.objects.none(), label="Channel whose products to create"
    )
    income_account_id = forms.ChoiceField(label="Income account")
    expense_account_id = forms.ChoiceField(label="Cost of goods sold account", required=False)
    asset_account_id = forms.ChoiceField(label="Inventory asset account", required=False)

    def __init__(self, *args: Any, merchant: Merchant, accounts: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["connection"]).queryset = Connection.objects.for_merchant(
            merchant
        ).filter(role="channel")
        for name, types in (
            ("income_account_id", ("Income",)),
            ("expense_account_id", ("Cost of Goods Sold", "Expense")),
            ("asset_account_id", ("Other Current Asset",)),
        ):
            choices = [(a.external_id, a.name) for a in accounts if a.account_type in types] or [
                (a.external_id, f"{a.name} ({a.account_type})") for a in accounts
            ]
            cast(forms.ChoiceField, self.fields[name]).choices = [("", "— choose —"), *choices]
