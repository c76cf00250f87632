"""Renewal (a new request linked to the approved one), relinquish (the grantee ends their own
grant) and the CSV export of requests."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import IntegrityError, transaction

from access import services
from access.models import AccessRequest, Grant, GrantState, Notification, RequestState
from catalogue.models import AccessRights
from delivery.services import download_links
from tests.access.factories import PURPOSE, submitted_request
from tests.accounts.factories import UserFactory, token_client
from tests.catalogue.factories import DatasetFactory, file_distribution

API = "/api/v1/access-requests"


def renew(client, request, **body):
    return client.post(
        f"{API}/{request.pk}/renew/", {"accept_licence": True, **body}, format="json"
    )


@pytest.fixture
def link_path():
    def path(grant):
        from urllib.parse import urlsplit

        parts = urlsplit(download_links(grant)[0].url)
        return f"{parts.path}?{parts.query}"

    return path


# --- renewal --------------------------------------------------------------------------------


def test_renewal_is_a_prefilled_linked_submitted_request(
    researcher_client, steward_client, approved, grant, restricted_file
):
    response = renew(researcher_client, approved, duration_days=30)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["renewal_of"] == str(approved.pk)
    assert body["state"] == "submitted"
    assert body["purpose"] == approved.purpose and body["duration_days"] == 30
    assert body["whole_dataset"] is False
    assert body["distributions"] == [str(restricted_file.pk)]
    # The steward sees it is a renewal, in the queue and by e-mail.
    queue = steward_client.get(f"{API}/", {"state": "submitted"}).json()["results"]
    assert [row["renewal_of"] for row in queue] == [str(approved.pk)]
    renewal = AccessRequest.objects.get(pk=body["id"])
    assert Notification.objects.filter(
        event__access_request=renewal, subject__contains="Renewal requested"
    ).exists()
    # The old grant keeps working until the decision.
    grant.refresh_from_db()
    assert grant.state == GrantState.ACTIVE


def test_approving_the_renewal_closes_the_old_grant_in_the_same_transaction(
    api_client, researcher_client, steward, approved, grant, link_path
):
    old_link = link_path(grant)
    renewal = AccessRequest.objects.get(pk=renew(researcher_client, approved).json()["id"])
    assert api_client.get(old_link).status_code == 200  # still works while pending
    services.access_request_approve(user=steward, request=renewal)
    approved.refresh_from_db()
    grant.refresh_from_db()
    assert approved.state == RequestState.SUPERSEDED
    assert grant.state == GrantState.SUPERSEDED
    assert approved.events.filter(action="superseded").exists()
    assert api_client.get(old_link).status_code == 403
    new_grant = services.grant_provision(access_request_id=renewal.pk)
    assert new_grant.state == GrantState.ACTIVE
    assert api_client.get(link_path(new_grant)).status_code == 200
    assert services.audit_log_verify().ok


@pytest.mark.parametrize("ending", ["reject", "withdraw"])
def test_a_rejected_or_withdrawn_renewal_leaves_the_old_grant_running(
    researcher, researcher_client, steward, approved, grant, ending
):
    renewal = AccessRequest.objects.get(pk=renew(researcher_client, approved).json()["id"])
    if ending == "reject":
        services.access_request_reject(user=steward, request=renewal, reason="Not needed.")
    else:
        services.access_request_withdraw(user=researcher, request=renewal)
    approved.refresh_from_db()
    grant.refresh_from_db()
    assert (approved.state, grant.state) == (RequestState.APPROVED, GrantState.ACTIVE)
    # ...and another renewal may be asked for afterwards.
    assert renew(researcher_client, approved).status_code == 201


def test_a_second_renewal_while_one_is_open_is_a_conflict(researcher_client, approved, grant):
    first = renew(researcher_client, approved)
    second = renew(researcher_client, approved)
    assert second.status_code == 409
    assert second.json()["error"]["existing_request"] == first.json()["id"]


def test_the_database_allows_one_open_renewal_beside_the_approval(approved, grant, researcher):
    renewal = services.access_request_renew(user=researcher, request=approved, accept_licence=True)
    duplicate = AccessRequest(
        requester=researcher, dataset=approved.dataset, renews=approved, purpose=PURPOSE,
        duration_days=10, licence_version=renewal.licence_version,
        licence_accepted_at=renewal.licence_accepted_at, state=RequestState.SUBMITTED,
    )  # fmt: skip
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()
    # A fresh (non-renewal) request beside the approval is still refused by the index.
    fresh = AccessRequest(
        requester=researcher, dataset=approved.dataset, purpose=PURPOSE, duration_days=10,
        licence_version=renewal.licence_version, licence_accepted_at=renewal.licence_accepted_at,
        state=RequestState.SUBMITTED,
    )  # fmt: skip
    with pytest.raises(IntegrityError), transaction.atomic():
        fresh.save()


def test_renewal_of_someone_elses_request_is_404(approved, grant):
    intruder = token_client(UserFactory(username="intruder"))
    assert renew(intruder, approved).status_code == 404


def test_the_steward_cannot_renew_for_the_researcher(steward_client, approved, grant):
    assert renew(steward_client, approved).status_code == 403


def test_renewal_needs_the_current_licence_accepted(researcher_client, approved, grant):
    response = renew(researcher_client, approved, accept_licence=False)
    assert response.status_code == 400
    assert "accept_licence" in response.json()["error"]["fields"]


def test_only_an_approved_request_with_an_active_grant_is_renewed(
    researcher, researcher_client, restricted
):
    submitted = submitted_request(researcher, restricted)
    response = renew(researcher_client, submitted)
    assert response.status_code == 409 and response.json()["error"]["state"] == "submitted"


def test_renewal_of_a_public_dataset_is_approved_at_once(researcher, publisher):
    public = DatasetFactory(publisher=publisher, access_rights=AccessRights.PUBLIC)
    file_distribution(public)
    first = submitted_request(researcher, public)
    services.grant_provision(access_request_id=first.pk)
    renewal = services.access_request_renew(user=researcher, request=first, accept_licence=True)
    first.refresh_from_db()
    assert renewal.state == RequestState.APPROVED
    assert first.state == RequestState.SUPERSEDED
    assert Grant.objects.get(access_request=first).state == GrantState.SUPERSEDED


def test_renewal_shows_in_the_admin(client, admin_steward, researcher, approved, grant):
    renewal = services.access_request_renew(user=researcher, request=approved, accept_licence=True)
    client.force_login(admin_steward)
    listing = client.get("/admin/access/accessrequest/").content.decode()
    assert "Renewal of" in listing
    page = client.get(f"/admin/access/accessrequest/{renewal.pk}/change/").content.decode()
    assert "Renewal of" in page and str(approved.pk)[:8] in page


# --- relinquish -----------------------------------------------------------------------------


def test_the_grantee_relinquishes_and_links_stop_at_once(
    api_client, grantee_client, steward, approved, grant, link_path
):
    link = link_path(grant)
    assert api_client.get(link).status_code == 200
    response = grantee_client.post(
        f"/api/v1/grants/{grant.pk}/relinquish/", {"comment": "Project ended."}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "relinquished" and response.json()["files"] == []
    approved.refresh_from_db()
    assert approved.state == RequestState.RELINQUISHED
    assert api_client.get(link).status_code == 403
    event = approved.events.get(action="relinquished")
    assert Notification.objects.filter(event=event, recipient=steward.email).exists()
    assert services.audit_log_verify().ok
    # Twice is a conflict, not a second event.
    again = grantee_client.post(f"/api/v1/grants/{grant.pk}/relinquish/", {}, format="json")
    assert again.status_code == 409


def test_relinquish_of_another_persons_grant_is_404(grant):
    intruder = token_client(UserFactory(username="intruder"))
    assert intruder.post(f"/api/v1/grants/{grant.pk}/relinquish/", {}).status_code == 404


def test_the_steward_cannot_relinquish_for_the_grantee(steward_client, grant):
    response = steward_client.post(f"/api/v1/grants/{grant.pk}/relinquish/", {}, format="json")
    assert response.status_code == 403
    grant.refresh_from_db()
    assert grant.state == GrantState.ACTIVE


# --- export ---------------------------------------------------------------------------------


def rows(response) -> list[dict]:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def requests_of_two_publishers(researcher, restricted, other_dataset):
    mine = submitted_request(researcher, restricted, purpose='=HYPERLINK("http://evil") ' + PURPOSE)
    theirs = submitted_request(UserFactory(username="other"), other_dataset)
    return mine, theirs


def test_export_is_scoped_filtered_and_defused(
    steward_client, researcher_client, requests_of_two_publishers
):
    mine, _theirs = requests_of_two_publishers
    exported = rows(steward_client.get(f"{API}/export/"))
    assert [row["id"] for row in exported] == [str(mine.pk)]
    row = exported[0]
    assert row["purpose"].startswith("'=HYPERLINK")
    assert row["requester_email"] == "researcher@example.org"
    assert row["publisher"] == "Bauer Agrar Institut" and row["state"] == "submitted"
    assert list(row) == [
        "id", "dataset", "publisher", "requester_email", "state", "created", "submitted",
        "deadline", "decided", "decided_by", "valid_until", "renewal_of", "purpose",
    ]  # fmt: skip
    assert rows(steward_client.get(f"{API}/export/", {"state": "approved"})) == []
    assert len(rows(steward_client.get(f"{API}/export/", {"state": "submitted"}))) == 1
    # The researcher gets their own.
    assert [r["id"] for r in rows(researcher_client.get(f"{API}/export/"))] == [str(mine.pk)]
    # Another researcher gets nothing of theirs.
    stranger = token_client(UserFactory(username="stranger"))
    assert rows(stranger.get(f"{API}/export/")) == []
    assert steward_client.get(f"{API}/export/", {"state": "bogus"}).status_code == 400
    assert steward_client.get(f"{API}/export/", {"nope": "1"}).status_code == 400


def test_a_reviewer_does_not_export_the_requests_they_review(steward, requests_of_two_publishers):
    mine, _ = requests_of_two_publishers
    reviewer = UserFactory(username="reviewer")
    services.access_request_reviewer_invite(user=steward, request=mine, reviewer_id=reviewer.pk)
    assert rows(token_client(reviewer).get(f"{API}/export/")) == []


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_formula_start_is_defused(start):
    from core.csv_export import csv_cell

    assert csv_cell(f"{start}1+1") == f"'{start}1+1"
    assert csv_cell("plain") == "plain" and csv_cell(None) == ""


def test_admin_export_honours_the_changelist_filters(
    client, admin_steward, requests_of_two_publishers, steward
):
    mine, _ = requests_of_two_publishers
    client.force_login(admin_steward)
    changelist = client.get("/admin/access/accessrequest/?state__exact=submitted")
    assert b"Export CSV" in changelist.content
    exported = rows(client.get("/admin/access/accessrequest/export/?state__exact=submitted"))
    assert [r["id"] for r in exported] == [str(mine.pk)]
    assert rows(client.get("/admin/access/accessrequest/export/?state__exact=approved")) == []
    searched = rows(client.get("/admin/access/accessrequest/export/?q=nothing-matches-this"))
    assert searched == []
