"""Access requests in the Django admin: researchers ask, stewards decide.

The admin only parses input and shows results. Every change goes through the same services as
the API (``access_request_create``, ``_approve``, ``_return``, ``_reject``, ``_revoke``,
``_withdraw``, ``_update``, ``_submit``) with the logged-in user, so the rules and the audit events
are the API's. Which requests a user sees comes from ``access_requests_visible_to``: a researcher
their own, a steward also those for their publishers' datasets. Requests are never edited through
the change form (it is read-only); buttons on it post to small views that call one service each.
A service's refusal (``ApplicationError``) becomes a form error or an admin message, never a 500."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Case, F, QuerySet, Value, When
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    QueryDict,
)
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join

from access import selectors, services
from access.forms import (
    AccessRequestCreateForm,
    AccessRequestEditForm,
    ApproveForm,
    DecisionForm,
)
from access.models import AccessRequest, RequestState
from catalogue import selectors as catalogue_selectors
from catalogue.models import Dataset, Licence, LicenceVersion
from core.admin import add_service_errors, list_date
from core.csv_export import csv_streaming_response
from core.errors import ApplicationError

from .common import (
    CONVERSANT,
    DECISIONS,
    EDITABLE_STATES,
    EXTERNAL_DECISIONS,
    REQUESTER,
    REVIEWER,
    STEWARD,
    DeadlineFilter,
    deadline_status,
    describe_refusal,
    person,
    show_on_form,
    stewards_anything,
)
from .events import AccessEventInline

# --- requests -------------------------------------------------------------------------------


@admin.register(AccessRequest)
class AccessRequestAdmin(admin.ModelAdmin):
    inlines = [AccessEventInline]
    search_fields = ["dataset__title", "requester__username", "requester__last_name", "purpose"]
    list_per_page = 50
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "state_label", "renewal_of", "dataset_link", "requester_name",
                    "distribution_list",
                    "purpose", "purpose_category", "project_title", "affiliation",
                    "duration_days",
                ]
            },
        ),
        ("Application form", {"fields": ["answers_table", "attachment_list"]}),
        ("Licence", {"fields": ["licence_accepted", "licence_accepted_at", "licence_text"]}),
        (
            "Review",
            {
                "fields": [
                    "submitted_at", "deadline_detail", "decided_at", "decided_by_name",
                    "decision_reason", "valid_until",
                ]
            },
        ),
        ("Record", {"fields": ["id", "created", "updated"], "classes": ["collapse"]}),
    ]  # fmt: skip
    readonly_fields = [name for _, options in fieldsets for name in options["fields"]] + [
        "review_list", "assigned_to", "policy_record",
    ]  # fmt: skip
    # For the stewards and reviewers only: who a policy routed it to, what policies did, reviews.
    reviews_fieldset = ("Policies and reviews", {"fields": ["assigned_to", "policy_record",
                                                            "review_list"]})  # fmt: skip
    actions = ["approve_selected", "reject_selected", "return_selected", "export_selected"]

    # -- who sees what

    def get_queryset(self, request: HttpRequest) -> QuerySet[AccessRequest]:
        return selectors.access_requests_visible_to(user=request.user)

    def get_list_display(self, request: HttpRequest) -> list[str]:
        if stewards_anything(request):
            return [
                "state_label", "dataset", "requester_name", "submitted_on", "deadline_marked",
                "valid_until_on",
            ]  # fmt: skip
        return ["dataset", "state_label", "created_on", "deadline_marked", "valid_until_on"]

    def get_list_display_links(self, request: HttpRequest, list_display) -> list[str]:
        return ["state_label", "dataset"]

    def get_list_filter(self, request: HttpRequest) -> list[Any]:
        if stewards_anything(request):
            return [
                "state",
                DeadlineFilter,
                ("dataset__publisher", admin.RelatedOnlyFieldListFilter),
                ("dataset", admin.RelatedOnlyFieldListFilter),
            ]
        return ["state"]

    def get_ordering(self, request: HttpRequest) -> list[Any]:
        if stewards_anything(request):
            # The review queue: requests waiting for a decision first, the most urgent on top;
            # then the others (their deadline has passed with the decision), drafts last.
            waiting = Case(When(state=RequestState.SUBMITTED, then=Value(0)), default=Value(1))
            return [waiting.asc(), F("deadline").asc(nulls_last=True), "-created"]
        return ["-created"]

    def get_fieldsets(self, request: HttpRequest, obj=None):
        # Reviews are for the stewards and reviewers; as in REMS, the requester does not see
        # those of their own request.
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is not None and selectors.sees_reviews(user=request.user, request=obj):
            fieldsets.insert(-1, self.reviews_fieldset)
        return fieldsets

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        if not stewards_anything(request):
            names = ("approve_selected", "reject_selected", "return_selected", "export_selected")
            for name in names:
                actions.pop(name, None)
        return actions

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        # The change form is read-only: requests change only through the decision views, which
        # need the model's change permission (asked without an object).
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # requests and their history are kept

    # -- columns and fields

    @admin.display(description="State", ordering="state")
    def state_label(self, access_request: AccessRequest) -> str:
        label = format_html(
            '<span class="access-state access-state-{}">{}</span>',
            access_request.state,
            access_request.get_state_display(),
        )
        if not access_request.renews_id:
            return label
        # A renewal says so in the queue, under its state (a column of its own would not fit).
        return format_html(
            '{}<br><small class="access-renewal">Renewal of {}</small>',
            label,
            str(access_request.renews_id)[:8],
        )

    @admin.display(description="Decision policies")
    def policy_record(self, access_request: AccessRequest) -> str:
        decisions = access_request.policy_decisions.select_related("policy_version", "event")
        if not decisions:
            return "No policy applied."
        return format_html_join(
            "",
            "<div>{}: {} ({})</div>",
            (
                (list_date(d.event.created), d.get_effect_display(), d.policy_label)
                for d in decisions
            ),
        )

    @admin.display(description="Reviews")
    def review_list(self, access_request: AccessRequest) -> str:
        reviews = list(access_request.reviews.select_related("reviewer").order_by("created"))
        if not reviews:
            invited = access_request.review_invitations.count()
            return f"None yet ({invited} reviewer(s) invited)." if invited else "No reviewer."
        return format_html(
            '<table class="access-reviews">{}</table>',
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td><strong>{}</strong></td><td>{}</td></tr>",
                (
                    (
                        list_date(review.created),
                        person(review.reviewer),
                        review.get_recommendation_display(),
                        review.comment or "—",
                    )
                    for review in reviews
                ),
            ),
        )

    @admin.display(description="Renewal of")
    def renewal_of(self, access_request: AccessRequest) -> str:
        if not access_request.renews_id:
            return "—"
        url = reverse("admin:access_accessrequest_change", args=[access_request.renews_id])
        return format_html('Renewal of <a href="{}">{}</a>', url, str(access_request.renews_id)[:8])

    @admin.display(description="Requester", ordering="requester__username")
    def requester_name(self, access_request: AccessRequest) -> str:
        return person(access_request.requester)

    @admin.display(description="Decided by")
    def decided_by_name(self, access_request: AccessRequest) -> str:
        if access_request.decided_by is None:
            return "system" if access_request.decided_at else "—"
        return person(access_request.decided_by)

    @admin.display(description="Deadline", ordering="deadline")
    def deadline_marked(self, access_request: AccessRequest) -> str:
        return self._marked(access_request, list_date(access_request.deadline))

    @admin.display(description="Deadline")
    def deadline_detail(self, access_request: AccessRequest) -> str:
        when = access_request.deadline
        return self._marked(access_request, date_format(timezone.localtime(when), "DATETIME_FORMAT")
                            if when else "—")  # fmt: skip

    @staticmethod
    def _marked(access_request: AccessRequest, when: str) -> str:
        status = deadline_status(access_request)
        if not status:
            return when
        css = "overdue" if status == "overdue" else "due-soon"
        return format_html('{} <strong class="access-{}">{}</strong>', when, css, status)

    @admin.display(description="Created", ordering="created")
    def created_on(self, access_request: AccessRequest) -> str:
        return list_date(access_request.created)

    @admin.display(description="Submitted", ordering="submitted_at")
    def submitted_on(self, access_request: AccessRequest) -> str:
        return list_date(access_request.submitted_at)

    @admin.display(description="Access until", ordering="valid_until")
    def valid_until_on(self, access_request: AccessRequest) -> str:
        return list_date(access_request.valid_until)

    @admin.display(description="Dataset")
    def dataset_link(self, access_request: AccessRequest) -> str:
        url = reverse("admin:catalogue_dataset_change", args=[access_request.dataset_id])
        return format_html(
            '<a href="{}">{}</a> ({})',
            url,
            access_request.dataset.title,
            access_request.dataset.publisher.name,
        )

    @admin.display(description="Distributions")
    def distribution_list(self, access_request: AccessRequest) -> str:
        if access_request.whole_dataset:
            asked = "Every distribution of the dataset"
        else:
            chosen = list(access_request.distributions.all())
            asked = (
                format_html_join(", ", "{}", ((d.title,) for d in chosen))
                if chosen
                else "The chosen distributions were removed from the dataset"
            )
        if access_request.state not in (
            RequestState.APPROVED,
            RequestState.REVOKED,
            RequestState.EXPIRED,
        ):
            return asked
        approved = list(access_request.approved_distributions.all())
        covered = (
            format_html_join(", ", "{}", ((d.title,) for d in approved))
            if approved
            else "none (removed from the dataset since)"
        )
        return format_html("Asked: {}<br>Approved: {}", asked, covered)

    @admin.display(description="Licence accepted")
    def licence_accepted(self, access_request: AccessRequest) -> str:
        version = access_request.licence_version
        return f"{version.licence.identifier} ({version.licence.title}), version {version.version}"

    @admin.display(description="Text of the accepted version")
    def licence_text(self, access_request: AccessRequest) -> str:
        return format_html(
            '<div class="access-licence-text">{}</div>', access_request.licence_version.text
        )

    @admin.display(description="Answers")
    def answers_table(self, access_request: AccessRequest) -> str:
        """Each question of the version answered, next to its answer."""
        version = access_request.form_version
        if version is None:
            return "The publisher asked no questions."
        attachments = {str(a.pk): a for a in access_request.attachments.all()}

        def shown(question: dict) -> str:
            value = access_request.answers.get(question["key"])
            if value is None:
                return format_html("<em>{}</em>", "not answered")
            if question["kind"] == "boolean":
                return "Yes" if value else "No"
            if question["kind"] == "attachment" and value in attachments:
                return self._attachment_link(access_request, attachments[value])
            return format_html('<div class="access-answer">{}</div>', value)

        rows = format_html_join(
            "",
            "<tr><th>{}{}</th><td>{}</td></tr>",
            ((q["label"], " *" if q["required"] else "", shown(q)) for q in version.questions),
        )
        return format_html(
            '<table class="access-answers"><caption>{} (version {})</caption>{}</table>',
            version.form.name,
            version.version,
            rows,
        )

    @admin.display(description="Attachments")
    def attachment_list(self, access_request: AccessRequest) -> str:
        attachments = list(access_request.attachments.all())
        if not attachments:
            return "—"
        return format_html_join(
            "",
            '<div>{} <span class="quiet">({} bytes, {}, sha256 {})</span></div>',
            (
                (self._attachment_link(access_request, a), f"{a.size:,}", a.content_type, a.sha256)
                for a in attachments
            ),
        )

    @staticmethod
    def _attachment_link(access_request: AccessRequest, attachment) -> str:
        url = reverse(
            "admin:access_accessrequest_attachment", args=[access_request.pk, attachment.pk]
        )
        return format_html('<a href="{}">{}</a>', url, attachment.original_name)

    # -- pages

    def attachment_view(
        self, request: HttpRequest, object_id: str, attachment_id: str
    ) -> HttpResponse:
        """An attachment's bytes, for whoever sees the request here (another's: not found)."""
        access_request = self.get_object(request, unquote(object_id))
        if access_request is None:
            raise Http404("No such request.")
        try:
            attachment = selectors.attachment_get(
                user=request.user, attachment_id=attachment_id, request=access_request
            )
        except ApplicationError:
            raise Http404("No such attachment.") from None
        response = FileResponse(
            attachment.file.open("rb"),
            as_attachment=True,
            filename=attachment.original_name,
            content_type=attachment.content_type,
        )
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "sandbox; default-src 'none'"
        return response

    def get_urls(self):
        def wrap(view):
            return self.admin_site.admin_view(view)

        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        custom = [
            path("export/", wrap(self.export_view), name=f"{prefix}_export"),
            path("new/<uuid:dataset_id>/", wrap(self.request_access_view), name=f"{prefix}_new"),
            path("<path:object_id>/edit/", wrap(self.edit_view), name=f"{prefix}_edit"),
            path(
                "<path:object_id>/attachments/<uuid:attachment_id>/",
                wrap(self.attachment_view),
                name=f"{prefix}_attachment",
            ),
            *(
                path(
                    f"<path:object_id>/{name}/",
                    wrap(self.decision_view),
                    {"decision": name},
                    name=f"{prefix}_{name}",
                )
                for name in DECISIONS
            ),
        ]
        # Before the default patterns: "<path:object_id>/" would match these too.
        return custom + super().get_urls()

    def add_view(self, request: HttpRequest, form_url="", extra_context=None) -> HttpResponse:
        # A request is always for a dataset: it starts from the dataset's page.
        self.message_user(
            request, 'Open a dataset and press "Request access" to ask for it.', messages.INFO
        )
        return HttpResponseRedirect(reverse("admin:catalogue_dataset_changelist"))

    def change_view(
        self, request: HttpRequest, object_id, form_url="", extra_context=None
    ) -> HttpResponse:
        access_request = self.get_object(request, unquote(object_id))
        extra_context = extra_context or {}
        if access_request is not None:
            extra_context.update(self._action_context(request, access_request))
        return super().change_view(request, object_id, form_url, extra_context)

    def _action_context(self, request: HttpRequest, access_request: AccessRequest) -> dict:
        """The buttons this user may press on this request now (the services decide anyway)."""
        if not self.has_change_permission(request):
            return {}
        roles = set()
        if access_request.requester_id == request.user.pk:
            roles.update((REQUESTER, CONVERSANT))
        if selectors.is_steward_for(user=request.user, dataset=access_request.dataset):
            roles.update((STEWARD, CONVERSANT))
        if selectors.is_reviewer_of(user=request.user, request=access_request):
            roles.add(REVIEWER)
        decisions = [
            {
                "decision": decision,
                "form": decision.form(auto_id=f"id_{decision.name}_%s"),
                "url": reverse(f"admin:access_accessrequest_{decision.name}",
                               args=[access_request.pk]),
            }
            for decision in DECISIONS.values()
            if decision.role in roles and access_request.state in decision.states
            and (decision.role != STEWARD or decision.on_own_request
                 or access_request.requester_id != request.user.pk)
            # A partner system decides for this publisher: its stewards see, not decide.
            and not (decision.name in EXTERNAL_DECISIONS
                     and access_request.dataset.publisher.decisions_by_client_id)
        ]  # fmt: skip
        editable = REQUESTER in roles and access_request.state in EDITABLE_STATES
        return {
            "decision_forms": decisions,
            "edit_url": (
                reverse("admin:access_accessrequest_edit", args=[access_request.pk])
                if editable
                else None
            ),
        }

    def _change_url(self, access_request: AccessRequest) -> str:
        return reverse("admin:access_accessrequest_change", args=[access_request.pk])

    def _page(self, request: HttpRequest, template: str, title: str, **context) -> TemplateResponse:
        return TemplateResponse(
            request,
            f"admin/access/accessrequest/{template}",
            {**self.admin_site.each_context(request), "opts": self.opts, "title": title, **context},
        )

    def decision_view(self, request: HttpRequest, object_id: str, decision: str) -> HttpResponse:
        """GET: a page with the decision's form. POST: call the service, back to the request."""
        spec = DECISIONS[decision]
        access_request = self.get_object(request, unquote(object_id))
        if access_request is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_change_permission(request):
            self.message_user(request, "Your account cannot act on access requests.", "error")
            return HttpResponseRedirect(self._change_url(access_request))
        form = spec.form(
            request.POST if request.method == "POST" else None, auto_id=f"id_{spec.name}_%s"
        )
        if request.method == "POST" and form.is_valid():
            try:
                spec.call(user=request.user, access_request=access_request, form=form)
            except ApplicationError as exc:
                if not show_on_form(form, exc):
                    self.message_user(request, describe_refusal(exc), messages.ERROR)
                    return HttpResponseRedirect(self._change_url(access_request))
            else:
                self.message_user(request, f"The request was {spec.done}.", messages.SUCCESS)
                return HttpResponseRedirect(self._change_url(access_request))
        return self._page(
            request,
            "decision_form.html",
            f"{spec.label}: {access_request.dataset.title}",
            original=access_request,
            decision=spec,
            form=form,
            change_url=self._change_url(access_request),
        )

    def request_access_view(self, request: HttpRequest, dataset_id) -> HttpResponse:
        """The "Request access" form of a dataset: fields, licence text, acceptance."""
        dataset = catalogue_selectors.dataset_detail_queryset().filter(pk=dataset_id).first()
        if dataset is None:
            self.message_user(request, "That dataset does not exist.", messages.WARNING)
            return HttpResponseRedirect(reverse("admin:catalogue_dataset_changelist"))
        dataset_url = reverse("admin:catalogue_dataset_change", args=[dataset.pk])
        if not self.has_add_permission(request):
            self.message_user(request, "Your account cannot request access.", messages.ERROR)
            return HttpResponseRedirect(dataset_url)
        version = dataset.licence.current_version
        form = self._create_form(
            request.POST if request.method == "POST" else None, dataset, version
        )
        existing_url = None
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                created = services.access_request_create(
                    requester=request.user,
                    dataset=dataset,
                    accept_licence=data["accept_licence"],
                    licence_version=data["licence_version"],
                    **form.request_values(),
                )
            except ApplicationError as exc:
                if "licence_version" in exc.fields:
                    # The text changed since the page was shown: show the new one, to accept again.
                    version = Licence.objects.get(pk=dataset.licence_id).current_version
                    fresh = request.POST.copy()
                    fresh["licence_version"] = str(version.version)
                    fresh.pop("accept_licence", None)
                    form = self._create_form(fresh, dataset, version)
                    form.is_valid()
                    form.add_error(None, exc.message)
                else:
                    add_service_errors(form, exc)
                if exc.extra.get("existing_request"):
                    existing_url = reverse(
                        "admin:access_accessrequest_change", args=[exc.extra["existing_request"]]
                    )
            else:
                self.message_user(request, self._created_message(created), messages.SUCCESS)
                return HttpResponseRedirect(self._change_url(created))
        return self._page(
            request,
            "request_form.html",
            f"Request access: {dataset.title}",
            dataset=dataset,
            dataset_url=dataset_url,
            licence=dataset.licence,
            licence_version=version,
            form=form,
            existing_url=existing_url,
        )

    def _create_form(
        self, data: QueryDict | None, dataset: Dataset, version: LicenceVersion | None
    ) -> AccessRequestCreateForm:
        return AccessRequestCreateForm(
            data,
            dataset=dataset,
            licence_version=version,
            default_duration=services.access_request_default_duration(publisher=dataset.publisher),
        )

    @staticmethod
    def _created_message(created: AccessRequest) -> str:
        if created.state == RequestState.APPROVED:
            return (
                f"Access to {created.dataset.title} was approved at once. {created.decision_reason}"
            )
        deadline = timezone.localtime(created.deadline).date().isoformat()
        return (
            f"Your request for {created.dataset.title} was submitted. The stewards of "
            f"{created.dataset.publisher.name} are due to decide by {deadline}."
        )

    def edit_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Edit a returned (or draft) request, then save it or submit it again."""
        access_request = self.get_object(request, unquote(object_id))
        if access_request is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        change_url = self._change_url(access_request)
        if not self._action_context(request, access_request).get("edit_url"):
            self.message_user(
                request,
                f"Only the researcher who made it can edit a request, while it is a draft or "
                f"returned; this one is {access_request.get_state_display().lower()}.",
                messages.ERROR,
            )
            return HttpResponseRedirect(change_url)
        dataset = access_request.dataset
        current = dataset.licence.current_version
        accepted = access_request.licence_version_id
        new_version = current if current and current.pk != accepted else None
        initial = {
            "purpose": access_request.purpose,
            "purpose_category": access_request.purpose_category,
            "project_title": access_request.project_title,
            "affiliation": access_request.affiliation,
            "duration_days": access_request.duration_days,
            "distributions": [d.pk for d in access_request.distributions.all()],
        }
        form = AccessRequestEditForm(
            request.POST if request.method == "POST" else None,
            initial=initial,
            dataset=dataset,
            new_licence_version=new_version,
        )
        if request.method == "POST" and form.is_valid():
            submit = "_submit" in request.POST
            try:
                # One transaction: a refused submission does not keep half of the edit.
                services.access_request_revise(
                    user=request.user,
                    request=access_request,
                    changes=form.changes(),
                    submit=submit,
                    **form.acceptance(submit=submit),
                )
            except ApplicationError as exc:
                add_service_errors(form, exc)
            else:
                done = "submitted again" if submit else "saved"
                self.message_user(request, f"Your request was {done}.", messages.SUCCESS)
                return HttpResponseRedirect(change_url)
        return self._page(
            request,
            "edit_form.html",
            f"Edit request: {dataset.title}",
            original=access_request,
            dataset=dataset,
            form=form,
            new_licence_version=new_version,
            change_url=change_url,
        )

    # -- export

    def export_view(self, request: HttpRequest) -> HttpResponse:
        """The change list's requests, with its current filters and search, as CSV; limited to
        what the user may export (a reviewer's invitations are not a register to take away)."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return HttpResponseRedirect(reverse("admin:access_accessrequest_changelist"))
        exportable = selectors.access_requests_exportable_by(user=request.user)
        queryset = changelist.get_queryset(request).filter(pk__in=exportable.values("pk"))
        return self._csv(queryset)

    @staticmethod
    def _csv(queryset: QuerySet[AccessRequest]) -> HttpResponse:
        return csv_streaming_response(
            selectors.EXPORT_COLUMNS,
            selectors.access_requests_export_rows(queryset=queryset.order_by()),
            filename="access-requests.csv",
        )

    @admin.action(description="Export selected requests as CSV")
    def export_selected(self, request: HttpRequest, queryset: QuerySet[AccessRequest]):
        exportable = selectors.access_requests_exportable_by(user=request.user)
        return self._csv(queryset.filter(pk__in=exportable.values("pk")))

    def changelist_view(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        query = request.GET.urlencode()
        export_url = reverse("admin:access_accessrequest_export") + (f"?{query}" if query else "")
        return super().changelist_view(request, {**(extra_context or {}), "export_url": export_url})

    # -- bulk actions (stewards)

    def _bulk(
        self,
        request: HttpRequest,
        queryset: QuerySet[AccessRequest],
        decision: str,
        form: DecisionForm,
    ) -> bool:
        """Each request through the service, one transaction each; then one summary. Returns
        False, having changed nothing, if the service refused the input itself (an empty
        reason): that goes back onto the form."""
        spec = DECISIONS[decision]
        done, failed = 0, []
        for access_request in queryset.order_by("pk"):
            try:
                spec.call(user=request.user, access_request=access_request, form=form)
            except ApplicationError as exc:
                if not done and not failed and show_on_form(form, exc):
                    return False
                failed.append(f"{access_request}: {describe_refusal(exc)}")
            else:
                done += 1
        if done:
            plural = "request was" if done == 1 else "requests were"
            self.message_user(request, f"{done} {plural} {spec.done}.", messages.SUCCESS)
        if failed:
            self.message_user(
                request,
                format_html(
                    "{} could not be {}: <ul>{}</ul>",
                    len(failed),
                    spec.done,
                    format_html_join("", "<li>{}</li>", ((line,) for line in failed)),
                ),
                messages.ERROR,
            )
        return True

    def _bulk_with_form(
        self, request: HttpRequest, queryset: QuerySet[AccessRequest], decision: str, action: str
    ) -> TemplateResponse | None:
        """An intermediate page asking for the reason or comment, then the bulk decision."""
        spec = DECISIONS[decision]
        form = spec.form(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid() and self._bulk(request, queryset, decision, form):
            return None
        return self._page(
            request,
            "bulk_decision.html",
            f"{spec.label}: {queryset.count()} requests",
            decision=spec,
            form=form,
            action=action,
            queryset=queryset.order_by("pk"),
            action_checkbox_name=helpers.ACTION_CHECKBOX_NAME,
        )

    @admin.action(description="Approve selected requests", permissions=["change"])
    def approve_selected(self, request: HttpRequest, queryset: QuerySet[AccessRequest]) -> None:
        form = ApproveForm({})
        form.is_valid()
        self._bulk(request, queryset, "approve", form)

    @admin.action(description="Reject selected requests…", permissions=["change"])
    def reject_selected(self, request: HttpRequest, queryset: QuerySet[AccessRequest]):
        return self._bulk_with_form(request, queryset, "reject", "reject_selected")

    @admin.action(description="Return selected requests for changes…", permissions=["change"])
    def return_selected(self, request: HttpRequest, queryset: QuerySet[AccessRequest]):
        return self._bulk_with_form(request, queryset, "return", "return_selected")
