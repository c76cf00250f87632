"""The webhook API: /api/v1/webhooks/ for partner clients holding ``webhooks:manage``.

A client sees and changes only its own endpoints (another client's id answers 404); what each
endpoint receives follows from the client's organisations (docs/webhooks.md). People use no
part of it: administrators manage every endpoint in the admin.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import PartnerClient
from core.api.pagination import BoundedPageNumberPagination
from core.api.params import reject_unknown_params
from core.api.schema import error_response
from core.api.serializers import PartialInputMixin, StrictInputSerializer
from core.partners import WEBHOOKS_MANAGE, partner_context
from delivery import selectors
from delivery.models import WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint
from delivery.services import webhooks as services
from delivery.services.webhook_events import EVENT_TYPES

# --- input ----------------------------------------------------------------------------------


class _EventTypesField(serializers.ListField):
    child = serializers.CharField(max_length=64)


class WebhookEndpointCreateInputSerializer(StrictInputSerializer):
    url = serializers.CharField(
        max_length=2000,
        help_text="http(s) URL that receives the messages (POST); it must resolve to a public "
        "address.",
    )
    event_types = _EventTypesField(
        max_length=len(EVENT_TYPES),
        help_text=f"The event types to receive: {', '.join(EVENT_TYPES)}.",
    )
    description = serializers.CharField(max_length=300, required=False, allow_blank=True)


class WebhookEndpointUpdateInputSerializer(PartialInputMixin, StrictInputSerializer):
    url = serializers.CharField(max_length=2000)
    event_types = _EventTypesField(max_length=len(EVENT_TYPES))
    description = serializers.CharField(max_length=300, allow_blank=True)
    enabled = serializers.BooleanField(
        help_text="false: stop sending (messages still queue); true: resume with the first "
        "message not yet delivered."
    )


class _AsciiIntegerField(serializers.IntegerField):
    """A JSON number, or a string of ASCII digits ("١٢" is not a position)."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or (isinstance(data, str) and not data.strip().isascii()):
            self.fail("invalid")
        return super().to_internal_value(data)


class WebhookReplayInputSerializer(StrictInputSerializer):
    from_position = _AsciiIntegerField(
        min_value=1,
        max_value=2**62,
        help_text="Send again every message of this endpoint from this position on, in order.",
    )


# --- output ---------------------------------------------------------------------------------


class WebhookEndpointOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    url = serializers.CharField()
    description = serializers.CharField()
    event_types = serializers.ListField(child=serializers.CharField())
    enabled = serializers.BooleanField()
    disabled_reason = serializers.CharField()
    disabled_at = serializers.DateTimeField(allow_null=True)
    last_position = serializers.IntegerField(
        source="last_sequence", help_text="The position of the newest message queued."
    )
    last_success_at = serializers.DateTimeField(allow_null=True)
    created = serializers.DateTimeField()
    updated = serializers.DateTimeField()


class WebhookEndpointWithSecretOutputSerializer(WebhookEndpointOutputSerializer):
    secret = serializers.CharField(
        help_text="The signing secret (whsec_...). Shown once: store it now."
    )


class WebhookDeliveryOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    position = serializers.IntegerField(help_text="data.position of the message.")
    message_id = serializers.CharField(help_text="The webhook-id header.")
    event_type = serializers.CharField()
    status = serializers.ChoiceField(choices=WebhookDeliveryStatus.choices)
    attempts = serializers.IntegerField()
    response_status = serializers.IntegerField(allow_null=True)
    response_excerpt = serializers.CharField(help_text="The first KiB of the last answer.")
    last_error = serializers.CharField()
    next_attempt_at = serializers.DateTimeField(
        allow_null=True, help_text="When the next attempt is due (pending only)."
    )
    last_attempt_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)
    replay_of = serializers.UUIDField(source="replay_of_id", allow_null=True)
    created = serializers.DateTimeField()

    def to_representation(self, instance: WebhookDelivery) -> dict[str, Any]:
        data = super().to_representation(instance)
        if instance.status != WebhookDeliveryStatus.PENDING:
            data["next_attempt_at"] = None
        return data


class WebhookReplayOutputSerializer(serializers.Serializer):
    queued = serializers.IntegerField()
    next_position = serializers.IntegerField(
        allow_null=True,
        help_text="More messages were left than one replay queues: replay from here next.",
    )


# --- views ----------------------------------------------------------------------------------

WEBHOOK_ID = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH)
DELIVERY_ID = OpenApiParameter("delivery_id", OpenApiTypes.UUID, OpenApiParameter.PATH)
NOT_FOUND = error_response("No webhook endpoint with this id of yours.")
FORBIDDEN = error_response("Not a partner token holding webhooks:manage (people use the admin).")
MANAGE = (WEBHOOKS_MANAGE,)


