"""GA4GH passports, the token status lists, and the grant-aware introspection endpoint."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_safe
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access import selectors
from access.models import GrantState
from accounts.models import PartnerClient
from accounts.oauth_views import IntrospectView
from core.api.schema import error_response
from core.errors import NotFoundError, PermissionDeniedError, error_body
from core.partners import GRANTS_READ, PartnerContext, partner_context, partner_context_attach
from delivery import services
from delivery.services.passports import MAX_VISAS
from delivery.services.status_lists import MEDIA_TYPE_JSON, MEDIA_TYPE_JWT


class PassportOutputSerializer(serializers.Serializer):
    passport = serializers.CharField(
        help_text="A GA4GH Passport (JWT, typ vnd.ga4gh.passport+jwt, EdDSA): "
        "ga4gh_passport_v1 lists one ControlledAccessGrants visa per active grant."
    )


class MyPassportView(APIView):
    """The signed-in user's passport (a partner's service user holds no grant: empty)."""

    permission_classes = [IsAuthenticated]
    required_scopes = {"get": (GRANTS_READ,)}

    @extend_schema(responses=PassportOutputSerializer)
    def get(self, request: Request) -> Response:
        return Response({"passport": services.passport_issue(user=request.user)})


class UserPassportView(APIView):
    """A user's passport as a partner client with grants:read sees it: visas only for the user's
    grants the client can see (its publishers' and its own requests'); 404 when it sees none (no
    enumeration). People are refused: a passport is a credential for DRS, and a steward holding
    a researcher's would fetch the files in the researcher's name."""

    permission_classes = [IsAuthenticated]
    required_scopes = {"get": (GRANTS_READ,)}

    @extend_schema(
        parameters=[OpenApiParameter("username", OpenApiTypes.STR, OpenApiParameter.PATH)],
        responses={
            200: PassportOutputSerializer,
            403: error_response(
                "Only partner clients read another user's passport; yours is /api/v1/me/passport/."
            ),
            404: error_response("No grant of this user that you can see."),
        },
    )
    def get(self, request: Request, username: str) -> Response:
        if partner_context(request.user) is None:
            raise PermissionDeniedError(
                "Only partner clients with grants:read read another user's passport; "
                "yours is at /api/v1/me/passport/."
            )
        visible = selectors.grants_visible_to(user=request.user).filter(grantee__username=username)
        seen = visible.first()
        if seen is None:
            raise NotFoundError("No grant of this user that you can see.")
        usable = visible.filter(state=GrantState.ACTIVE, expires_at__gt=timezone.now())
        return Response(
            {
                "passport": services.passport_issue(
                    user=seen.grantee, grants=usable.order_by("-created", "pk")[:MAX_VISAS]
                )
            }
        )


@require_safe
def status_list_view(request: HttpRequest, number: int) -> HttpResponse:
    """A token status list, public and cacheable: the signed JWT (application/statuslist+jwt,
    the default) or its claims as JSON (application/statuslist+json), as Accept asks."""
    offered = [MEDIA_TYPE_JWT, MEDIA_TYPE_JSON]
    media_type = request.get_preferred_type(offered) if request.headers.get("Accept") else None
    if request.headers.get("Accept") and media_type is None:
        return JsonResponse(
            error_body("not_acceptable", f"This list is served as {' or '.join(offered)}."),
            status=406,
        )
    try:
        status_list = services.status_list_get(number=number)
    except NotFoundError as exc:
        return JsonResponse(error_body(exc.code, exc.message), status=404)
    if media_type == MEDIA_TYPE_JSON:
        response = JsonResponse(status_list.claims, content_type=MEDIA_TYPE_JSON)
    else:
        response = HttpResponse(status_list.token, content_type=MEDIA_TYPE_JWT)
    response["Cache-Control"] = f"public, max-age={settings.STATUS_LIST_TTL}"
    response["Vary"] = "Accept"
    return response


class GrantTokenIntrospectView(IntrospectView):
    """/o/introspect/ (RFC 7662) for partner clients: their own access tokens, as before, and
    grant tokens (visas) of the grants they can see with grants:read (config/urls.py routes it:
    accounts cannot import delivery)."""

    def introspect(self, client: PartnerClient, token: str) -> dict:
        if token.count(".") != 2:  # an OAuth access token is opaque; a JWT has three parts
            return super().introspect(client, token)
        user = client.service_user
        partner_context_attach(
            user,
            PartnerContext(
                client_id=client.pk,
                name=client.name,
                scopes=frozenset(client.scopes),
                research_organisation=client.research_organisation,
            ),
        )
        return services.grant_token_introspect(user=user, token=token)
