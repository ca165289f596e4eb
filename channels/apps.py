from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "channels"
    label = "channels"
    verbose_name = "Connections and channels"

    def ready(self) -> None:
        from channels import push  # noqa: F401  (connects the dirty-marking receiver)
