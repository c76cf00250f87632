"""CKAN's Action API paths, included under /api/ by config/urls.py (before its /api/ catch-all)."""

from django.urls import path

from . import views

urlpatterns = [
    path("3/action/<str:name>", views.action_view, {"version": 3}, name="ckan-action-3"),
    path("action/<str:name>", views.action_view, name="ckan-action"),
]
