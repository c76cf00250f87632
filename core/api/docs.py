"""Swagger UI and Redoc pages that load nothing from another site.

Their scripts and styles are static files of drf-spectacular-sidecar (SWAGGER_UI_DIST and
REDOC_DIST are "SIDECAR"). What the bundles themselves would fetch is refused by the browser: a
Content-Security-Policy lets the pages load only from this server (Redoc's side menu shows an
"API docs by Redocly" logo from cdn.redoc.ly, which no setting turns off).
"""

from __future__ import annotations

from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView

# The pages' own inline script and the styles the bundles inject need 'unsafe-inline'; Redoc runs
# its search in a worker made from a blob. Nothing is allowed from another origin.
DOCS_CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)


class _SameOriginOnly:
    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Content-Security-Policy"] = DOCS_CONTENT_SECURITY_POLICY
        return response


class SwaggerView(_SameOriginOnly, SpectacularSwaggerView):
    pass


class RedocView(_SameOriginOnly, SpectacularRedocView):
    # drf-spectacular's page also loads fonts from fonts.googleapis.com; ours does not.
    template_name = "core/redoc.html"
