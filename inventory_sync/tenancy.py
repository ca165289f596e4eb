"""Who is asking, for which merchant, with which role: the middleware and the view decorator.

Every dashboard view is wrapped by `require_role`, which also records the role on the view so
that a test can walk the URL conf and prove each URL enforces it. Objects are always fetched
through `scoped(queryset, request)`, so another merchant's id is a 404, never a leak.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, render

from inventory_sync.models import Membership, Merchant, Role
from inventory_sync.models.tenancy import memberships_of

SESSION_KEY = "merchant_id"
M = TypeVar("M", bound=Model)


class CurrentMerchantMiddleware:
    """Sets request.memberships, request.membership and request.merchant for signed-in users.
    The merchant is the one chosen with the switcher (kept in the session), else the first."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.memberships = []  # type: ignore[attr-defined]
        request.membership = None  # type: ignore[attr-defined]
        request.merchant = None  # type: ignore[attr-defined]
        if request.user.is_authenticated:
            memberships = list(memberships_of(request.user))
            chosen = request.session.get(SESSION_KEY)
            membership = next((m for m in memberships if m.merchant_id == chosen), None)
            if membership is None and memberships:
                membership = memberships[0]
            request.memberships = memberships  # type: ignore[attr-defined]
            request.membership = membership  # type: ignore[attr-defined]
            request.merchant = membership.merchant if membership else None  # type: ignore[attr-defined]
        return self.get_response(request)


def merchant_context(request: HttpRequest) -> dict[str, Any]:
    membership: Membership | None = getattr(request, "membership", None)
    return {
        "current_merchant": getattr(request, "merchant", None),
        "current_membership": membership,
        "memberships": getattr(request, "memberships", []),
        "can_staff": bool(membership and membership.allows(Role.STAFF)),
        "can_admin": bool(membership and membership.allows(Role.ADMIN)),
    }


def require_role(role: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """The user must be signed in, belong to a merchant and hold at least `role` there."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership: Membership | None = getattr(request, "membership", None)
            if membership is None:
                return render(request, "no_merchant.html", status=403)
            if not membership.allows(role):
                raise PermissionDenied(f"this needs the {role} role")
            return view(request, *args, **kwargs)

        wrapper.required_role = role  # type: ignore[attr-defined]
        return wrapper

    return decorate


def public(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Marks a view that needs no membership (login, webhooks: they check their own way)."""
    view.required_role = None  # type: ignore[attr-defined]
    return view


def current_merchant(request: HttpRequest) -> Merchant:
    merchant: Merchant | None = getattr(request, "merchant", None)
    if merchant is None:
        raise PermissionDenied("no merchant selected")
    return merchant


def scoped(queryset: QuerySet[M], request: HttpRequest) -> QuerySet[M]:
    return queryset.filter(merchant=current_merchant(request))


def get_scoped_or_404(queryset: QuerySet[M], request: HttpRequest, **lookup: Any) -> M:
    return get_object_or_404(scoped(queryset, request), **lookup)
