"""/api/v1/policies/: the publisher's stewards define, change, remove and try policies; anyone
else's policy is a 404; bad input is a 400 naming each field, and nothing is saved; trying a
policy writes nothing."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from access.api.policies import DecisionPolicyViewSet
from access.models import (
    AccessEvent,
    AccessRequest,
    AuditHead,
    DecisionPolicy,
    DecisionPolicyVersion,
    Notification,
    PolicyDecision,
    ReviewInvitation,
)
from catalogue.models import AccessRights
from tests.access.factories import PURPOSE
from tests.access.policy_helpers import make_policy, partner_client, submit
from tests.accounts.factories import UserFactory, token_client
from tests.catalogue.factories import DatasetFactory, PublisherFactory
from tests.core.test_schema import assert_answers_as_declared

pytestmark = pytest.mark.django_db

URL = "/api/v1/policies/"
POLICY_KEYS = {
    "id", "publisher", "dataset", "version", "name", "priority", "active", "conditions",
    "effect", "validity_days", "route_to", "route_role", "created", "modified", "modified_by",
}  # fmt: skip
LMU_ONLY = [{"kind": "email_domain", "domains": ["uni-muenchen.de"]}]


@pytest.fixture(scope="module")
def openapi(django_db_blocker) -> dict:
    from drf_spectacular.generators import SchemaGenerator

    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def error(response) -> dict:
    return response.json()["error"]


def body(**values) -> dict:
    return {"publisher": "bauer-agrar", "name": "LMU researchers", "effect": "approve", **values}


# --- create, read, change, remove -----------------------------------------------------------------


def test_a_steward_creates_a_policy(steward_client, publisher, restricted, openapi):
    response = steward_client.post(
        URL,
        body(dataset="soil-moisture", conditions=LMU_ONLY, validity_days=90, priority=5),
        format="json",
    )
    assert response.status_code == 201, response.json()
    data = assert_answers_as_declared(openapi, URL, "post", response)
    assert set(data) == POLICY_KEYS
    assert response["Location"].endswith(f"{URL}{data['id']}/")
    assert (data["publisher"], data["dataset"], data["version"]) == (
        "bauer-agrar",
        "soil-moisture",
        1,
    )
    assert data["conditions"] == LMU_ONLY and data["validity_days"] == 90
    assert data["modified_by"] == "steward" and data["active"] is True


def test_list_and_retrieve_show_only_the_stewards_publishers(
    steward, publisher, steward_client, openapi
):
    mine = make_policy(steward, publisher, name="Mine")
    rival_steward = UserFactory(username="rival")
    rival = PublisherFactory(slug="rival-farms")
    rival.stewards.add(rival_steward)
    theirs = make_policy(rival_steward, rival, name="Theirs")
    response = steward_client.get(URL)
    page = assert_answers_as_declared(openapi, URL, "get", response)
    assert [row["id"] for row in page["results"]] == [str(mine.pk)]
    assert steward_client.get(f"{URL}{mine.pk}/").status_code == 200
    assert steward_client.get(f"{URL}{theirs.pk}/").status_code == 404


def test_list_filters(steward, publisher, restricted, steward_client):
    wide = make_policy(steward, publisher, name="Wide")
    narrow = make_policy(steward, publisher, name="Narrow", dataset=restricted, active=False)
    other = DatasetFactory(publisher=publisher, slug="other-data")
    make_policy(steward, publisher, name="Other", dataset=other)

    def ids(**params) -> set[str]:
        response = steward_client.get(URL, params)
        assert response.status_code == 200, response.json()
        return {row["id"] for row in response.json()["results"]}

    assert ids(dataset="soil-moisture") == {str(wide.pk), str(narrow.pk)}
    assert ids(active="false") == {str(narrow.pk)}
    assert ids(publisher="bauer-agrar", effect="approve", active="true") >= {str(wide.pk)}
    for bad in ({"dataset": "no-such"}, {"publisher": "no-such"}, {"effect": "deny"}, {"x": 1}):
        assert steward_client.get(URL, bad).status_code == 400, bad


@pytest.mark.parametrize(
    "call",
    [
        lambda c, pk: c.get(f"{URL}{pk}/"),
        lambda c, pk: c.patch(f"{URL}{pk}/", {"name": "Mine now"}, format="json"),
        lambda c, pk: c.delete(f"{URL}{pk}/"),
        lambda c, pk: c.get(f"{URL}{pk}/versions/"),
        lambda c, pk: c.post(f"{URL}{pk}/evaluate/", {"purpose": PURPOSE}, format="json"),
    ],
)
def test_another_publishers_policy_is_a_404(steward_client, call):
    rival_steward = UserFactory(username="rival")
    rival = PublisherFactory(slug="rival-farms")
    rival.stewards.add(rival_steward)
    theirs = make_policy(rival_steward, rival, name="Theirs")
    response = call(steward_client, theirs.pk)
    assert response.status_code == 404 and error(response)["code"] == "not_found"
    theirs.refresh_from_db()
    assert theirs.archived_at is None and theirs.current.name == "Theirs"
    assert theirs.versions.count() == 1


def test_a_researcher_sees_no_policy_and_creates_none(researcher_client, steward, publisher):
    policy = make_policy(steward, publisher)
    assert researcher_client.get(URL).json()["count"] == 0
    assert researcher_client.get(f"{URL}{policy.pk}/").status_code == 404
    response = researcher_client.post(URL, body(), format="json")
    assert response.status_code == 404
    assert DecisionPolicy.objects.count() == 1


def test_anonymous_callers_are_refused(api_client, steward, publisher):
    policy = make_policy(steward, publisher)
    assert api_client.get(URL).status_code == 401
    assert api_client.post(f"{URL}{policy.pk}/evaluate/", {}, format="json").status_code == 401


def test_malformed_ids_are_404s(steward_client):
    for bad in ("not-a-uuid", "1", "%E2%80%AE", "\u0661\u0662"):
        assert steward_client.get(f"{URL}{bad}/").status_code == 404, bad
    # A NUL byte is refused before any view (core.middleware).
    assert steward_client.get(f"{URL}%00/").status_code == 400


def test_a_change_makes_the_next_version_and_versions_lists_them(
    steward, publisher, steward_client, openapi
):
    policy = make_policy(steward, publisher, name="Auto")
    response = steward_client.patch(
        f"{URL}{policy.pk}/", {"conditions": LMU_ONLY, "priority": 1}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["version"] == 2 and response.json()["conditions"] == LMU_ONLY
    again = steward_client.patch(f"{URL}{policy.pk}/", {"priority": 1}, format="json")
    assert again.json()["version"] == 2  # nothing differed: no new version
    path = f"{URL}{{id}}/versions/"
    versions = steward_client.get(f"{URL}{policy.pk}/versions/")
    page = assert_answers_as_declared(openapi, path, "get", versions)
    assert [v["version"] for v in page["results"]] == [2, 1]
    assert page["results"][1]["conditions"] == []


def test_patch_cannot_move_a_policy_to_another_scope(steward, publisher, steward_client):
    policy = make_policy(steward, publisher)
    for change in ({"dataset": "soil-moisture"}, {"publisher": "rival-farms"}, {}):
        response = steward_client.patch(f"{URL}{policy.pk}/", change, format="json")
        assert response.status_code == 400, change
    assert DecisionPolicyVersion.objects.count() == 1


def test_delete_removes_the_policy_from_use_and_keeps_its_versions(
    steward, publisher, steward_client, researcher
):
    policy = make_policy(steward, publisher)
    approved = submit(
        researcher, DatasetFactory(publisher=publisher, access_rights=AccessRights.RESTRICTED)
    )
    assert steward_client.delete(f"{URL}{policy.pk}/").status_code == 204
    assert steward_client.get(f"{URL}{policy.pk}/").status_code == 404
    assert steward_client.delete(f"{URL}{policy.pk}/").status_code == 404
    assert steward_client.get(URL).json()["count"] == 0
    # The decision it made still names its version.
    assert PolicyDecision.objects.get(access_request=approved).policy_version.version == 1
    later = submit(
        researcher, DatasetFactory(publisher=publisher, access_rights=AccessRights.RESTRICTED)
    )
    assert later.state == "submitted"


def test_kinds_lists_the_vocabulary(steward_client, openapi):
    response = steward_client.get(f"{URL}kinds/")
    data = assert_answers_as_declared(openapi, f"{URL}kinds/", "get", response)
    kinds = {k["kind"] for k in data["kinds"]}
    assert {"email_domain", "submitting_client", "form_answer", "licence_accepted"} <= kinds
    assert "scientific_research" in {c["value"] for c in data["purpose_categories"]}
    assert steward_client.get(f"{URL}kinds/", {"x": 1}).status_code == 400


def test_every_action_declares_its_partner_scopes():
    actions = {"list", "retrieve", "create", "partial_update", "destroy", "versions", "evaluate",
               "kinds"}  # fmt: skip
    assert set(DecisionPolicyViewSet.required_scopes) == actions
    assert all(
        scopes == ("access:decide",) for scopes in DecisionPolicyViewSet.required_scopes.values()
    )


# --- bad input: 400 per field, nothing saved ------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (body(conditions=[{"kind": "horoscope"}]), "conditions.0.kind"),
        (body(conditions=[{"kind": "max_duration", "days": 0}]), "conditions.0.days"),
        (body(conditions=[{"kind": "max_duration", "days": 30, "weeks": 2}]), "conditions.0.weeks"),
        (
            body(
                conditions=[
                    {"kind": "email_domain", "domains": ["lmu.de"]},
                    {"kind": "email_domain", "domains": ["tum.de"]},
                ]
            ),
            "conditions.1",
        ),
        (body(validity_days=400), "validity_days"),
        (body(validity_days=0), "validity_days"),
        (body(effect="route", route_to="nobody-at-all", route_role="reviewer"), "route_to"),
        (body(effect="route", route_to="steward", route_role="boss"), "route_role"),
        (body(effect="approve", route_to="steward"), "route_to"),
        (body(effect="deny"), "effect"),
        (body(dataset="no-such-dataset"), "dataset"),
        (body(dataset="rival-harvest"), "dataset"),
        (body(colour="blue"), "colour"),
        (body(name="x" * 201), "name"),
        (body(name="nul\x00byte"), "name"),
        (body(conditions={"kind": "email_domain"}), "conditions"),
        (
            body(conditions=[{"kind": "email_domain", "domains": ["a.de"] * 101}]),
            "conditions.0.domains",
        ),
    ],
)
def test_bad_input_is_a_400_naming_the_field(steward_client, publisher, routable, payload, field):
    DatasetFactory(slug="rival-harvest", publisher=PublisherFactory(slug="rival-farms"))
    response = steward_client.post(URL, payload, format="json")
    assert response.status_code == 400, response.json()
    assert error(response)["code"] == "invalid"
    assert field in error(response)["fields"], error(response)
    assert not DecisionPolicy.objects.exists() and not DecisionPolicyVersion.objects.exists()


@pytest.fixture
def routable(db):
    return UserFactory(username="ethics-board")


def test_a_publisher_one_does_not_steward_is_a_404(steward_client):
    PublisherFactory(slug="rival-farms")
    response = steward_client.post(URL, body(publisher="rival-farms"), format="json")
    assert response.status_code == 404
    assert not DecisionPolicy.objects.exists()


def test_deeply_nested_or_huge_conditions_are_refused(steward_client, publisher):
    nested: dict = {"kind": "email_domain", "domains": ["a.de"]}
    for _ in range(200):
        nested = {"kind": "form_answer", "key": "x", "value": nested}
    response = steward_client.post(URL, body(conditions=[nested]), format="json")
    assert response.status_code == 400
    many = [{"kind": "max_duration", "days": 30}] * 5000
    assert steward_client.post(URL, body(conditions=many), format="json").status_code == 400
    assert not DecisionPolicy.objects.exists()


# --- evaluate ------------------------------------------------------------------------------------

WRITE_STATEMENTS = ("INSERT", "UPDATE", "DELETE")


def evaluate(client, policy, **payload):
    payload = {"purpose": PURPOSE, "accept_licence": True, **payload}
    client.get(f"{URL}kinds/")  # warm-up: the token's last-use stamp is written once a minute
    with CaptureQueriesContext(connection) as captured:
        response = client.post(f"{URL}{policy.pk}/evaluate/", payload, format="json")
    return response, [q["sql"] for q in captured.captured_queries]


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            AccessRequest, AccessEvent, Notification, PolicyDecision, ReviewInvitation,
            DecisionPolicyVersion,
        )
    } | {"audit_head": AuditHead.objects.values_list("position", flat=True).first()}  # fmt: skip


def test_evaluate_says_which_conditions_held_and_writes_nothing(
    steward, publisher, restricted, steward_client, openapi
):
    policy = make_policy(
        steward,
        publisher,
        name="LMU, short",
        validity_days=60,
        conditions=[*LMU_ONLY, {"kind": "max_duration", "days": 90}],
    )
    before = counts()
    response, statements = evaluate(
        steward_client,
        policy,
        dataset="soil-moisture",
        duration_days=120,
        on_behalf_of={"email": "lena@physik.uni-muenchen.de", "name": "Lena"},
    )
    assert response.status_code == 200, response.json()
    path = f"{URL}{{id}}/evaluate/"
    data = assert_answers_as_declared(openapi, path, "post", response)
    assert [c["held"] for c in data["conditions"]] == [True, False]
    assert "120 days asked for, more than 90" in data["conditions"][1]["detail"]
    assert (data["matched"], data["would"], data["decided_by"]) == (False, "nothing", None)
    assert "the stewards decide" in data["message"]
    # No statement wrote anything, and nothing changed.
    assert not [s for s in statements if s.lstrip().upper().startswith(WRITE_STATEMENTS)]
    assert counts() == before

    response, statements = evaluate(
        steward_client,
        policy,
        dataset="soil-moisture",
        duration_days=80,
        on_behalf_of={"email": "lena@physik.uni-muenchen.de"},
    )
    data = response.json()
    assert (data["matched"], data["would"], data["validity_days"]) == (True, "approve", 60)
    assert data["decided_by"] == {
        "policy": str(policy.pk), "builtin": None, "name": "LMU, short", "version": 1,
        "effect": "approve",
    }  # fmt: skip
    assert not [s for s in statements if s.lstrip().upper().startswith(WRITE_STATEMENTS)]
    assert counts() == before


def test_evaluate_uses_the_caller_without_on_behalf_of(steward, publisher, restricted):
    lena = UserFactory(username="lena", email="lena@uni-muenchen.de")
    publisher.stewards.add(lena)
    policy = make_policy(steward, publisher, conditions=LMU_ONLY)
    response, _ = evaluate(token_client(lena), policy, dataset="soil-moisture")
    assert response.json()["matched"] is True
    response, _ = evaluate(token_client(steward), policy, dataset="soil-moisture")
    assert response.json()["matched"] is False


def test_evaluate_names_the_policy_that_would_decide_first(
    steward, publisher, steward_client, researcher
):
    public = DatasetFactory(publisher=publisher, slug="open-data", access_rights="PUBLIC")
    policy = make_policy(steward, publisher)
    data = evaluate(steward_client, policy, dataset="open-data")[0].json()
    assert data["would"] == "approve"  # this policy would, if it were tried...
    assert data["decided_by"]["builtin"] == "public-dataset"  # ...but the built-in one decides
    assert data["decided_by"]["policy"] is None
    assert public.access_requests.count() == 0


def test_evaluate_a_policy_for_one_dataset_on_another(
    steward, publisher, restricted, steward_client
):
    DatasetFactory(publisher=publisher, slug="other-data", access_rights="RESTRICTED")
    policy = make_policy(steward, publisher, dataset=restricted)
    data = evaluate(steward_client, policy)[0].json()  # the policy's own dataset by default
    assert (data["dataset"], data["covers_dataset"], data["would"]) == (
        "soil-moisture", True, "approve",
    )  # fmt: skip
    data = evaluate(steward_client, policy, dataset="other-data")[0].json()
    assert (data["covers_dataset"], data["would"]) == (False, "nothing")


def test_evaluate_with_a_submitting_client_and_route(
    steward, publisher, restricted, steward_client
):
    UserFactory(username="ethics-board")
    client = partner_client("lmu-office", research_organisation="LMU München")
    policy = make_policy(
        steward, publisher, effect="route", route_to="ethics-board", route_role="reviewer",
        conditions=[{"kind": "submitting_client", "clients": [str(client.pk)]},
                    {"kind": "research_organisation", "values": ["LMU München"]}],
    )  # fmt: skip
    before = counts()
    response, statements = evaluate(
        steward_client, policy, dataset="soil-moisture", submitted_by_client=str(client.pk)
    )
    data = response.json()
    assert (data["matched"], data["would"]) == (True, "route"), data
    assert "ethics-board" in data["message"]
    assert not [s for s in statements if s.lstrip().upper().startswith(WRITE_STATEMENTS)]
    assert counts() == before


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"purpose": "too short"}, "purpose"),
        ({"accept_licence": False}, "accept_licence"),
        ({"duration_days": 999}, "duration_days"),
        ({"purpose_category": "astrology"}, "purpose_category"),
        ({"submitted_by_client": "6f1c2f8e-0000-4000-8000-000000000000"}, "submitted_by_client"),
        ({"dataset": "no-such"}, "dataset"),
        ({"on_behalf_of": {"email": "not-an-email"}}, "on_behalf_of"),
        ({"answers": {"nope": "x"}}, "answers.nope"),
        ({"mystery": 1}, "mystery"),
    ],
)
def test_evaluate_refuses_a_body_a_creation_would_refuse(
    steward, publisher, restricted, steward_client, payload, field
):
    policy = make_policy(steward, publisher, dataset=restricted)
    before = counts()
    response, _ = evaluate(steward_client, policy, **payload)
    assert response.status_code == 400, response.json()
    assert any(name.startswith(field) for name in error(response)["fields"]), error(response)
    assert counts() == before


def test_evaluate_a_publisher_wide_policy_needs_a_dataset(steward, publisher, steward_client):
    policy = make_policy(steward, publisher)
    response, _ = evaluate(steward_client, policy)
    assert response.status_code == 400 and "dataset" in error(response)["fields"]


# --- the request API: purpose category, assignment, the policy on events -------------------------


def test_requests_take_a_purpose_category_and_events_name_the_policy(
    steward, publisher, restricted, researcher_client, steward_client
):
    policy = make_policy(
        steward,
        publisher,
        conditions=[{"kind": "purpose_category", "categories": ["public_health"]}],
    )
    response = researcher_client.post(
        "/api/v1/access-requests/",
        {"dataset": "soil-moisture", "purpose": PURPOSE, "accept_licence": True,
         "purpose_category": "public_health"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["state"], data["purpose_category"], data["decided_by"]) == (
        "approved", "public_health", None,
    )  # fmt: skip
    assert f"({policy.pk}, version 1)" in data["decision_reason"]
    events = steward_client.get(f"/api/v1/access-requests/{data['id']}/events/").json()["results"]
    approval = next(e for e in events if e["action"] == "approved")
    assert approval["actor"] is None
    assert approval["policy"] == {
        "id": str(policy.pk), "builtin": None, "name": policy.current.name, "version": 1,
        "effect": "approve",
    }  # fmt: skip
    bad = researcher_client.post(
        "/api/v1/access-requests/",
        {"dataset": "soil-moisture", "purpose": PURPOSE, "accept_licence": True,
         "purpose_category": "astrology"},
        format="json",
    )  # fmt: skip
    assert bad.status_code == 400 and "purpose_category" in error(bad)["fields"]


def test_the_assigned_steward_is_shown_to_stewards_not_to_the_requester(
    steward, publisher, restricted, researcher_client, steward_client
):
    colleague = UserFactory(username="dr-weber")
    publisher.stewards.add(colleague)
    make_policy(steward, publisher, effect="route", route_to="dr-weber", route_role="steward")
    created = researcher_client.post(
        "/api/v1/access-requests/",
        {"dataset": "soil-moisture", "purpose": PURPOSE, "accept_licence": True},
        format="json",
    ).json()
    url = f"/api/v1/access-requests/{created['id']}/"
    assert steward_client.get(url).json()["assigned_to"] == "dr-weber"
    assert researcher_client.get(url).json()["assigned_to"] is None
    mine = researcher_client.get(f"{url}events/").json()["results"]
    assert "assigned" not in {e["action"] for e in mine}


def test_a_policy_invitation_is_listed_with_no_inviter(
    steward, publisher, restricted, researcher_client, steward_client
):
    reviewer = UserFactory(username="ethics-board", email="board@klinikum.example")
    make_policy(steward, publisher, effect="route", route_to="ethics-board", route_role="reviewer")
    created = researcher_client.post(
        "/api/v1/access-requests/",
        {"dataset": "soil-moisture", "purpose": PURPOSE, "accept_licence": True},
        format="json",
    ).json()
    url = f"/api/v1/access-requests/{created['id']}/"
    listed = steward_client.get(f"{url}reviewers/")
    assert listed.status_code == 200, listed.json()
    (invitation,) = listed.json()["results"]
    assert (invitation["reviewer"], invitation["invited_by"]) == ("ethics-board", None)
    # The invited reviewer sees the request and reviews it.
    board = token_client(reviewer)
    assert board.get(url).status_code == 200
    review = board.post(f"{url}reviews/", {"recommendation": "approve"}, format="json")
    assert review.status_code == 201, review.json()
