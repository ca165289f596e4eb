"""Tenancy and roles, proved over the whole URL conf.

The walker visits every URL the project declares. Each view must say which role it needs
(`require_role`) or that it is public. With another merchant's object ids in the URL, every
scoped view answers 404; with the user's own ids, each role gets exactly what DESIGN.md section 7
allows. A new view that forgets either fails here.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from inventory_sync.models import Merchant, Role, role_at_least
from tests import factories as f

pytestmark = pytest.mark.django_db

ROLES = [Role.VIEWER, Role.STAFF, Role.ADMIN, Role.OWNER]
SKIPPED_PREFIXES = ("admin/", "django-rq/", "static/")


# How to make an object of a given merchant for each URL keyword. A URL with a keyword that is
# not here fails the walk: add the factory when you add the URL.
def _connection(m: Merchant) -> object:
    return f.ConnectionFactory(merchant=m)


KWARG_FACTORIES: dict[str, Callable[[Merchant], object]] = {
    "item_id": lambda m: f.ItemFactory(merchant=m).pk,
    "order_id": lambda m: f.OrderFactory(connection=_connection(m)).pk,
    "line_id": lambda m: f.OrderLineFactory(order__connection=_connection(m)).pk,
    "connection_id": lambda m: _connection(m).pk,
    "connection_uuid": lambda m: _connection(m).uuid,
    "listing_id": lambda m: f.ListingFactory(connection=_connection(m)).pk,
    "matching_id": lambda m: f.MatchingFactory(connection=_connection(m)).pk,
    "activity_id": lambda m: f.ActivityFactory(merchant=m).pk,
    "run_id": lambda m: f.ImportRunFactory(connection=_connection(m)).pk,
}


@dataclass(frozen=True)
class Route:
    name: str
    pattern: URLPattern
    route: str

    @property
    def view(self) -> Callable:
        return self.pattern.callback

    @property
    def kwargs_needed(self) -> list[str]:
        return list(self.pattern.pattern.regex.groupindex)


def walk(resolver: URLResolver | None = None, prefix: str = "", namespace: str = "") -> Iterator[Route]:
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if route.startswith(SKIPPED_PREFIXES):
            continue
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk(entry, route, ns)
        elif entry.name:
            yield Route(namespace + entry.name, entry, route)


def routes() -> list[Route]:
    return list(walk())


def url_for(route: Route, merchant: Merchant) -> str:
    kwargs = {}
    for name in route.kwargs_needed:
        assert name in KWARG_FACTORIES, (
            f"{route.name}: add a factory for URL keyword {name!r} to KWARG_FACTORIES"
        )
        kwargs[name] = KWARG_FACTORIES[name](merchant)
    return reverse(route.name, kwargs=kwargs)


def call(client, url: str):
    """GET, or POST when the view only takes POST (its action)."""
    response = client.get(url)
    if response.status_code == 405:
        response = client.post(url)
    return response


def member(role: str, merchant: Merchant | None = None):
    return f.MembershipFactory(role=role, merchant=merchant or f.MerchantFactory())


def test_every_view_declares_the_role_it_needs():
    undeclared = [r.name for r in routes() if not hasattr(r.view, "required_role")]
    assert undeclared == [], "wrap these views with require_role(...) or public(...)"


def test_another_merchants_ids_give_404_on_every_url(client):
    mine = member(Role.OWNER)
    theirs = f.MerchantFactory()
    client.force_login(mine.user)
    checked = []
    for route in routes():
        if route.view.required_role is None or not route.kwargs_needed:
            continue
        url = url_for(route, theirs)
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert response.status_code in (404, 405), (
                f"{method.upper()} {url} ({route.name}) leaked: {response.status_code}"
            )
        checked.append(route.name)
    # The walk must really have walked something once the dashboard exists.
    assert len(checked) == len({r.name for r in routes() if r.kwargs_needed and r.view.required_role})


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_exactly_what_it_may(client, role):
    membership = member(role)
    client.force_login(membership.user)
    for route in routes():
        required = route.view.required_role
        if required is None:
            continue
        response = call(client, url_for(route, membership.merchant))
        if role_at_least(role, required):
            assert response.status_code != 403, f"{role} was refused {route.name}"
        else:
            assert response.status_code == 403, f"{role} reached {route.name} ({response.status_code})"


def test_signed_out_visitors_are_sent_to_the_login_page(client):
    merchant = f.MerchantFactory()
    for route in routes():
        if route.view.required_role is None:
            continue
        response = call(client, url_for(route, merchant))
        assert response.status_code in (302, 405), route.name
        if response.status_code == 302:
            assert response["Location"].startswith(reverse("login")), route.name


def test_a_user_without_a_merchant_is_told_so(client):
    client.force_login(f.UserFactory())
    response = client.get(reverse("overview"))
    assert response.status_code == 403
    assert b"No merchant yet" in response.content


def test_the_merchant_switcher_only_offers_own_merchants(client):
    first = member(Role.OWNER)
    second = f.MembershipFactory(user=first.user, role=Role.VIEWER)
    stranger = f.MerchantFactory()
    client.force_login(first.user)

    page = client.get(reverse("overview")).content.decode()
    assert first.merchant.name in page and second.merchant.name in page
    assert stranger.name not in page

    response = client.post(reverse("switch-merchant"), {"merchant": second.merchant.pk, "next": "/"})
    assert response.status_code == 302
    assert second.merchant.name in client.get(reverse("overview")).content.decode()
    assert client.post(reverse("switch-merchant"), {"merchant": stranger.pk}).status_code == 404


def test_the_switcher_does_not_redirect_off_site(client):
    first = member(Role.OWNER)
    client.force_login(first.user)
    response = client.post(
        reverse("switch-merchant"), {"merchant": first.merchant.pk, "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("overview")


def test_login_then_logout(client):
    membership = member(Role.VIEWER)
    response = client.post(reverse("login"), {"username": membership.user.username, "password": f.PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("overview")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("overview")).status_code == 302


def test_repeated_failed_logins_lock_the_account_out(client, settings):
    membership = member(Role.OWNER)
    username = membership.user.username
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post(reverse("login"), {"username": username, "password": "wrong"})
        assert response.status_code in (200, 429)
    response = client.post(reverse("login"), {"username": username, "password": f.PASSWORD})
    assert response.status_code in (403, 429)
    assert b"Too many failed sign-ins" in response.content
    assert client.get(reverse("overview")).status_code == 302  # still signed out


def test_csrf_is_enforced_on_actions():
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    membership = member(Role.OWNER)
    strict.force_login(membership.user)
    response = strict.post(reverse("switch-merchant"), {"merchant": membership.merchant.pk})
    assert response.status_code == 403


def test_check_deploy_passes_with_production_values():
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": Fernet.generate_key().decode() * 2,
        "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "DATABASE_URL": "postgres://hub:secret@db.internal:5432/hub",
        "REDIS_URL": "redis://redis.internal:6379/0",
        "ALLOWED_HOSTS": "hub.example.com",
        "HTTPS": "1",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_refuses_the_embedded_defaults():
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "FIELD_ENCRYPTION_KEY")
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=Path(__file__).resolve().parents[2],
        env={**env, "DEBUG": "0"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    for code in ("inventory_sync.E001", "inventory_sync.E002", "inventory_sync.E003", "security.W009"):
        assert code in result.stderr + result.stdout
