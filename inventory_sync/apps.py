from django.apps import AppConfig


class InventorySyncConfig(AppConfig):
    name = "inventory_sync"
    verbose_name = "Inventory sync"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the deploy checks)
