"""Which QuickBooks entities the emulator serves, and what each accepts.

QuickBooks rejects a request that names a property its schema lacks (fault 2010), so every
entity lists the fields it takes. The lists include the read-only fields QuickBooks returns
(TotalAmt, Balance, MetaData, ...) because clients send a read object back for a full update;
those are recomputed, never taken from the request.
"""

from __future__ import annotations

from dataclasses import dataclass

NAME_LIST = "name"
TRANSACTION = "txn"

READ_ONLY = frozenset({"Id", "SyncToken", "MetaData", "domain", "sparse", "status"})

_ITEM_FIELDS = frozenset(
    {
        "Name", "Sku", "Description", "Type", "TrackQtyOnHand", "QtyOnHand", "InvStartDate", "UnitPrice",
        "PurchaseCost", "PurchaseDesc", "ReorderPoint", "PrefVendorRef", "IncomeAccountRef",
        "ExpenseAccountRef", "AssetAccountRef", "Active", "Taxable", "SalesTaxIncluded",
        "PurchaseTaxIncluded", "FullyQualifiedName", "SubItem", "ParentRef", "Level", "ClassRef",
        "TaxClassificationRef", "SalesTaxCodeRef", "PurchaseTaxCodeRef", "AbatementRate",
        "ReverseChargeRate", "ServiceType", "ItemCategoryType", "Source", "UQCId", "UQCDisplayText",
        "ItemEx",
    }
)  # fmt: skip

_PERSON_FIELDS = frozenset(
    {
        "DisplayName", "Title", "GivenName", "MiddleName", "FamilyName", "Suffix", "CompanyName",
        "PrintOnCheckName", "FullyQualifiedName", "Active", "PrimaryEmailAddr", "PrimaryPhone", "Mobile",
        "Fax", "AlternatePhone", "BillAddr", "ShipAddr", "Notes", "Taxable", "Job", "BillWithParent",
        "ParentRef", "Level", "CurrencyRef", "PreferredDeliveryMethod", "ResaleNum", "WebAddr",
        "SalesTermRef", "TermRef", "PaymentMethodRef", "Balance", "BalanceWithJobs", "OpenBalanceDate",
        "DefaultTaxCodeRef", "TaxExemptionReasonId", "CustomerTypeRef", "PrimaryTaxIdentifier",
        "SecondaryTaxIdentifier", "GSTIN", "GSTRegistrationType", "BusinessNumber", "IsProject",
        "AcctNum", "Vendor1099", "TaxIdentifier", "OtherContactInfo", "APAccountRef", "BillRate",
        "CostRate", "V4IDPseudonym", "ClientEntityId", "TaxReportingBasis", "VendorPaymentBankDetail",
        "HasTPAR", "T4AEligible", "T5018Eligible", "Source",
    }
)  # fmt: skip

_ACCOUNT_FIELDS = frozenset(
    {
        "Name", "AcctNum", "AccountType", "AccountSubType", "Classification", "Description",
        "FullyQualifiedName", "Active", "SubAccount", "ParentRef", "CurrentBalance",
        "CurrentBalanceWithSubAccounts", "CurrencyRef", "TaxCodeRef", "TxnLocationType",
    }
)  # fmt: skip

# One generous list for every transaction type: QuickBooks' transaction schemas share most
# fields, and a too-strict list here would reject requests the real service accepts.
_TXN_FIELDS = frozenset(
    {
        "DocNumber", "TxnDate", "PrivateNote", "Line", "CustomerRef", "CustomerMemo", "BillAddr",
        "ShipAddr", "ShipFromAddr", "ShipDate", "TrackingNum", "ShipMethodRef", "BillEmail", "BillEmailCc",
        "BillEmailBcc", "EmailStatus", "PrintStatus", "DeliveryInfo", "DepositToAccountRef",
        "PaymentMethodRef", "PaymentRefNum", "PaymentType", "CurrencyRef", "ExchangeRate", "ClassRef",
        "DepartmentRef", "SalesTermRef", "DueDate", "TxnTaxDetail", "ApplyTaxAfterDiscount",
        "GlobalTaxCalculation", "TransactionLocationType", "TxnSource", "LinkedTxn", "CustomField",
        "AllowOnlineACHPayment", "AllowOnlineCreditCardPayment", "AllowIPNPayment", "AllowOnlinePayment",
        "Deposit", "HomeTotalAmt", "TotalAmt", "Balance", "HomeBalance",
        "RemainingCredit", "InvoiceLink", "CreditCardPayment", "CheckPayment", "VendorRef", "APAccountRef",
        "AccountRef", "EntityRef", "Credit", "POStatus", "POEmail", "VendorAddr", "ShipTo", "Memo",
        "AdjustAccountRef", "RecurDataRef", "TaxExemptionRef", "FreeFormAddress", "ProjectRef",
        "IncludeInAnnualTPAR", "RemitToAddr", "ReimburseCharge", "TxnStatus", "ExpirationDate",
        "AcceptedBy", "AcceptedDate", "PurchaseEx",
    }
)  # fmt: skip

