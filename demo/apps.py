from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data and the commands that load it. Production settings do not install it."""

    name = "demo"
    verbose_name = "Demo"
