from django.urls import include, path
from rest_framework.routers import SimpleRouter

from access.api.grants import GrantDownloadView, GrantViewSet
from access.api.views import ApiTokenView

from . import views

router = SimpleRouter()
router.register("datasets", views.DatasetViewSet, basename="dataset")
router.lookup_value_regex = "[^/]+"
router.register("grants", GrantViewSet, basename="grant")

urlpatterns = [
    path("auth/token/", ApiTokenView.as_view(), name="auth-token"),
    path(
        "datasets/<str:id_or_slug>/distributions/",
        views.DistributionListView.as_view(),
        name="distribution-list",
    ),
    path(
        "datasets/<str:id_or_slug>/distributions/<uuid:distribution_id>/download/",
        views.PublicDistributionDownloadView.as_view(),
        name="distribution-download",
    ),
    path(
        "downloads/<uuid:grant_id>/<uuid:distribution_id>/",
        GrantDownloadView.as_view(),
        name="grant-download",
    ),
    path("licences/", views.LicenceListView.as_view(), name="licence-list"),
    path("data-spaces/", views.DataSpaceListView.as_view(), name="data-space-list"),
    path("publishers/", views.PublisherListView.as_view(), name="publisher-list"),
    *router.urls,
    path("", include("access.api.urls")),
]
