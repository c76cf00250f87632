"""Who may do what on every access-request endpoint.

What a caller may not see answers 404 (a researcher never learns that another's request exists;
a steward of one publisher cannot read another's); what they see but may not do answers 403;
without credentials, 401. A refused call changes nothing and records no event.
"""

from __future__ import annotations

import uuid

import pytest
from rest_framework.test import APIClient

from access import services
from access.models import AccessEvent, AccessRequest
from catalogue.models import AccessRights
from tests.access.factories import PURPOSE
from tests.accounts.factories import UserFactory, token_client
from tests.catalogue.factories import DatasetFactory, PublisherFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/access-requests/"
ACTORS = ("owner", "other_researcher", "steward", "other_steward", "anonymous")

# endpoint -> (HTTP method, path after the request id or None for the collection,
#              state the request is put in first, body)
ENDPOINTS = {
    "list": ("get", None, "submitted", None),
    "create": ("post", None, None, {}),
    "detail": ("get", "", "submitted", None),
    "events": ("get", "events/", "submitted", None),
    "patch": ("patch", "", "returned", {"project_title": "SoilNet"}),
    "submit": ("post", "submit/", "draft", {}),
    "approve": ("post", "approve/", "submitted", {"comment": "Fine."}),
    "reject": ("post", "reject/", "submitted", {"reason": "Out of scope."}),
    "return": ("post", "return/", "submitted", {"comment": "Name the project."}),
    "withdraw": ("post", "withdraw/", "submitted", {}),
    "revoke": ("post", "revoke/", "approved", {"reason": "Terms breached."}),
}

RESEARCHER_ACTION = {"owner": 200, "steward": 403}
STEWARD_ACTION = {"owner": 403, "steward": 200}
EXPECTED = {
    "list": {"owner": 200, "other_researcher": 200, "steward": 200, "other_steward": 200},
    "create": {"owner": 201, "other_researcher": 201, "steward": 201, "other_steward": 201},
    "detail": {"owner": 200, "steward": 200},
    "events": {"owner": 200, "steward": 200},
    "patch": RESEARCHER_ACTION,
    # A draft is the researcher's own: stewards do not see it until it is submitted.
    "submit": {"owner": 200},
    "approve": STEWARD_ACTION,
    "reject": STEWARD_ACTION,
    "return": STEWARD_ACTION,
    "withdraw": RESEARCHER_ACTION,
    "revoke": STEWARD_ACTION,
}
# How many requests each actor sees in the list (the one made for the test, or none).
LIST_COUNT = {"owner": 1, "other_researcher": 0, "steward": 1, "other_steward": 0}


def expected_status(endpoint: str, actor: str) -> int:
    if actor == "anonymous":
        return 401
    # Anyone else who cannot see the request: 404, exactly as for a request that does not exist.
    return EXPECTED[endpoint].get(actor, 404)


def client_for(user) -> APIClient:
    return token_client(user) if user is not None else APIClient()


@pytest.fixture
def world(steward, publisher):
    owner = UserFactory(username="owner")
    other_steward = UserFactory(username="other-steward")
    PublisherFactory(slug="elsewhere").stewards.add(other_steward)
    users = {
        "owner": owner,
        "other_researcher": UserFactory(username="other-researcher"),
        "steward": steward,
        "other_steward": other_steward,
        "anonymous": None,
    }
    dataset = DatasetFactory(publisher=publisher, access_rights=AccessRights.RESTRICTED)
    return users, dataset


def put_in_state(state: str, *, owner, steward, dataset) -> AccessRequest:
    request = services.access_request_create(
        requester=owner,
        dataset=dataset,
        purpose=PURPOSE,
        accept_licence=True,
        submit=state != "draft",
    )
    if state == "returned":
        services.access_request_return(user=steward, request=request, comment="Say more.")
    elif state == "approved":
        services.access_request_approve(user=steward, request=request)
    return request


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_permission_matrix(world, publisher, endpoint, actor):
    users, dataset = world
    method, suffix, state, body = ENDPOINTS[endpoint]
    request = None
    if state is not None:
        request = put_in_state(
            state, owner=users["owner"], steward=users["steward"], dataset=dataset
        )
    if endpoint == "create":
        # A fresh dataset of the same publisher: any signed-in account may request it.
        fresh = DatasetFactory(publisher=publisher, access_rights=AccessRights.RESTRICTED)
        body = {"dataset": str(fresh.pk), "purpose": PURPOSE, "accept_licence": True}
    url = URL if suffix is None else f"{URL}{request.pk}/{suffix}"
    events_before = AccessEvent.objects.count()

    client = client_for(users[actor])
    call = getattr(client, method)
    response = call(url, body, format="json") if body is not None else call(url)

    expected = expected_status(endpoint, actor)
    assert response.status_code == expected, (endpoint, actor, response.json())
    if expected >= 400:
        assert set(response.json()) == {"error"}
        assert AccessEvent.objects.count() == events_before  # nothing happened
        if request is not None:
            assert AccessRequest.objects.get(pk=request.pk).state == state
    if expected == 401:
        assert response["WWW-Authenticate"] == "Token"
    if endpoint == "list" and expected == 200:
        assert response.json()["count"] == LIST_COUNT[actor]


@pytest.mark.parametrize("actor", ["other_researcher", "other_steward"])
def test_another_persons_request_looks_exactly_like_one_that_does_not_exist(world, actor):
    users, dataset = world
    request = put_in_state(
        "submitted", owner=users["owner"], steward=users["steward"], dataset=dataset
    )
    client = client_for(users[actor])
    hidden = client.get(f"{URL}{request.pk}/").json()["error"]
    missing_id = uuid.uuid4()
    missing = client.get(f"{URL}{missing_id}/").json()["error"]
    assert hidden["code"] == missing["code"] == "not_found"
    assert hidden["message"].replace(str(request.pk), "") == missing["message"].replace(
        str(missing_id), ""
    )


def test_filtering_by_another_publisher_reveals_nothing(world):
    users, dataset = world
    put_in_state("submitted", owner=users["owner"], steward=users["steward"], dataset=dataset)
    client = client_for(users["other_steward"])
    assert client.get(URL, {"publisher": "bauer-agrar"}).json()["count"] == 0
    assert client.get(URL, {"dataset": dataset.slug}).json()["count"] == 0


def test_a_session_works_like_a_token(world, client):
    users, dataset = world
    request = put_in_state(
        "submitted", owner=users["owner"], steward=users["steward"], dataset=dataset
    )
    client.force_login(users["owner"])
    assert client.get(f"{URL}{request.pk}/").status_code == 200


def test_a_superuser_sees_every_request(world):
    users, dataset = world
    request = put_in_state(
        "submitted", owner=users["owner"], steward=users["steward"], dataset=dataset
    )
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    assert client_for(admin).get(f"{URL}{request.pk}/").status_code == 200
