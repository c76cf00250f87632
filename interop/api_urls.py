"""Routes under /api/v1/ (the ``api`` namespace): one dataset as DCAT-AP."""

from django.urls import re_path

from . import views

urlpatterns = [
    re_path(
        r"^datasets/(?P<id_or_slug>[^/]+)/dcat\.(?P<extension>ttl|jsonld|rdf)$",
        views.dataset_view,
        name="dataset-dcat",
    ),
]
