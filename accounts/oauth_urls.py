"""/o/: token, revocation and introspection for partner clients (no authorisation page)."""

from django.urls import path
from oauth2_provider import views as oauth2_views

from accounts.oauth_views import IntrospectView

app_name = "oauth2_provider"

urlpatterns = [
    path("token/", oauth2_views.TokenView.as_view(), name="token"),
    path("revoke_token/", oauth2_views.RevokeTokenView.as_view(), name="revoke-token"),
    path("introspect/", IntrospectView.as_view(), name="introspect"),
]
