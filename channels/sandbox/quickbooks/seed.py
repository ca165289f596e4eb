"""The demo company: accounts, vendors, customers and the item master from the catalogue.

Items get Ids 1.. in catalogue order; the Inventory ones start with the catalogue quantity on
an InvStartDate 90 days back. Accounts are the ones a QuickBooks sandbox company has and the
hub needs: income, cost of goods sold, inventory asset, Undeposited Funds, Services, a fee
expense account, A/P, A/R, a bank account and inventory shrinkage (for adjustments).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from channels.sandbox.catalogue import CUSTOMERS, MASTER_ITEMS, VENDORS

from .books import Books
from .formats import company_date, num
from .operations import create

ACCOUNTS = (
    ("Sales of Product Income", "Income", "SalesOfProductIncome"),
    ("Cost of Goods Sold", "Cost of Goods Sold", "SuppliesMaterialsCogs"),
    ("Inventory Asset", "Other Current Asset", "Inventory"),
    ("Undeposited Funds", "Other Current Asset", "UndepositedFunds"),
    ("Services", "Income", "ServiceFeeIncome"),
    ("Merchant Account Fees", "Expense", "BankCharges"),
    ("Accounts Payable (A/P)", "Accounts Payable", "AccountsPayable"),
    ("Accounts Receivable (A/R)", "Accounts Receivable", "AccountsReceivable"),
    ("Checking", "Bank", "Checking"),
    ("Inventory Shrinkage", "Cost of Goods Sold", "OtherCostsOfServiceCos"),
)


def company_info(realm_id: str, now: datetime) -> dict[str, object]:
    return {
        "CompanyName": "Sandbox Company_US_1",
        "LegalName": "Sandbox Company_US_1",
        "CompanyAddr": {"Line1": "123 Sierra Way", "City": "San Pablo", "CountrySubDivisionCode": "CA",
                        "PostalCode": "87999", "Country": "US"},
        "Country": "US",
        "Email": {"Address": "noreply@quickbooks.com"},
        "FiscalYearStartMonth": "January",
        "SupportedLanguages": "en",
        "NameValue": [{"Name": "OfferingSku", "Value": "QuickBooks Online Plus"}],
        "domain": "QBO",
        "sparse": False,
        "Id": "1",
        "SyncToken": "1",
        "MetaData": {"CreateTime": company_date(now - timedelta(days=365)) + "T00:00:00-08:00"},
        "realmId": realm_id,
    }  # fmt: skip


def seed_books(realm_id: str, now: datetime) -> Books:
    books = Books(realm_id)
    books.company = company_info(realm_id, now)
    accounts = {}
    for name, account_type, sub_type in ACCOUNTS:
        account = create(
            books, "Account", {"Name": name, "AccountType": account_type, "AccountSubType": sub_type}, now
        )
        accounts[name] = {"value": account["Id"], "name": name}
    vendors = {}
    for name in VENDORS:
        vendor = create(books, "Vendor", {"DisplayName": name, "CompanyName": name}, now)
        vendors[name] = {"value": vendor["Id"], "name": name}
    for name in CUSTOMERS:
        create(books, "Customer", {"DisplayName": name}, now)
    start = company_date(now - timedelta(days=90))
    for entry in MASTER_ITEMS:
        item: dict[str, object] = {
            "Name": entry.name,
            "Sku": entry.sku,
            "Description": entry.description or entry.name,
            "Type": entry.type,
            "UnitPrice": num(entry.price),
            "PurchaseCost": num(entry.cost),
            "IncomeAccountRef": accounts[
                "Services" if entry.type == "Service" else "Sales of Product Income"
            ],
        }
        if entry.type != "Service":
            item["ExpenseAccountRef"] = accounts["Cost of Goods Sold"]
            item["PurchaseDesc"] = entry.name
        if entry.type == "Inventory":
            item.update(
                {
                    "TrackQtyOnHand": True,
                    "QtyOnHand": entry.qty,
                    "InvStartDate": start,
                    "AssetAccountRef": accounts["Inventory Asset"],
                    "ReorderPoint": entry.reorder_point,
                }
            )
        if entry.vendor:
            item["PrefVendorRef"] = vendors[entry.vendor]
        create(books, "Item", item, now)
    books.drain_changes()
    return books
