"""Routes of the delivery API, included under /api/v1/ by config/api_urls.py."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.lookup_value_regex = "[^/]+"
router.register("grants", views.GrantViewSet, basename="grant")

urlpatterns = [
    path(
        "downloads/<uuid:grant_id>/<uuid:distribution_id>/",
        views.GrantDownloadView.as_view(),
        name="grant-download",
    ),
    *router.urls,
]
