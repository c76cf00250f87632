"""Attachments of access requests: the requester adds and removes them while the request is a
draft or returned; whoever sees the request lists them, each with a fresh signed link made for
them; the link serves the bytes.

The views live in delivery because the links do: access knows the attachments, delivery signs
and serves them.
"""

from __future__ import annotations

from django.conf import settings
from django.http import FileResponse, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access import selectors, services
from access.models import AccessRequest, RequestAttachment
from core.api.pagination import BoundedPageNumberPagination
from core.api.params import reject_unknown_params
from core.api.schema import error_response
from core.api.serializers import StrictInputSerializer
from core.api.uploads import limit_upload
from delivery.services.attachment_links import attachment_download_authorise, attachment_link

REQUEST_ID = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH)
ATTACHMENT_ID = OpenApiParameter("attachment_id", OpenApiTypes.UUID, OpenApiParameter.PATH)


class AttachmentInputSerializer(StrictInputSerializer):
    file = serializers.FileField(
        allow_empty_file=True,  # the service refuses an empty file, saying so
        help_text="PDF, PNG, JPEG, plain text, CSV, DOCX or ODT, up to ATTACHMENT_MAX_BYTES "
        "(20 MiB by default). The type is read from the content and the extension together.",
    )
    question_key = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        default="",
        help_text="The attachment question of the publisher's form this file answers, if any.",
    )


class AttachmentOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    access_request = serializers.UUIDField(source="access_request_id")
    question_key = serializers.CharField()
    name = serializers.CharField(source="original_name")
    size = serializers.IntegerField()
    content_type = serializers.CharField()
    sha256 = serializers.CharField()
    uploaded_by = serializers.CharField(source="uploaded_by.username")
    created = serializers.DateTimeField()
    download_url = serializers.SerializerMethodField(
        help_text="A fresh signed link, for you only, valid for a few minutes."
    )
    download_url_expires_at = serializers.SerializerMethodField()

    def _link(self, attachment: RequestAttachment):
        cache = self.context.setdefault("links", {})
        if attachment.pk not in cache:
            cache[attachment.pk] = attachment_link(
                attachment=attachment, user=self.context["request"].user
            )
        return cache[attachment.pk]

    @extend_schema_field(serializers.URLField())
    def get_download_url(self, attachment: RequestAttachment) -> str:
        return self._link(attachment).url

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_download_url_expires_at(self, attachment: RequestAttachment) -> str:
        return self._link(attachment).expires_at.isoformat()


def _visible_request(request: Request, id: str) -> AccessRequest:
    return selectors.access_request_get(user=request.user, request_id=id)


class AttachmentListView(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser]
    pagination_class = BoundedPageNumberPagination

    @extend_schema(
        parameters=[REQUEST_ID],
        responses={
            200: AttachmentOutputSerializer(many=True),
            404: error_response("No request with this id that you can see."),
        },
    )
    def get(self, request: Request, id: str) -> Response:
        reject_unknown_params(request, {"page", "page_size"})
        access_request = _visible_request(request, id)
        attachments = selectors.attachments_visible_to(user=request.user).filter(
            access_request=access_request
        )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(attachments.order_by("created", "id"), request, self)
        return paginator.get_paginated_response(
            AttachmentOutputSerializer(page, many=True, context={"request": request}).data
        )

    @extend_schema(
        parameters=[REQUEST_ID],
        request={"multipart/form-data": AttachmentInputSerializer},
        responses={
            201: AttachmentOutputSerializer,
            403: error_response("Only the requester adds attachments."),
            404: error_response("No request with this id that you can see."),
            409: error_response("The request is no longer a draft or returned (error.state)."),
            413: error_response("The file is larger than ATTACHMENT_MAX_BYTES; nothing stored."),
            415: error_response("Not an accepted kind of file; nothing stored."),
        },
    )
    def post(self, request: Request, id: str) -> Response:
        access_request = _visible_request(request, id)
        # Before the body is read: a declared length over the limit is refused at once, and
        # the body is counted while it streams.
        limit_upload(request._request, limit=settings.ATTACHMENT_MAX_BYTES)
        serializer = AttachmentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        attachment = services.attachment_add(
            user=request.user,
            request=access_request,
            upload=serializer.validated_data["file"],
            question_key=serializer.validated_data["question_key"],
        )
        attachment = selectors.attachment_get(user=request.user, attachment_id=attachment.pk)
        return Response(
            AttachmentOutputSerializer(attachment, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class AttachmentDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[REQUEST_ID, ATTACHMENT_ID],
        responses={200: AttachmentOutputSerializer, 404: error_response("No such attachment.")},
    )
    def get(self, request: Request, id: str, attachment_id: str) -> Response:
        attachment = selectors.attachment_get(
            user=request.user, attachment_id=attachment_id, request=_visible_request(request, id)
        )
        return Response(AttachmentOutputSerializer(attachment, context={"request": request}).data)

    @extend_schema(
        parameters=[REQUEST_ID, ATTACHMENT_ID],
        responses={
            204: None,
            403: error_response("Only the requester removes attachments."),
            404: error_response("No such attachment on a request you can see."),
            409: error_response("The request is no longer a draft or returned (error.state)."),
        },
    )
    def delete(self, request: Request, id: str, attachment_id: str) -> Response:
        attachment = selectors.attachment_get(
            user=request.user, attachment_id=attachment_id, request=_visible_request(request, id)
        )
        services.attachment_remove(user=request.user, attachment=attachment)
        return Response(status=status.HTTP_204_NO_CONTENT)


def attachment_file_response(attachment: RequestAttachment) -> HttpResponse:
    """The bytes, always as a download under the sanitised name, never rendered by a browser."""
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["Content-Length"] = str(attachment.size)
    response["ETag"] = f'"{attachment.sha256}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


class AttachmentDownloadView(APIView):
    """A signed link: the MAC is the credential, so no session or token is needed."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    schema_errors_not_given = frozenset({400})

    @extend_schema(
        parameters=[
            OpenApiParameter("user", OpenApiTypes.INT, required=True),
            OpenApiParameter("expires", OpenApiTypes.INT, required=True),
            OpenApiParameter("signature", OpenApiTypes.STR, required=True),
        ],
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            403: error_response(
                "The link is not valid: forged, altered, or its holder no longer sees the request."
            ),
            404: error_response("Not an attachment id (malformed)."),
            410: error_response("The link has expired: list the attachments for a new one."),
        },
    )
    def get(self, request: Request, attachment_id: str) -> HttpResponse:
        attachment = attachment_download_authorise(
            attachment_id=str(attachment_id),
            user_id=request.query_params.get("user"),
            expires=request.query_params.get("expires"),
            signature=request.query_params.get("signature"),
        )
        return attachment_file_response(attachment)
