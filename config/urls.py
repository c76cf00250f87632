from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView

from accounts import oauth_urls
from accounts.views import admin_login
from config import health
from core.api.docs import RedocView, SwaggerView
from core.errors import api_not_found
from delivery.api.passports import GrantTokenIntrospectView
from delivery.api.views import jwks_view
from workspace.sites import workspace_site

admin.site.site_header = "Passerelle"
admin.site.site_title = "Passerelle admin"
admin.site.index_title = "Catalogue and access"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path(".well-known/jwks.json", jwks_view, name="jwks"),
    # Before the admin's own: its sign-in form would bypass allauth (and so MFA and e-mail checks).
    path("admin/login/", admin_login, name="admin-login"),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    # OAuth2 for partner clients: token, revocation (RFC 7009), introspection (RFC 7662) of
    # their own access tokens and of grant tokens (delivery's view: accounts cannot import it).
    path(
        "o/",
        include(
            (
                [
                    *oauth_urls.urlpatterns,
                    path("introspect/", GrantTokenIntrospectView.as_view(), name="introspect"),
                ],
                oauth_urls.app_name,
            ),
            namespace="oauth2_provider",
        ),
    ),
    # The researcher workspace: any verified account, no staff flag needed.
    path("workspace/", workspace_site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI and Redoc, from our own static files (drf-spectacular-sidecar): no CDN.
    path("api/docs/", SwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", RedocView.as_view(url_name="schema"), name="redoc"),
    path("api/v1/", include(("config.api_urls", "api"), namespace="api")),
    # GA4GH DRS 1.4 (docs/drs.md): the spec fixes this prefix.
    path("ga4gh/drs/v1/", include("delivery.api.drs_urls", namespace="drs")),
    path("api/", include("interop.ckan.urls")),
    # DCAT-AP at /catalogue(.ttl|.jsonld|.rdf), for portals that harvest the catalogue.
    path("", include("interop.urls")),
    # Anything else under /api/ is a 404 in the API's JSON shape, even with DEBUG on.
    re_path(r"^api/", api_not_found),
]

handler400 = "core.errors.handler400"
handler403 = "core.errors.handler403"
handler404 = "core.errors.handler404"
handler500 = "core.errors.handler500"
