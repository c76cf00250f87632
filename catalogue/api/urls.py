"""Routes of the catalogue API, included under /api/v1/ by config/api_urls.py."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import sync_views, views

router = SimpleRouter()
router.lookup_value_regex = "[^/]+"
router.register("datasets", views.DatasetViewSet, basename="dataset")

urlpatterns = [
    # Before the dataset routes: these paths would otherwise read as a dataset's slug.
    path(
        "datasets/by-identifier/<path:identifier>/",
        sync_views.DatasetSyncViewSet.as_view({"put": "upsert"}),
        name="dataset-by-identifier",
    ),
    path(
        "datasets/bulk/",
        sync_views.DatasetSyncViewSet.as_view({"post": "bulk"}),
        name="dataset-bulk",
    ),
    path(
        "datasets/<str:id_or_slug>/distributions/",
        views.DistributionListView.as_view(),
        name="distribution-list",
    ),
    path(
        "datasets/<str:id_or_slug>/distributions/<uuid:distribution_id>/",
        views.DistributionDetailView.as_view(),
        name="distribution-detail",
    ),
    path(
        "datasets/<str:id_or_slug>/distributions/<uuid:distribution_id>/download/",
        views.PublicDistributionDownloadView.as_view(),
        name="distribution-download",
    ),
    path("licences/", views.LicenceListView.as_view(), name="licence-list"),
    path("data-spaces/", views.DataSpaceListView.as_view(), name="data-space-list"),
    path("publishers/", views.PublisherListView.as_view(), name="publisher-list"),
    *router.urls,
]