class WebhookEndpointViewSet(viewsets.ViewSet):
    """Webhook endpoints of the calling partner client, their delivery log, replays."""

    permission_classes = [IsAuthenticated]
    pagination_class = BoundedPageNumberPagination
    lookup_url_kwarg = "id"
    lookup_value_regex = "[^/]+"
    # Creating and rotating answer with the signing secret: never kept to be replayed
    # (core/api/idempotency.py), like the sign-in token endpoint's.
    idempotency_exempt = True
    required_scopes = {
        "list": MANAGE,
        "retrieve": MANAGE,
        "create": MANAGE,
        "partial_update": MANAGE,
        "destroy": MANAGE,
        "rotate_secret": MANAGE,
        "deliveries": MANAGE,
        "replay_delivery": MANAGE,
        "replay": MANAGE,
        "test": MANAGE,
    }

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if partner_context(request.user) is None:
            raise PermissionDenied(
                "Webhook endpoints are registered by partner clients (a token with "
                "webhooks:manage); administrators manage them in the admin."
            )

    def _get(self, request: Request, id: str) -> WebhookEndpoint:
        return selectors.webhook_endpoint_get(user=request.user, endpoint_id=id)

    def _input(self, serializer_class, request: Request) -> dict[str, Any]:
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def _page(self, request: Request, queryset, serializer_class) -> Response:
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(serializer_class(page, many=True).data)

    @extend_schema(responses={200: WebhookEndpointOutputSerializer(many=True), 403: FORBIDDEN})
    def list(self, request: Request) -> Response:
        reject_unknown_params(request, {"page", "page_size"})
        return self._page(
            request,
            selectors.webhook_endpoints_of(user=request.user),
            WebhookEndpointOutputSerializer,
        )

    @extend_schema(
        request=WebhookEndpointCreateInputSerializer,
        responses={
            201: WebhookEndpointWithSecretOutputSerializer,
            409: error_response("The client has as many endpoints as it may."),
        },
    )
    def create(self, request: Request) -> Response:
        data = self._input(WebhookEndpointCreateInputSerializer, request)
        client = PartnerClient.objects.get(pk=partner_context(request.user).client_id)
        made = services.webhook_endpoint_create(client=client, created_by=request.user, **data)
        body = WebhookEndpointOutputSerializer(made.endpoint).data | {"secret": made.secret}
        response = Response(body, status=status.HTTP_201_CREATED)
        response["Location"] = request.build_absolute_uri(f"{request.path}{made.endpoint.pk}/")
        response["Cache-Control"] = "no-store"
        return response

    @extend_schema(
        parameters=[WEBHOOK_ID],
        responses={200: WebhookEndpointOutputSerializer, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def retrieve(self, request: Request, id: str) -> Response:
        return Response(WebhookEndpointOutputSerializer(self._get(request, id)).data)

    @extend_schema(
        parameters=[WEBHOOK_ID],
        request=WebhookEndpointUpdateInputSerializer,
        responses={200: WebhookEndpointOutputSerializer, 404: NOT_FOUND},
    )
    def partial_update(self, request: Request, id: str) -> Response:
        endpoint = self._get(request, id)
        changes = self._input(WebhookEndpointUpdateInputSerializer, request)
        endpoint = services.webhook_endpoint_update(endpoint=endpoint, changes=changes)
        return Response(WebhookEndpointOutputSerializer(endpoint).data)

    @extend_schema(parameters=[WEBHOOK_ID], responses={204: None, 404: NOT_FOUND})
    def destroy(self, request: Request, id: str) -> Response:
        services.webhook_endpoint_delete(endpoint=self._get(request, id))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="A new signing secret (the old one also signs for a while)",
        parameters=[WEBHOOK_ID],
        request=None,
        responses={200: WebhookEndpointWithSecretOutputSerializer, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Request, id: str) -> Response:
        made = services.webhook_secret_rotate(endpoint=self._get(request, id))
        response = Response(
            WebhookEndpointOutputSerializer(made.endpoint).data | {"secret": made.secret}
        )
        response["Cache-Control"] = "no-store"
        return response

    @extend_schema(
        summary="The endpoint's messages and their delivery, newest first",
        parameters=[WEBHOOK_ID],
        responses={200: WebhookDeliveryOutputSerializer(many=True), 403: FORBIDDEN, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get"])
    def deliveries(self, request: Request, id: str) -> Response:
        reject_unknown_params(request, {"page", "page_size"})
        endpoint = self._get(request, id)
        return self._page(
            request,
            selectors.webhook_deliveries_of(endpoint=endpoint),
            WebhookDeliveryOutputSerializer,
        )

    @extend_schema(
        summary="Send one message again",
        parameters=[WEBHOOK_ID, DELIVERY_ID],
        request=None,
        responses={
            202: WebhookDeliveryOutputSerializer,
            404: error_response("No such endpoint of yours, or no such delivery at it."),
        },
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"deliveries/(?P<delivery_id>[^/]+)/replay",
        url_name="replay-delivery",
    )
    def replay_delivery(self, request: Request, id: str, delivery_id: str) -> Response:
        endpoint = self._get(request, id)
        delivery = selectors.webhook_delivery_get(endpoint=endpoint, delivery_id=delivery_id)
        copy = services.webhook_delivery_replay(delivery=delivery)
        return Response(WebhookDeliveryOutputSerializer(copy).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="Send again every message from a position on",
        parameters=[WEBHOOK_ID],
        request=WebhookReplayInputSerializer,
        responses={202: WebhookReplayOutputSerializer, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["post"])
    def replay(self, request: Request, id: str) -> Response:
        endpoint = self._get(request, id)
        data = self._input(WebhookReplayInputSerializer, request)
        result = services.webhook_endpoint_replay(
            endpoint=endpoint, from_position=data["from_position"]
        )
        return Response(WebhookReplayOutputSerializer(result).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="Queue a webhook.test message",
        parameters=[WEBHOOK_ID],
        request=None,
        responses={202: WebhookDeliveryOutputSerializer, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["post"])
    def test(self, request: Request, id: str) -> Response:
        delivery = services.webhook_endpoint_test(endpoint=self._get(request, id))
        return Response(
            WebhookDeliveryOutputSerializer(delivery).data, status=status.HTTP_202_ACCEPTED
        )
