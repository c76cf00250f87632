"""Routes of GA4GH DRS 1.4, included at /ga4gh/drs/v1/ by config/urls.py (the spec fixes the
prefix; these are not under /api/v1/)."""

from django.urls import path, re_path

from . import drs

app_name = "drs"

urlpatterns = [
    path("service-info", drs.ServiceInfoView.as_view(), name="service-info"),
    # Before objects/<id>: "access" is not an object id.
    path("objects/access", drs.BulkAccessView.as_view(), name="bulk-access"),
    path("objects", drs.BulkObjectsView.as_view(), name="objects"),
    path("objects/<str:object_id>", drs.ObjectView.as_view(), name="object"),
    path(
        "objects/<str:object_id>/access/<str:access_id>",
        drs.AccessView.as_view(),
        name="access",
    ),
    re_path(r"", drs.drs_not_found),
]
