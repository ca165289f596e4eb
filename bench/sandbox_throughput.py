"""Issue 3's figure: each sandbox platform answers at least 1,000 simple requests per second on
loopback, so the emulators are never a benchmark's bottleneck.

Each platform runs alone in its own process (as in the demo and the other benchmarks); wrk, from
Debian's packages, drives a typical authenticated read over 16 keep-alive connections for 5
seconds, 3 times; the table gives the median. Rate limits are lifted (they are the plan's, not
the emulator's speed). Run: .venv/bin/python bench/sandbox_throughput.py
"""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
import sys

from common import machine, median, save, start_sandbox, stop

RUNS = 3
DURATION = "5s"
CONNECTIONS = "16"

REQUESTS = {
    "quickbooks": (
        "GET item by id",
        lambda c: (
            f"{c['base_url']}/v3/company/{c['realm_id']}/item/1?minorversion=75",
            f"Authorization: Bearer {c['access_token']}",
        ),
    ),
    "shopify": (
        "GET orders/count.json",
        lambda c: (
            f"{c['base_url']}/admin/api/2026-10/orders/count.json",
            f"X-Shopify-Access-Token: {c['access_token']}",
        ),
    ),
    "woocommerce": (
        "GET products/<id>",
        lambda c: (
            f"{c['base_url']}/wp-json/wc/v3/products/{first_product(c)}",
            "Authorization: Basic "
            + base64.b64encode(f"{c['consumer_key']}:{c['consumer_secret']}".encode()).decode(),
        ),
    ),
}
OPTIONS = {
    "quickbooks": ["--option", "quickbooks.requests_per_minute=0"],
    "shopify": ["--option", "shopify.rest_leak_rate=0"],
    "woocommerce": [],
}


def first_product(config: dict) -> int:
    import requests

    response = requests.get(
        f"{config['base_url']}/wp-json/wc/v3/products",
        params={"per_page": 1},
        auth=(config["consumer_key"], config["consumer_secret"]),
        timeout=10,
    )
    return response.json()[0]["id"]


def wrk(url: str, header: str) -> tuple[float, int]:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{DURATION}", "-H", header, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return rate, int(errors.group(1)) if errors else 0


def main() -> None:
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    results = {}
    for platform, (label, build) in REQUESTS.items():
        process, config = start_sandbox("--only", platform, f"--{platform}-port", "0", *OPTIONS[platform])
        try:
            url, header = build(config[platform])
            wrk(url, header)  # warm up
            runs = [wrk(url, header) for _ in range(RUNS)]
        finally:
            stop(process)
        rates = [rate for rate, _ in runs]
        results[platform] = {
            "request": label,
            "runs_req_per_s": rates,
            "median_req_per_s": median(rates),
            "non_2xx": sum(errors for _, errors in runs),
        }
        print(
            f"{platform:12} {label:24} median {median(rates):8.0f} req/s  runs {[round(r) for r in rates]}"
            f"  non-2xx {results[platform]['non_2xx']}"
        )
    save(
        "sandbox_throughput",
        {"machine": machine(), "connections": CONNECTIONS, "duration": DURATION, "results": results},
    )


if __name__ == "__main__":
    main()
