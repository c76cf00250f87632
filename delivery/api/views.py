"""Grants, their download links, the downloads themselves and the public JWKS."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import renderers, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access import selectors
from access import services as access_services
from access.models import Grant, GrantState
from core.api.pagination import BoundedPageNumberPagination
from core.api.params import whole_number
from core.api.schema import error_response
from core.api.serializers import StrictInputSerializer
from core.net import client_ip
from core.partners import GRANTS_READ
from delivery import services
from delivery.services import manifests
from delivery.services.drs import drs_uri
from delivery.services.links import DownloadLink
from delivery.services.manifests import grant_usable_by

from .file_responses import file_response


class GrantDatasetSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    slug = serializers.SlugField()
    title = serializers.CharField()


class GrantFileSerializer(serializers.Serializer):
    distribution = serializers.UUIDField(source="distribution.pk")
    drs_uri = serializers.SerializerMethodField(help_text="drs://<host>/<id> (docs/drs.md).")
    title = serializers.CharField(source="distribution.title")
    byte_size = serializers.IntegerField(source="distribution.byte_size", allow_null=True)
    checksum = serializers.CharField(source="distribution.checksum", allow_null=True)
    download_url = serializers.URLField(source="url")
    url_expires_at = serializers.DateTimeField(source="expires_at")

    def get_drs_uri(self, link: DownloadLink) -> str:
        return drs_uri(link.distribution.pk)


class GrantOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    access_request = serializers.UUIDField(source="access_request_id")
    dataset = GrantDatasetSerializer()
    grantee = serializers.CharField(source="grantee.username")
    state = serializers.ChoiceField(choices=GrantState.choices)
    valid_from = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    revoked_at = serializers.DateTimeField(allow_null=True)
    download_count = serializers.IntegerField()
    token = serializers.SerializerMethodField(
        help_text="A short-lived signed grant token (a GA4GH ControlledAccessGrants visa, EdDSA "
        "JWT) for the grantee and the partner client that submitted the request, while the grant "
        "is active. It lives GRANT_TOKEN_LIFETIME seconds (1 hour by default), never past the "
        "grant's end; POST .../token/ issues a fresh one. Verify it offline with "
        "/.well-known/jwks.json and its status list (docs/tokens.md)."
    )
    files = serializers.SerializerMethodField(
        help_text="Fresh signed download links, for the grantee (and the partner client that "
        "submitted the request for them) only, while the grant is active."
    )

    def _usable_by_caller(self, grant: Grant) -> bool:
        # The grantee, or the partner client that submitted the request for them (it stages
        # the data for its researcher); never a steward or a publisher's client.
        return grant_usable_by(
            user=self.context["request"].user, grant=grant, now=self.context["now"]
        )

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_token(self, grant: Grant) -> str | None:
        if not self._usable_by_caller(grant):
            return None
        # One key load for the page, not one per grant.
        if "signer" not in self.context:
            self.context["signer"] = services.signer_current()
        return services.grant_token(grant, signer=self.context["signer"])

    @extend_schema_field(GrantFileSerializer(many=True))
    def get_files(self, grant: Grant) -> list[dict]:
        if not self._usable_by_caller(grant):
            return []
        links = services.download_links(grant, ttl_seconds=self.context["link_ttl"])
        return GrantFileSerializer(links, many=True).data


class GrantTokenOutputSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="The grant token (a visa JWT, EdDSA).")
    jti = serializers.CharField(help_text="This token's unique id.")
    expires_at = serializers.DateTimeField(help_text="When this token (not the grant) expires.")


class RevokeInputSerializer(StrictInputSerializer):
    reason = serializers.CharField(max_length=5000)


class RelinquishInputSerializer(StrictInputSerializer):
    comment = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


# Links may be asked to live shorter than the default, never longer.
MAX_LINK_TTL_SECONDS = services.DEFAULT_LINK_TTL_SECONDS


def _link_ttl(request: Request) -> int:
    raw = request.query_params.get("link_ttl")
    if raw is None:
        return services.DEFAULT_LINK_TTL_SECONDS
    maximum = MAX_LINK_TTL_SECONDS
    return whole_number(
        raw,
        name="link_ttl",
        minimum=1,
        maximum=maximum,
        message=f"Seconds between 1 and {maximum}.",
    )


LINK_TTL = OpenApiParameter(
    "link_ttl",
    {
        "type": "integer",
        "minimum": 1,
        "maximum": MAX_LINK_TTL_SECONDS,
        "default": services.DEFAULT_LINK_TTL_SECONDS,
    },
    OpenApiParameter.QUERY,
    description="Lifetime of the download links in seconds.",
)
GRANT_ID = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH)


class ManifestFileSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="distribution.pk")
    drs_uri = serializers.CharField()
    name = serializers.CharField(help_text="A safe, unique file name to save it under.")
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    url = serializers.URLField(help_text="Signed link, valid until the manifest's expires_at.")


class ManifestOutputSerializer(serializers.Serializer):
    grant = serializers.UUIDField(source="grant.pk")
    expires_at = serializers.DateTimeField(help_text="When every link of the manifest stops.")
    files = ManifestFileSerializer(many=True)


class _ManifestTextRenderer(renderers.BaseRenderer):
    """A manifest (its JSON shape) as the text input of a download tool."""

    media_type = "text/plain"
    charset = "utf-8"
    shape: Any = None

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context=None):
        lines = [SimpleNamespace(**item) for item in (data or {}).get("files", [])]
        return type(self).shape(lines).encode()


class Aria2Renderer(_ManifestTextRenderer):
    format = "aria2"
    shape = staticmethod(manifests.aria2_input)


class WgetRenderer(_ManifestTextRenderer):
    format = "wget"
    shape = staticmethod(manifests.wget_input)


class Sha256SumsRenderer(_ManifestTextRenderer):
    format = "sha256sums"
    shape = staticmethod(manifests.sha256sums)


MANIFEST_RENDERERS = [renderers.JSONRenderer, Aria2Renderer, WgetRenderer, Sha256SumsRenderer]
MANIFEST_FORMATS = [r.format for r in MANIFEST_RENDERERS]


class ManifestNegotiation(DefaultContentNegotiation):
    """?format= picks the shape (json by default, whatever the Accept header); an unknown one is
    a 400 naming the known ones, not DRF's bare 404."""

    def select_renderer(self, request: Request, renderers: list, format_suffix: Any = None):
        wanted = request.query_params.get("format") or "json"
        for renderer in renderers:
            if renderer.format == wanted:
                return renderer, renderer.media_type
        raise ValidationError(
            {"format": [f"One of: {', '.join(MANIFEST_FORMATS)}."]}, code="invalid"
        )


