"""The emulator's state survives a snapshot: company data, stock, tokens and webhook settings."""

from __future__ import annotations

import json
from pathlib import Path

from werkzeug.test import Client

from channels.sandbox.quickbooks import QuickBooksSandbox


def test_snapshot_round_trips_through_json(tmp_path: Path) -> None:
    path = tmp_path / "qbo.json"
    first = QuickBooksSandbox(snapshot_path=path, webhook_url="http://127.0.0.1:9/hook", webhook_window_ms=50)
    creds = first.credentials()
    api = f"/v3/company/{creds['realm_id']}"
    headers = {"Authorization": f"Bearer {creds['access_token']}"}
    client = Client(first)
    line = {
        "DetailType": "SalesItemLineDetail",
        "Amount": 36,
        "SalesItemLineDetail": {"ItemRef": {"value": "2"}, "Qty": 2, "UnitPrice": 18},
    }
    created = client.post(
        f"{api}/invoice", json={"CustomerRef": {"value": "1"}, "Line": [line]}, headers=headers
    )
    assert created.status_code == 200
    first.save_snapshot()
    first.close()
    json.loads(path.read_text())  # plain JSON on disk

    second = QuickBooksSandbox(snapshot_path=path)
    try:
        assert second.stock_by_sku() == first.stock_by_sku()
        assert second.stock_by_sku()["BIN-LG-001"] == 238
        again = Client(second)
        invoice_id = created.json["Invoice"]["Id"]
        read = again.get(f"{api}/invoice/{invoice_id}", headers=headers)  # the old token still works
        assert read.status_code == 200
        assert read.json["Invoice"]["TotalAmt"] == 36
        assert second.webhook_config.url == "http://127.0.0.1:9/hook"
        # the Id sequence continues rather than reusing ids
        more = again.post(
            f"{api}/invoice", json={"CustomerRef": {"value": "1"}, "Line": [line]}, headers=headers
        )
        assert int(more.json["Invoice"]["Id"]) > int(invoice_id)
        duplicate = again.post(
            f"{api}/item",
            json={"Name": "Bin lid", "Type": "Service", "IncomeAccountRef": {"value": "5"}},
            headers=headers,
        )
        assert duplicate.json["Fault"]["Error"][0]["code"] == "6240"  # the name index was rebuilt
    finally:
        second.webhooks.stop()
