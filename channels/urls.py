from django.urls import path

from channels import views

urlpatterns = [
    path("connections/", views.connections, name="connections"),
    path("connections/new/", views.connection_new, name="connection-new"),
    path("connections/quickbooks/connect/", views.quickbooks_connect, name="quickbooks-connect"),
    path("connections/quickbooks/callback/", views.quickbooks_callback, name="quickbooks-callback"),
    path("connections/<int:connection_id>/", views.connection_detail, name="connection-detail"),
    path("connections/<int:connection_id>/test/", views.connection_test, name="connection-test"),
    path("connections/<int:connection_id>/webhooks/", views.connection_webhooks, name="connection-webhooks"),
    path("connections/<int:connection_id>/sync-now/", views.connection_sync_now, name="connection-sync-now"),
    path("connections/<int:connection_id>/sync-on/", views.connection_sync_on, name="connection-sync-on"),
    path("connections/<int:connection_id>/sync-off/", views.connection_sync_off, name="connection-sync-off"),
    path(
        "connections/<int:connection_id>/disconnect/",
        views.connection_disconnect,
        name="connection-disconnect",
    ),
    path("imports/", views.imports, name="imports"),
    path("imports/create-items/", views.import_create_items, name="import-create-items"),
    path("imports/<int:run_id>/", views.import_detail, name="import-detail"),
    path("listings/", views.listings, name="listings"),
    path("activity/", views.activity, name="activity"),
    path("activity/<int:activity_id>/", views.activity_detail, name="activity-detail"),
    path("activity/<int:activity_id>/retry/", views.activity_retry, name="activity-retry"),
]
