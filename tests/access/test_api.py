"""The access-request API through the real URL routing: lifecycle, bad input, lists, events."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from access import services
from access.models import AccessEvent, AccessRequest, RequestState
from catalogue.models import AccessRights
from catalogue.services import licence_publish_text
from tests.access.factories import PURPOSE
from tests.accounts.factories import UserFactory
from tests.catalogue.factories import DatasetFactory, DistributionFactory, PublisherFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/access-requests/"
REQUEST_KEYS = {
    "id", "url", "state", "dataset", "requester", "purpose", "project_title", "affiliation",
    "duration_days", "whole_dataset", "distributions", "approved_distributions",
    "licence_acceptance", "created", "submitted_at",
    "deadline", "decided_at", "decided_by", "decision_reason", "valid_until", "grant",
    "form", "answers",
    "renewal_of", "reviews", "requester_orcid", "submitted_by_client", "purpose_category",
    "assigned_to",
}  # fmt: skip


def create(client: APIClient, dataset, **body):
    body = {"dataset": str(dataset.pk), "purpose": PURPOSE, "accept_licence": True, **body}
    return client.post(URL, body, format="json")


def act(client: APIClient, request_id: str, action: str, **body):
    return client.post(f"{URL}{request_id}/{action}/", body, format="json")


def error(response) -> dict:
    return response.json()["error"]


# --- the lifecycle --------------------------------------------------------------------------


def test_create_answers_201_with_the_request_shape(researcher_client, restricted):
    distribution = DistributionFactory(dataset=restricted)
    response = create(
        researcher_client,
        restricted,
        project_title="SoilNet",
        affiliation="TU München",
        duration_days=60,
        distributions=[str(distribution.pk)],
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == REQUEST_KEYS
    assert response["Location"] == body["url"]
    assert body["url"].endswith(f"{URL}{body['id']}/")
    assert body["state"] == "submitted"
    assert body["dataset"] == {
        "id": str(restricted.pk),
        "slug": "soil-moisture",
        "title": restricted.title,
        "publisher": "bauer-agrar",
    }
    assert body["requester"] == "researcher"
    assert (body["project_title"], body["affiliation"]) == ("SoilNet", "TU München")
    assert body["duration_days"] == 60
    assert body["distributions"] == [str(distribution.pk)]
    assert body["licence_acceptance"]["licence"] == "CC-BY-4.0"
    assert body["licence_acceptance"]["version"] == 1
    assert body["licence_acceptance"]["accepted_at"]
    assert body["submitted_at"] and body["deadline"]
    assert body["decided_at"] is None and body["decided_by"] is None
    assert body["valid_until"] is None
    assert body["grant"] is None


def test_full_lifecycle_create_return_edit_resubmit_approve(
    researcher_client, steward_client, restricted
):
    request_id = create(researcher_client, restricted).json()["id"]

    returned = act(steward_client, request_id, "return", comment="Name your project, please.")
    assert returned.status_code == 200, returned.json()
    assert returned.json()["state"] == "returned"
    assert returned.json()["decision_reason"] == "Name your project, please."

    edited = researcher_client.patch(
        f"{URL}{request_id}/", {"project_title": "SoilNet", "duration_days": 30}, format="json"
    )
    assert edited.status_code == 200, edited.json()
    assert edited.json()["project_title"] == "SoilNet"
    assert edited.json()["duration_days"] == 30

    resubmitted = act(researcher_client, request_id, "submit")
    assert resubmitted.status_code == 200, resubmitted.json()
    assert resubmitted.json()["state"] == "submitted"

    approved = act(steward_client, request_id, "approve", comment="Fine.")
    assert approved.status_code == 200, approved.json()
    body = approved.json()
    assert body["state"] == "approved"
    assert body["decided_by"] == "steward"
    assert body["decision_reason"] == "Fine."
    assert body["valid_until"][:10] == (timezone.now() + timedelta(days=30)).date().isoformat()

    events = researcher_client.get(f"{URL}{request_id}/events/").json()["results"]
    assert [(e["action"], e["from_state"], e["to_state"], e["actor"]) for e in events] == [
        ("created", "", "draft", "researcher"),
        ("submitted", "draft", "submitted", "researcher"),
        ("returned", "submitted", "returned", "steward"),
        ("edited", "returned", "returned", "researcher"),
        ("submitted", "returned", "submitted", "researcher"),
        ("approved", "submitted", "approved", "steward"),
    ]


def test_events_endpoint_lists_the_hash_chain(researcher_client, steward_client, restricted):
    request_id = create(researcher_client, restricted).json()["id"]
    act(steward_client, request_id, "reject", reason="Outside the consented purposes.")
    response = steward_client.get(f"{URL}{request_id}/events/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    events = body["results"]
    assert set(events[0]) == {
        "position", "action", "actor", "actor_client", "from_state", "to_state", "comment",
        "created", "hash", "policy",
    }  # fmt: skip
    assert all(e["policy"] is None for e in events)  # people acted, no decision policy
    positions = [e["position"] for e in events]
    assert positions == sorted(positions) and len(set(positions)) == 3
    stored = AccessEvent.objects.filter(access_request_id=request_id).order_by("position")
    assert [e["hash"] for e in events] == [e.hash for e in stored]
    assert all(len(e["hash"]) == 64 for e in events)
    assert events[-1]["comment"] == "Outside the consented purposes."
    assert events[-1]["actor"] == "steward"


def test_draft_is_kept_until_submitted(researcher_client, steward_client, restricted):
    response = create(researcher_client, restricted, draft=True)
    assert response.status_code == 201
    body = response.json()
    assert body["state"] == "draft"
    assert body["submitted_at"] is None and body["deadline"] is None
    # A draft is the researcher's own: the steward does not see it until it is submitted.
    assert act(steward_client, body["id"], "approve").status_code == 404
    submitted = act(researcher_client, body["id"], "submit")
    assert submitted.json()["state"] == "submitted"


def test_dataset_may_be_named_by_slug(researcher_client, restricted):
    body = {"dataset": "soil-moisture", "purpose": PURPOSE, "accept_licence": True}
    response = researcher_client.post(URL, body, format="json")
    assert response.status_code == 201
    assert response.json()["dataset"]["id"] == str(restricted.pk)


def test_public_dataset_is_approved_at_once(researcher_client, publisher):
    public = DatasetFactory(publisher=publisher, access_rights=AccessRights.PUBLIC)
    response = create(researcher_client, public, duration_days=10)
    assert response.status_code == 201
    body = response.json()
    assert body["state"] == "approved"
    assert body["decided_by"] is None  # the system decided
    assert body["valid_until"]
    actions = [
        e["action"] for e in researcher_client.get(body["url"] + "events/").json()["results"]
    ]
    assert actions == ["created", "submitted", "approved"]


def test_reject_needs_a_reason(researcher_client, steward_client, restricted):
    request_id = create(researcher_client, restricted).json()["id"]
    missing = act(steward_client, request_id, "reject")
    assert missing.status_code == 400
    assert "reason" in error(missing)["fields"]
    blank = act(steward_client, request_id, "reject", reason="   ")
    assert blank.status_code == 400
    assert "reason" in error(blank)["fields"]
    rejected = act(steward_client, request_id, "reject", reason="Not a research purpose.")
    assert rejected.status_code == 200
    body = rejected.json()
    assert (body["state"], body["decided_by"]) == ("rejected", "steward")
    assert body["decision_reason"] == "Not a research purpose."
    assert body["decided_at"]


def test_return_needs_a_comment(researcher_client, steward_client, restricted):
    request_id = create(researcher_client, restricted).json()["id"]
    for body in ({}, {"comment": ""}):
        response = act(steward_client, request_id, "return", **body)
        assert response.status_code == 400
        assert "comment" in error(response)["fields"]
    assert AccessRequest.objects.get(pk=request_id).state == RequestState.SUBMITTED


def test_revoke_an_approved_request_needs_a_reason(researcher_client, steward_client, restricted):
    request_id = create(researcher_client, restricted).json()["id"]
    assert act(steward_client, request_id, "revoke", reason="Too early.").status_code == 409
    act(steward_client, request_id, "approve")
    assert act(steward_client, request_id, "revoke").status_code == 400
    revoked = act(steward_client, request_id, "revoke", reason="Data shared with a third party.")
    assert revoked.status_code == 200
    assert revoked.json()["state"] == "revoked"
    again = act(steward_client, request_id, "revoke", reason="Twice.")
    assert again.status_code == 409
    assert error(again)["state"] == "revoked"


def test_withdraw_then_a_new_request_is_possible(researcher_client, restricted):
    request_id = create(researcher_client, restricted).json()["id"]
    withdrawn = act(researcher_client, request_id, "withdraw", comment="Project cancelled.")
    assert withdrawn.status_code == 200
    assert withdrawn.json()["state"] == "withdrawn"
    assert act(researcher_client, request_id, "withdraw").status_code == 409
    assert create(researcher_client, restricted).status_code == 201


def test_second_open_request_is_409_naming_the_first(researcher_client, restricted):
    first = create(researcher_client, restricted).json()
    second = create(researcher_client, restricted)
    assert second.status_code == 409
    err = error(second)
    assert err["code"] == "conflict"
    assert err["existing_request"] == first["id"]
    assert err["state"] == "submitted"
    assert first["id"] in err["message"]


def test_a_move_the_state_does_not_allow_is_409_with_the_state(
    researcher_client, steward_client, restricted
):
    request_id = create(researcher_client, restricted).json()["id"]
    act(steward_client, request_id, "approve")
    for action, body in (
        ("approve", {}),
        ("reject", {"reason": "Changed my mind."}),
        ("return", {"comment": "More."}),
    ):
        response = act(steward_client, request_id, action, **body)
        assert response.status_code == 409, action
        assert error(response)["code"] == "invalid_state"
        assert error(response)["state"] == "approved"
    for action in ("submit", "withdraw"):
        response = act(researcher_client, request_id, action)
        assert response.status_code == 409, action
        assert error(response)["state"] == "approved"
    patch = researcher_client.patch(f"{URL}{request_id}/", {"purpose": PURPOSE}, format="json")
    assert patch.status_code == 409
    assert error(patch)["state"] == "approved"


def test_approve_with_an_end_date_within_the_publishers_maximum(
    researcher_client, steward_client, restricted
):
    request_id = create(researcher_client, restricted).json()["id"]
    too_late = (
        timezone.now() + timedelta(days=restricted.publisher.max_access_days + 5)
    ).isoformat()
    response = act(steward_client, request_id, "approve", valid_until=too_late)
    assert response.status_code == 400
    assert "valid_until" in error(response)["fields"]
    past = act(steward_client, request_id, "approve", valid_until="2020-01-01T00:00:00Z")
    assert past.status_code == 400
    not_a_date = act(steward_client, request_id, "approve", valid_until="next spring")
    assert not_a_date.status_code == 400
    assert "valid_until" in error(not_a_date)["fields"]
    end = (timezone.now() + timedelta(days=14)).replace(microsecond=0)
    approved = act(steward_client, request_id, "approve", valid_until=end.isoformat())
    assert approved.status_code == 200
    assert approved.json()["valid_until"][:19] == end.isoformat()[:19]


# --- bad input ------------------------------------------------------------------------------


def test_without_accepting_the_licence_is_400_naming_it(researcher_client, restricted):
    for extra in ({"accept_licence": False}, {"accept_licence": None}):
        body = {"dataset": str(restricted.pk), "purpose": PURPOSE, **extra}
        response = researcher_client.post(URL, body, format="json")
        assert response.status_code == 400
    response = researcher_client.post(
        URL, {"dataset": str(restricted.pk), "purpose": PURPOSE}, format="json"
    )
    assert response.status_code == 400
    err = error(response)
    assert "CC-BY-4.0" in err["message"]
    assert err["licence"] == "CC-BY-4.0"
    assert "accept_licence" in err["fields"]
    assert not AccessRequest.objects.exists()


def test_a_licence_version_no_longer_current_is_400(researcher_client, restricted):
    licence_publish_text(licence=restricted.licence, text="New terms, version two.")
    response = create(researcher_client, restricted, licence_version=1)
    assert response.status_code == 400
    err = error(response)
    assert "licence_version" in err["fields"]
    assert err["licence_version"] == 2
    accepted = create(researcher_client, restricted, licence_version=2)
    assert accepted.status_code == 201
    assert accepted.json()["licence_acceptance"]["version"] == 2


def test_resubmitting_after_a_licence_change_needs_the_new_version_accepted(
    researcher_client, steward_client, restricted
):
    request_id = create(researcher_client, restricted).json()["id"]
    act(steward_client, request_id, "return", comment="Add your affiliation.")
    licence_publish_text(licence=restricted.licence, text="New terms, version two.")
    refused = act(researcher_client, request_id, "submit")
    assert refused.status_code == 400
    assert "accept_licence" in error(refused)["fields"]
    stale = act(researcher_client, request_id, "submit", accept_licence=True, licence_version=1)
    assert stale.status_code == 400
    assert "licence_version" in error(stale)["fields"]
    accepted = act(researcher_client, request_id, "submit", accept_licence=True)
    assert accepted.status_code == 200
    assert accepted.json()["licence_acceptance"]["version"] == 2


def test_unknown_dataset_is_400_on_the_field_not_404(researcher_client, db):
    for value in ("no-such-dataset", str(uuid.uuid4())):
        response = researcher_client.post(
            URL, {"dataset": value, "purpose": PURPOSE, "accept_licence": True}, format="json"
        )
        assert response.status_code == 400
        assert error(response)["fields"]["dataset"] == [f"Unknown dataset '{value}'."]


def test_a_distribution_of_another_dataset_is_400(researcher_client, restricted):
    foreign = DistributionFactory(dataset=DatasetFactory())
    response = create(researcher_client, restricted, distributions=[str(foreign.pk)])
    assert response.status_code == 400
    assert str(foreign.pk) in error(response)["fields"]["distributions"][0]
    malformed = create(researcher_client, restricted, distributions=["not-a-uuid"])
    assert malformed.status_code == 400
    assert "distributions" in error(malformed)["fields"]
    assert not AccessRequest.objects.exists()


@pytest.mark.parametrize("duration", [-1, 0, 366, 10_000, 10**20, "forever", 1.5])
def test_a_negative_zero_huge_or_malformed_duration_is_400(researcher_client, restricted, duration):
    response = create(researcher_client, restricted, duration_days=duration)
    assert response.status_code == 400
    assert "duration_days" in error(response)["fields"]


@pytest.mark.parametrize(
    "purpose", [None, "", "   ", "Because.", "Research on soil.", "x" * 10_001 + " a b c d e"]
)
def test_a_missing_short_or_huge_purpose_is_400(researcher_client, restricted, purpose):
    body = {"dataset": str(restricted.pk), "accept_licence": True}
    if purpose is not None:
        body["purpose"] = purpose
    response = researcher_client.post(URL, body, format="json")
    assert response.status_code == 400
    assert "purpose" in error(response)["fields"]


def test_unknown_or_misspelt_fields_are_400(researcher_client, steward_client, restricted):
    response = create(researcher_client, restricted, accept_license=True)
    assert response.status_code == 400
    assert "accept_license" in error(response)["fields"]
    request_id = create(researcher_client, restricted).json()["id"]
    forged = researcher_client.patch(f"{URL}{request_id}/", {"state": "approved"}, format="json")
    assert forged.status_code == 400
    assert "state" in error(forged)["fields"]
    typo = act(steward_client, request_id, "reject", reasn="Typo.")
    assert typo.status_code == 400
    assert AccessRequest.objects.get(pk=request_id).state == RequestState.SUBMITTED


def test_an_empty_patch_or_a_non_object_body_is_400(researcher_client, restricted):
    request_id = create(researcher_client, restricted, draft=True).json()["id"]
    assert researcher_client.patch(f"{URL}{request_id}/", {}, format="json").status_code == 400
    assert researcher_client.post(URL, [1, 2], format="json").status_code == 400
    events = AccessEvent.objects.filter(access_request_id=request_id).count()
    assert events == 1  # nothing recorded for the refused edit


def test_patch_validates_like_create(researcher_client, restricted):
    request_id = create(researcher_client, restricted, draft=True).json()["id"]
    for body, field in (
        ({"purpose": "Short."}, "purpose"),
        ({"duration_days": -5}, "duration_days"),
        ({"distributions": [str(DistributionFactory().pk)]}, "distributions"),
    ):
        response = researcher_client.patch(f"{URL}{request_id}/", body, format="json")
        assert response.status_code == 400, body
        assert field in error(response)["fields"]
    mine = DistributionFactory(dataset=restricted)
    ok = researcher_client.patch(
        f"{URL}{request_id}/", {"distributions": [str(mine.pk)]}, format="json"
    )
    assert ok.status_code == 200
    assert ok.json()["distributions"] == [str(mine.pk)]


def test_a_malformed_or_unknown_id_is_404(researcher_client, db):
    for request_id in ("not-a-uuid", str(uuid.uuid4())):
        response = researcher_client.get(f"{URL}{request_id}/")
        assert response.status_code == 404
        assert error(response)["code"] == "not_found"


# --- the list -------------------------------------------------------------------------------


@pytest.fixture
def queue(researcher, steward, publisher, restricted):
    """Three requests of the steward's publisher (two researchers) and one of another."""
    other = UserFactory(username="other-researcher")
    second = DatasetFactory(publisher=publisher, access_rights=AccessRights.RESTRICTED)
    elsewhere = DatasetFactory(
        publisher=PublisherFactory(slug="elsewhere"), access_rights=AccessRights.RESTRICTED
    )

    def make(user, dataset, **kwargs):
        return services.access_request_create(
            requester=user, dataset=dataset, purpose=PURPOSE, accept_licence=True, **kwargs
        )

    first = make(researcher, restricted)
    approved = make(other, restricted)
    services.access_request_approve(user=steward, request=approved)
    draft = make(researcher, second, submit=False)
    foreign = make(other, elsewhere)
    # Make the deadlines differ: the first request is the most urgent.
    AccessRequest.objects.filter(pk=first.pk).update(deadline=timezone.now() + timedelta(days=2))
    return {"first": first, "approved": approved, "draft": draft, "foreign": foreign}


