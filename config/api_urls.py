"""The /api/v1 root: each app's routes, in the ``api`` namespace. Config sits above every app,
so this is the one place that knows them all."""

from django.urls import include, path

urlpatterns = [
    path("", include("accounts.api.urls")),
    path("", include("catalogue.api.urls")),
    path("", include("access.api.urls")),
    path("", include("delivery.api.urls")),
    path("", include("interop.api_urls")),
]
