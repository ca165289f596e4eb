"""Account pages: sign in and out, the merchant switcher, the overview."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from inventory_sync import selectors
from inventory_sync.models import Membership, Role
from inventory_sync.tenancy import SESSION_KEY, current_merchant, public, require_role

login = public(auth_views.LoginView.as_view(redirect_authenticated_user=True))
logout = public(auth_views.LogoutView.as_view())


@require_role(Role.VIEWER)
def overview(request: HttpRequest) -> HttpResponse:
    merchant = current_merchant(request)
    return render(request, "overview.html", {"figures": selectors.overview_figures(merchant=merchant)})


@require_POST
@require_role(Role.VIEWER)
def switch_merchant(request: HttpRequest) -> HttpResponse:
    membership = get_object_or_404(Membership, user=request.user, merchant_id=request.POST.get("merchant"))
    request.session[SESSION_KEY] = membership.merchant_id
    target = request.POST.get("next") or reverse("overview")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("overview")
    return HttpResponseRedirect(target)