def ids(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


def test_a_researcher_lists_only_their_own_requests(researcher_client, queue):
    listed = ids(researcher_client.get(URL))
    assert set(listed) == {str(queue["first"].pk), str(queue["draft"].pk)}


def test_a_steward_lists_their_publishers_requests(steward_client, queue):
    body = steward_client.get(URL).json()
    assert body["count"] == 2  # not the draft, not the other publisher's
    assert str(queue["draft"].pk) not in {row["id"] for row in body["results"]}
    assert {"count", "next", "previous", "results"} == set(body)
    assert str(queue["foreign"].pk) not in {row["id"] for row in body["results"]}


def test_list_filters(steward_client, researcher_client, queue, restricted):
    first, approved = str(queue["first"].pk), str(queue["approved"].pk)
    assert ids(steward_client.get(URL, {"state": "approved"})) == [approved]
    assert set(ids(steward_client.get(URL, {"state": ["approved", "submitted"]}))) == {
        first,
        approved,
    }
    by_slug = ids(steward_client.get(URL, {"dataset": "soil-moisture"}))
    by_id = ids(steward_client.get(URL, {"dataset": str(restricted.pk)}))
    assert set(by_slug) == set(by_id) == {first, approved}
    assert len(ids(steward_client.get(URL, {"publisher": "bauer-agrar"}))) == 2
    assert ids(steward_client.get(URL, {"publisher": "elsewhere"})) == []  # not theirs
    assert ids(steward_client.get(URL, {"mine": "true"})) == []
    assert len(ids(steward_client.get(URL, {"mine": "false"}))) == 2
    assert len(ids(researcher_client.get(URL, {"mine": "true"}))) == 2


def test_list_orderings(steward_client, researcher_client, queue):
    by_deadline = ids(steward_client.get(URL, {"ordering": "deadline"}))
    assert by_deadline[0] == str(queue["first"].pk)
    own = ids(researcher_client.get(URL, {"ordering": "deadline"}))
    assert own == [str(queue["first"].pk), str(queue["draft"].pk)]  # no deadline: last
    latest_deadline = ids(researcher_client.get(URL, {"ordering": "-deadline"}))
    assert latest_deadline[-1] == str(queue["draft"].pk)
    newest = ids(steward_client.get(URL))
    assert newest == ids(steward_client.get(URL, {"ordering": "-created"}))
    assert newest == list(reversed(ids(steward_client.get(URL, {"ordering": "created"}))))


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"state": "pending"}, "state"),
        ({"ordering": "title"}, "ordering"),
        ({"dataset": "no-such-dataset"}, "dataset"),
        ({"publisher": "no-such-publisher"}, "publisher"),
        ({"mine": "maybe"}, "mine"),
        ({"page_size": "1000"}, "page_size"),
        ({"page": "0"}, "page"),
        ({"sort": "deadline"}, "sort"),
    ],
)
def test_unknown_list_parameters_or_values_are_400(steward_client, queue, params, field):
    response = steward_client.get(URL, params)
    assert response.status_code == 400
    assert error(response)["code"] == "invalid"
    assert field in error(response)["fields"]


