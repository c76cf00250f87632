"""The workspace's pages: the catalogue, "Request access", my requests and my grants.

Every page reads through a selector restricted to what the user may see (another's request or
grant is a 404) and writes through one access service, whose refusal is shown on the form or as
a message. Permissions come from the site (a signed-in, verified account), never from the staff
flag or model permissions: researchers hold none.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ORDER_VAR
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_GET, require_POST

from access import selectors as access_selectors
from access import services as access_services
from access.models import AccessRequest, RequestState
from catalogue import selectors as catalogue_selectors
from catalogue.formats import FORMAT_CHOICES
from catalogue.models import AccessRights, Dataset, Distribution, Licence, LicenceVersion
from catalogue.search import rank_annotation, search_filter
from core.admin import add_service_errors, list_date, list_text
from core.errors import ApplicationError
from delivery.services.attachment_links import attachment_link
from delivery.services.links import download_links, grant_files
from delivery.services.tokens import grant_token_issue

from .forms import RenewForm, WorkspaceEditForm, WorkspaceRequestForm
from .manifests import (
    MANIFEST_KINDS,
    aria2_input,
    curl_command,
    file_names,
    sha256sums,
    wget_input,
)
from .models import CatalogueDataset, MyGrant, MyRequest
from .sites import workspace_site

WITHDRAWABLE = (RequestState.DRAFT, RequestState.SUBMITTED, RequestState.RETURNED)
EDITABLE = (RequestState.DRAFT, RequestState.RETURNED)


class WorkspaceAdmin(admin.ModelAdmin):
    """Read-only pages for any account the site lets in. What a user sees is decided by the
    queryset (a selector); writes go through the custom views, never the admin's forms."""

    actions = None

    def has_module_permission(self, request: HttpRequest) -> bool:
        return True  # the site already checked the account

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return True

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None) -> HttpResponse:
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404  # not the user's, or no such thing: the same answer
        context = {**self.detail_context(request, obj), **(extra_context or {})}
        return super().change_view(request, object_id, form_url, context)

    def history_view(self, request, object_id, extra_context=None) -> HttpResponse:
        raise Http404  # the admin's edit log says nothing about requests or grants

    def detail_context(self, request: HttpRequest, obj: Any) -> dict[str, Any]:
        return {}

    def page(self, request: HttpRequest, template: str, title: str, **context) -> HttpResponse:
        return TemplateResponse(
            request,
            f"admin/workspace/{template}",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": title,
                **context,
            },
        )

    def own_object(self, request: HttpRequest, object_id: str):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        return obj


def application_answers(request: HttpRequest, access_request: AccessRequest) -> list[dict]:
    """The publisher's questions as the request answered them (its form version), each with its
    answer, or the document it names (with a fresh download link for the viewer)."""
    version = access_request.form_version
    if version is None:
        return []
    documents = {str(a.pk): a for a in access_request.attachments.all()}
    rows = []
    for question in version.questions:
        answer = access_request.answers.get(question["key"])
        row = {"label": question["label"], "answer": answer, "document": None}
        if question["kind"] == "attachment" and answer in documents:
            row["answer"] = None
            row["document"] = _document(request, documents[answer])
        elif question["kind"] == "boolean" and answer is not None:
            row["answer"] = "Yes" if answer else "No"
        rows.append(row)
    return rows


def attachment_rows(request: HttpRequest, access_request: AccessRequest) -> list[dict]:
    return [_document(request, a) for a in access_request.attachments.order_by("created")]


def _document(request: HttpRequest, attachment) -> dict:
    return {
        "name": attachment.original_name,
        "size": attachment.size,
        "sha256": attachment.sha256,
        "url": attachment_link(attachment=attachment, user=request.user, absolute=False).url,
    }


def _renewable(access_request: AccessRequest) -> bool:
    """Whether to offer "Ask for an extension" (the service has the last word)."""
    grant = getattr(access_request, "grant", None)
    return (
        access_request.state == RequestState.APPROVED
        and grant is not None
        and access_selectors.grant_is_usable(grant=grant)
    )


