"""Run the three sandbox platforms on loopback: `python manage.py sandbox` (or
`python -m channels.sandbox`).

The first line printed is a JSON object with each platform's base URL and credentials, so a
script (or `manage.py demo`) can read it and connect; `--config-out FILE` writes the same JSON to a
file. With `--snapshot-dir`, each platform restores its state from there at start and saves it at
exit, so a demo keeps its orders and stock across restarts.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from channels.sandbox.kit import Knobs, SandboxServer

PLATFORMS = {
    "quickbooks": ("channels.sandbox.quickbooks", "QuickBooksSandbox", 8101),
    "shopify": ("channels.sandbox.shopify", "ShopifySandbox", 8102),
    "woocommerce": ("channels.sandbox.woocommerce", "WooCommerceSandbox", 8103),
}


def start_platforms(
    *,
    host: str = "127.0.0.1",
    ports: dict[str, int] | None = None,
    names: list[str] | None = None,
    snapshot_dir: Path | None = None,
    knobs: dict[str, Any] | None = None,
    options: dict[str, dict[str, Any]] | None = None,
    threads: int = 16,
) -> dict[str, SandboxServer]:
    servers: dict[str, SandboxServer] = {}
    for name in names or list(PLATFORMS):
        module, class_name, default_port = PLATFORMS[name]
        cls = getattr(importlib.import_module(module), class_name)
        snapshot = snapshot_dir / f"{name}.json" if snapshot_dir else None
        platform_knobs = Knobs()
        if knobs:
            platform_knobs.update(knobs)
        platform = cls(knobs=platform_knobs, snapshot_path=snapshot, **(options or {}).get(name, {}))
        port = (ports or {}).get(name, default_port)
        servers[name] = SandboxServer(platform, host=host, port=port, threads=threads).start()
    return servers


def describe(servers: dict[str, SandboxServer]) -> dict[str, dict[str, Any]]:
    """What a client needs to connect to each platform."""
    return {
        name: {"base_url": server.url, **server.platform.credentials()} for name, server in servers.items()
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="sandbox", description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    return parser.parse_args(argv)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    for name, (_, _, port) in PLATFORMS.items():
        parser.add_argument(
            f"--{name}-port", type=int, default=port, help=f"default {port}; 0 picks a free port"
        )
    parser.add_argument("--only", default="", help="comma-separated platforms to run (default: all three)")
    parser.add_argument("--config-out", default="", help="also write the JSON config to this file")
    parser.add_argument("--snapshot-dir", default="", help="restore state from and save it to this folder")
    parser.add_argument(
        "--knobs", default="", help="JSON knobs for every platform, e.g. '{\"latency_ms\": 50}'"
    )
    parser.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="PLATFORM.NAME=VALUE",
        help="a platform's constructor option, e.g. quickbooks.requests_per_minute=0 (JSON values)",
    )
    parser.add_argument("--threads", type=int, default=16)


def parse_platform_options(pairs: list[str]) -> dict[str, dict[str, Any]]:
    parsed: dict[str, dict[str, Any]] = {}
    for pair in pairs:
        key, _, raw = pair.partition("=")
        platform, _, name = key.partition(".")
        if platform not in PLATFORMS or not name or not raw:
            raise SystemExit(
                f"--option {pair!r}: expected PLATFORM.NAME=VALUE with PLATFORM in {sorted(PLATFORMS)}"
            )
        try:
            value = json.loads(raw)
        except ValueError:
            value = raw
        parsed.setdefault(platform, {})[name] = value
    return parsed


def run(options: argparse.Namespace, *, out: Any = None) -> None:
    out = out or sys.stdout
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    names = [n.strip() for n in options.only.split(",") if n.strip()] or list(PLATFORMS)
    snapshot_dir = Path(options.snapshot_dir) if options.snapshot_dir else None
    if snapshot_dir:
        snapshot_dir.mkdir(parents=True, exist_ok=True)
    ports = {name: getattr(options, f"{name}_port") for name in PLATFORMS}
    servers = start_platforms(
        host=options.host,
        ports=ports,
        names=names,
        snapshot_dir=snapshot_dir,
        knobs=json.loads(options.knobs) if options.knobs else None,
        options=parse_platform_options(options.option),
        threads=options.threads,
    )
    config = describe(servers)
    text = json.dumps(config, sort_keys=True)
    out.write(text + "\n")
    out.flush()
    if options.config_out:
        Path(options.config_out).parent.mkdir(parents=True, exist_ok=True)
        Path(options.config_out).write_text(json.dumps(config, indent=2, sort_keys=True))
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        stop.wait()
    finally:
        for server in servers.values():
            server.stop()


def main(argv: list[str] | None = None) -> None:
    run(parse_args(argv))


if __name__ == "__main__":
    main()
