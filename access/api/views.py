from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access import selectors, services
from access.models import AccessRequest
from catalogue import selectors as catalogue_selectors
from core.api.pagination import BoundedPageNumberPagination
from core.api.params import reject_unknown_params
from core.api.schema import error_response, filter_parameters
from core.csv_export import csv_streaming_response
from core.errors import ApplicationError, NotFoundError, PermissionDeniedError
from core.partners import ACCESS_DECIDE, ACCESS_REQUEST, ANY_PARTNER_SCOPE, partner_context

from .filters import AccessRequestFilterSet, request_ordering
from .serializers import (
    AccessEventOutputSerializer,
    AccessRequestApproveInputSerializer,
    AccessRequestCreateInputSerializer,
    AccessRequestOutputSerializer,
    AccessRequestRejectInputSerializer,
    AccessRequestRenewInputSerializer,
    AccessRequestReturnInputSerializer,
    AccessRequestRevokeInputSerializer,
    AccessRequestSubmitInputSerializer,
    AccessRequestUpdateInputSerializer,
    AccessRequestWithdrawInputSerializer,
    ApplicationFormInputSerializer,
    ApplicationFormVersionSerializer,
    CommentInputSerializer,
    CommentOutputSerializer,
    ReviewerInviteInputSerializer,
    ReviewInputSerializer,
    ReviewInvitationOutputSerializer,
    ReviewOutputSerializer,
)

# --- access requests ------------------------------------------------------------------------

REQUEST_ID = OpenApiParameter(
    "id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="Access request id."
)
LIST_PARAMS = set(AccessRequestFilterSet.base_filters) | {"page", "page_size"}
EXPORT_PARAMS = set(AccessRequestFilterSet.base_filters)
STATE_ERRORS = {
    403: error_response("You can see the request but may not do this."),
    404: error_response("No request with this id that you can see."),
    409: error_response("Not allowed in the current state (named in error.state)."),
}


def _action_schema(request_serializer, summary: str):
    return extend_schema(
        summary=summary,
        parameters=[REQUEST_ID],
        request=request_serializer,
        responses={200: AccessRequestOutputSerializer, **STATE_ERRORS},
    )


