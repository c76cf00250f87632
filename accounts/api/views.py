"""Personal API tokens over the API: exchange a username and password for a token; revoke it."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.models import ApiToken
from core.api.schema import error_response
from core.api.serializers import StrictInputSerializer
from core.api.throttling import ScopedRateThrottle


class TokenObtainInputSerializer(StrictInputSerializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=1024, trim_whitespace=False)
    name = serializers.CharField(max_length=100, required=False, allow_blank=True)


class ApiTokenView(APIView):
    """Personal API tokens: exchange a username and password for a token; revoke the current one."""

    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"
    # Its response is a secret: never kept to be replayed (core/api/idempotency.py).
    idempotency_exempt = True

    @extend_schema(
        request=TokenObtainInputSerializer,
        responses={
            201: inline_serializer(
                "TokenOutput",
                {"token": serializers.CharField(), "expires_at": serializers.DateTimeField()},
            ),
            401: error_response(
                "Unknown username or wrong password (error.code "
                "invalid_credentials), or an invalid token was sent."
            ),
            429: error_response(
                "Too many attempts: try again after "
                "error.retry_after_seconds (also the Retry-After header)."
            ),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = TokenObtainInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, raw = services.api_token_obtain(
            request=request._request, **serializer.validated_data
        )
        return Response(
            {"token": raw, "expires_at": token.expires_at}, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        responses={
            204: None,
            401: error_response("No token sent, or it is invalid, expired or already revoked."),
        }
    )
    def delete(self, request: Request) -> Response:
        if not isinstance(request.auth, ApiToken):
            raise NotAuthenticated("Send the token to revoke in the Authorization header.")
        services.api_token_revoke(token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)
