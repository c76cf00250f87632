"""A partner client (access:request) submits requests for researchers: the account is found by
verified address or made (unverified, no password, claimable by e-mail), the request names the
client, the events name the client as actor, and the researcher is told by e-mail."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail

from access import services
from access.models import AccessEvent, AccessRequest, Notification
from accounts.selectors import email_is_verified
from catalogue.models import AccessRights
from tests.access.factories import PURPOSE
from tests.accounts.factories import UserFactory, partner_api, partner_client, token_client
from tests.catalogue.factories import DatasetFactory

pytestmark = pytest.mark.django_db
User = get_user_model()
URL = "/api/v1/access-requests/"
NEW_PASSWORD = "a long and new passphrase 2026"


@pytest.fixture
def office():
    """TU Munich's research office: submits for its own researchers only."""
    return partner_client(
        "TUM Research Office", scopes=("access:request",), research_organisation="TU Munich"
    )


def body(dataset, **researcher) -> dict:
    return {
        "dataset": str(dataset.pk),
        "purpose": PURPOSE,
        "accept_licence": True,
        "on_behalf_of": {
            "email": "ada@tum.example",
            "name": "Ada Lovelace",
            "affiliation": "TU Munich",
            **researcher,
        },
    }


def test_a_new_researcher_gets_an_unverified_claimable_account_and_a_submitted_request(
    office, restricted
):
    client, secret = office
    response = partner_api(client, secret).post(URL, body(restricted), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["state"] == "submitted"
    assert data["submitted_by_client"] == {"id": str(client.pk), "name": "TUM Research Office"}
    assert data["affiliation"] == "TU Munich"

    researcher = User.objects.get(email="ada@tum.example")
    assert researcher.get_full_name() == "Ada Lovelace"
    assert not researcher.has_usable_password()
    assert not researcher.is_staff
    assert not email_is_verified(user=researcher)  # the partner vouched; the address is not
    request = AccessRequest.objects.get(pk=data["id"])
    assert request.requester == researcher
    assert request.submitted_by_client == client

    # Every event names the client's service user and the client itself.
    events = list(request.events.order_by("position"))
    assert [e.action for e in events] == ["created", "submitted"]
    for event in events:
        assert event.actor == client.service_user
        assert event.actor_client_id == client.pk
        assert event.actor_client_name == "TUM Research Office"
    assert services.audit_log_verify().ok

    # The researcher is told, through the outbox, how to claim the account.
    (notice,) = Notification.objects.filter(recipient="ada@tum.example")
    assert "TUM Research Office" in notice.subject
    assert "/accounts/password/reset/" in notice.body


def test_the_events_api_names_the_client(office, restricted):
    client, secret = office
    api = partner_api(client, secret)
    request_id = api.post(URL, body(restricted), format="json").json()["id"]
    events = api.get(f"{URL}{request_id}/events/").json()["results"]
    assert {e["actor_client"]["name"] for e in events} == {"TUM Research Office"}


def test_an_existing_verified_researcher_is_found_case_insensitively(office, restricted):
    UserFactory(username="ada", email="ada@tum.example")
    client, secret = office
    response = partner_api(client, secret).post(
        URL, body(restricted, email="ADA@tum.example"), format="json"
    )
    assert response.status_code == 201
    assert response.json()["requester"] == "ada"
    assert User.objects.filter(email__iexact="ada@tum.example").count() == 1
    (notice,) = Notification.objects.filter(recipient="ada@tum.example")
    assert "/accounts/password/reset/" not in notice.body  # nothing to claim


def test_the_verified_holder_of_an_address_wins_over_an_unverified_one(office, restricted):
    UserFactory(username="squatter", email="ada@tum.example", email_verified=False)
    owner = UserFactory(username="ada-real", email="other@tum.example")
    EmailAddress.objects.create(user=owner, email="ada@tum.example", verified=True)
    client, secret = office
    response = partner_api(client, secret).post(URL, body(restricted), format="json")
    assert response.json()["requester"] == "ada-real"


def test_an_unverified_account_holding_the_address_is_reused_but_its_credentials_stop(
    office, restricted
):
    """Someone signed up with Ada's address and never verified it: the request goes to that
    account, but only whoever reads Ada's mailbox can use it (password reset, verification)."""
    squatter = UserFactory(username="squatter", email="ada@tum.example", email_verified=False)
    api = token_client(squatter)
    client, secret = office
    response = partner_api(client, secret).post(URL, body(restricted), format="json")
    assert response.json()["requester"] == "squatter"
    squatter.refresh_from_db()
    assert not squatter.has_usable_password()
    assert api.get(URL).status_code == 401  # its API token was revoked


def test_a_second_request_for_the_same_researcher_and_dataset_is_a_conflict(office, restricted):
    client, secret = office
    api = partner_api(client, secret)
    assert api.post(URL, body(restricted), format="json").status_code == 201
    response = api.post(URL, body(restricted), format="json")
    assert response.status_code == 409
    assert AccessRequest.objects.count() == 1


def test_the_orcid_is_checked_and_kept(office, restricted):
    client, secret = office
    response = partner_api(client, secret).post(
        URL, body(restricted, orcid="https://orcid.org/0000-0002-1825-0097"), format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["requester_orcid"] == "0000-0002-1825-0097"


@pytest.mark.parametrize(
    ("researcher", "status", "field"),
    [
        ({"email": "not-an-address"}, 400, "on_behalf_of"),
        ({"email": "ada@tum.example\u0000"}, 400, None),
        ({"orcid": "0000-0002-1825-0098"}, 400, "on_behalf_of.orcid"),  # bad check digit
        ({"orcid": "0000-0002-1825-009"}, 400, "on_behalf_of.orcid"),
        ({"orcid": "\u0660\u0660\u0660\u0660-0002-1825-0097"}, 400, "on_behalf_of.orcid"),
        ({"affiliation": "LMU Munich"}, 403, "on_behalf_of.affiliation"),
        ({"affiliation": ""}, 400, "on_behalf_of"),
        ({"password": "x"}, 400, "on_behalf_of"),  # unknown field
    ],
)
def test_bad_researcher_details_are_refused_and_nothing_is_written(
    office, restricted, researcher, status, field
):
    client, secret = office
    response = partner_api(client, secret).post(URL, body(restricted, **researcher), format="json")
    assert response.status_code == status, response.json()
    if field:
        assert field in response.json()["error"]["fields"], response.json()
    assert not AccessRequest.objects.exists()
    assert not User.objects.filter(email__icontains="ada").exists()
    assert not AccessEvent.objects.exists()


def test_the_affiliation_matches_the_organisation_whatever_the_case_and_spacing(office, restricted):
    client, secret = office
    response = partner_api(client, secret).post(
        URL, body(restricted, affiliation="  tu   MUNICH "), format="json"
    )
    assert response.status_code == 201


def test_a_client_without_an_organisation_submits_for_any_affiliation(restricted):
    client, secret = partner_client("Compute centre", scopes=("access:request",))
    response = partner_api(client, secret).post(
        URL, body(restricted, affiliation="Anywhere"), format="json"
    )
    assert response.status_code == 201


def test_on_behalf_of_sent_by_a_person_is_refused(researcher, restricted):
    response = token_client(researcher).post(URL, body(restricted), format="json")
    assert response.status_code == 403
    assert "partner clients" in response.json()["error"]["message"]
    assert not AccessRequest.objects.exists()


def test_a_partner_must_name_the_researcher(office, restricted):
    client, secret = office
    payload = body(restricted)
    del payload["on_behalf_of"]
    response = partner_api(client, secret).post(URL, payload, format="json")
    assert response.status_code == 400
    assert "on_behalf_of" in response.json()["error"]["fields"]


@pytest.mark.parametrize(
    "extra", [{"draft": True}, {"affiliation": "TU Munich"}, {"on_behalf_of": ["x"]}]
)
def test_drafts_and_top_level_affiliation_are_refused_for_partners(office, restricted, extra):
    client, secret = office
    response = partner_api(client, secret).post(URL, {**body(restricted), **extra}, format="json")
    assert response.status_code == 400, response.json()
    assert not AccessRequest.objects.exists()


def test_a_public_dataset_is_approved_at_once_for_the_researcher(office):
    dataset = DatasetFactory(access_rights=AccessRights.PUBLIC)
    client, secret = office
    response = partner_api(client, secret).post(URL, body(dataset), format="json")
    assert response.json()["state"] == "approved"


def test_the_partner_lists_only_what_it_submitted(office, restricted, researcher):
    services.access_request_create(
        requester=researcher, dataset=restricted, purpose=PURPOSE, accept_licence=True
    )
    client, secret = office
    api = partner_api(client, secret)
    mine = api.post(URL, body(restricted), format="json").json()["id"]
    listed = api.get(URL).json()
    assert [item["id"] for item in listed["results"]] == [mine]


def test_the_researcher_claims_the_account_by_password_reset_and_verification(
    office, restricted, client
):
    api_client, secret = office
    partner_api(api_client, secret).post(URL, body(restricted), format="json")
    researcher = User.objects.get(email="ada@tum.example")
    mail.outbox.clear()

    def link_in(message) -> str:
        return re.search(r"https?://[^\s]+", message.body).group(0).split("testserver", 1)[-1]

    assert client.post("/accounts/password/reset/", {"email": "ada@tum.example"}).status_code == 302
    (reset,) = mail.outbox
    set_password = client.get(link_in(reset))
    client.post(set_password["Location"], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    researcher.refresh_from_db()
    assert researcher.check_password(NEW_PASSWORD)

    # Signing in sends the verification link; following it verifies the address.
    mail.outbox.clear()
    client.post("/accounts/login/", {"login": "ada@tum.example", "password": NEW_PASSWORD})
    confirm = link_in(mail.outbox[-1])
    assert client.post(confirm).status_code == 302
    assert email_is_verified(user=researcher)
    # The request the partner made is theirs, in their own list.
    assert token_client(researcher).get(URL).json()["count"] == 1