def post_comment(
    model_admin: WorkspaceAdmin, request: HttpRequest, access_request: AccessRequest, back: str
) -> HttpResponse:
    try:
        access_services.access_request_comment(
            user=request.user, request=access_request, comment=request.POST.get("comment", "")
        )
    except ApplicationError as exc:
        model_admin.message_user(request, exc.message, messages.ERROR)
    else:
        model_admin.message_user(request, "Your comment was sent.", messages.SUCCESS)
    return HttpResponseRedirect(f"{back}#conversation")


def _url(name: str, *args: Any) -> str:
    return reverse(f"workspace:workspace_{name}", args=args)


# --- the catalogue ------------------------------------------------------------------------------


class FormatFilter(admin.SimpleListFilter):
    """Datasets with a file in the format: the API's ``format`` facet."""

    title = "format"
    parameter_name = "format"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        used = set(Distribution.objects.values_list("format", flat=True).distinct())
        return [(code, label) for code, label in FORMAT_CHOICES if code in used]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Dataset]) -> QuerySet[Dataset]:
        if not self.value():
            return queryset
        return queryset.filter(
            Exists(Distribution.objects.filter(dataset_id=OuterRef("pk"), format=self.value()))
        )


@admin.register(CatalogueDataset, site=workspace_site)
class CatalogueAdmin(WorkspaceAdmin):
    """The whole catalogue, as the API lists it, searched with the API's full-text search."""

    list_display = ["title_text", "publisher", "access_rights", "licence", "modified_on"]
    list_display_links = ["title_text"]
    # The API's facets: data space, publisher, licence, access rights, theme, format.
    list_filter = [
        "data_space",
        ("publisher", admin.RelatedOnlyFieldListFilter),
        "licence",
        "access_rights",
        "themes",
        FormatFilter,
    ]
    show_facets = admin.ShowFacets.ALWAYS
    search_fields = ["title"]  # shows the search box; the search itself is the API's
    search_help_text = 'Words, "exact phrase", -excluded, or. Accents are optional.'
    list_per_page = 50
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "title", "description_text", "publisher", "data_space", "access_rights",
                    "themes_text", "keywords_text", "languages_text",
                ]
            },
        ),
        ("Licence", {"fields": ["licence_detail"]}),
        ("Files", {"fields": ["file_table"]}),
        (
            "Coverage",
            {"fields": ["spatial", "temporal_start", "temporal_end", "issued", "version"]},
        ),
        ("Contact", {"fields": ["landing_page", "contact_name", "contact_email", "modified"]}),
    ]  # fmt: skip
    readonly_fields = [name for _, options in fieldsets for name in options["fields"]]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Dataset]:
        # The whole catalogue, as the API lists it to anyone; through the proxy model, so that
        # the rows link to the workspace's pages.
        return (
            CatalogueDataset.objects.listed()
            .select_related("publisher", "data_space", "licence")
            .prefetch_related("themes")
            .defer("search_vector")
        )

    ordering = ["-modified"]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Dataset], search_term: str
    ) -> tuple[QuerySet[Dataset], bool]:
        if not search_term.strip():
            return queryset, False
        try:
            matches = search_filter(queryset, search_term)
            rank = rank_annotation(search_term)
        except ApplicationError as exc:
            # Facet counts run the search once per filter: say it once.
            if not getattr(request, "_workspace_search_refused", False):
                request._workspace_search_refused = True
                self.message_user(request, f"Search: {exc.message}", messages.ERROR)
            return queryset.none(), False
        if rank is not None and ORDER_VAR not in request.GET:
            # The best matches first, as the API does, unless a column was chosen to sort by.
            matches = matches.annotate(search_rank=rank).order_by("-search_rank", "-modified", "pk")
        return matches, False

    @admin.display(description="Title", ordering="title")
    def title_text(self, dataset: Dataset) -> str:
        return list_text(dataset.title, 70)

    @admin.display(description="Modified", ordering="modified")
    def modified_on(self, dataset: Dataset) -> str:
        return list_date(dataset.modified)

    @admin.display(description="Description")
    def description_text(self, dataset: Dataset) -> str:
        return format_html('<div class="workspace-text">{}</div>', dataset.description)

    @admin.display(description="Themes")
    def themes_text(self, dataset: Dataset) -> str:
        return ", ".join(theme.label for theme in dataset.themes.all()) or "—"

    @admin.display(description="Keywords")
    def keywords_text(self, dataset: Dataset) -> str:
        return ", ".join(dataset.keywords) or "—"

    @admin.display(description="Languages")
    def languages_text(self, dataset: Dataset) -> str:
        return ", ".join(dataset.languages) or "—"

    @admin.display(description="Licence")
    def licence_detail(self, dataset: Dataset) -> str:
        licence = dataset.licence
        version = licence.current_version
        link = (
            format_html(' &middot; <a href="{}">{}</a>', licence.url, licence.url)
            if licence.url
            else ""
        )
        return format_html(
            "<strong>{}</strong> ({}){}{}",
            licence.title,
            licence.identifier,
            link,
            format_html(", version {}", version.version) if version else "",
        )

    @admin.display(description="Files")
    def file_table(self, dataset: Dataset) -> str:
        files = list(dataset.distributions.order_by("created", "id"))
        if not files:
            return "No files yet."
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    d.title,
                    d.get_format_display(),
                    filesizeformat(d.byte_size) if d.byte_size is not None else "—",
                )
                for d in files
            ),
        )
        return format_html(
            '<table class="workspace-files"><thead><tr><th>Title</th><th>Format</th>'
            "<th>Size</th></tr></thead><tbody>{}</tbody></table>",
            rows,
        )

    def detail_context(self, request: HttpRequest, dataset: Dataset) -> dict[str, Any]:
        open_request = (
            access_selectors.access_requests_requested_by(user=request.user)
            .filter(dataset=dataset, state__in=[*WITHDRAWABLE, RequestState.APPROVED])
            .first()
        )
        return {
            "request_access_url": (
                _url("cataloguedataset_request", dataset.pk)
                if dataset.access_rights == AccessRights.RESTRICTED and open_request is None
                else None
            ),
            "open_request_url": _url("myrequest_change", open_request.pk) if open_request else None,
        }

    # -- "Request access"

    def get_urls(self):
        view = self.admin_site.admin_view(self.request_access_view)
        return [
            path("<uuid:dataset_id>/request/", view, name="workspace_cataloguedataset_request"),
            *super().get_urls(),
        ]

    def request_access_view(self, request: HttpRequest, dataset_id) -> HttpResponse:
        dataset = catalogue_selectors.dataset_detail_queryset().filter(pk=dataset_id).first()
        if dataset is None:
            raise Http404
        version = dataset.licence.current_version
        posted = request.method == "POST"
        form = self._request_form(
            request.POST if posted else None, request.FILES if posted else None, dataset, version
        )
        existing_url = None
        if posted and form.is_valid():
            data = form.cleaned_data
            answers, uploads = form.answers_and_uploads()
            try:
                created = access_services.access_request_apply(
                    requester=request.user,
                    dataset=dataset,
                    accept_licence=data["accept_licence"],
                    licence_version=data["licence_version"],
                    answers=answers,
                    uploads=uploads,
                    **form.request_values(),
                )
            except ApplicationError as exc:
                if "licence_version" in exc.fields:
                    # The text changed while the form was open: show the new one to accept.
                    version = Licence.objects.get(pk=dataset.licence_id).current_version
                    fresh = request.POST.copy()
                    fresh["licence_version"] = str(version.version)
                    fresh.pop("accept_licence", None)
                    form = self._request_form(fresh, request.FILES, dataset, version)
                    form.is_valid()
                    form.add_error(None, exc.message)
                else:
                    add_service_errors(form, exc)
                if exc.extra.get("existing_request"):
                    existing_url = _url("myrequest_change", exc.extra["existing_request"])
            else:
                self.message_user(request, _created_message(created), messages.SUCCESS)
                return HttpResponseRedirect(_url("myrequest_change", created.pk))
        return self.page(
            request,
            "request_form.html",
            f"Request access: {dataset.title}",
            dataset=dataset,
            dataset_url=_url("cataloguedataset_change", dataset.pk),
            licence=dataset.licence,
            licence_version=version,
            form=form,
            existing_url=existing_url,
        )

    @staticmethod
    def _request_form(
        data: QueryDict | None,
        files: MultiValueDict | None,
        dataset: Dataset,
        version: LicenceVersion | None,
    ) -> WorkspaceRequestForm:
        form_version = access_services.application_form_current(publisher=dataset.publisher_id)
        return WorkspaceRequestForm(
            data,
            files,
            questions=form_version.questions if form_version else [],
            dataset=dataset,
            licence_version=version,
            default_duration=access_services.access_request_default_duration(
                publisher=dataset.publisher
            ),
        )


