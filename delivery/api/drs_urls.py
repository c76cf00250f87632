"""Routes of GA4GH DRS 1.4, included at /ga4gh/drs/v1/ by config/urls.py (the spec fixes the
prefix; these are not under /api/v1/)."""

from collections.abc import Callable

from django.urls import path, re_path

from . import drs

app_name = "drs"


def _own_errors(view: Callable) -> Callable:
    """The DRS views refuse NUL bytes themselves, in the spec's error shape (see
    core.middleware.RejectNulMiddleware); none queries with a query parameter."""
    view.checks_nul_bytes_itself = True
    view.checks_nul_bytes_in_path_itself = True
    return view


urlpatterns = [
    path("service-info", _own_errors(drs.ServiceInfoView.as_view()), name="service-info"),
    # Before objects/<id>: "access" is not an object id.
    path("objects/access", _own_errors(drs.BulkAccessView.as_view()), name="bulk-access"),
    path("objects", _own_errors(drs.BulkObjectsView.as_view()), name="objects"),
    path("objects/<str:object_id>", _own_errors(drs.ObjectView.as_view()), name="object"),
    path(
        "objects/<str:object_id>/access/<str:access_id>",
        _own_errors(drs.AccessView.as_view()),
        name="access",
    ),
    re_path(r"", _own_errors(drs.drs_not_found)),
]
