"""/o/: token and revocation for partner clients (no authorisation page).

Introspection (``introspect/``, accounts.oauth_views.IntrospectView) is routed by config/urls.py,
to delivery's subclass that also answers grant tokens: accounts sits below delivery."""

from django.urls import path
from oauth2_provider import views as oauth2_views

app_name = "oauth2_provider"

urlpatterns = [
    path("token/", oauth2_views.TokenView.as_view(), name="token"),
    path("revoke_token/", oauth2_views.RevokeTokenView.as_view(), name="revoke-token"),
]
