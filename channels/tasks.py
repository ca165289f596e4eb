"""RQ entry points: a few lines each, ids in, a service does the work."""

from __future__ import annotations

from channels import push, sync, webhooks


def process_inbox(connection_id: int) -> int:
    return webhooks.process_inbox(connection_id)


def push_connection(connection_id: int) -> dict:
    return push.push_connection(connection_id).__dict__


def catch_up_orders(connection_id: int) -> dict:
    return sync.catch_up_orders(connection_id).__dict__


def reconcile(connection_id: int) -> int:
    return len(sync.reconcile_connection(connection_id))


def master_cdc(connection_id: int) -> None:
    sync.master_cdc(connection_id)


def tick() -> dict[str, int]:
    return sync.tick()


def run_import(run_id: int) -> str:
    from channels.imports import run_import as run

    return run(run_id).status
