"""Routes of the accounts API, included under /api/v1/ by config/api_urls.py."""

from django.urls import path

from . import views

urlpatterns = [path("auth/token/", views.ApiTokenView.as_view(), name="auth-token")]
