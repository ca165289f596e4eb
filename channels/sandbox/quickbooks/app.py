"""The QuickBooks Online emulator: OAuth 2.0 and the v3 Accounting API on loopback.

Endpoints (under /v3/company/<realmId>/, Bearer auth, `minorversion` accepted and ignored):
query (GET ?query= or POST application/text), <entity>/<id> (read), <entity> (POST: create,
update with Id+SyncToken, sparse update, ?operation=delete, ?operation=void), batch, cdc,
companyinfo/<realmId>, preferences. OAuth endpoints are in auth_routes.py.

QuickBooks sometimes answers HTTP 200 with a `Fault` body instead of the data (clients must look
inside every 200). `POST /_sandbox/faults_in_200` scripts that: the next matching API calls that
pass the gateway get `200 {"Fault": ...}` with the fault of the given code, and nothing applied.

Every API call first passes the gateway: a missing, unknown, expired or revoked bearer gets 401
with Intuit's AuthenticationFailed body (code 3200), a token for another company 403 (3100),
and the realm's requests-per-minute limit (500) 429 with ThrottleExceeded (3001). Batch calls
also count against QuickBooks' 40 batches per minute. QuickBooks sends no Retry-After; this
emulator adds one (seconds until the window frees) because it costs nothing and helps.

`requestid` on any write makes it idempotent for the realm: a repeated requestid gets the first
response back, status and body, and nothing is applied again. Responses are JSON only; real
QuickBooks also speaks XML and sends its 429 as XML even to JSON clients, which this does not.
"""

from __future__ import annotations

import copy
import json
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from werkzeug.wrappers import Request, Response

from channels.sandbox.kit import Delivery, Knobs, SandboxPlatform, api, json_response

from . import cdc, faults, operations, query
from .auth_routes import OAuthEndpoints
from .books import Books
from .controls import ControlEndpoints
from .entities import COMPANY_INFO, ENTITIES, NAME_LIST, entity_named
from .faults import QboFault
from .formats import qbo_time
from .oauth import ACCOUNTING_SCOPE, Grant, IdTokenSigner, TokenStore
from .seed import seed_books
from .throttle import MinuteWindow
from .webhooks import WebhookBatcher, WebhookConfig

REPLAYS_KEPT = 100_000
REQUEST_ID_MAX = 50
JSON = "application/json;charset=UTF-8"


