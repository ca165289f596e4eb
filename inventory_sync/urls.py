from django.contrib import admin
from django.urls import path

from inventory_sync import views

urlpatterns = [
    path("", views.overview, name="overview"),
    path("accounts/login/", views.login, name="login"),
    path("accounts/logout/", views.logout, name="logout"),
    path("merchant/switch/", views.switch_merchant, name="switch-merchant"),
    path("admin/", admin.site.urls),
]