def _created_message(created: AccessRequest) -> str:
    if created.state == RequestState.APPROVED:
        title, reason = created.dataset.title, created.decision_reason
        return f"Access to {title} was approved at once. {reason}"
    deadline = timezone.localtime(created.deadline).date().isoformat()
    return (
        f"Your request for {created.dataset.title} was submitted. The stewards of "
        f"{created.dataset.publisher.name} are due to decide by {deadline}."
    )


# --- my requests --------------------------------------------------------------------------------


class RequestColumns:
    """The columns the researcher's and the reviewer's request lists share."""

    @admin.display(description="Dataset", ordering="dataset__title")
    def dataset_title(self, access_request: AccessRequest) -> str:
        return list_text(access_request.dataset.title, 60)

    @admin.display(description="Submitted", ordering="submitted_at")
    def submitted_on(self, access_request: AccessRequest) -> str:
        return list_date(access_request.submitted_at)

    @admin.display(description="Deadline", ordering="deadline")
    def deadline_on(self, access_request: AccessRequest) -> str:
        return list_date(access_request.deadline)


@admin.register(MyRequest, site=workspace_site)
class MyRequestAdmin(RequestColumns, WorkspaceAdmin):
    list_display = [
        "dataset_title", "state_label", "submitted_on", "deadline_on", "decision", "valid_until_on",
    ]  # fmt: skip
    list_display_links = ["dataset_title"]
    list_filter = ["state"]
    ordering = ["-created"]
    fieldsets = [
        (None, {"fields": ["state_label", "dataset_link", "file_list", "purpose",
                           "purpose_category", "project_title", "affiliation", "duration_days"]}),
        ("Licence", {"fields": ["licence_accepted", "licence_accepted_at"]}),
        ("Review", {"fields": ["submitted_at", "deadline", "decided_at", "decision_reason",
                               "valid_until", "grant_link"]}),
        ("History", {"fields": ["history"]}),
    ]  # fmt: skip
    readonly_fields = [name for _, options in fieldsets for name in options["fields"]]

    def get_queryset(self, request: HttpRequest) -> QuerySet[AccessRequest]:
        own = access_selectors.access_requests_requested_by(user=request.user)
        return MyRequest.objects.filter(pk__in=own.values("pk")).select_related(
            "dataset__publisher", "licence_version__licence", "grant"
        )

    @admin.display(description="State", ordering="state")
    def state_label(self, access_request: AccessRequest) -> str:
        return format_html(
            '<span class="access-state access-state-{}">{}</span>',
            access_request.state,
            access_request.get_state_display(),
        )

    @admin.display(description="Decision", ordering="decided_at")
    def decision(self, access_request: AccessRequest) -> str:
        if access_request.decided_at is None:
            return "—"
        reason = access_request.decision_reason
        return format_html(
            "{} {}", list_date(access_request.decided_at), list_text(reason, 40) if reason else ""
        )

    @admin.display(description="Access until", ordering="valid_until")
    def valid_until_on(self, access_request: AccessRequest) -> str:
        return list_date(access_request.valid_until)

    @admin.display(description="Dataset")
    def dataset_link(self, access_request: AccessRequest) -> str:
        return format_html(
            '<a href="{}">{}</a> ({})',
            _url("cataloguedataset_change", access_request.dataset_id),
            access_request.dataset.title,
            access_request.dataset.publisher.name,
        )

    @admin.display(description="Files")
    def file_list(self, access_request: AccessRequest) -> str:
        if access_request.whole_dataset:
            return "The whole dataset"
        chosen = list(access_request.distributions.all())
        if not chosen:
            return "The chosen files were removed from the dataset"
        return format_html_join(", ", "{}", ((d.title,) for d in chosen))

    @admin.display(description="Licence accepted")
    def licence_accepted(self, access_request: AccessRequest) -> str:
        version = access_request.licence_version
        return f"{version.licence.identifier} ({version.licence.title}), version {version.version}"

    @admin.display(description="Grant")
    def grant_link(self, access_request: AccessRequest) -> str:
        grant = getattr(access_request, "grant", None)
        if grant is None:
            return "—"
        return format_html(
            '<a href="{}">{} grant, until {}</a>',
            _url("mygrant_change", grant.pk),
            grant.get_state_display(),
            timezone.localtime(grant.expires_at).date().isoformat(),
        )

    @admin.display(description="Events (hash-chained)")
    def history(self, access_request: AccessRequest) -> str:
        labels = dict(RequestState.choices)
        # These pages show the viewer's own requests only: they see them as their requester.
        events = access_selectors.access_request_events(
            request=access_request, user=access_request.requester
        )
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
            '<td><code title="{}">{}…</code></td></tr>',
            (
                (
                    event.position,
                    list_date(event.created),
                    (event.actor.get_full_name() or event.actor.get_username())
                    if event.actor
                    else "system",
                    event.get_action_display(),
                    f"{labels.get(event.from_state, event.from_state) or '—'} → "
                    f"{labels.get(event.to_state, event.to_state)}",
                    event.comment,
                    event.hash,
                    event.hash[:12],
                )
                for event in events
            ),
        )
        return format_html(
            '<table class="workspace-history" id="history"><thead><tr><th>#</th><th>When</th>'
            "<th>Who</th><th>Action</th><th>From → to</th><th>Comment</th><th>Hash</th></tr>"
            "</thead><tbody>{}</tbody></table>",
            rows,
        )

    def detail_context(self, request: HttpRequest, access_request: AccessRequest) -> dict:
        return {
            "application": application_answers(request, access_request),
            "attachments": attachment_rows(request, access_request),
            "conversation": access_selectors.access_request_comments(request=access_request),
            "comment_url": _url("myrequest_comment", access_request.pk),
            "renew_url": (
                _url("myrequest_renew", access_request.pk) if _renewable(access_request) else None
            ),
            "withdraw_url": (
                _url("myrequest_withdraw", access_request.pk)
                if access_request.state in WITHDRAWABLE
                else None
            ),
            "edit_url": (
                _url("myrequest_edit", access_request.pk)
                if access_request.state in EDITABLE
                else None
            ),
        }

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/withdraw/", wrap(self.withdraw_view),
                 name="workspace_myrequest_withdraw"),
            path("<path:object_id>/edit/", wrap(self.edit_view), name="workspace_myrequest_edit"),
            path("<path:object_id>/comment/", wrap(require_POST(self.comment_view)),
                 name="workspace_myrequest_comment"),
            path("<path:object_id>/renew/", wrap(self.renew_view),
                 name="workspace_myrequest_renew"),
            *super().get_urls(),
        ]  # fmt: skip

    def withdraw_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        access_request = self.own_object(request, object_id)
        change_url = _url("myrequest_change", access_request.pk)
        if request.method == "POST":
            try:
                access_services.access_request_withdraw(
                    user=request.user,
                    request=access_request,
                    comment=request.POST.get("comment", ""),
                )
            except ApplicationError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(request, "Your request was withdrawn.", messages.SUCCESS)
            return HttpResponseRedirect(change_url)
        return self.page(
            request,
            "withdraw.html",
            f"Withdraw your request: {access_request.dataset.title}",
            original=access_request,
            change_url=change_url,
        )

    def comment_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The researcher writes to the stewards, on the request's conversation."""
        access_request = self.own_object(request, object_id)
        return post_comment(
            self, request, access_request, _url("myrequest_change", access_request.pk)
        )

    def renew_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Ask for an extension: a new request, pre-filled from this one, linked to it; the
        grant keeps working until the stewards decide."""
        access_request = self.own_object(request, object_id)
        change_url = _url("myrequest_change", access_request.pk)
        version = access_request.dataset.licence.current_version
        form = RenewForm(
            request.POST if request.method == "POST" else None,
            initial={
                "purpose": access_request.purpose,
                "duration_days": access_request.duration_days,
                "licence_version": version.version if version else None,
            },
            maximum=access_request.dataset.publisher.max_access_days,
        )
        if request.method == "POST" and form.is_valid():
            try:
                renewal = access_services.access_request_renew(
                    user=request.user, request=access_request, **form.cleaned_data
                )
            except ApplicationError as exc:
                add_service_errors(form, exc)
            else:
                self.message_user(
                    request,
                    "Your renewal was submitted; your current access keeps working until the "
                    "stewards decide.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(_url("myrequest_change", renewal.pk))
        return self.page(
            request,
            "renew_form.html",
            f"Ask for an extension: {access_request.dataset.title}",
            original=access_request,
            change_url=change_url,
            form=form,
            licence=access_request.dataset.licence,
            licence_version=version,
        )

    def edit_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Edit a returned (or draft) request, then save it or submit it again."""
        access_request = self.own_object(request, object_id)
        change_url = _url("myrequest_change", access_request.pk)
        if access_request.state not in EDITABLE:
            self.message_user(
                request,
                f"Only a draft or returned request can be edited; this one is "
                f"{access_request.get_state_display().lower()}.",
                messages.ERROR,
            )
            return HttpResponseRedirect(change_url)
        dataset = access_request.dataset
        current = dataset.licence.current_version
        new_version = (
            current if current and current.pk != access_request.licence_version_id else None
        )
        form_version = access_services.application_form_current(publisher=dataset.publisher_id)
        posted = request.method == "POST"
        form = WorkspaceEditForm(
            request.POST if posted else None,
            request.FILES if posted else None,
            questions=form_version.questions if form_version else [],
            answers=access_request.answers,
            initial={
                "purpose": access_request.purpose,
                "purpose_category": access_request.purpose_category,
                "project_title": access_request.project_title,
                "affiliation": access_request.affiliation,
                "duration_days": access_request.duration_days,
                "distributions": [d.pk for d in access_request.distributions.all()],
            },
            dataset=dataset,
            new_licence_version=new_version,
            whole_dataset=access_request.whole_dataset,
        )
        if request.method == "POST" and form.is_valid():
            submit = "_submit" in request.POST
            try:
                access_services.access_request_revise(
                    user=request.user,
                    request=access_request,
                    changes=form.changes(),
                    uploads=form.answers_and_uploads()[1],
                    submit=submit,
                    **form.acceptance(submit=submit),
                )
            except ApplicationError as exc:
                add_service_errors(form, exc)
            else:
                done = "submitted again" if submit else "saved"
                self.message_user(request, f"Your request was {done}.", messages.SUCCESS)
                return HttpResponseRedirect(change_url)
        return self.page(
            request,
            "edit_form.html",
            f"Edit your request: {dataset.title}",
            original=access_request,
            dataset=dataset,
            form=form,
            licence=dataset.licence,
            new_licence_version=new_version,
            change_url=change_url,
        )