class AccessRequestViewSet(viewsets.ViewSet):
    """Researchers request access to datasets; stewards of the dataset's publisher decide.

    Every lookup goes through the requests the caller may see, so another person's request (or
    another publisher's) answers 404; a visible request one may not act on answers 403.
    """

    permission_classes = [IsAuthenticated]
    pagination_class = BoundedPageNumberPagination
    lookup_url_kwarg = "id"
    lookup_value_regex = "[^/]+"  # a malformed id reaches the view and is a 404 in our shape
    # Partner clients (accounts.permissions): submit for researchers and follow those requests
    # (access:request), decide their publishers' (access:decide). The rest is for people.
    required_scopes = {
        "list": (ACCESS_REQUEST, ACCESS_DECIDE),
        "retrieve": (ACCESS_REQUEST, ACCESS_DECIDE),
        "events": (ACCESS_REQUEST, ACCESS_DECIDE),
        "create": (ACCESS_REQUEST,),
        "approve": (ACCESS_DECIDE,),
        "reject": (ACCESS_DECIDE,),
        "return_": (ACCESS_DECIDE,),
    }

    @extend_schema(
        parameters=filter_parameters(AccessRequestFilterSet),
        responses=AccessRequestOutputSerializer(many=True),
    )
    def list(self, request: Request) -> Response:
        reject_unknown_params(request, LIST_PARAMS)
        queryset = self._filtered(request, selectors.access_requests_visible_to(user=request.user))
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(
            AccessRequestOutputSerializer(page, many=True, context={"request": request}).data
        )

    def _filtered(self, request: Request, queryset):
        filterset = AccessRequestFilterSet(request.query_params, queryset=queryset, request=request)
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        ordering = request_ordering(filterset.form.cleaned_data.get("ordering") or None)
        return filterset.qs.order_by(*ordering)

    @extend_schema(
        summary="Export the requests as CSV, with the list's filters",
        parameters=filter_parameters(AccessRequestFilterSet),
        responses={(200, "text/csv"): OpenApiTypes.STR},
    )
    @action(detail=False, methods=["get"])
    def export(self, request: Request):
        """Stewards get their publishers' requests, everyone their own (reviewers not the
        requests they review); cells that a spreadsheet would read as formulas are defused."""
        reject_unknown_params(request, EXPORT_PARAMS)
        queryset = self._filtered(
            request, selectors.access_requests_exportable_by(user=request.user)
        )
        return csv_streaming_response(
            selectors.EXPORT_COLUMNS,
            selectors.access_requests_export_rows(queryset=queryset),
            filename="access-requests.csv",
        )

    @extend_schema(
        request=AccessRequestCreateInputSerializer,
        responses={
            201: AccessRequestOutputSerializer,
            409: error_response(
                "You already have an open request for this dataset (named in "
                "error.existing_request, its state in error.state)."
            ),
        },
    )
    def create(self, request: Request) -> Response:
        serializer = AccessRequestCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        on_behalf_of = data.pop("on_behalf_of", None)
        if on_behalf_of is None and partner_context(request.user) is not None:
            raise ApplicationError(
                "A partner client submits for a researcher: name them in on_behalf_of.",
                fields={"on_behalf_of": ["Required for partner clients."]},
            )
        if on_behalf_of is not None:
            access_request = services.access_request_submit_on_behalf(
                user=request.user,
                researcher=services.Researcher(**on_behalf_of),
                dataset=data.pop("dataset"),
                submit=not data.pop("draft"),
                **data,
            )
        else:
            access_request = services.access_request_create(
                requester=request.user,
                dataset=data.pop("dataset"),
                submit=not data.pop("draft"),
                **data,
            )
        response = self._request_response(request, access_request, status.HTTP_201_CREATED)
        response["Location"] = response.data["url"]
        return response

    @extend_schema(
        parameters=[REQUEST_ID],
        responses={200: AccessRequestOutputSerializer, 404: STATE_ERRORS[404]},
    )
    def retrieve(self, request: Request, id: str) -> Response:
        return self._request_response(request, self._get(request, id))

    @extend_schema(
        parameters=[REQUEST_ID],
        request=AccessRequestUpdateInputSerializer,
        responses={200: AccessRequestOutputSerializer, **STATE_ERRORS},
    )
    def partial_update(self, request: Request, id: str) -> Response:
        access_request = self._get(request, id)
        serializer = AccessRequestUpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        access_request = services.access_request_update(
            user=request.user, request=access_request, changes=dict(serializer.validated_data)
        )
        return self._request_response(request, access_request)

    @extend_schema(
        parameters=[REQUEST_ID],
        responses={
            200: AccessEventOutputSerializer(many=True),
            404: error_response(
                "No request with this id that you can see, or the page is past the last page."
            ),
        },
    )
    @action(detail=True, methods=["get"])
    def events(self, request: Request, id: str) -> Response:
        """The request's audit events, oldest first."""
        reject_unknown_params(request, {"page", "page_size"})
        access_request = self._get(request, id)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(
            selectors.access_request_events(request=access_request, user=request.user),
            request,
            view=self,
        )
        return paginator.get_paginated_response(AccessEventOutputSerializer(page, many=True).data)

    @_action_schema(
        AccessRequestSubmitInputSerializer, "Submit a draft, or resubmit a returned request"
    )
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, id: str) -> Response:
        access_request = self._get(request, id)
        data = self._input(AccessRequestSubmitInputSerializer, request)
        return self._request_response(
            request,
            services.access_request_submit(user=request.user, request=access_request, **data),
        )

    @_action_schema(AccessRequestApproveInputSerializer, "Approve a submitted request (stewards)")
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, id: str) -> Response:
        access_request = self._get(request, id)
        data = self._input(AccessRequestApproveInputSerializer, request)
        return self._request_response(
            request,
            services.access_request_approve(user=request.user, request=access_request, **data),
        )

    @_action_schema(
        AccessRequestRejectInputSerializer,
        "Reject a submitted request with a reason (stewards)",
    )
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, id: str) -> Response:
        access_request = self._get(request, id)
        data = self._input(AccessRequestRejectInputSerializer, request)
        return self._request_response(
            request,
            services.access_request_reject(user=request.user, request=access_request, **data),
        )

    @_action_schema(
        AccessRequestReturnInputSerializer, "Return a submitted request for changes (stewards)"
    )
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_(self, request: Request, id: str) -> Response:
        access_request = self._get(request, id)
        data = self._input(AccessRequestReturnInputSerializer, request)
        return self._request_response(
            request,
            services.access_request_return(user=request.user, request=access_request, **data),
        )

    @_action_schema(
        AccessRequestWithdrawInputSerializer, "Withdraw a draft, submitted or returned request"
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, id: str) -> Response:
        access_request = self._get(request, id)
        data = self._input(AccessRequestWithdrawInputSerializer, request)
        return self._request_response(
            request,
            services.access_request_withdraw(user=request.user, request=access_request, **data),
        )

    @_action_schema(
        AccessRequestRevokeInputSerializer, "Revoke an approved request with a reason (stewards)"
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, id: str) -> Response:
        access_request = self._get(request, id)
        data = self._input(AccessRequestRevokeInputSerializer, request)
        return self._request_response(
            request,
            services.access_request_revoke(user=request.user, request=access_request, **data),
        )

    @extend_schema(
        summary="Ask to extend an approved access: a new, linked request (the requester)",
        parameters=[REQUEST_ID],
        request=AccessRequestRenewInputSerializer,
        responses={
            201: AccessRequestOutputSerializer,
            **STATE_ERRORS,
            409: error_response(
                "Not approved with an active grant (error.state), or a renewal is already "
                "open (error.existing_request)."
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def renew(self, request: Request, id: str) -> Response:
        access_request = self._get(request, id)
        data = self._input(AccessRequestRenewInputSerializer, request)
        renewal = services.access_request_renew(user=request.user, request=access_request, **data)
        response = self._request_response(request, renewal, status.HTTP_201_CREATED)
        response["Location"] = response.data["url"]
        return response

    @extend_schema(
        methods=["GET"],
        summary="The invited reviewers (stewards)",
        parameters=[REQUEST_ID],
        responses={
            200: ReviewInvitationOutputSerializer(many=True),
            403: STATE_ERRORS[403],
            404: STATE_ERRORS[404],
        },
    )
    @extend_schema(
        methods=["POST"],
        summary="Invite an account to review a submitted request (stewards)",
        parameters=[REQUEST_ID],
        request=ReviewerInviteInputSerializer,
        responses={
            201: ReviewInvitationOutputSerializer,
            **STATE_ERRORS,
            409: error_response("Not submitted (error.state), or already invited."),
        },
    )
    @action(detail=True, methods=["get", "post"])
    def reviewers(self, request: Request, id: str) -> Response:
        access_request = self._get(request, id)
        if request.method == "POST":
            data = self._input(ReviewerInviteInputSerializer, request)
            invitation = services.access_request_reviewer_invite(
                user=request.user,
                request=access_request,
                email=data.get("email", ""),
                reviewer_id=data.get("user"),
            )
            return Response(
                ReviewInvitationOutputSerializer(invitation).data, status=status.HTTP_201_CREATED
            )
        reject_unknown_params(request, {"page", "page_size"})
        if not selectors.is_steward_for(user=request.user, dataset=access_request.dataset):
            raise PermissionDeniedError("Only the stewards of the publisher see the reviewers.")
        invitations = selectors.access_request_review_invitations(request=access_request)
        return self._page(request, invitations, ReviewInvitationOutputSerializer)

    @extend_schema(
        methods=["GET"],
        summary="The reviews (stewards and reviewers; hidden from the requester)",
        parameters=[REQUEST_ID],
        responses={
            200: ReviewOutputSerializer(many=True),
            403: STATE_ERRORS[403],
            404: STATE_ERRORS[404],
        },
    )
    @extend_schema(
        methods=["POST"],
        summary="Review a submitted request (invited reviewers)",
        parameters=[REQUEST_ID],
        request=ReviewInputSerializer,
        responses={201: ReviewOutputSerializer, **STATE_ERRORS},
    )
    @action(detail=True, methods=["get", "post"])
    def reviews(self, request: Request, id: str) -> Response:
        access_request = self._get(request, id)
        if request.method == "POST":
            data = self._input(ReviewInputSerializer, request)
            review = services.access_request_review(
                user=request.user, request=access_request, **data
            )
            return Response(ReviewOutputSerializer(review).data, status=status.HTTP_201_CREATED)
        reject_unknown_params(request, {"page", "page_size"})
        if not selectors.sees_reviews(user=request.user, request=access_request):
            raise PermissionDeniedError("Reviews are not shown to the requester.")
        reviews = selectors.access_request_reviews(user=request.user, request=access_request)
        return self._page(request, reviews, ReviewOutputSerializer)

    @extend_schema(
        methods=["GET"],
        summary="The conversation on the request, oldest first",
        parameters=[REQUEST_ID],
        responses={
            200: CommentOutputSerializer(many=True),
            404: error_response(
                "No request with this id that you can see, or the page is past the last page."
            ),
        },
    )
    @extend_schema(
        methods=["POST"],
        summary="Write to the other side (the requester and the publisher's stewards)",
        parameters=[REQUEST_ID],
        request=CommentInputSerializer,
        responses={201: CommentOutputSerializer, 403: STATE_ERRORS[403], 404: STATE_ERRORS[404]},
    )
    @action(detail=True, methods=["get", "post"])
    def comments(self, request: Request, id: str) -> Response:
        access_request = self._get(request, id)
        if request.method == "POST":
            data = self._input(CommentInputSerializer, request)
            event = services.access_request_comment(
                user=request.user, request=access_request, **data
            )
            return Response(CommentOutputSerializer(event).data, status=status.HTTP_201_CREATED)
        reject_unknown_params(request, {"page", "page_size"})
        comments = selectors.access_request_comments(request=access_request)
        return self._page(request, comments, CommentOutputSerializer)

    def _page(self, request: Request, queryset, serializer_class) -> Response:
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(serializer_class(page, many=True).data)

    # The lookup comes first, so a request one cannot see is a 404 whatever the body says.
    def _get(self, request: Request, id: str) -> AccessRequest:
        return selectors.access_request_get(user=request.user, request_id=id)

    def _input(self, serializer_class, request: Request) -> dict:
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def _request_response(
        self, request: Request, access_request: AccessRequest, code: int = status.HTTP_200_OK
    ) -> Response:
        # Read again through the visible queryset: one shape, with everything it needs loaded.
        fresh = selectors.access_request_get(user=request.user, request_id=access_request.pk)
        context = {"request": request, "with_reviews": True}
        return Response(AccessRequestOutputSerializer(fresh, context=context).data, status=code)


# --- publishers' application forms ----------------------------------------------------------

PUBLISHER_SLUG = OpenApiParameter("slug", OpenApiTypes.STR, OpenApiParameter.PATH)


class PublisherApplicationFormView(APIView):
    """The questions a publisher asks with every access request: anyone reads the current
    version; the publisher's stewards publish a new one (earlier versions stay)."""

    # Partners read the questions their researchers answer; publishing them is for stewards.
    required_scopes = {"get": ANY_PARTNER_SCOPE}

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "GET" else [IsAuthenticated()]

    @extend_schema(
        parameters=[PUBLISHER_SLUG],
        responses={
            200: ApplicationFormVersionSerializer,
            404: error_response("No such publisher, or it has no application form."),
        },
    )
    def get(self, request: Request, slug: str) -> Response:
        version = selectors.application_form_version_current(publisher_slug=slug)
        return Response(ApplicationFormVersionSerializer(version).data)

    @extend_schema(
        parameters=[PUBLISHER_SLUG],
        request=ApplicationFormInputSerializer,
        responses={
            200: ApplicationFormVersionSerializer,
            404: error_response("No publisher with this slug that you steward."),
        },
    )
    def put(self, request: Request, slug: str) -> Response:
        publisher = (
            catalogue_selectors.publishers_stewarded_by(user=request.user).filter(slug=slug).first()
        )
        if publisher is None:
            raise NotFoundError(f"No publisher '{slug}' that you steward.")
        serializer = ApplicationFormInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        version = services.application_form_publish(
            user=request.user,
            publisher=publisher,
            questions=serializer.validated_data["questions"],
            name=serializer.validated_data.get("name"),
        )
        return Response(ApplicationFormVersionSerializer(version).data)
