from django.contrib import admin
from django.urls import path

from channels import webhooks
from inventory_sync import views

urlpatterns = [
    path("", views.overview, name="overview"),
    path("accounts/login/", views.login, name="login"),
    path("accounts/logout/", views.logout, name="logout"),
    path("merchant/switch/", views.switch_merchant, name="switch-merchant"),
    path("webhooks/<str:platform>/<uuid:connection_uuid>/", webhooks.receive, name="webhook"),
    path("admin/", admin.site.urls),
]