# --- my grants ----------------------------------------------------------------------------------


@admin.register(MyGrant, site=workspace_site)
class MyGrantAdmin(WorkspaceAdmin):
    list_display = ["dataset_title", "state", "valid_from_on", "expires_on", "download_count"]
    list_display_links = ["dataset_title"]
    list_filter = ["state"]
    ordering = ["-created"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        held = access_selectors.grants_held_by(user=request.user)
        return (
            MyGrant.objects.filter(pk__in=held.values("pk"))
            .annotate(download_total=access_selectors.grant_download_total())
            .select_related("grantee", "dataset__publisher", "access_request")
            .prefetch_related("access_request__approved_distributions")
        )

    @admin.display(description="Dataset", ordering="dataset__title")
    def dataset_title(self, grant) -> str:
        return list_text(grant.dataset.title, 60)

    @admin.display(description="From", ordering="valid_from")
    def valid_from_on(self, grant) -> str:
        return list_date(grant.valid_from)

    @admin.display(description="Until", ordering="expires_at")
    def expires_on(self, grant) -> str:
        return list_date(grant.expires_at)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/download/<uuid:distribution_id>/",
                 wrap(require_POST(self.download_view)), name="workspace_mygrant_download"),
            path("<path:object_id>/manifest/<str:kind>/", wrap(require_GET(self.manifest_view)),
                 name="workspace_mygrant_manifest"),
            path("<path:object_id>/relinquish/", wrap(self.relinquish_view),
                 name="workspace_mygrant_relinquish"),
            *super().get_urls(),
        ]  # fmt: skip

    def change_view(self, request, object_id, form_url="", extra_context=None) -> HttpResponse:
        grant = self.own_object(request, object_id)
        usable = access_selectors.grant_is_usable(grant=grant)
        files = []
        token = None
        if usable:
            links = download_links(grant)
            names = file_names([link.distribution for link in links])
            files = [
                {
                    "distribution": link.distribution,
                    "file_name": names[str(link.distribution.pk)],
                    "download_url": _url("mygrant_download", grant.pk, link.distribution.pk),
                    "curl": curl_command(link, names[str(link.distribution.pk)]),
                    "link_expires_at": link.expires_at,
                }
                for link in links
            ]
            token = grant_token_issue(grant)
        else:
            # No links and no buttons: the files are still listed, for the record.
            files = [{"distribution": d} for d in grant_files(grant)]
        return self.page(
            request,
            "mygrant/detail.html",
            f"Grant: {grant.dataset.title}",
            original=grant,
            usable=usable,
            files=files,
            token=token,
            manifests=[
                {"kind": kind, "for": tool, "url": _url("mygrant_manifest", grant.pk, kind)}
                for kind, (_, tool) in MANIFEST_KINDS.items()
            ],
            request_url=_url("myrequest_change", grant.access_request_id),
            relinquish_url=_url("mygrant_relinquish", grant.pk) if usable else None,
            renew_url=(
                _url("myrequest_renew", grant.access_request_id)
                if _renewable(grant.access_request)
                else None
            ),
        )

    def relinquish_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """End one's own access early: the links stop at once."""
        grant = self.own_object(request, object_id)
        change_url = _url("mygrant_change", grant.pk)
        if request.method == "POST":
            try:
                access_services.grant_relinquish(
                    user=request.user, grant=grant, comment=request.POST.get("comment", "")
                )
            except ApplicationError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(
                    request, "You gave up this access; its links no longer work.", messages.SUCCESS
                )
            return HttpResponseRedirect(change_url)
        return self.page(
            request,
            "mygrant/relinquish.html",
            f"Give up your access: {grant.dataset.title}",
            original=grant,
            change_url=change_url,
        )

    def download_view(self, request: HttpRequest, object_id: str, distribution_id) -> HttpResponse:
        """A fresh signed link, made on click, and off to it."""
        grant = self.own_object(request, object_id)
        if not access_selectors.grant_is_usable(grant=grant):
            self.message_user(
                request,
                f"This grant is {grant.get_state_display().lower()}: no links are made.",
                messages.ERROR,
            )
            return HttpResponseRedirect(_url("mygrant_change", grant.pk))
        link = next(
            (link for link in download_links(grant) if link.distribution.pk == distribution_id),
            None,
        )
        if link is None:
            raise Http404  # not one of this grant's files (or removed since)
        return HttpResponseRedirect(link.url)

    def manifest_view(self, request: HttpRequest, object_id: str, kind: str) -> HttpResponse:
        """Every file of the grant, with fresh links each time, for a download tool."""
        grant = self.own_object(request, object_id)
        if kind not in MANIFEST_KINDS:
            raise Http404
        if not access_selectors.grant_is_usable(grant=grant):
            return HttpResponse(
                f"This grant is {grant.get_state_display().lower()}: no links are made.\n",
                status=410,
                content_type="text/plain; charset=utf-8",
            )
        if kind == "sha256sums":
            body = sha256sums(grant_files(grant))
        else:
            links = download_links(grant)
            body = aria2_input(links) if kind == "aria2" else wget_input(links)
        suffix, _ = MANIFEST_KINDS[kind]
        response = HttpResponse(body, content_type="text/plain; charset=utf-8")
        name = suffix if kind == "sha256sums" else f"grant-{str(grant.pk)[:8]}.{suffix}"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


from . import review_admin  # noqa: E402, F401  (registers "Requests to review")