def test_list_pagination(steward_client, queue):
    page = steward_client.get(URL, {"page_size": 1}).json()
    assert page["count"] == 2 and len(page["results"]) == 1 and page["next"]
    rest = steward_client.get(page["next"]).json()
    assert len(rest["results"]) == 1 and rest["next"] is None
    assert steward_client.get(URL, {"page": 3, "page_size": 1}).status_code == 404


def test_list_queries_do_not_grow_with_the_page(
    steward, publisher, steward_client, django_assert_max_num_queries
):
    researcher = UserFactory(username="many")

    def add(count: int) -> None:
        for _ in range(count):
            dataset = DatasetFactory(publisher=publisher, access_rights=AccessRights.RESTRICTED)
            distribution = DistributionFactory(dataset=dataset)
            request = services.access_request_create(
                requester=researcher,
                dataset=dataset,
                purpose=PURPOSE,
                accept_licence=True,
                distributions=[distribution.pk],
            )
            services.access_request_approve(user=steward, request=request)

    def measure(expected: int) -> int:
        steward_client.get(URL)  # warm-up: the token's last-use stamp is written once a minute
        with django_assert_max_num_queries(6) as captured:
            response = steward_client.get(URL, {"page_size": 100, "publisher": "bauer-agrar"})
        assert response.json()["count"] == expected
        assert all(len(row["distributions"]) == 1 for row in response.json()["results"])
        return len(captured)

    add(2)
    few = measure(2)
    add(28)
    many = measure(30)
    assert few == many, (few, many)


def test_a_dataset_with_access_requests_cannot_be_deleted(
    researcher_client, steward_client, restricted
):
    create(researcher_client, restricted)
    response = steward_client.delete(f"/api/v1/datasets/{restricted.pk}/")
    assert response.status_code == 409
    assert error(response)["access_requests"] == 1
    assert steward_client.get(f"/api/v1/datasets/{restricted.pk}/").status_code == 200