_NAME_FILTERS = frozenset({"Id", "Name", "Active", "MetaData.CreateTime", "MetaData.LastUpdatedTime"})
_TXN_FILTERS = frozenset(
    {"Id", "TxnDate", "DocNumber", "MetaData.CreateTime", "MetaData.LastUpdatedTime", "TotalAmt"}
)


@dataclass(frozen=True)
class EntitySpec:
    name: str
    kind: str
    fields: frozenset[str]
    filterable: frozenset[str]
    required: tuple[str, ...] = ()
    stock_sign: int = 0  # how an inventory line moves QtyOnHand
    lines: str = ""  # which line details the transaction takes: sales, expense, adjust
    deletable: bool = False
    voidable: bool = False
    party: str = ""  # the name-list entity its CustomerRef/VendorRef points at
    webhooks: bool = True


def _txn(
    name: str, *, required: tuple[str, ...], sign: int, lines: str, party: str = "", voidable: bool = False
) -> EntitySpec:
    filterable = set(_TXN_FILTERS)
    if party:
        filterable.add(f"{party}Ref")
    return EntitySpec(
        name,
        TRANSACTION,
        _TXN_FIELDS,
        frozenset(filterable),
        required=("Line", *required),
        stock_sign=sign,
        lines=lines,
        deletable=True,
        voidable=voidable,
        party=party,
    )


_PERSON_FILTERS = _NAME_FILTERS | {
    "DisplayName",
    "CompanyName",
    "GivenName",
    "FamilyName",
    "PrimaryEmailAddr",
}
_ACCOUNT_FILTERS = _NAME_FILTERS | {"AccountType", "AccountSubType", "Classification", "FullyQualifiedName"}

ENTITIES: dict[str, EntitySpec] = {
    spec.name: spec
    for spec in (
        EntitySpec("Item", NAME_LIST, _ITEM_FIELDS, _NAME_FILTERS | {"Sku", "Type", "FullyQualifiedName"}),
        EntitySpec(
            "Customer", NAME_LIST, _PERSON_FIELDS, _PERSON_FILTERS | {"FullyQualifiedName"}, webhooks=False
        ),
        EntitySpec("Vendor", NAME_LIST, _PERSON_FIELDS, _PERSON_FILTERS, webhooks=False),
        EntitySpec("Account", NAME_LIST, _ACCOUNT_FIELDS, _ACCOUNT_FILTERS, webhooks=False),
        _txn("SalesReceipt", required=(), sign=-1, lines="sales", party="Customer", voidable=True),
        _txn("Invoice", required=("CustomerRef",), sign=-1, lines="sales", party="Customer", voidable=True),
        _txn("CreditMemo", required=("CustomerRef",), sign=1, lines="sales", party="Customer"),
        _txn("RefundReceipt", required=("DepositToAccountRef",), sign=1, lines="sales", party="Customer"),
        _txn("Bill", required=("VendorRef",), sign=1, lines="expense", party="Vendor"),
        _txn("Purchase", required=("AccountRef", "PaymentType"), sign=1, lines="expense"),
        _txn("VendorCredit", required=("VendorRef",), sign=-1, lines="expense", party="Vendor"),
        _txn("PurchaseOrder", required=("VendorRef",), sign=0, lines="expense", party="Vendor"),
        _txn("InventoryAdjustment", required=("AdjustAccountRef",), sign=1, lines="adjust"),
    )
}

COMPANY_INFO = "CompanyInfo"
BY_LOWER = {name.lower(): name for name in (*ENTITIES, COMPANY_INFO)}

ITEM_TYPES = ("Inventory", "NonInventory", "Service", "Group", "Category")
PAYMENT_TYPES = ("Cash", "Check", "CreditCard")

# Where each reference field points, for existence checks and for filling in ref names.
REF_TARGETS = {
    "CustomerRef": "Customer",
    "VendorRef": "Vendor",
    "AccountRef": "Account",
    "APAccountRef": "Account",
    "DepositToAccountRef": "Account",
    "AdjustAccountRef": "Account",
    "IncomeAccountRef": "Account",
    "ExpenseAccountRef": "Account",
    "AssetAccountRef": "Account",
    "PrefVendorRef": "Vendor",
    "ItemRef": "Item",
}


def entity_named(text: str) -> str | None:
    """The canonical name for an entity as a URL or a query spells it (case-insensitive)."""
    return BY_LOWER.get(text.lower())
