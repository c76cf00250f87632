"""Requests to review: what an invited reviewer sees in the workspace. Only the requests they
were invited to (any other id is a 404), read-only, with one thing to do: recommend. The
decision stays the stewards', in /admin/."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path

from access import selectors as access_selectors
from access import services as access_services
from access.models import AccessRequest
from core.admin import add_service_errors
from core.errors import ApplicationError

from .admin import RequestColumns, WorkspaceAdmin, _url, application_answers, attachment_rows
from .forms import ReviewForm
from .models import RequestToReview
from .sites import workspace_site


@admin.register(RequestToReview, site=workspace_site)
class RequestToReviewAdmin(RequestColumns, WorkspaceAdmin):
    list_display = ["dataset_title", "requester_name", "state", "submitted_on", "deadline_on"]
    list_display_links = ["dataset_title"]
    list_filter = ["state"]
    ordering = ["deadline", "created"]
    fieldsets = [
        (None, {"fields": ["state", "dataset_title", "requester_name", "affiliation",
                           "project_title", "purpose", "purpose_category", "duration_days",
                           "submitted_at",
                           "deadline"]}),
    ]  # fmt: skip
    readonly_fields = [name for _, options in fieldsets for name in options["fields"]]

    def get_queryset(self, request: HttpRequest) -> QuerySet[AccessRequest]:
        invited = access_selectors.access_requests_to_review_by(user=request.user)
        return RequestToReview.objects.filter(pk__in=invited.values("pk")).select_related(
            "requester", "dataset__publisher", "form_version"
        )

    @admin.display(description="Researcher")
    def requester_name(self, access_request: AccessRequest) -> str:
        requester = access_request.requester
        return f"{requester.get_full_name() or requester.get_username()} <{requester.email}>"

    def detail_context(self, request: HttpRequest, access_request: AccessRequest) -> dict:
        return {
            "application": application_answers(request, access_request),
            "attachments": attachment_rows(request, access_request),
            "reviews": access_selectors.access_request_reviews(
                user=request.user, request=access_request
            ),
            "conversation": access_selectors.access_request_comments(request=access_request),
            "review_url": _url("requesttoreview_review", access_request.pk),
        }

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/review/", wrap(self.review_view),
                 name="workspace_requesttoreview_review"),
            *super().get_urls(),
        ]  # fmt: skip

    def review_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        access_request = self.own_object(request, object_id)
        change_url = _url("requesttoreview_change", access_request.pk)
        form = ReviewForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                access_services.access_request_review(
                    user=request.user, request=access_request, **form.cleaned_data
                )
            except ApplicationError as exc:
                add_service_errors(form, exc)
            else:
                self.message_user(request, "Your review was recorded.", messages.SUCCESS)
                return HttpResponseRedirect(change_url)
        return self.page(
            request,
            "review_form.html",
            f"Review: {access_request.dataset.title}",
            original=access_request,
            change_url=change_url,
            form=form,
        )
