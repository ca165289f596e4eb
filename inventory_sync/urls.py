from django.contrib import admin
from django.urls import include, path

from channels import webhooks
from inventory_sync import views

urlpatterns = [
    path("", views.overview, name="overview"),
    path("accounts/login/", views.login, name="login"),
    path("accounts/logout/", views.logout, name="logout"),
    path("merchant/switch/", views.switch_merchant, name="switch-merchant"),
    path("items/", views.items, name="items"),
    path("items/<int:item_id>/", views.item_detail, name="item-detail"),
    path("orders/", views.orders, name="orders"),
    path("orders/<int:order_id>/", views.order_detail, name="order-detail"),
    path("orders/<int:order_id>/dispatch/", views.order_dispatch, name="order-dispatch"),
    path("matching/", include("mapping.urls")),
    path("", include("channels.urls")),
    path("webhooks/<str:platform>/<uuid:connection_uuid>/", webhooks.receive, name="webhook"),
    path("admin/", admin.site.urls),
]
