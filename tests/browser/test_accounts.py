"""Signing in, and roles held in the browser."""

from __future__ import annotations

import pytest

from inventory_sync.models import Role
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_sign_in_shows_the_overview(page, live_server, sign_in, screenshot):
    member = MembershipFactory(role=Role.OWNER, merchant__name="Acme Homewares")
    sign_in(member.user)
    assert page.get_by_role("heading", name="Overview").is_visible()
    assert page.get_by_text("Acme Homewares").is_visible()
    screenshot()


def test_wrong_password_keeps_you_out(page, live_server, screenshot):
    member = MembershipFactory(role=Role.OWNER)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("User name").fill(member.user.username)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").is_visible()
    assert page.url.startswith(f"{live_server.url}/accounts/login/")
    screenshot()


def test_a_viewer_cannot_reach_an_admin_action(page, live_server, sign_in, screenshot):
    viewer = MembershipFactory(role=Role.VIEWER)
    sign_in(viewer.user)
    assert page.get_by_role("link", name="Imports").count() == 0  # not offered
    response = page.goto(f"{live_server.url}/imports/")
    assert response.status == 403
    assert page.get_by_role("heading", name="Not allowed").is_visible()
    screenshot()
