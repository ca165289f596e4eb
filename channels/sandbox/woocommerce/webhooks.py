"""Webhook subscriptions and their deliveries, after class-wc-webhook.php.

- A delivery is a POST of the resource's REST JSON (`{"id": N}` for *.deleted) with the
  X-WC-Webhook-* headers; the signature is base64(HMAC-SHA256(secret, raw body)).
- No retries. A 2xx, 301 or 302 answer resets the webhook's failure count; anything else (or no
  answer) is failed_delivery(): with more than 5 failures already counted the webhook is
  disabled, otherwise the count goes up. So the 7th consecutive failure disables it, and
  re-activating it through the API keeps the count, as WooCommerce does.
- The ping sent when a webhook is created is `webhook_id=N`, form encoded, with only the
  Hookshot User-Agent: WC_Webhook::deliver_ping() adds no X-WC-Webhook-* headers and no
  signature. It is sent synchronously before the REST answer and its outcome is not counted.
- X-WC-Webhook-Delivery-ID is wp_hash(webhook id . current second), so two deliveries of one
  webhook within a second share it; receivers must not de-duplicate on it alone.

Deviations: WooCommerce builds the payload when the queued delivery runs (Action Scheduler),
the sandbox when the event happens; WordPress refuses delivery URLs on loopback
(wp_safe_remote_post), the sandbox only delivers there.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import string
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlparse

import requests

from channels.sandbox.kit import Delivery, WebhookDispatcher

from .events import Events
from .models import Webhook
from .params import Arg, validate
from .store import Store
from .wp import WC_VERSION, WP_VERSION, WpError, php_json

logger = logging.getLogger(__name__)

USER_AGENT = f"WooCommerce/{WC_VERSION} Hookshot (WordPress/{WP_VERSION})"
MAX_DELIVERY_FAILURES = 5  # woocommerce_max_webhook_delivery_failures
PING_TIMEOUT = 5.0
RESOURCES = ("coupon", "customer", "order", "product")
EVENTS = ("created", "updated", "deleted", "restored")
STATUSES = ("active", "paused", "disabled")
WEBHOOK_ARGS = {
    "name": Arg("string"),
    "status": Arg("string", enum=STATUSES),
    "topic": Arg("string"),
    "delivery_url": Arg("string"),
    "secret": Arg("string"),
}
CREATE_ARGS = {
    **WEBHOOK_ARGS,
    "topic": Arg("string", required=True),
    "delivery_url": Arg("string", required=True),
}


def valid_topic(topic: str) -> bool:
    resource, _, event = topic.partition(".")
    if resource == "action":
        return bool(event)
    return resource in RESOURCES and (event in EVENTS or topic == "product.published")


def valid_url(url: str) -> bool:
    if not url.startswith(("http://", "https://")):
        return False
    parsed = urlparse(url)
    return bool(parsed.netloc) and " " not in url


def _invalid(what: str, message: str) -> WpError:
    return WpError(f"woocommerce_rest_shop_webhook_{what}", message, 400)


# -- subscriptions ---------------------------------------------------------------------------


def create_webhook(store: Store, params: dict[str, Any], now: datetime) -> Webhook:
    params = validate(params, CREATE_ARGS)
    if params.get("id"):
        raise WpError("woocommerce_rest_shop_webhook_exists", "Cannot create existing shop_webhook.", 400)
    topic = str(params["topic"]).strip().lower()
    if not valid_topic(topic):
        raise _invalid("invalid_topic", "Webhook topic is required and must be valid.")
    url = str(params["delivery_url"]).strip()
    if not valid_url(url):
        raise _invalid(
            "invalid_delivery_url",
            "Webhook delivery URL must be a valid URL starting with http:// or https://.",
        )
    alphabet = string.ascii_letters + string.digits + "!@#$%^&*()-_ []{}<>~`+=,.;:/?|"
    webhook = Webhook(
        id=store.new_webhook_id(),
        name=str(params.get("name") or now.strftime("Webhook created on %b %d, %Y @ %I:%M %p")),
        status=str(params.get("status") or "active"),
        topic=topic,
        delivery_url=url,
        secret=str(params.get("secret") or "".join(secrets.choice(alphabet) for _ in range(50))),
        date_created=now,
        date_modified=now,
    )
    store.webhooks[webhook.id] = webhook
    return webhook


def update_webhook(webhook: Webhook, params: dict[str, Any], now: datetime) -> None:
    params = validate(params, WEBHOOK_ARGS)
    if params.get("topic"):
        topic = str(params["topic"]).strip().lower()
        if not valid_topic(topic):
            raise _invalid("invalid_topic", "Webhook topic must be valid.")
        webhook.topic = topic
    if params.get("delivery_url"):
        if not valid_url(str(params["delivery_url"])):
            raise _invalid(
                "invalid_delivery_url",
                "Webhook delivery URL must be a valid URL starting with http:// or https://.",
            )
        webhook.delivery_url = str(params["delivery_url"]).strip()
    if params.get("secret"):
        webhook.secret = str(params["secret"])
    if params.get("status"):
        webhook.status = str(params["status"])
    if params.get("name"):
        webhook.name = str(params["name"])
    webhook.date_modified = now


# -- deliveries ------------------------------------------------------------------------------


class HookshotDispatcher(WebhookDispatcher):
    """The kit's dispatcher, reporting the outcome of every first delivery (not the knob's
    duplicates), which WooCommerce needs to count consecutive failures per webhook."""

    def __init__(self, *, on_outcome: Callable[[Delivery, int], None], **kwargs: Any) -> None:
        def report(delivery: Delivery, status: int, duplicate: bool) -> None:
            if not duplicate:
                on_outcome(delivery, status)

        super().__init__(on_outcome=report, **kwargs)


def record_outcome(webhook: Webhook, status: int) -> None:
    if 200 <= status < 303:
        webhook.failure_count = 0
    elif webhook.failure_count > MAX_DELIVERY_FAILURES:
        webhook.status = "disabled"
    else:
        webhook.failure_count += 1


def signature(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def deliveries(
    store: Store,
    events: Events,
    *,
    site: str,
    now: datetime,
    salt: str,
    payload: Callable[[str, int], dict[str, Any] | None],
) -> list[Delivery]:
    """The deliveries one request's events cause, for every active webhook on each topic."""
    hooks = sorted((w for w in store.webhooks.values() if w.status == "active"), key=lambda w: w.id)
    if not hooks or not events.items:
        return []
    out: list[Delivery] = []
    for topic, resource_id in events.items:
        body: bytes | None = None
        for hook in (h for h in hooks if h.topic == topic):
            if body is None:
                resource, _, event = topic.partition(".")
                data = {"id": resource_id} if event == "deleted" else payload(resource, resource_id)
                if data is None:
                    break
                body = php_json(data).encode()
            delivery_id = hmac.new(
                salt.encode(), f"{hook.id}{int(now.timestamp())}".encode(), hashlib.md5
            ).hexdigest()
            headers = {
                "User-Agent": USER_AGENT,
                "Content-Type": "application/json",
                "Connection": "close",  # WordPress posts webhooks as HTTP/1.0, one connection each
                "X-WC-Webhook-Source": f"{site}/",
                "X-WC-Webhook-Topic": hook.topic,
                "X-WC-Webhook-Resource": hook.resource,
                "X-WC-Webhook-Event": hook.event,
                "X-WC-Webhook-Signature": signature(hook.secret, body),
                "X-WC-Webhook-ID": str(hook.id),
                "X-WC-Webhook-Delivery-ID": delivery_id,
            }
            out.append(
                Delivery(url=hook.delivery_url, body=body, headers=headers, event_id=delivery_id, topic=topic)
            )
    return out


def send_ping(webhook_id: int, url: str) -> int:
    """WC_Webhook::deliver_ping(); returns the status (0 when unreachable), which only the admin
    screen shows."""
    try:
        response = requests.post(
            url,
            data=f"webhook_id={webhook_id}",
            headers={"User-Agent": USER_AGENT, "Content-Type": "application/x-www-form-urlencoded"},
            timeout=PING_TIMEOUT,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        logger.info("webhook %s ping to %s failed: %s", webhook_id, url, exc)
        return 0
    return response.status_code
