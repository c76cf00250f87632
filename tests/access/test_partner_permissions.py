"""Who may do what, for partner clients: scope x endpoint x organisation.

A partner token reaches an endpoint only with one of the scopes the endpoint declares (else
403 naming the scope); behind it, the client's organisations decide, exactly as stewardship does
for people: another publisher's request or dataset answers 404, creating for another publisher
403, and a refused call changes nothing and records no event.
"""

from __future__ import annotations

import pytest

from access import services
from access.models import AccessEvent, AccessRequest, Grant
from catalogue.models import AccessRights, Dataset, Distribution
from tests.access.factories import PURPOSE
from tests.accounts.factories import partner_api, partner_client
from tests.catalogue.factories import DatasetFactory, PublisherFactory, file_distribution

pytestmark = pytest.mark.django_db

URL = "/api/v1/access-requests/"
RESEARCHER = {"email": "ada@tum.example", "name": "Ada Lovelace", "affiliation": "TU Munich"}

# name -> (scopes, bound to the dataset's publisher X, or to another publisher Y)
PARTNERS = {
    "submitter": (("access:request",), None),
    "decider_x": (("access:decide",), "x"),
    "decider_y": (("access:decide",), "y"),
    "writer_x": (("catalogue:write",), "x"),
    "reader_x": (("grants:read",), "x"),
    "all_y": (("catalogue:write", "access:request", "access:decide", "grants:read"), "y"),
}

# endpoint -> (method, path after the request id (None: the collection), state first, body)
ENDPOINTS = {
    "list": ("get", None, "submitted", None),
    "create": ("post", None, None, {}),
    "detail": ("get", "", "submitted", None),
    "events": ("get", "events/", "submitted", None),
    "approve": ("post", "approve/", "submitted", {"comment": "Committee agreed."}),
    "reject": ("post", "reject/", "submitted", {"reason": "Committee refused."}),
    "return": ("post", "return/", "submitted", {"comment": "Name the project."}),
    "patch": ("patch", "", "returned", {"project_title": "SoilNet"}),
    "submit": ("post", "submit/", "returned", {}),
    "withdraw": ("post", "withdraw/", "submitted", {}),
    "revoke": ("post", "revoke/", "approved", {"reason": "Terms breached."}),
    "comments": ("get", "comments/", "submitted", None),
    "reviewers": ("get", "reviewers/", "submitted", None),
    "export": ("get", "export/", "submitted", None),
}

FOLLOWERS = {"submitter": 200, "decider_x": 200, "decider_y": 404, "all_y": 404}
DECIDERS = {"decider_x": 200, "decider_y": 404, "all_y": 404}
EXPECTED = {
    "list": {"submitter": 200, "decider_x": 200, "decider_y": 200, "all_y": 200},
    "create": {"submitter": 201, "all_y": 201},
    "detail": FOLLOWERS,
    "events": FOLLOWERS,
    "approve": DECIDERS,
    "reject": DECIDERS,
    "return": DECIDERS,
}
LIST_COUNT = {"submitter": 1, "decider_x": 1, "decider_y": 0, "all_y": 0}


def expected_status(endpoint: str, actor: str) -> int:
    # Without a scope the endpoint names (or on an endpoint that names none): 403.
    return EXPECTED.get(endpoint, {}).get(actor, 403)


@pytest.fixture
def world(steward, publisher):
    other = PublisherFactory(slug="rival-farms")
    bound = {"x": [publisher], "y": [other], None: []}
    clients = {
        name: partner_client(name, scopes=scopes, publishers=bound[where])
        for name, (scopes, where) in PARTNERS.items()
    }
    dataset = DatasetFactory(publisher=publisher, access_rights=AccessRights.RESTRICTED)
    return clients, dataset