def _manifest_ttl(request: Request) -> int:
    default, maximum = manifests.manifest_ttl_bounds()
    raw = request.query_params.get("link_ttl")
    if raw is None:
        return default
    return whole_number(
        raw,
        name="link_ttl",
        minimum=1,
        maximum=maximum,
        message=f"Seconds between 1 and {maximum}.",
    )


class GrantViewSet(viewsets.ViewSet):
    permission_classes = [IsAuthenticated]
    required_scopes = {
        "list": (GRANTS_READ,),
        "retrieve": (GRANTS_READ,),
        "manifest": (GRANTS_READ,),
        "token": (GRANTS_READ,),
    }
    # list() pages with it, and the OpenAPI schema reads it: the answer is a page object.
    pagination_class = BoundedPageNumberPagination

    def _context(self, request: Request) -> dict:
        return {"request": request, "now": timezone.now(), "link_ttl": _link_ttl(request)}

    @extend_schema(parameters=[LINK_TTL], responses=GrantOutputSerializer(many=True))
    def list(self, request: Request) -> Response:
        context = self._context(request)
        paginator = self.pagination_class()
        queryset = selectors.grants_visible_to(user=request.user).order_by("-created", "id")
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(
            GrantOutputSerializer(page, many=True, context=context).data
        )

    @extend_schema(
        parameters=[GRANT_ID, LINK_TTL],
        responses={200: GrantOutputSerializer, 404: error_response("No grant you can see.")},
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        grant = selectors.grant_get(user=request.user, grant_id=pk)
        return Response(GrantOutputSerializer(grant, context=self._context(request)).data)

    @extend_schema(
        parameters=[
            GRANT_ID,
            OpenApiParameter(
                "format",
                {"type": "string", "enum": MANIFEST_FORMATS, "default": "json"},
                OpenApiParameter.QUERY,
                description="json; aria2 (for `aria2c -i FILE -j 16 -c`); wget (for `wget "
                "--content-disposition -c -i FILE`); sha256sums (for `sha256sum -c FILE`).",
            ),
            OpenApiParameter(
                "link_ttl",
                {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": settings.MANIFEST_MAX_LINK_TTL_SECONDS,
                },
                OpenApiParameter.QUERY,
                description="Lifetime of the links in seconds (MANIFEST_LINK_TTL_SECONDS by "
                "default; never past the grant's end).",
            ),
        ],
        responses={
            (200, "application/json"): ManifestOutputSerializer,
            (200, "text/plain"): OpenApiTypes.STR,
            403: error_response("Only the grantee or the submitting partner client fetches files."),
            404: error_response("No grant you can see."),
            409: error_response("The grant was revoked, relinquished or superseded."),
            410: error_response("The grant has expired."),
        },
    )
    @action(
        detail=True,
        methods=["get"],
        renderer_classes=MANIFEST_RENDERERS,
        content_negotiation_class=ManifestNegotiation,
    )
    def manifest(self, request: Request, pk: str) -> Response:
        """Every file of the grant with a fresh signed link, its size, SHA-256 and DRS URI, for
        fetching them all in parallel (and resuming): docs/drs.md."""
        grant = selectors.grant_get(user=request.user, grant_id=pk)
        manifest = manifests.grant_manifest(
            user=request.user, grant=grant, ttl_seconds=_manifest_ttl(request)
        )
        response = Response(ManifestOutputSerializer(manifest).data)
        if request.accepted_renderer.format != "json":
            suffix = "SHA256SUMS" if request.accepted_renderer.format == "sha256sums" else "txt"
            name = f"grant-{str(grant.pk)[:8]}.{request.accepted_renderer.format}.{suffix}"
            response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    def finalize_response(self, request: Request, response: Response, *args, **kwargs):
        # An error of a text manifest is still the API's JSON error.
        if getattr(response, "exception", False) and isinstance(
            getattr(request, "accepted_renderer", None), _ManifestTextRenderer
        ):
            request.accepted_renderer = renderers.JSONRenderer()
            request.accepted_media_type = "application/json"
        return super().finalize_response(request, response, *args, **kwargs)

    @extend_schema(
        parameters=[GRANT_ID],
        request=RevokeInputSerializer,
        responses={
            200: GrantOutputSerializer,
            403: error_response("Only stewards of the dataset's publisher revoke a grant."),
            404: error_response("No grant you can see."),
            409: error_response("The grant's request is no longer approved (error.state)."),
        },
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str) -> Response:
        grant = selectors.grant_get(user=request.user, grant_id=pk)
        serializer = RevokeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        grant = access_services.grant_revoke(
            user=request.user, grant=grant, reason=serializer.validated_data["reason"]
        )
        return Response(GrantOutputSerializer(grant, context=self._context(request)).data)

    @extend_schema(
        parameters=[GRANT_ID],
        request=RelinquishInputSerializer,
        responses={
            200: GrantOutputSerializer,
            403: error_response("Only the grantee relinquishes a grant."),
            404: error_response("No grant you can see."),
            409: error_response("The grant's request is no longer approved (error.state)."),
        },
    )
    @action(detail=True, methods=["post"])
    def relinquish(self, request: Request, pk: str) -> Response:
        """The grantee ends their access early: every link stops at once."""
        grant = selectors.grant_get(user=request.user, grant_id=pk)
        serializer = RelinquishInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        grant = access_services.grant_relinquish(
            user=request.user, grant=grant, comment=serializer.validated_data["comment"]
        )
        return Response(GrantOutputSerializer(grant, context=self._context(request)).data)

    @extend_schema(
        parameters=[GRANT_ID],
        request=None,
        responses={
            200: GrantTokenOutputSerializer,
            403: error_response("A steward who is not the grantee gets no token."),
            404: error_response("No grant you can see."),
            409: error_response("The grant has ended (error.state): no token."),
        },
    )
    @action(detail=True, methods=["post"])
    def token(self, request: Request, pk: str) -> Response:
        """A fresh short-lived grant token, for the grantee or a partner client with
        grants:read that sees the grant."""
        issued = services.grant_token_reissue(user=request.user, grant_id=pk)
        return Response(GrantTokenOutputSerializer(issued).data)


class GrantDownloadView(APIView):
    """A signed link: the MAC is the credential, so no session or token is needed."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    # Not rate-limited per address: a cluster staging a grant's thousands of files from behind
    # one NAT address (a manifest with aria2c -j 16) would meet the anonymous budget within a
    # minute. The link's MAC is the credential and is checked before any database work, so a
    # flood of forged links costs a hash each; a valid link serves only its grant's own file.
    throttle_classes: list = []
    # A malformed expires or signature is a 403 like any other invalid link, never a 400.
    schema_errors_not_given = frozenset({400})

    @extend_schema(
        parameters=[
            OpenApiParameter("expires", OpenApiTypes.INT, required=True),
            OpenApiParameter("signature", OpenApiTypes.STR, required=True),
            OpenApiParameter(
                "name",
                OpenApiTypes.STR,
                description="The file name Content-Disposition gives (letters, digits, '.', "
                "'_', '-'); another value is ignored. Manifests' links set it.",
            ),
        ],
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            (206, "application/octet-stream"): OpenApiTypes.BINARY,
            403: error_response(
                "The link is not valid: forged, altered, of a revoked grant or of a file the "
                "grant does not open."
            ),
            404: error_response("Not a grant or distribution id (malformed)."),
            410: error_response(
                "The link, or the grant, has expired: ask the grant for a new one."
            ),
            416: OpenApiResponse(
                description="The Range starts past the end of the file (Content-Range: "
                "bytes */<size>); no body."
            ),
        },
    )
    def get(self, request: Request, grant_id: str, distribution_id: str) -> HttpResponse:
        grant, distribution = services.download_authorise(
            grant_id=str(grant_id),
            distribution_id=str(distribution_id),
            expires=request.query_params.get("expires"),
            signature=request.query_params.get("signature"),
        )
        expires = int(request.query_params["expires"])
        response, start, length = file_response(
            request._request,
            distribution,
            presign_seconds=expires - int(time.time()),
            # A manifest's links name the file (not signed: it only names the caller's copy).
            filename=request.query_params.get("name"),
        )
        # A HEAD asks about the file (size, digest, resumability) and takes no byte: not a
        # download, not counted.
        if request.method == "GET" and response.status_code in (200, 206, 302):
            services.download_record(
                grant=grant,
                distribution=distribution,
                start=start,
                length=length,
                client=client_ip(request._request),
            )
        return response


@require_GET
@cache_control(public=True, max_age=300)
def jwks_view(request: HttpRequest) -> JsonResponse:
    """Public keys that verify grant tokens (RFC 7517)."""
    return JsonResponse(services.jwks())
