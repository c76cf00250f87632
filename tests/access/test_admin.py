"""Access requests in the admin: researchers ask from a dataset's page, stewards decide from a
review queue. Everything goes through the services, so the rules and events are the API's."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.admin.sites import site
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone

from access import services
from access.models import AccessEvent, AccessRequest, RequestState
from catalogue.models import AccessRights
from catalogue.services import licence_publish_text
from tests.access.factories import PURPOSE, submitted_request
from tests.accounts.factories import UserFactory, admin_user_in
from tests.catalogue.factories import DatasetFactory, DistributionFactory, PublisherFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:access_accessrequest_changelist")


def change_url(access_request: AccessRequest) -> str:
    return reverse("admin:access_accessrequest_change", args=[access_request.pk])


def action_url(access_request: AccessRequest, action: str) -> str:
    return reverse(f"admin:access_accessrequest_{action}", args=[access_request.pk])


def new_url(dataset) -> str:
    return reverse("admin:access_accessrequest_new", args=[dataset.pk])


def create(researcher, dataset, **kwargs) -> AccessRequest:
    return submitted_request(researcher, dataset, **kwargs)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.fixture
def researcher(db):
    return admin_user_in(
        UserFactory(username="rui", first_name="Rui", last_name="Costa"), "Researchers"
    )


@pytest.fixture
def other_researcher(db):
    return admin_user_in(UserFactory(username="marta"), "Researchers")


@pytest.fixture
def rival_dataset(db):
    rival = PublisherFactory(slug="rival-farms", name="Rival Farms")
    return DatasetFactory(
        title="Rival harvest records", publisher=rival, access_rights=AccessRights.RESTRICTED
    )


@pytest.fixture
def researcher_client(client, researcher):
    client.force_login(researcher)
    return client


@pytest.fixture
def steward_client(client, admin_steward):
    client.force_login(admin_steward)
    return client


# --- permissions ----------------------------------------------------------------------------


def test_groups_get_request_permissions_and_nobody_may_write_events():
    def codenames(group: str) -> set[str]:
        return set(
            Group.objects.get(name=group)
            .permissions.filter(content_type__app_label="access")
            .values_list("codename", flat=True)
        )

    assert codenames("Researchers") == {
        "view_accessrequest", "add_accessrequest", "change_accessrequest", "view_accessevent",
        "view_grant", "view_requestattachment",
    }  # fmt: skip
    assert codenames("Stewards") == {
        "view_accessrequest", "change_accessrequest", "view_accessevent",
        "view_grant", "change_grant", "view_applicationform", "add_applicationform",
        "change_applicationform", "view_applicationformversion", "view_requestattachment",
        "view_decisionpolicy", "add_decisionpolicy", "change_decisionpolicy",
        "view_decisionpolicyversion", "view_policydecision",
    }  # fmt: skip
    assert not Permission.objects.filter(
        group__isnull=False, codename__in=["add_accessevent", "change_accessevent"]
    ).exists()


def test_events_are_never_editable_or_deletable_even_by_a_superuser(
    rf, researcher, admin_steward, restricted
):
    request = create(researcher, restricted)
    event = request.events.first()
    superuser = UserFactory(username="root", is_staff=True, is_superuser=True)
    http_request = rf.get("/")
    http_request.user = superuser
    event_admin = site.get_model_admin(AccessEvent)
    request_admin = site.get_model_admin(AccessRequest)
    [inline] = request_admin.get_inline_instances(http_request, request)
    for model_admin in (event_admin, inline):
        assert not model_admin.has_add_permission(http_request, request)
        assert not model_admin.has_change_permission(http_request, event)
        assert not model_admin.has_delete_permission(http_request, event)
    assert not request_admin.has_delete_permission(http_request, request)


def test_superuser_sees_event_pages_read_only(client, researcher, restricted):
    request = create(researcher, restricted)
    event = request.events.first()
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))

    assert client.get(reverse("admin:access_accessevent_changelist")).status_code == 200
    page = client.get(reverse("admin:access_accessevent_change", args=[event.pk]))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    delete = reverse("admin:access_accessevent_delete", args=[event.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert AccessEvent.objects.filter(pk=event.pk).exists()


# --- the researcher -------------------------------------------------------------------------


def test_researcher_browses_every_dataset_but_cannot_change_one(
    researcher_client, restricted, rival_dataset
):
    changelist = researcher_client.get(reverse("admin:catalogue_dataset_changelist"))
    content = changelist.content.decode()
    assert restricted.title in content and rival_dataset.title in content
    assert new_url(rival_dataset) in content  # the list's "Request access" link

    page = researcher_client.get(reverse("admin:catalogue_dataset_change", args=[restricted.pk]))
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert 'name="_save"' not in page.content.decode()
    assert f'href="{new_url(restricted)}"' in page.content.decode()


def test_request_access_page_shows_the_licence_text_version_and_publisher_maximum(
    researcher_client, restricted
):
    DistributionFactory(dataset=restricted, title="Samples 2024")
    restricted.publisher.max_access_days = 180
    restricted.publisher.save()
    version = restricted.licence.current_version

    page = researcher_client.get(new_url(restricted))

    content = page.content.decode()
    assert page.status_code == 200
    assert f"{restricted.licence.identifier}, version {version.version}" in content
    assert str(page.context["licence_version"].text) == version.text
    assert "I accept this licence" in content
    assert "At most 180 days" in content
    assert "Samples 2024" in content


def test_researcher_requests_access_through_the_service(researcher_client, researcher, restricted):
    distribution = DistributionFactory(dataset=restricted, title="Samples 2024")
    DistributionFactory(dataset=restricted, title="Samples 2023")
    data = {
        "purpose": PURPOSE,
        "project_title": "SoilNet",
        "affiliation": "University of Porto",
        "duration_days": "60",
        "distributions": [distribution.pk],
        "accept_licence": "on",
        "licence_version": "1",
    }

    response = researcher_client.post(new_url(restricted), data, follow=True)

    request = AccessRequest.objects.get()
    assert response.redirect_chain == [(change_url(request), 302)]
    assert any("was submitted" in m for m in messages_of(response))
    assert request.requester == researcher
    assert request.state == RequestState.SUBMITTED
    assert (request.project_title, request.affiliation, request.duration_days) == (
        "SoilNet", "University of Porto", 60,
    )  # fmt: skip
    assert list(request.distributions.all()) == [distribution]
    assert request.licence_version.version == 1
    assert list(request.events.values_list("action", flat=True)) == ["created", "submitted"]
    assert "Submitted" in response.content.decode()


def test_request_without_licence_acceptance_is_a_form_error(researcher_client, restricted):
    data = {"purpose": PURPOSE, "duration_days": "30", "licence_version": "1"}

    response = researcher_client.post(new_url(restricted), data)

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["accept_licence"] == ["You must accept CC-BY-4.0 version 1."]
    assert not AccessRequest.objects.exists()


def test_bad_purpose_and_duration_are_form_errors_from_the_service(researcher_client, restricted):
    data = {"purpose": "Research.", "duration_days": "30", "accept_licence": "on"}
    response = researcher_client.post(new_url(restricted), data)
    assert response.status_code == 200
    assert "purpose" in response.context["form"].errors

    data = {"purpose": PURPOSE, "duration_days": "100000", "accept_licence": "on"}
    response = researcher_client.post(new_url(restricted), data)
    assert response.status_code == 200
    assert "Between 1 and 365" in str(response.context["form"].errors["duration_days"])
    assert not AccessRequest.objects.exists()


def test_a_licence_changed_while_reading_must_be_accepted_again(researcher_client, restricted):
    page = researcher_client.get(new_url(restricted))
    assert page.context["form"]["licence_version"].value() == 1
    licence_publish_text(licence=restricted.licence, text="New terms, version two.")
    data = {"purpose": PURPOSE, "duration_days": "30", "accept_licence": "on"}

    response = researcher_client.post(new_url(restricted), {**data, "licence_version": "1"})

    assert response.status_code == 200
    assert "no longer current" in str(response.context["form"].non_field_errors())
    assert "New terms, version two." in response.content.decode()
    assert response.context["form"]["licence_version"].value() == "2"
    assert not AccessRequest.objects.exists()
    response = researcher_client.post(new_url(restricted), {**data, "licence_version": "2"})
    assert response.status_code == 302
    assert AccessRequest.objects.get().licence_version.version == 2


def test_second_open_request_is_a_form_error_linking_the_first(
    researcher_client, researcher, restricted
):
    first = create(researcher, restricted)
    data = {"purpose": PURPOSE, "duration_days": "30", "accept_licence": "on"}

    response = researcher_client.post(new_url(restricted), data)

    assert response.status_code == 200
    assert str(first.pk) in str(response.context["form"].non_field_errors())
    assert response.context["existing_url"] == change_url(first)
    assert AccessRequest.objects.count() == 1


def test_steward_without_add_permission_cannot_request_access(steward_client, rival_dataset):
    page = steward_client.get(reverse("admin:catalogue_dataset_change", args=[rival_dataset.pk]))
    assert new_url(rival_dataset) not in page.content.decode()

    response = steward_client.post(new_url(rival_dataset), {"purpose": PURPOSE}, follow=True)

    assert "Your account cannot request access." in messages_of(response)
    assert not AccessRequest.objects.exists()


def test_add_button_leads_to_the_datasets(researcher_client):
    response = researcher_client.get(reverse("admin:access_accessrequest_add"))
    assert response.url == reverse("admin:catalogue_dataset_changelist")


def test_researcher_sees_only_their_own_requests(
    researcher_client, researcher, other_researcher, restricted, rival_dataset
):
    own = create(researcher, restricted)
    others = create(other_researcher, rival_dataset)

    changelist = researcher_client.get(CHANGELIST)
    assert list(changelist.context["cl"].result_list) == [own]
    assert rival_dataset.title not in changelist.content.decode()
    columns = changelist.context["cl"].list_display
    # No bulk decisions, so no checkboxes either.
    assert columns == ["dataset", "state_label", "created_on", "deadline_marked", "valid_until_on"]

    response = researcher_client.get(change_url(others), follow=True)
    assert response.redirect_chain == [(reverse("admin:index"), 302)]
    assert "Perhaps it was deleted?" in response.content.decode()
    response = researcher_client.post(action_url(others, "withdraw"), follow=True)
    assert "Perhaps it was deleted?" in response.content.decode()
    others.refresh_from_db()
    assert others.state == RequestState.SUBMITTED


def test_researcher_sees_history_and_licence_but_no_decision_buttons(
    researcher_client, researcher, restricted
):
    request = create(researcher, restricted)

    page = researcher_client.get(change_url(request))

    content = page.content.decode()
    assert page.status_code == 200
    assert "CC-BY-4.0" in content and "version 1" in content
    assert "Draft → Submitted" in content
    assert action_url(request, "withdraw") in content
    assert action_url(request, "approve") not in content
    assert 'name="_save"' not in content


def test_researcher_cannot_approve_their_own_request(researcher_client, researcher, restricted):
    request = create(researcher, restricted)

    response = researcher_client.post(action_url(request, "approve"), {}, follow=True)

    assert response.redirect_chain == [(change_url(request), 302)]
    assert any("Only a steward" in m for m in messages_of(response))
    request.refresh_from_db()
    assert request.state == RequestState.SUBMITTED


def test_researcher_withdraws(researcher_client, researcher, restricted):
    request = create(researcher, restricted)

    response = researcher_client.post(action_url(request, "withdraw"), {"comment": "Not needed."})

    assert response.status_code == 302
    request.refresh_from_db()
    assert request.state == RequestState.WITHDRAWN
    assert request.events.last().comment == "Not needed."


def test_researcher_edits_a_returned_request_and_accepts_the_new_licence(
    researcher_client, researcher, admin_steward, restricted
):
    request = create(researcher, restricted)
    services.access_request_return(user=admin_steward, request=request, comment="Add a project.")
    licence_publish_text(licence=restricted.licence, text="New terms, version two.")
    page = researcher_client.get(change_url(request))
    assert action_url(request, "edit") in page.content.decode()
    edit = researcher_client.get(action_url(request, "edit"))
    assert "New terms, version two." in edit.content.decode()
    data = {"purpose": PURPOSE, "project_title": "SoilNet", "duration_days": "90", "_submit": "1"}

    refused = researcher_client.post(action_url(request, "edit"), data)

    assert refused.status_code == 200
    assert "accept_licence" in refused.context["form"].errors
    request.refresh_from_db()
    # Nothing half-written: the refused submission keeps none of the edit, and the form still
    # holds what was typed, to send again with the licence accepted.
    assert (request.state, request.project_title) == (RequestState.RETURNED, "")
    assert 'value="SoilNet"' in refused.content.decode()

    data.update(accept_licence="on", licence_version="2")
    response = researcher_client.post(action_url(request, "edit"), data)

    assert response.status_code == 302
    request.refresh_from_db()
    assert request.state == RequestState.SUBMITTED
    assert request.licence_version.version == 2
    actions = list(request.events.values_list("action", flat=True))
    assert actions == ["created", "submitted", "returned", "edited", "submitted"]


def test_edit_page_of_a_submitted_request_sends_back_with_a_message(
    researcher_client, researcher, restricted
):
    request = create(researcher, restricted)
    response = researcher_client.get(action_url(request, "edit"), follow=True)
    assert response.redirect_chain == [(change_url(request), 302)]
    assert any("this one is submitted" in m for m in messages_of(response))


# --- the steward ----------------------------------------------------------------------------


def test_steward_queue_shows_their_publishers_requests_with_deadline_markers(
    steward_client, admin_steward, researcher, other_researcher, restricted, rival_dataset
):
    second = DatasetFactory(
        title="Bauer yield maps", publisher=restricted.publisher, access_rights="RESTRICTED"
    )
    overdue = create(researcher, restricted)
    soon = create(other_researcher, second)
    later = create(other_researcher, restricted)
    elsewhere = create(researcher, rival_dataset)
    decided = create(researcher, second)
    services.access_request_reject(user=admin_steward, request=decided, reason="No.")
    now = timezone.now()
    AccessRequest.objects.filter(pk=overdue.pk).update(deadline=now - timedelta(days=1))
    AccessRequest.objects.filter(pk=soon.pk).update(deadline=now + timedelta(days=2))
    AccessRequest.objects.filter(pk=decided.pk).update(deadline=now - timedelta(days=9))

    response = steward_client.get(CHANGELIST)

    # Waiting ones by deadline, then decided ones; the rival publisher's request not among them.
    results = list(response.context["cl"].result_list)
    assert results == [overdue, soon, later, decided]
    assert elsewhere not in results
    content = response.content.decode()
    assert content.count('class="access-overdue">overdue<') == 1
    assert content.count('class="access-due-soon">due soon<') == 1
    assert response.context["cl"].list_display[1:] == [
        "state_label", "dataset", "requester_name", "submitted_on", "deadline_marked",
        "valid_until_on",
    ]  # fmt: skip

    def filtered(**params) -> list[AccessRequest]:
        return list(steward_client.get(CHANGELIST, params).context["cl"].result_list)

    assert filtered(deadline="overdue") == [overdue]
    assert filtered(deadline="soon") == [soon]
    assert filtered(deadline="later") == [later]
    assert filtered(dataset__id__exact=second.pk) == [soon, decided]
    assert filtered(dataset__publisher__id__exact=restricted.publisher.pk) == results
    assert filtered(state__exact="submitted") == [overdue, soon, later]


def test_steward_cannot_open_another_publishers_request(steward_client, researcher, rival_dataset):
    request = create(researcher, rival_dataset)

    response = steward_client.post(action_url(request, "approve"), {}, follow=True)

    assert "Perhaps it was deleted?" in response.content.decode()
    request.refresh_from_db()
    assert request.state == RequestState.SUBMITTED


def test_steward_reads_the_history_and_sees_decision_buttons(
    steward_client, researcher, restricted
):
    request = create(researcher, restricted)

    page = steward_client.get(change_url(request))

    content = page.content.decode()
    assert "History" in content and "Draft → Submitted" in content
    assert "Rui Costa (rui)" in content
    for action in ("approve", "return", "reject"):
        assert action_url(request, action) in content
    assert action_url(request, "withdraw") not in content
    assert action_url(request, "revoke") not in content


def test_steward_approves_with_a_comment_and_an_end_date(
    steward_client, admin_steward, researcher, restricted
):
    request = create(researcher, restricted, duration_days=90)
    end = (timezone.now() + timedelta(days=30)).date()

    response = steward_client.post(
        action_url(request, "approve"),
        {"comment": "Fine for SoilNet.", "valid_until": end.isoformat()},
        follow=True,
    )

    assert response.redirect_chain == [(change_url(request), 302)]
    assert "The request was approved." in messages_of(response)
    request.refresh_from_db()
    assert request.state == RequestState.APPROVED
    assert request.decided_by == admin_steward
    assert timezone.localtime(request.valid_until).date() == end
    event = request.events.last()
    assert (event.action, event.actor, event.comment) == (
        "approved", admin_steward, "Fine for SoilNet.",
    )  # fmt: skip
    assert action_url(request, "revoke") in response.content.decode()


def test_approval_end_beyond_the_maximum_is_a_form_error(steward_client, researcher, restricted):
    request = create(researcher, restricted)
    end = (timezone.now() + timedelta(days=1000)).date()

    response = steward_client.post(action_url(request, "approve"), {"valid_until": end})

    assert response.status_code == 200
    assert "valid_until" in response.context["form"].errors
    request.refresh_from_db()
    assert request.state == RequestState.SUBMITTED


def test_steward_returns_only_with_a_comment(steward_client, admin_steward, researcher, restricted):
    request = create(researcher, restricted)

    refused = steward_client.post(action_url(request, "return"), {"comment": "  "})

    assert refused.status_code == 200
    assert refused.context["form"].errors["comment"] == ["This field is required."]
    request.refresh_from_db()
    assert request.state == RequestState.SUBMITTED

    response = steward_client.post(action_url(request, "return"), {"comment": "Name a project."})

    assert response.status_code == 302
    request.refresh_from_db()
    assert request.state == RequestState.RETURNED
    event = request.events.last()
    assert (event.action, event.actor, event.comment) == (
        "returned", admin_steward, "Name a project.",
    )  # fmt: skip


def test_steward_rejects_with_a_reason(steward_client, admin_steward, researcher, restricted):
    request = create(researcher, restricted)

    response = steward_client.post(action_url(request, "reject"), {"reason": "Out of scope."})

    assert response.status_code == 302
    request.refresh_from_db()
    assert (request.state, request.decided_by, request.decision_reason) == (
        RequestState.REJECTED, admin_steward, "Out of scope.",
    )  # fmt: skip
    assert request.events.last().action == "rejected"


def test_steward_revokes_an_approved_request(steward_client, admin_steward, researcher, restricted):
    request = create(researcher, restricted)
    services.access_request_approve(user=admin_steward, request=request)

    response = steward_client.post(action_url(request, "revoke"), {"reason": "Misused."})

    assert response.status_code == 302
    request.refresh_from_db()
    assert request.state == RequestState.REVOKED


def test_action_in_the_wrong_state_is_an_error_message_not_a_500(
    steward_client, admin_steward, researcher, restricted
):
    request = create(researcher, restricted)
    services.access_request_reject(user=admin_steward, request=request, reason="No.")

    response = steward_client.post(action_url(request, "approve"), {}, follow=True)

    assert response.status_code == 200
    assert response.redirect_chain == [(change_url(request), 302)]
    assert messages_of(response) == [
        "A request that is rejected cannot be approved. (current state: Rejected)"
    ]
    request.refresh_from_db()
    assert request.state == RequestState.REJECTED


def test_decision_page_renders_for_get(steward_client, researcher, restricted):
    request = create(researcher, restricted)
    for action in ("approve", "return", "reject"):
        page = steward_client.get(action_url(request, action))
        assert page.status_code == 200
        assert PURPOSE in page.content.decode()


# --- bulk actions ---------------------------------------------------------------------------


def bulk(client, action: str, requests, **data):
    post = {"action": action, "_selected_action": [str(r.pk) for r in requests], **data}
    return client.post(CHANGELIST, post, follow=True)


def test_bulk_reject_asks_for_a_reason_then_rejects_each_and_reports_failures(
    steward_client, admin_steward, researcher, other_researcher, restricted
):
    first = create(researcher, restricted)
    second = create(other_researcher, restricted)
    decided = create(
        researcher,
        DatasetFactory(publisher=restricted.publisher, access_rights=AccessRights.RESTRICTED),
    )
    services.access_request_approve(user=admin_steward, request=decided)
    chosen = [first, second, decided]

    page = bulk(steward_client, "reject_selected", chosen)
    assert page.status_code == 200
    assert "bulk_decision.html" in page.templates[0].name
    assert 'name="reason"' in page.content.decode()

    empty = bulk(steward_client, "reject_selected", chosen, apply="1", reason=" ")
    assert empty.context["form"].errors["reason"] == ["This field is required."]
    assert AccessRequest.objects.filter(state=RequestState.REJECTED).count() == 0

    response = bulk(steward_client, "reject_selected", chosen, apply="1", reason="Out of scope.")

    shown = messages_of(response)
    assert "2 requests were rejected." in shown
    assert any("1 could not be rejected" in m and "current state: Approved" in m for m in shown)
    for request in (first, second):
        request.refresh_from_db()
        assert (request.state, request.decision_reason) == (RequestState.REJECTED, "Out of scope.")
        assert request.events.last().actor == admin_steward
    decided.refresh_from_db()
    assert decided.state == RequestState.APPROVED


def test_bulk_return_asks_for_a_comment(steward_client, researcher, restricted):
    request = create(researcher, restricted)

    response = bulk(steward_client, "return_selected", [request], apply="1", comment="Shorter.")

    assert "1 request was returned." in messages_of(response)
    request.refresh_from_db()
    assert request.state == RequestState.RETURNED


def test_bulk_approve_goes_through_the_service_for_each(
    steward_client, admin_steward, researcher, other_researcher, restricted
):
    requests = [create(researcher, restricted), create(other_researcher, restricted)]

    response = bulk(steward_client, "approve_selected", requests)

    assert "2 requests were approved." in messages_of(response)
    for request in requests:
        request.refresh_from_db()
        assert (request.state, request.decided_by) == (RequestState.APPROVED, admin_steward)


def test_researcher_has_no_bulk_decisions(researcher_client, researcher, restricted):
    request = create(researcher, restricted)

    response = bulk(researcher_client, "approve_selected", [request])

    assert response.status_code == 200
    assert not any("approved" in m for m in messages_of(response))
    request.refresh_from_db()
    assert request.state == RequestState.SUBMITTED


@pytest.mark.parametrize("who", ["researcher", "steward", "superuser"])
def test_access_admin_pages_render(client, who, researcher, admin_steward, restricted):
    request = create(researcher, restricted)
    user = {
        "researcher": researcher,
        "steward": admin_steward,
        "superuser": UserFactory(username="root", is_staff=True, is_superuser=True),
    }[who]
    client.force_login(user)

    assert client.get(CHANGELIST).status_code == 200
    assert client.get(change_url(request)).status_code == 200
    assert client.get(reverse("admin:access_accessevent_changelist")).status_code == 200
    assert client.get(reverse("admin:index")).status_code == 200