class QuickBooksSandbox(OAuthEndpoints, ControlEndpoints, SandboxPlatform):
    name = "quickbooks"

    def __init__(
        self,
        *,
        knobs: Knobs | None = None,
        snapshot_path: str | Path | None = None,
        realm_id: str = "9341453000000000",
        client_id: str = "sandbox-client-id",
        client_secret: str = "sandbox-client-secret",
        webhook_verifier_token: str = "sandbox-verifier-token",
        webhook_url: str | None = None,
        webhook_format: str = "legacy",
        webhook_window_ms: float = 500,
        access_token_ttl: float = 3600,
        refresh_token_grace_seconds: float = 60,
        requests_per_minute: int = 500,
        batch_requests_per_minute: int = 40,
        max_batch_items: int = 30,
        webhook_retry_delays: Iterable[float] = (0.5, 1.0, 2.0),
    ) -> None:
        self.realm_id = realm_id
        self.client_id = client_id
        self.client_secret = client_secret
        self.webhook_verifier_token = webhook_verifier_token
        self.access_token_ttl = access_token_ttl
        self.refresh_token_grace_seconds = refresh_token_grace_seconds
        self.max_batch_items = max_batch_items
        self.webhook_retry_delays = tuple(webhook_retry_delays)
        self._webhook_defaults = {
            "url": webhook_url,
            "format": webhook_format,
            "window_ms": webhook_window_ms,
            "retry_delays": self.webhook_retry_delays,
        }
        self.webhook_config = WebhookConfig()
        self.webhook_config.update(self._webhook_defaults)
        self.batcher = WebhookBatcher(
            realm_id=realm_id,
            verifier_token=webhook_verifier_token,
            config=self.webhook_config,
            submit=self._submit_delivery,
        )
        self.throttle = MinuteWindow(requests_per_minute)
        self.batch_throttle = MinuteWindow(batch_requests_per_minute)
        self.signer = IdTokenSigner()
        self.tokens = self._new_token_store()
        self.books = Books(realm_id)
        self.seeded_grant: Grant | None = None
        self.replays: OrderedDict[str, tuple[int, bytes]] = OrderedDict()
        self.faults_in_200: list[dict[str, Any]] = []
        super().__init__(knobs=knobs, snapshot_path=snapshot_path)

    def _new_token_store(self) -> TokenStore:
        return TokenStore(
            client_id=self.client_id,
            client_secret=self.client_secret,
            realm_id=self.realm_id,
            access_ttl=self.access_token_ttl,
            refresh_grace=self.refresh_token_grace_seconds,
        )

    def _submit_delivery(self, delivery: Delivery) -> None:
        self.webhooks.submit(delivery)

    # -- SandboxPlatform -----------------------------------------------------------------------

    def seed(self) -> None:
        with self.lock:
            now = self.clock.now()
            self.books = seed_books(self.realm_id, now)
            self.tokens = self._new_token_store()
            self.seeded_grant = self.tokens.new_grant([ACCOUNTING_SCOPE], now.timestamp())
            self.replays.clear()
            self.faults_in_200 = []
            self.throttle.clear()
            self.batch_throttle.clear()
            self._configure_webhooks(self._webhook_defaults)
            self.batcher.clear()

    def stock_by_sku(self) -> dict[str, Any]:
        return {
            item["Sku"]: item.get("QtyOnHand", 0)
            for item in self.books.objects["Item"].values()
            if item.get("Type") == "Inventory" and item.get("Active") and item.get("Sku")
        }

    def fault_response(self, kind: str, request: Request) -> Response:
        if not request.path.startswith("/v3/"):
            status, error = (
                (429, "too_many_requests") if kind == "throttle" else (503, "temporarily_unavailable")
            )
            return json_response({"error": error}, status=status)
        if kind == "throttle":
            return self._fault(faults.throttled(), {"Retry-After": "60"})
        return self._fault(faults.system_failure())

    def not_found_response(self, request: Request) -> Response:
        if request.path.startswith("/v3/"):
            relative = request.path
            return self._fault(
                faults.unsupported_operation(
                    f"Could not find resource for relative : {relative} of full path: {request.url}"
                )
            )
        return json_response({"error": "Not Found"}, status=404)

    def snapshot_state(self) -> dict[str, Any]:
        return {
            "books": self.books.snapshot(),
            "tokens": self.tokens.snapshot(),
            "seeded_grant": self.seeded_grant.id if self.seeded_grant else None,
            "webhook": {
                "url": self.webhook_config.url,
                "format": self.webhook_config.format,
                "window_ms": self.webhook_config.window_ms,
                "retry_delays": list(self.webhook_config.retry_delays),
            },
        }

    def restore_state(self, state: dict[str, Any]) -> None:
        with self.lock:
            self.books = Books.restore(state["books"])
            self.tokens = self._new_token_store()
            self.tokens.restore(state["tokens"])
            self.seeded_grant = self.tokens.grants.get(state.get("seeded_grant") or "")
            self._configure_webhooks(state.get("webhook", {}))

    def credentials(self) -> dict[str, Any]:
        with self.lock:
            grant = self.seeded_grant
            return {
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "realm_id": self.realm_id,
                "webhook_verifier_token": self.webhook_verifier_token,
                "access_token": grant.access if grant else None,
                "refresh_token": grant.refresh if grant else None,
                "scopes": [ACCOUNTING_SCOPE],
                "discovery_path": "/.well-known/openid-configuration",
                "api_path": f"/v3/company/{self.realm_id}",
                "minorversion": 75,
            }

    # -- responses -----------------------------------------------------------------------------

    def _now_text(self) -> str:
        return qbo_time(self.clock.now(), millis=True)

    def _ok(self, body: dict[str, Any]) -> Response:
        body["time"] = self._now_text()
        return Response(
            json.dumps(body), status=200, headers={"intuit_tid": str(uuid.uuid4())}, content_type=JSON
        )

    def _fault(self, fault: QboFault, headers: dict[str, str] | None = None) -> Response:
        response = fault.response(self.clock.now(), headers)
        response.headers["intuit_tid"] = str(uuid.uuid4())
        return response

    def _gate(self, request: Request, realm: str) -> Response | None:
        """Intuit's gateway: bearer token, company, then the per-minute request limit."""
        now = self.clock.now().timestamp()
        header = request.headers.get("Authorization", "")
        now_ms = int(time.time() * 1000)
        if not header.lower().startswith("bearer ") or not header[7:].strip():
            return faults.gateway_response(
                401, "3200", "AuthenticationFailed", "Authorization header missing", now_ms
            )
        token = header[7:].strip()
        with self.lock:
            grant, reason = self.tokens.check_access(token, now)
        if grant is None:
            detail = {
                "expired": "Token expired: " + token[:12] + "...",
                "revoked": "Token revoked",
            }.get(
                reason,
                "Malformed bearer token: too short or too long" if len(token) < 40 else "Invalid token",
            )
            return faults.gateway_response(401, "3200", "AuthenticationFailed", detail, now_ms)
        if grant.realm_id != realm or ACCOUNTING_SCOPE not in grant.scopes:
            return faults.gateway_response(403, "3100", "AuthorizationFailed", None, now_ms)
        retry = self.throttle.acquire(now)
        if retry is not None:
            return self._fault(faults.throttled(), {"Retry-After": str(max(1, int(retry)))})
        scripted = self.take_fault_in_200(request.path)
        if scripted is not None:
            self.note_operation(request, f"fault_in_200:{scripted.code}")
            return Response(
                json.dumps({"Fault": scripted.fault(), "time": self._now_text()}),
                status=200,
                headers={"intuit_tid": str(uuid.uuid4())},
                content_type=JSON,
            )
        return None

    # -- reads ---------------------------------------------------------------------------------

    def _run_query(self, text: str) -> tuple[str, dict[str, Any]]:
        parsed = query.parse(text)
        entity = entity_named(parsed.entity)
        if entity is None:
            raise faults.query_invalid(f"Metadata not found for Entity: {parsed.entity}")
        if entity == COMPANY_INFO:
            return entity, query.run(
                parsed,
                entity,
                {self.books.company["Id"]: self.books.company},
                filterable=frozenset({"Id"}),
                name_list=False,
                time_of=lambda o, f: None,
            )
        spec = ENTITIES[entity]
        result = query.run(
            parsed,
            entity,
            self.books.objects[entity],
            filterable=spec.filterable,
            name_list=spec.kind == NAME_LIST,
            time_of=lambda obj, name: self.books.time_of(entity, obj, name),
        )
        return entity, result

    @api("/v3/company/<realm>/query", methods=["GET", "POST"], name="query")
    def query_endpoint(self, request: Request, realm: str) -> Response:
        if (denied := self._gate(request, realm)) is not None:
            return denied
        text = request.args.get("query")
        if text is None and request.method == "POST":
            if request.mimetype == "application/x-www-form-urlencoded":
                text = request.form.get("query")
            else:  # QuickBooks' documented form: the statement as an application/text body
                text = request.get_data(as_text=True)
        try:
            with self.lock:
                entity, result = self._run_query(text or "")
                response = self._ok({"QueryResponse": result})  # serialised while the rows hold still
        except QboFault as fault:
            return self._fault(fault)
        self.note_operation(request, f"query:{entity}")
        return response

    @api("/v3/company/<realm>/<entity>/<obj_id>", methods=["GET"], name="read")
    def read_endpoint(self, request: Request, realm: str, entity: str, obj_id: str) -> Response:
        if (denied := self._gate(request, realm)) is not None:
            return denied
        name = entity_named(entity)
        if name is None:
            return self.not_found_response(request)
        try:
            with self.lock:
                if name == COMPANY_INFO:
                    if obj_id != realm:
                        raise faults.object_not_found()
                    response = self._ok({name: self.books.company})
                else:
                    response = self._ok({name: self.books.get(name, obj_id)})
        except QboFault as fault:
            return self._fault(fault)
        self.note_operation(request, f"read:{name}")
        return response

    @api("/v3/company/<realm>/preferences", methods=["GET"], name="preferences")
    def preferences(self, request: Request, realm: str) -> Response:
        if (denied := self._gate(request, realm)) is not None:
            return denied
        prefs = {
            "ProductAndServicesPrefs": {
                "ForSales": True,
                "ForPurchase": True,
                "QuantityWithPriceAndRate": True,
                "QuantityOnHand": True,
            },
            "SalesFormsPrefs": {"CustomTxnNumbers": False, "AllowDiscount": True},
            "CurrencyPrefs": {"MultiCurrencyEnabled": False, "HomeCurrency": {"value": "USD"}},
            "domain": "QBO",
            "sparse": False,
            "Id": "1",
            "SyncToken": "0",
        }
        return self._ok({"Preferences": prefs})

    @api("/v3/company/<realm>/cdc", methods=["GET"], name="cdc")
    def cdc_endpoint(self, request: Request, realm: str) -> Response:
        if (denied := self._gate(request, realm)) is not None:
            return denied
        args = request.args
        try:
            with self.lock:
                body = cdc.changes(
                    self.books, args.get("entities"), args.get("changedSince"), self.clock.now()
                )
                response = self._ok(body)
        except QboFault as fault:
            return self._fault(fault)
        self.note_operation(request, "cdc")
        return response

    # -- writes --------------------------------------------------------------------------------

    def _idempotent(self, request: Request, apply: Callable[[str | None], tuple[int, bytes]]) -> Response:
        """Run a write once per requestid; a repeat gets the first response, status and body."""
        request_id = request.args.get("requestid") or None
        if request_id is not None and len(request_id) > REQUEST_ID_MAX:
            return self._fault(
                faults.business(
                    f"You cannot enter more than {REQUEST_ID_MAX} characters in the request_id field. "
                    f"You tried entering {request_id[:10]}..., which is {len(request_id)} characters."
                )
            )
        with self.lock:
            replay = self.replays.get(request_id) if request_id else None
            if replay is None:
                replay = apply(request_id)
                changes = self.books.drain_changes()
                if request_id:
                    self.replays[request_id] = replay
                    while len(self.replays) > REPLAYS_KEPT:
                        self.replays.popitem(last=False)
            else:
                changes = []
                self.note_operation(request, "replay")
            # Queued under the lock so notifications keep the order the writes were applied in.
            self.batcher.notify([c for c in changes if ENTITIES[c[0]].webhooks])
        status, body = replay
        return Response(body, status=status, headers={"intuit_tid": str(uuid.uuid4())}, content_type=JSON)

    def _encode(self, status: int, body: dict[str, Any]) -> tuple[int, bytes]:
        body["time"] = self._now_text()
        return status, json.dumps(body).encode()

    def _apply(self, operation: str, entity: str, payload: Any, now: datetime) -> dict[str, Any]:
        if operation == "create":
            return operations.create(self.books, entity, payload, now)
        if operation == "update":
            return operations.update(self.books, entity, payload, now)
        if operation == "delete":
            return operations.delete(self.books, entity, payload, now)
        if operation == "void":
            return operations.void(self.books, entity, payload, now)
        raise faults.unsupported_operation(f"{operation}")

    @api("/v3/company/<realm>/<entity>", methods=["POST"], name="write")
    def write_endpoint(self, request: Request, realm: str, entity: str) -> Response:
        if (denied := self._gate(request, realm)) is not None:
            return denied
        name = entity_named(entity)
        if name is None or name == COMPANY_INFO:
            return self.not_found_response(request)
        operation = request.args.get("operation", "").lower()
        if operation == "update" and request.args.get("include", "").lower() == "void":
            operation = "void"

        def apply(request_id: str | None) -> tuple[int, bytes]:
            op = operation
            try:
                payload = _json_body(request)
                if not op:
                    op = (
                        "update"
                        if isinstance(payload, dict) and payload.get("Id") not in (None, "")
                        else "create"
                    )
                obj = self._apply(op, name, payload, self.clock.now())
            except QboFault as fault:
                return self._encode(fault.status, {"Fault": fault.fault()})
            self.note_write(request, request_id or f"{op}:{name}:{uuid.uuid4()}")
            self.note_operation(request, f"{op}:{name}")
            return self._encode(200, {name: obj})

        return self._idempotent(request, apply)

    @api("/v3/company/<realm>/batch", methods=["POST"], name="batch")
    def batch(self, request: Request, realm: str) -> Response:
        if (denied := self._gate(request, realm)) is not None:
            return denied
        if self.batch_throttle.acquire(self.clock.now().timestamp()) is not None:
            return self._fault(faults.throttled(), {"Retry-After": "60"})

        def apply(request_id: str | None) -> tuple[int, bytes]:
            try:
                payload = _json_body(request)
                items = payload.get("BatchItemRequest") if isinstance(payload, dict) else None
                if not isinstance(items, list) or not items:
                    raise faults.required_missing("BatchItemRequest")
                if len(items) > self.max_batch_items:
                    raise faults.batch_too_large(len(items), self.max_batch_items)
            except QboFault as fault:
                return self._encode(fault.status, {"Fault": fault.fault()})
            results = [self._batch_item(request, request_id, item) for item in items]
            return self._encode(200, {"BatchItemResponse": results})

        return self._idempotent(request, apply)

    def _batch_item(self, request: Request, request_id: str | None, item: Any) -> dict[str, Any]:
        bid = item.get("bId") if isinstance(item, dict) else None
        try:
            if not isinstance(item, dict):
                raise faults.malformed_body()
            if bid in (None, ""):
                raise faults.required_missing("bId")
            if "Query" in item:
                entity, result = self._run_query(str(item["Query"]))
                self.note_operation(request, f"batch:query:{entity}")
                # Later items of the batch may change these rows; answer with them as they are now.
                return {"bId": bid, "QueryResponse": copy.deepcopy(result)}
            names = [key for key in item if key in ENTITIES]
            if len(names) != 1:
                raise faults.required_missing("entity")
            name = names[0]
            operation = str(item.get("operation", "")).lower()
            if operation == "update" and str(item.get("optionsData", "")).lower() == "void":
                operation = "void"
            if operation not in ("create", "update", "delete", "void"):
                raise faults.invalid_property(f"operation {item.get('operation')!r}")
            obj = self._apply(operation, name, item[name], self.clock.now())
        except QboFault as fault:
            return {"bId": bid, "Fault": fault.fault()}
        self.note_write(request, f"{request_id}:{bid}" if request_id else f"batch:{uuid.uuid4()}")
        self.note_operation(request, f"batch:{operation}:{name}")
        return {"bId": bid, name: copy.deepcopy(obj)}


def _json_body(request: Request) -> Any:
    try:
        return json.loads(request.get_data())
    except (ValueError, UnicodeDecodeError):
        raise faults.malformed_body() from None
