"""QuickBooks Online as the hub's item master: QuickBooks JSON in, the boundary dataclasses out.

Reads use the query language (`STARTPOSITION`/`MAXRESULTS`, 1000 rows a page at most) and Change
Data Capture; writes are a sales receipt or invoice per posting and an item per "create in the
master". Nothing QuickBooks-shaped leaves this module.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from channels.adapters.base import (
    AdapterConfig,
    ChannelEvent,
    ExternalAccount,
    ExternalCustomer,
    ExternalItem,
    ItemKind,
    MasterChanges,
    NewMasterItem,
    NotSupported,
    Page,
    PermanentChannelError,
    PostedSale,
    SaleKind,
    SaleLine,
    SalePosting,
    TokenProvider,
    TransientChannelError,
    WebhookDelivery,
)

from . import webhooks
from .client import (
    MAX_BATCH,
    THROTTLE_WAIT,
    THROTTLED,
    QuickBooksClient,
    describe_fault,
    fault_errors,
)

logger = logging.getLogger(__name__)

PAGE_SIZE = 1000  # QuickBooks' largest page
IDS_PER_QUERY = 100  # ids in one "WHERE Id IN (...)": keeps the statement short
MAX_PAGES = 1000  # bound on internal page loops (a million rows)
CDC_MAX_OBJECTS = 1000  # QuickBooks returns at most this many objects per CDC answer
CDC_ROUNDS = 10  # CDC answers read in one fetch_changes before handing back a cursor
DELETED_SUFFIX = " (deleted)"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

ITEM_KINDS = {
    "Inventory": ItemKind.INVENTORY,
    "NonInventory": ItemKind.NON_INVENTORY,
    "Service": ItemKind.SERVICE,
}
ITEM_TYPES = {kind: name for name, kind in ITEM_KINDS.items()}
# The transactions that move QtyOnHand (PurchaseOrder moves nothing until a Bill links it).
STOCK_TRANSACTIONS = (
    "SalesReceipt",
    "Invoice",
    "CreditMemo",
    "RefundReceipt",
    "Bill",
    "Purchase",
    "VendorCredit",
    "InventoryAdjustment",
)
# Transactions whose lines can name items (for a webhook about one of them).
LINE_TRANSACTIONS = frozenset({*STOCK_TRANSACTIONS, "PurchaseOrder", "Estimate"})
ITEM_LINE_DETAILS = ("SalesItemLineDetail", "ItemBasedExpenseLineDetail", "ItemAdjustmentLineDetail")
SALE_ENTITIES = {SaleKind.SALES_RECEIPT: "SalesReceipt", SaleKind.INVOICE: "Invoice"}
CENT = Decimal("0.01")
UNIT_PRICE_PLACES = Decimal("0.0000001")  # QuickBooks keeps seven decimals of a unit price


# ------------------------------------------------------------------------------------------------
# Translation


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        return None
    return result if result.is_finite() else None


def _number(value: Decimal) -> int | float:
    """A JSON number for QuickBooks (whole numbers without a fraction)."""
    return int(value) if value == value.to_integral_value() else float(value)


def _time(value: Any) -> datetime | None:
    return webhooks.parse_time(value)


def _last_updated(obj: Mapping[str, Any]) -> datetime | None:
    meta = obj.get("MetaData")
    return _time(meta.get("LastUpdatedTime")) if isinstance(meta, dict) else None


def _ref_name(ref: Any) -> str:
    return str(ref.get("name") or "") if isinstance(ref, dict) else ""


def _plain_name(name: str, active: bool) -> str:
    # QuickBooks renames an inactive object "<name> (deleted)"; the hub keeps the real name.
    return name[: -len(DELETED_SUFFIX)] if not active and name.endswith(DELETED_SUFFIX) else name


def item_from_qbo(obj: Mapping[str, Any]) -> ExternalItem:
    active = obj.get("Active") is not False
    tracked = obj.get("TrackQtyOnHand") is True
    return ExternalItem(
        external_id=str(obj["Id"]),
        name=_plain_name(str(obj.get("Name") or ""), active),
        sku=str(obj.get("Sku") or ""),
        kind=ITEM_KINDS.get(str(obj.get("Type", "")), ItemKind.OTHER),
        active=active,
        tracked=tracked,
        qty_on_hand=_decimal(obj.get("QtyOnHand")) if tracked else None,
        updated_at=_last_updated(obj) or EPOCH,
        sync_token=str(obj.get("SyncToken") or ""),
        description=str(obj.get("Description") or ""),
        cost=_decimal(obj.get("PurchaseCost")),
        sales_price=_decimal(obj.get("UnitPrice")),
        reorder_point=_decimal(obj.get("ReorderPoint")),
        preferred_vendor=_ref_name(obj.get("PrefVendorRef")),
    )


def customer_from_qbo(obj: Mapping[str, Any]) -> ExternalCustomer:
    active = obj.get("Active") is not False
    email = obj.get("PrimaryEmailAddr")
    return ExternalCustomer(
        external_id=str(obj["Id"]),
        display_name=_plain_name(str(obj.get("DisplayName") or ""), active),
        active=active,
        email=str(email.get("Address") or "") if isinstance(email, dict) else "",
        updated_at=_last_updated(obj),
    )


def account_from_qbo(obj: Mapping[str, Any]) -> ExternalAccount:
    return ExternalAccount(
        external_id=str(obj["Id"]),
        name=str(obj.get("Name") or ""),
        account_type=str(obj.get("AccountType") or ""),
    )


def item_ids_on(txn: Mapping[str, Any]) -> set[str]:
    """The items a transaction's lines name, bundles (GroupLineDetail) included."""
    found: set[str] = set()

    def walk(lines: Any, depth: int) -> None:
        if not isinstance(lines, list) or depth > 3:
            return
        for line in lines:
            if not isinstance(line, dict):
                continue
            for detail_type in ITEM_LINE_DETAILS:
                detail = line.get(detail_type)
                ref = detail.get("ItemRef") if isinstance(detail, dict) else None
                if isinstance(ref, dict) and ref.get("value") not in (None, ""):
                    found.add(str(ref["value"]))
            group = line.get("GroupLineDetail")
            if isinstance(group, dict):
                walk(group.get("Line"), depth + 1)

    walk(txn.get("Line"), 0)
    return found