def submit_for_researcher(clients, dataset) -> AccessRequest:
    response = partner_api(*clients["submitter"]).post(
        URL,
        {
            "dataset": str(dataset.pk),
            "purpose": PURPOSE,
            "accept_licence": True,
            "on_behalf_of": RESEARCHER,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    return AccessRequest.objects.get(pk=response.json()["id"])


def put_in_state(state, *, clients, steward, dataset) -> AccessRequest:
    request = submit_for_researcher(clients, dataset)
    if state == "returned":
        services.access_request_return(user=steward, request=request, comment="Say more.")
    elif state == "approved":
        services.access_request_approve(user=steward, request=request)
    request.refresh_from_db()
    return request


@pytest.mark.parametrize("actor", PARTNERS)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_partner_permission_matrix(world, steward, publisher, endpoint, actor):
    clients, dataset = world
    method, suffix, state, body = ENDPOINTS[endpoint]
    request = None
    if state is not None:
        request = put_in_state(state, clients=clients, steward=steward, dataset=dataset)
    if endpoint == "create":
        fresh = DatasetFactory(publisher=publisher, access_rights=AccessRights.RESTRICTED)
        body = {
            "dataset": str(fresh.pk),
            "purpose": PURPOSE,
            "accept_licence": True,
            "on_behalf_of": RESEARCHER,
        }
    url = URL if suffix is None else f"{URL}{request.pk}/{suffix}"
    if endpoint == "export":  # a collection action
        url = f"{URL}export/"
    events_before = AccessEvent.objects.count()

    api = partner_api(*clients[actor])
    call = getattr(api, method)
    response = call(url, body, format="json") if body is not None else call(url)

    expected = expected_status(endpoint, actor)
    assert response.status_code == expected, (endpoint, actor, response.content)
    if expected >= 400:
        assert set(response.json()) == {"error"}
        assert AccessEvent.objects.count() == events_before
        if request is not None:
            assert AccessRequest.objects.get(pk=request.pk).state == request.state
    if expected == 403:
        assert (
            "scope" in response.json()["error"]["message"]
            or "Partner clients" in (response.json()["error"]["message"])
        )
    if endpoint == "list" and expected == 200:
        assert response.json()["count"] == LIST_COUNT[actor]


# --- grants ---------------------------------------------------------------------------------------


@pytest.fixture
def granted(world, steward):
    """An approved request submitted by 'submitter', with its grant (provisioned in-process)."""
    clients, dataset = world
    file_distribution(dataset)
    request = put_in_state("approved", clients=clients, steward=steward, dataset=dataset)
    services.grant_provision(access_request_id=request.pk)
    return clients, Grant.objects.get(access_request=request)


@pytest.mark.parametrize(
    ("scopes", "where", "status", "count", "links"),
    [
        (("grants:read",), "x", 200, 1, False),  # the publisher's: reads, no links
        (("grants:read",), "y", 200, 0, False),  # another publisher's: nothing
        (("access:decide",), "x", 403, None, False),  # no grants:read
    ],
)
def test_grants_are_read_by_the_publishers_clients_without_links(
    granted, publisher, scopes, where, status, count, links
):
    _, grant = granted
    bound = [publisher] if where == "x" else [PublisherFactory(slug="rival-farms")]
    api = partner_api(*partner_client("reader", scopes=scopes, publishers=bound))
    response = api.get("/api/v1/grants/")
    assert response.status_code == status
    if status == 200:
        assert response.json()["count"] == count
        for item in response.json()["results"]:
            assert item["files"] == [] and item["token"] is None
        detail = api.get(f"/api/v1/grants/{grant.pk}/")
        assert detail.status_code == (200 if count else 404)


def test_the_submitting_client_with_grants_read_gets_the_researchers_links(world, steward):
    clients, dataset = world
    file_distribution(dataset)
    client, secret = partner_client(
        "staging", scopes=("access:request", "grants:read"), publishers=()
    )
    clients = {**clients, "submitter": (client, secret)}
    request = put_in_state("approved", clients=clients, steward=steward, dataset=dataset)
    services.grant_provision(access_request_id=request.pk)
    body = partner_api(client, secret).get("/api/v1/grants/").json()
    assert body["count"] == 1
    (item,) = body["results"]
    assert item["files"] and item["files"][0]["download_url"]
    assert item["token"]


# --- catalogue writes -----------------------------------------------------------------------------


def dataset_body(publisher_slug: str, title: str = "Partner dataset") -> dict:
    return {
        "title": title,
        "description": "Synced from the partner's own catalogue.",
        "publisher": publisher_slug,
        "data_space": "agriculture",
        "licence": "CC-BY-4.0",
        "access_rights": "RESTRICTED",
    }


@pytest.mark.parametrize(
    ("actor", "target", "status"),
    [
        ("writer_x", "x", 201),
        ("writer_x", "y", 403),
        ("all_y", "y", 201),
        ("all_y", "x", 403),
        ("decider_x", "x", 403),
        ("submitter", "x", 403),
    ],
)
def test_dataset_creation_is_bound_to_the_clients_publishers(world, actor, target, status):
    clients, dataset = world
    slug = dataset.publisher.slug if target == "x" else "rival-farms"
    before = Dataset.objects.count()
    response = partner_api(*clients[actor]).post(
        "/api/v1/datasets/", dataset_body(slug), format="json"
    )
    assert response.status_code == status, response.content
    assert Dataset.objects.count() == before + (status == 201)


@pytest.mark.parametrize(
    ("actor", "status"),
    [("writer_x", 200), ("all_y", 404), ("decider_x", 403), ("reader_x", 403)],
)
def test_dataset_edits_and_files_are_bound_to_the_clients_publishers(world, actor, status):
    clients, dataset = world
    api = partner_api(*clients[actor])
    response = api.patch(f"/api/v1/datasets/{dataset.pk}/", {"title": "Renamed"}, format="json")
    assert response.status_code == status, response.content
    dataset.refresh_from_db()
    assert (dataset.title == "Renamed") is (status == 200)

    upload = api.post(
        f"/api/v1/datasets/{dataset.pk}/distributions/",
        {"file": _csv(), "title": "Readings"},
        format="multipart",
    )
    assert upload.status_code == (201 if status == 200 else status), upload.content
    assert Distribution.objects.filter(dataset=dataset).exists() is (status == 200)


def _csv():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("readings.csv", b"a,b\n1,2\n", content_type="text/csv")


@pytest.mark.parametrize("actor", PARTNERS)
def test_every_partner_reads_the_public_catalogue(world, actor):
    clients, dataset = world
    api = partner_api(*clients[actor])
    assert api.get("/api/v1/datasets/").status_code == 200
    assert api.get(f"/api/v1/datasets/{dataset.pk}/").status_code == 200
    assert api.get("/api/v1/publishers/").status_code == 200


POLICY = {
    "name": "TU Munich researchers, 90 days",
    "conditions": [{"kind": "affiliation", "values": ["TU Munich"]}],
    "effect": "approve",
    "validity_days": 90,
}


@pytest.mark.parametrize(
    ("actor", "status"),
    [("decider_x", 201), ("decider_y", 404), ("writer_x", 403), ("submitter", 403)],
)
def test_policies_are_managed_by_the_publishers_deciding_clients(world, publisher, actor, status):
    """A committee that decides in its own system may also let a policy decide for it: with
    access:decide for the publisher; another publisher's client is told the publisher is not
    found, a client without the scope that the scope is missing."""
    clients, _dataset = world
    api = partner_api(*clients[actor])
    response = api.post("/api/v1/policies/", {**POLICY, "publisher": publisher.slug}, format="json")
    assert response.status_code == status, response.json()
    if status == 201:
        listed = api.get("/api/v1/policies/").json()
        assert [p["id"] for p in listed["results"]] == [response.json()["id"]]
        evaluated = api.post(
            f"/api/v1/policies/{response.json()['id']}/evaluate/",
            {
                "dataset": str(_dataset.pk),
                "purpose": PURPOSE,
                "accept_licence": True,
                "on_behalf_of": {"email": "ada@tum.example", "affiliation": "TU Munich"},
            },
            format="json",
        )
        assert evaluated.status_code == 200, evaluated.json()
        assert evaluated.json()["would"] == "approve"
