"""/accounts/: allauth's pages, the researcher's API tokens, and guarded OpenID Connect views."""

from django.urls import include, path

from accounts import views

own = (
    [
        path("tokens/", views.api_tokens, name="api_tokens"),
        path("tokens/<uuid:token_id>/revoke/", views.api_token_revoke, name="api_token_revoke"),
    ],
    "accounts",
)

urlpatterns = [
    path("", include(own)),
    # The same paths and names as allauth's own, found first: provider failures become a page.
    path("oidc/<str:provider_id>/login/", views.oidc_login, name="openid_connect_login"),
    path(
        "oidc/<str:provider_id>/login/callback/",
        views.oidc_callback,
        name="openid_connect_callback",
    ),
    path("", include("allauth.urls")),
]