def _rows(response: Mapping[str, Any], entity: str) -> list[dict[str, Any]]:
    rows = response.get(entity, [])
    if not isinstance(rows, list):
        raise PermanentChannelError(f"QuickBooks returned {entity} rows that are not a list")
    return [row for row in rows if isinstance(row, dict)]


def _quoted(values: Iterable[str]) -> str:
    return ", ".join("'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'" for v in values)


def _items_by_id(ids: Sequence[str]) -> str:
    """Inactive items too, so that a deactivation reaches the hub. The ids are quoted and
    escaped; nothing else of the caller's reaches the statement."""
    where = f"Id IN ({_quoted(ids)}) AND Active IN (true, false)"
    return f"SELECT * FROM Item WHERE {where} MAXRESULTS {PAGE_SIZE}"  # noqa: S608


def _chunks(values: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _start(cursor: str | None) -> int:
    if not cursor:
        return 1
    try:
        start = int(cursor)
    except ValueError:
        raise PermanentChannelError(f"not a QuickBooks page cursor: {cursor!r}") from None
    if start < 1:
        raise PermanentChannelError(f"not a QuickBooks page cursor: {cursor!r}")
    return start


# ------------------------------------------------------------------------------------------------
# The adapter


class QuickBooksAdapter:
    kind = "quickbooks"

    def __init__(
        self,
        config: AdapterConfig,
        tokens: TokenProvider | None = None,
        *,
        client: QuickBooksClient | None = None,
    ) -> None:
        self.config = config
        self.client = client or QuickBooksClient(config, tokens)
        self.page_size = max(1, min(int(config.options.get("page_size", PAGE_SIZE)), PAGE_SIZE))
        self.cdc_entities = tuple(config.options.get("cdc_entities", ("Item", *STOCK_TRANSACTIONS)))

    # -- Adapter ---------------------------------------------------------------------------------------

    def check_connection(self) -> str:
        body = self.client.get(f"companyinfo/{self.client.realm_id}")
        info = body.get("CompanyInfo")
        if not isinstance(info, dict):
            raise PermanentChannelError("QuickBooks answered without CompanyInfo")
        return (
            f"QuickBooks company {info.get('CompanyName') or info.get('LegalName') or self.client.realm_id}"
        )

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookDelivery:
        return webhooks.verify(self.config.webhook_secret, headers, body)

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> list[ChannelEvent]:
        return webhooks.parse(body, realm_id=self.config.account_id)

    # -- reads -----------------------------------------------------------------------------------------

    def count_items(self) -> int:
        response = self.client.query("SELECT COUNT(*) FROM Item")
        try:
            return int(response.get("totalCount", 0))
        except (TypeError, ValueError):
            raise PermanentChannelError("QuickBooks' item count did not parse", raw=str(response)) from None

    def _page(self, entity: str, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
        start = _start(cursor)  # an int: nothing of the caller's text reaches the statement
        statement = f"SELECT * FROM {entity} ORDERBY Id STARTPOSITION {start} MAXRESULTS {self.page_size}"  # noqa: S608
        rows = _rows(self.client.query(statement), entity)
        # A full page may have a successor; a short one is the last.
        next_cursor = str(start + len(rows)) if len(rows) >= self.page_size else None
        return rows, next_cursor

    def fetch_items(self, *, cursor: str | None = None) -> Page[ExternalItem]:
        """Active items a page at a time (what an import brings in; QuickBooks' own default).
        Items made inactive later reach the hub through CDC and webhooks."""
        rows, next_cursor = self._page("Item", cursor)
        return Page([item_from_qbo(row) for row in rows], next_cursor)

    def fetch_items_by_id(self, external_ids: Sequence[str]) -> list[ExternalItem]:
        """The items with these ids, inactive ones included (so a deactivation is seen)."""
        ids = sorted({str(i) for i in external_ids if str(i)}, key=lambda v: (len(v), v))
        if not ids:
            return []
        statements = [_items_by_id(chunk) for chunk in _chunks(ids, IDS_PER_QUERY)]
        if len(statements) == 1:
            return [item_from_qbo(row) for row in _rows(self.client.query(statements[0]), "Item")]
        items: list[ExternalItem] = []
        for group in _chunks(statements, MAX_BATCH):  # one batch call per 30 queries
            for response in self._batch_queries(group):
                items.extend(item_from_qbo(row) for row in _rows(response, "Item"))
        return items

    def _batch_queries(self, statements: Sequence[str]) -> list[dict[str, Any]]:
        entries = self.client.batch(
            [{"bId": str(n), "Query": statement} for n, statement in enumerate(statements, 1)],
            request_id=uuid.uuid4().hex,  # fresh per call: a repeat within the call gets the same rows
        )
        responses = []
        for entry in entries:
            errors = fault_errors(entry)
            if errors:
                code, message = describe_fault(errors)
                if code == THROTTLED:  # the batch was answered, this item was not: try later
                    raise TransientChannelError(message, raw=str(entry), code=code, retry_after=THROTTLE_WAIT)
                raise PermanentChannelError(message, raw=str(entry), code=code)
            response = entry.get("QueryResponse", {})
            responses.append(response if isinstance(response, dict) else {})
        return responses

    def fetch_customers(self, *, cursor: str | None = None) -> Page[ExternalCustomer]:
        rows, next_cursor = self._page("Customer", cursor)
        return Page([customer_from_qbo(row) for row in rows], next_cursor)

    def fetch_accounts(self) -> list[ExternalAccount]:
        accounts: list[ExternalAccount] = []
        cursor: str | None = None
        for _ in range(MAX_PAGES):
            rows, cursor = self._page("Account", cursor)
            accounts.extend(account_from_qbo(row) for row in rows)
            if cursor is None:
                break
        return accounts

    def fetch_changes(self, *, since: datetime) -> MasterChanges:
        """Change Data Capture of items and stock-moving transactions since `since`.

        QuickBooks answers at most 1000 objects (the oldest first); when an answer is full, the
        next one starts at the newest change seen, so nothing is skipped (an object on the
        boundary may come twice; reads are versioned). The cursor is the answer's own time, or,
        when the rounds run out, the newest change seen."""
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        items: dict[str, ExternalItem] = {}
        affected: set[str] = set()
        cursor = since
        for _ in range(CDC_ROUNDS):
            body = self.client.get(
                "cdc", {"entities": ",".join(self.cdc_entities), "changedSince": cursor.isoformat()}
            )
            objects, newest = self._read_cdc(body, items, affected)
            answered = _time(body.get("time"))
            if objects < CDC_MAX_OBJECTS:
                cursor = answered or newest or cursor
                break
            if newest is None or newest < cursor:
                break
            cursor = newest
        logger.info(
            "QuickBooks CDC read",
            extra={"since": since.isoformat(), "items": len(items), "affected": len(affected)},
        )
        return MasterChanges(items=list(items.values()), affected_item_ids=frozenset(affected), cursor=cursor)

    def _read_cdc(
        self, body: Mapping[str, Any], items: dict[str, ExternalItem], affected: set[str]
    ) -> tuple[int, datetime | None]:
        answers = body.get("CDCResponse")
        if not isinstance(answers, list):
            raise PermanentChannelError("QuickBooks answered CDC without CDCResponse", raw=str(body)[:2000])
        objects = 0
        newest: datetime | None = None
        for answer in answers:
            responses = answer.get("QueryResponse", []) if isinstance(answer, dict) else []
            for response in responses if isinstance(responses, list) else []:
                if not isinstance(response, dict):
                    continue
                for entity, rows in response.items():
                    if not isinstance(rows, list):
                        continue
                    for obj in rows:
                        if not isinstance(obj, dict) or "Id" not in obj:
                            continue
                        objects += 1
                        changed = _last_updated(obj)
                        if changed is not None and (newest is None or changed > newest):
                            newest = changed
                        if obj.get("status") == "Deleted":
                            continue  # a deleted transaction has no lines left to read
                        if entity == "Item":
                            item = item_from_qbo(obj)
                            known = items.get(item.external_id)
                            if known is None or item.updated_at >= known.updated_at:
                                items[item.external_id] = item
                        else:
                            affected |= item_ids_on(obj)
        return objects, newest

    def items_on_transaction(self, entity: str, external_id: str) -> frozenset[str]:
        if entity not in LINE_TRANSACTIONS:
            raise NotSupported(f"QuickBooks {entity} names no items")
        try:
            body = self.client.get(f"{entity.lower()}/{external_id}")
        except PermanentChannelError as exc:
            if exc.code == "610":  # deleted since the notification: its stock effect shows in CDC
                logger.info(
                    "transaction gone before it was read", extra={"entity": entity, "id": external_id}
                )
                return frozenset()
            raise
        txn = body.get(entity)
        if not isinstance(txn, dict):
            raise PermanentChannelError(f"QuickBooks answered without the {entity}", raw=str(body)[:2000])
        return frozenset(item_ids_on(txn))

    # -- writes ----------------------------------------------------------------------------------------

    def post_sale(self, posting: SalePosting) -> PostedSale:
        """One SalesReceipt or Invoice for the whole posting, in one call, idempotent by its
        request id (a retry or a re-run returns the transaction already made)."""
        entity = SALE_ENTITIES[posting.kind]
        if not posting.lines:
            raise PermanentChannelError("a posting without lines cannot be sent to QuickBooks")
        body: dict[str, Any] = {
            "TxnDate": posting.txn_date.isoformat(),
            "Line": [self._sale_line(line) for line in posting.lines],
        }
        if posting.customer_external_id:
            body["CustomerRef"] = {"value": posting.customer_external_id}
        if posting.doc_number:
            body["DocNumber"] = posting.doc_number[:21]
        if posting.memo:
            body["PrivateNote"] = posting.memo[:4000]
        if posting.deposit_account_external_id and entity == "SalesReceipt":
            body["DepositToAccountRef"] = {"value": posting.deposit_account_external_id}
        answer = self.client.write(entity.lower(), body, request_id=posting.request_id)
        txn = answer.get(entity)
        if not isinstance(txn, dict) or not txn.get("Id"):
            raise PermanentChannelError(
                f"QuickBooks answered the {entity} without it", raw=str(answer)[:2000]
            )
        logger.info(
            "posted a sale to QuickBooks",
            extra={
                "entity": entity,
                "id": txn["Id"],
                "request_id": posting.request_id,
                "lines": len(posting.lines),
            },
        )
        return PostedSale(
            external_id=str(txn["Id"]),
            doc_number=str(txn.get("DocNumber") or posting.doc_number),
            total=_decimal(txn.get("TotalAmt")) or Decimal(0),
        )

    @staticmethod
    def _sale_line(line: SaleLine) -> dict[str, Any]:
        amount = Decimal(line.amount).quantize(CENT)
        qty = Decimal(line.quantity)
        detail: dict[str, Any] = {"ItemRef": {"value": line.item_external_id}, "Qty": _number(qty)}
        if qty:
            # QuickBooks checks Amount = Qty x UnitPrice to the cent; send the price only when a
            # seven-decimal price passes that check, otherwise let QuickBooks derive it.
            price = (amount / qty).quantize(UNIT_PRICE_PLACES)
            if (price * qty).quantize(CENT) == amount:
                detail["UnitPrice"] = _number(price.normalize())
        sale_line: dict[str, Any] = {
            "DetailType": "SalesItemLineDetail",
            "Amount": _number(amount),
            "SalesItemLineDetail": detail,
        }
        if line.description:
            sale_line["Description"] = line.description[:4000]
        return sale_line

    def create_item(self, item: NewMasterItem) -> ExternalItem:
        if item.kind not in ITEM_TYPES:
            raise NotSupported(f"the hub does not create {item.kind} items in QuickBooks")
        body: dict[str, Any] = {"Name": item.name[:100], "Type": ITEM_TYPES[item.kind]}
        if item.sku:
            body["Sku"] = item.sku[:100]
        if item.description:
            body["Description"] = item.description[:4000]
        if item.sales_price is not None:
            body["UnitPrice"] = _number(item.sales_price)
        if item.cost is not None:
            body["PurchaseCost"] = _number(item.cost)
        if item.income_account_id:
            body["IncomeAccountRef"] = {"value": item.income_account_id}
        if item.expense_account_id:
            body["ExpenseAccountRef"] = {"value": item.expense_account_id}
        if item.kind == ItemKind.INVENTORY:
            if item.asset_account_id:
                body["AssetAccountRef"] = {"value": item.asset_account_id}
            body["TrackQtyOnHand"] = True
            body["QtyOnHand"] = _number(item.qty_on_hand)
            # A day back, so the start date is never in the company's future whatever its zone.
            body["InvStartDate"] = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
        answer = self.client.write("item", body, request_id=item.request_id)
        created = answer.get("Item")
        if not isinstance(created, dict) or not created.get("Id"):
            raise PermanentChannelError("QuickBooks answered the new item without it", raw=str(answer)[:2000])
        logger.info("created a QuickBooks item", extra={"id": created["Id"], "kind": str(item.kind)})
        return item_from_qbo(created)


def build_adapter(config: AdapterConfig, tokens: TokenProvider | None) -> QuickBooksAdapter:
    return QuickBooksAdapter(config, tokens)
