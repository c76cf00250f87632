"""External decisions: a partner client with access:decide approves, rejects or returns its
publishers' requests through the stewards' endpoints; a publisher may let only that partner
decide, and its stewards then see but do not decide. Partner actions are in the audit chain."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from access import services
from access.models import AccessEvent, AccessRequest, AuditHead, RequestState
from tests.access.factories import submitted_request
from tests.accounts.factories import UserFactory, partner_api, partner_client

pytestmark = pytest.mark.django_db
URL = "/api/v1/access-requests/"


@pytest.fixture
def committee(publisher):
    return partner_client("Hospital DAC", scopes=("access:decide",), publishers=[publisher])


@pytest.fixture
def pending(researcher, restricted):
    return submitted_request(researcher, restricted)


@pytest.mark.parametrize(
    ("decision", "payload", "state"),
    [
        ("approve", {"comment": "Committee approved on 2 December."}, RequestState.APPROVED),
        ("reject", {"reason": "Committee refused: no ethics approval."}, RequestState.REJECTED),
        ("return", {"comment": "Attach the ethics approval."}, RequestState.RETURNED),
    ],
)
def test_the_committee_decides_through_the_stewards_endpoints(
    committee, pending, decision, payload, state
):
    client, secret = committee
    response = partner_api(client, secret).post(
        f"{URL}{pending.pk}/{decision}/", payload, format="json"
    )
    assert response.status_code == 200, response.json()
    pending.refresh_from_db()
    assert pending.state == state
    event = pending.events.order_by("-position").first()
    assert event.actor == client.service_user
    assert (event.actor_client_id, event.actor_client_name) == (client.pk, "Hospital DAC")
    assert services.audit_log_verify().ok


def test_the_committee_sees_its_publishers_requests_not_drafts(committee, researcher, restricted):
    draft = services.access_request_create(
        requester=researcher,
        dataset=restricted,
        purpose="We study how soil moisture changes crop yields in Bavaria.",
        accept_licence=True,
        submit=False,
    )
    client, secret = committee
    api = partner_api(client, secret)
    assert api.get(f"{URL}{draft.pk}/").status_code == 404
    assert api.get(URL).json()["count"] == 0


def test_a_second_decision_is_a_conflict(committee, pending):
    client, secret = committee
    api = partner_api(client, secret)
    assert api.post(f"{URL}{pending.pk}/approve/", {}, format="json").status_code == 200
    assert api.post(f"{URL}{pending.pk}/reject/", {"reason": "No."}, format="json").status_code == (
        409
    )


# --- decisions only by the partner ----------------------------------------------------------


@pytest.fixture
def external(publisher, committee):
    publisher.decisions_by_client = committee[0]
    publisher.full_clean()
    publisher.save()
    return committee


def test_stewards_see_but_do_not_decide_when_the_publisher_names_a_partner(
    external, pending, steward_client
):
    assert steward_client.get(f"{URL}{pending.pk}/").status_code == 200
    events_before = AccessEvent.objects.count()
    for decision, payload in (
        ("approve", {}),
        ("reject", {"reason": "No."}),
        ("return", {"comment": "More."}),
    ):
        response = steward_client.post(f"{URL}{pending.pk}/{decision}/", payload, format="json")
        assert response.status_code == 403
        error = response.json()["error"]
        assert "Hospital DAC" in error["message"]
        assert error["rule"] == "decisions_by_client"
    assert AccessEvent.objects.count() == events_before
    assert AccessRequest.objects.get(pk=pending.pk).state == RequestState.SUBMITTED

    client, secret = external
    response = partner_api(client, secret).post(f"{URL}{pending.pk}/approve/", {}, format="json")
    assert response.status_code == 200


def test_another_partner_of_the_publisher_cannot_decide_either(external, publisher, pending):
    other, secret = partner_client("Second DAC", scopes=("access:decide",), publishers=[publisher])
    response = partner_api(other, secret).post(f"{URL}{pending.pk}/approve/", {}, format="json")
    assert response.status_code == 403
    assert "Hospital DAC" in response.json()["error"]["message"]


def test_a_superuser_is_held_to_the_rule_too(external, pending):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    with pytest.raises(services.NotAllowedError, match="Hospital DAC"):
        services.access_request_approve(user=root, request=pending)


def test_stewards_may_still_revoke_an_approved_access(external, pending, steward_client):
    client, secret = external
    partner_api(client, secret).post(f"{URL}{pending.pk}/approve/", {}, format="json")
    response = steward_client.post(
        f"{URL}{pending.pk}/revoke/", {"reason": "Terms breached."}, format="json"
    )
    assert response.status_code == 200


def test_the_admin_hides_the_decision_buttons(external, pending, admin_steward, client):
    client.force_login(admin_steward)
    page = client.get(f"/admin/access/accessrequest/{pending.pk}/change/").content.decode()
    assert f"/admin/access/accessrequest/{pending.pk}/approve/" not in page
    assert f"/admin/access/accessrequest/{pending.pk}/reject/" not in page
    # And a POST made anyway is refused by the service.
    client.post(f"/admin/access/accessrequest/{pending.pk}/approve/", {"comment": ""})
    assert AccessRequest.objects.get(pk=pending.pk).state == RequestState.SUBMITTED


def test_the_admin_shows_the_buttons_without_the_rule(pending, admin_steward, client):
    client.force_login(admin_steward)
    page = client.get(f"/admin/access/accessrequest/{pending.pk}/change/").content.decode()
    assert f"/admin/access/accessrequest/{pending.pk}/approve/" in page


def test_only_a_deciding_client_of_the_publisher_can_be_named(publisher):
    stranger, _ = partner_client("Stranger", scopes=("access:decide",))
    publisher.decisions_by_client = stranger
    with pytest.raises(ValidationError, match="partner clients"):
        publisher.full_clean()
    submitter, _ = partner_client("Office", scopes=("access:request",), publishers=[publisher])
    publisher.decisions_by_client = submitter
    with pytest.raises(ValidationError, match="access:decide"):
        publisher.full_clean()


# --- the audit chain --------------------------------------------------------------------------


def test_changing_the_recorded_client_breaks_the_chain(committee, pending):
    client, secret = committee
    partner_api(client, secret).post(f"{URL}{pending.pk}/approve/", {}, format="json")
    assert services.audit_log_verify().ok
    event = AccessEvent.objects.filter(actor_client=client).get()
    table = AccessEvent._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # as tests/access/test_lifecycle.py does
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER access_event_append_only")
        cursor.execute(
            f"UPDATE {table} SET actor_client_name = %s WHERE id = %s", ["Someone", event.pk]
        )
    result = services.audit_log_verify()
    assert not result.ok and result.broken_position == event.position
    assert AuditHead.objects.get().position >= event.position


def test_events_of_people_hash_as_before(pending):
    """Events without a client hash exactly as before partner clients existed."""
    event = pending.events.first()
    assert event.actor_client_id is None
    assert services.audit_log_verify().ok
