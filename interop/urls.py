"""Routes at the site root: the DCAT-AP catalogue, where portals look for it."""

from django.urls import path, re_path

from . import views

app_name = "interop"

urlpatterns = [
    path("catalogue", views.catalogue_view, name="catalogue-negotiated"),
    re_path(r"^catalogue\.(?P<extension>ttl|jsonld|rdf)$", views.catalogue_view, name="catalogue"),
]
