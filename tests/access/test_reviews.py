"""Reviewers and the conversation on a request: who sees what, who may do what, what is mailed,
and that the audit chain still verifies."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator

from access import services
from access.models import AccessEvent, Notification, Review
from tests.access.factories import submitted_request
from tests.accounts.factories import UserFactory, token_client
from tests.core.test_schema import assert_answers_as_declared

API = "/api/v1/access-requests"


@pytest.fixture
def submitted(researcher, restricted):
    return submitted_request(researcher, restricted)


@pytest.fixture
def reviewer(db):
    return UserFactory(username="reviewer", email="Reviewer@Example.org")


@pytest.fixture
def reviewer_client(reviewer):
    return token_client(reviewer)


def invite(client, request, **body):
    return client.post(f"{API}/{request.pk}/reviewers/", body or {}, format="json")


def test_steward_invites_by_email_and_the_reviewer_is_mailed(
    steward_client, submitted, reviewer, sent_tasks
):
    response = invite(steward_client, submitted, email="reviewer@example.org")
    assert response.status_code == 201, response.json()
    assert response.json()["reviewer"] == "reviewer"
    mail = Notification.objects.get(recipient=reviewer.email)
    assert "review" in mail.subject.lower() and submitted.purpose in mail.body
    listed = steward_client.get(f"{API}/{submitted.pk}/reviewers/").json()
    assert [row["reviewer"] for row in listed["results"]] == ["reviewer"]


def test_steward_invites_by_user_id_once(steward_client, submitted, reviewer):
    assert invite(steward_client, submitted, user=reviewer.pk).status_code == 201
    again = invite(steward_client, submitted, user=reviewer.pk)
    assert again.status_code == 409


@pytest.mark.parametrize(
    "body",
    [{}, {"email": "nobody@example.org"}, {"user": 999_999}, {"email": "a@b.org", "user": 1}],
)
def test_an_unknown_or_ambiguous_reviewer_is_bad_input(steward_client, submitted, body):
    assert invite(steward_client, submitted, **body).status_code == 400


def test_an_inactive_account_cannot_be_invited(steward_client, submitted, reviewer):
    reviewer.is_active = False
    reviewer.save()
    assert invite(steward_client, submitted, user=reviewer.pk).status_code == 400


def test_the_requester_cannot_be_invited_to_review_their_own_request(
    steward_client, submitted, researcher
):
    response = invite(steward_client, submitted, user=researcher.pk)
    assert response.status_code == 400
    assert "user" in response.json()["error"]["fields"]


def test_only_stewards_of_the_publisher_invite(
    researcher_client, submitted, reviewer, other_dataset
):
    # The requester sees the request but may not invite (403); another publisher's steward
    # does not see it at all (404).
    assert invite(researcher_client, submitted, user=reviewer.pk).status_code == 403
    rival = UserFactory(username="rival")
    other_dataset.publisher.stewards.add(rival)
    assert invite(token_client(rival), submitted, user=reviewer.pk).status_code == 404
    assert researcher_client.get(f"{API}/{submitted.pk}/reviewers/").status_code == 403


def test_a_draft_cannot_be_sent_for_review(researcher, restricted, steward, reviewer):
    draft = submitted_request(researcher, restricted, submit=False)
    with pytest.raises(services.StateConflictError):
        services.access_request_reviewer_invite(user=steward, request=draft, email=reviewer.email)


def test_uninvited_account_gets_404_on_the_request_and_its_review_endpoints(
    submitted, reviewer_client
):
    assert reviewer_client.get(f"{API}/{submitted.pk}/").status_code == 404
    assert reviewer_client.get(f"{API}/{submitted.pk}/reviews/").status_code == 404
    posted = reviewer_client.post(
        f"{API}/{submitted.pk}/reviews/", {"recommendation": "approve"}, format="json"
    )
    assert posted.status_code == 404
    assert reviewer_client.get(f"{API}/{submitted.pk}/comments/").status_code == 404


def test_invited_reviewer_sees_that_request_only_and_reviews_it(
    steward, steward_client, submitted, researcher, restricted, reviewer, reviewer_client
):
    other = submitted_request(UserFactory(username="someone"), restricted)
    invite(steward_client, submitted, user=reviewer.pk)
    listed = reviewer_client.get(f"{API}/").json()
    assert [row["id"] for row in listed["results"]] == [str(submitted.pk)]
    assert reviewer_client.get(f"{API}/{other.pk}/").status_code == 404

    response = reviewer_client.post(
        f"{API}/{submitted.pk}/reviews/",
        {"recommendation": "reject", "comment": "The ethics approval is missing."},
        format="json",
    )
    assert response.status_code == 201, response.json()
    reviewer_client.post(
        f"{API}/{submitted.pk}/reviews/", {"recommendation": "abstain"}, format="json"
    )
    assert Review.objects.filter(reviewer=reviewer).count() == 2
    event = AccessEvent.objects.filter(access_request=submitted, action="reviewed").first()
    assert "ethics approval is missing" in event.comment and event.actor == reviewer
    # The stewards are told; the requester is not.
    assert Notification.objects.filter(event=event, recipient=steward.email).exists()
    assert not Notification.objects.filter(event=event, recipient=researcher.email).exists()

    detail = steward_client.get(f"{API}/{submitted.pk}/").json()
    assert [r["recommendation"] for r in detail["reviews"]] == ["reject", "abstain"]
    assert reviewer_client.get(f"{API}/{submitted.pk}/").json()["reviews"][0]["comment"] == (
        "The ethics approval is missing."
    )
    assert services.audit_log_verify().ok


def test_reviews_are_hidden_from_the_requester(
    steward_client, submitted, reviewer, reviewer_client, researcher_client
):
    invite(steward_client, submitted, user=reviewer.pk)
    reviewer_client.post(
        f"{API}/{submitted.pk}/reviews/",
        {"recommendation": "reject", "comment": "Secret reviewer remark."},
        format="json",
    )
    detail = researcher_client.get(f"{API}/{submitted.pk}/").json()
    assert detail["reviews"] is None
    assert researcher_client.get(f"{API}/{submitted.pk}/reviews/").status_code == 403
    events = researcher_client.get(f"{API}/{submitted.pk}/events/").json()["results"]
    assert "Secret reviewer remark" not in str(events)
    assert {e["action"] for e in events} == {"created", "submitted"}


def test_a_reviewer_cannot_decide(steward_client, submitted, reviewer, reviewer_client):
    invite(steward_client, submitted, user=reviewer.pk)
    for decision, body in (
        ("approve", {}),
        ("reject", {"reason": "No."}),
        ("return", {"comment": "Change it."}),
    ):
        response = reviewer_client.post(f"{API}/{submitted.pk}/{decision}/", body, format="json")
        assert response.status_code == 403, decision
    submitted.refresh_from_db()
    assert submitted.state == "submitted"


def test_a_decided_request_is_no_longer_reviewed(
    steward, steward_client, submitted, reviewer, reviewer_client
):
    invite(steward_client, submitted, user=reviewer.pk)
    services.access_request_approve(user=steward, request=submitted)
    response = reviewer_client.post(
        f"{API}/{submitted.pk}/reviews/", {"recommendation": "approve"}, format="json"
    )
    assert response.status_code == 409


def test_a_steward_cannot_review_without_an_invitation(steward_client, submitted):
    response = steward_client.post(
        f"{API}/{submitted.pk}/reviews/", {"recommendation": "approve"}, format="json"
    )
    assert response.status_code == 403


def test_unknown_recommendation_is_bad_input(steward_client, submitted, reviewer, reviewer_client):
    invite(steward_client, submitted, user=reviewer.pk)
    response = reviewer_client.post(
        f"{API}/{submitted.pk}/reviews/", {"recommendation": "maybe"}, format="json"
    )
    assert response.status_code == 400


# --- the conversation ----------------------------------------------------------------------


def test_researcher_and_steward_converse_and_each_side_is_mailed(
    steward, steward_client, researcher, researcher_client, submitted
):
    asked = researcher_client.post(
        f"{API}/{submitted.pk}/comments/", {"comment": "Is the 2019 file complete?"}, format="json"
    )
    assert asked.status_code == 201, asked.json()
    answered = steward_client.post(
        f"{API}/{submitted.pk}/comments/", {"comment": "=Yes, all of it."}, format="json"
    )
    assert answered.status_code == 201
    thread = researcher_client.get(f"{API}/{submitted.pk}/comments/").json()["results"]
    assert [(c["author"], c["comment"]) for c in thread] == [
        ("researcher", "Is the 2019 file complete?"),
        ("steward", "=Yes, all of it."),
    ]
    question, answer = AccessEvent.objects.filter(action="commented").order_by("position")
    assert [n.recipient for n in question.notifications.all()] == [steward.email]
    assert [n.recipient for n in answer.notifications.all()] == [researcher.email]
    assert "Is the 2019 file complete?" in question.notifications.get().body
    assert services.audit_log_verify().ok


def test_an_empty_comment_is_refused(researcher_client, submitted):
    response = researcher_client.post(
        f"{API}/{submitted.pk}/comments/", {"comment": "  "}, format="json"
    )
    assert response.status_code == 400


def test_a_reviewer_reads_but_does_not_join_the_conversation(
    steward_client, submitted, reviewer, reviewer_client
):
    invite(steward_client, submitted, user=reviewer.pk)
    assert reviewer_client.get(f"{API}/{submitted.pk}/comments/").status_code == 200
    response = reviewer_client.post(
        f"{API}/{submitted.pk}/comments/", {"comment": "Hello there"}, format="json"
    )
    assert response.status_code == 403


def test_the_new_answers_validate_against_the_schema(
    steward_client, submitted, reviewer, reviewer_client
):
    openapi = SchemaGenerator().get_schema(request=None, public=True)
    invite(steward_client, submitted, user=reviewer.pk)
    reviewer_client.post(
        f"{API}/{submitted.pk}/reviews/", {"recommendation": "approve"}, format="json"
    )
    steward_client.post(f"{API}/{submitted.pk}/comments/", {"comment": "Noted."}, format="json")
    for sub in ("reviewers", "reviews", "comments"):
        response = steward_client.get(f"{API}/{submitted.pk}/{sub}/")
        body = assert_answers_as_declared(
            openapi, f"/api/v1/access-requests/{{id}}/{sub}/", "get", response
        )
        assert body["results"], sub


def test_verify_audit_log_after_reviews_and_comments(
    steward_client, submitted, reviewer, reviewer_client, researcher_client, capsys
):
    invite(steward_client, submitted, user=reviewer.pk)
    reviewer_client.post(
        f"{API}/{submitted.pk}/reviews/",
        {"recommendation": "approve", "comment": "Fine."},
        format="json",
    )
    researcher_client.post(f"{API}/{submitted.pk}/comments/", {"comment": "Thanks!"}, format="json")
    call_command("verify_audit_log")
    assert "intact" in capsys.readouterr().out


# --- the admin ----------------------------------------------------------------------------


def test_steward_invites_from_the_request_page_and_sees_the_reviews(
    client, admin_steward, submitted, reviewer, researcher
):
    from django.urls import reverse

    client.force_login(admin_steward)
    page = client.get(reverse("admin:access_accessrequest_change", args=[submitted.pk]))
    assert b'id="access-invite"' in page.content and b'id="access-comment"' in page.content
    response = client.post(
        reverse("admin:access_accessrequest_invite", args=[submitted.pk]),
        {"email": "reviewer@example.org"},
    )
    assert response.status_code == 302
    assert submitted.review_invitations.get().reviewer == reviewer
    services.access_request_review(
        user=reviewer, request=submitted, recommendation="approve", comment="Sound design."
    )
    page = client.get(reverse("admin:access_accessrequest_change", args=[submitted.pk]))
    assert "Sound design." in page.content.decode()
    client.post(
        reverse("admin:access_accessrequest_comment", args=[submitted.pk]),
        {"comment": "We are looking at it."},
    )
    assert submitted.events.filter(action="commented", actor=admin_steward).exists()


def test_the_requester_does_not_see_reviews_in_the_admin(
    client, steward, submitted, reviewer, researcher
):
    from django.urls import reverse

    from tests.accounts.factories import admin_user_in

    services.access_request_reviewer_invite(user=steward, request=submitted, email=reviewer.email)
    services.access_request_review(
        user=reviewer, request=submitted, recommendation="reject", comment="Hidden remark."
    )
    client.force_login(admin_user_in(researcher, "Researchers"))
    page = client.get(reverse("admin:access_accessrequest_change", args=[submitted.pk]))
    assert page.status_code == 200
    assert "Hidden remark." not in page.content.decode()
    assert b'id="access-comment"' in page.content
