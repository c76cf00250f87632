"""What REMS users rely on, in the workspace: reviewers review the requests they were invited to
(and only those), researchers talk with the stewards, ask for an extension and give up access."""

from __future__ import annotations

import pytest
from django.test import Client

from access import services
from access.events import AuditAction
from access.models import AccessRequest, GrantState, RequestState, Review
from delivery.services.links import download_links
from tests.access.factories import submitted_request
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

REQUESTS = "/workspace/workspace/myrequest/"
TO_REVIEW = "/workspace/workspace/requesttoreview/"
GRANTS = "/workspace/workspace/mygrant/"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def reviewer():
    return UserFactory(username="ethicist", first_name="Eva", last_name="Ethik")


@pytest.fixture
def invited(researcher, steward, restricted, reviewer) -> AccessRequest:
    request = submitted_request(researcher, restricted)
    services.access_request_reviewer_invite(user=steward, request=request, email=reviewer.email)
    return request


def test_invited_reviewer_sees_that_request_only_and_reviews_it(
    invited, reviewer, researcher, other_dataset
):
    someone_elses = submitted_request(UserFactory(), other_dataset)
    client = signed_in(reviewer)

    listed = client.get(TO_REVIEW)
    assert [r.pk for r in listed.context["cl"].result_list] == [invited.pk]
    assert client.get(f"{TO_REVIEW}{someone_elses.pk}/change/").status_code == 404
    assert client.get(f"{TO_REVIEW}{someone_elses.pk}/review/").status_code == 404
    page = client.get(f"{TO_REVIEW}{invited.pk}/change/").content.decode()
    assert invited.purpose in page and 'id="add-review"' in page

    response = client.post(
        f"{TO_REVIEW}{invited.pk}/review/",
        {"recommendation": "approve", "comment": "The ethics letter is in order."},
    )

    assert response.status_code == 302
    review = Review.objects.get()
    assert (review.reviewer, review.recommendation) == (reviewer, "approve")
    assert "The ethics letter is in order." in client.get(response["Location"]).content.decode()
    invited.refresh_from_db()
    assert invited.state == RequestState.SUBMITTED  # the decision stays the stewards'
    assert services.audit_log_verify().ok


def test_a_researcher_never_sees_the_reviews_of_their_request(invited, reviewer, researcher):
    services.access_request_review(
        user=reviewer, request=invited, recommendation="reject", comment="Too broad a purpose."
    )

    page = signed_in(researcher).get(f"{REQUESTS}{invited.pk}/change/").content.decode()

    assert "Too broad a purpose." not in page
    assert "Reviewed" not in page and "Reviewer invited" not in page
    assert signed_in(researcher).get(f"{TO_REVIEW}{invited.pk}/change/").status_code == 404


def test_a_review_form_without_a_recommendation_is_refused_on_the_field(invited, reviewer):
    response = signed_in(reviewer).post(f"{TO_REVIEW}{invited.pk}/review/", {"comment": "Hm."})

    assert response.status_code == 200
    assert response.context["form"].errors["recommendation"]
    assert not Review.objects.exists()


def test_researcher_and_steward_talk_on_the_request(
    researcher, steward, restricted, mailoutbox_notifications
):
    request = submitted_request(researcher, restricted)
    services.access_request_comment(
        user=steward, request=request, comment="Which regions do you need?"
    )
    client = signed_in(researcher)
    page = client.get(f"{REQUESTS}{request.pk}/change/").content.decode()
    assert "Which regions do you need?" in page

    response = client.post(
        f"{REQUESTS}{request.pk}/comment/", {"comment": "Bavaria only, thank you."}
    )

    assert response.status_code == 302
    assert response["Location"].endswith("#conversation")
    comments = [e.comment for e in request.events.filter(action=AuditAction.COMMENTED)]
    assert comments == ["Which regions do you need?", "Bavaria only, thank you."]
    assert "Bavaria only" in client.get(f"{REQUESTS}{request.pk}/change/").content.decode()
    assert steward.email in mailoutbox_notifications()


def test_an_empty_comment_is_a_message_not_an_event(researcher, restricted):
    request = submitted_request(researcher, restricted)

    response = signed_in(researcher).post(f"{REQUESTS}{request.pk}/comment/", {"comment": "  "})

    assert response.status_code == 302
    assert not request.events.filter(action=AuditAction.COMMENTED).exists()


def test_another_researchers_request_cannot_be_commented(researcher, restricted):
    request = submitted_request(researcher, restricted)

    response = signed_in(UserFactory()).post(
        f"{REQUESTS}{request.pk}/comment/", {"comment": "Let me in."}
    )

    assert response.status_code == 404
    assert not request.events.filter(action=AuditAction.COMMENTED).exists()


def test_researcher_asks_for_an_extension_from_the_grant_page(researcher, grant):
    client = signed_in(researcher)
    grant_page = client.get(f"{GRANTS}{grant.pk}/change/").content.decode()
    assert 'id="renew-grant"' in grant_page
    renew_url = f"{REQUESTS}{grant.access_request_id}/renew/"
    assert "Ask for an extension" in client.get(renew_url).content.decode()

    refused = client.post(
        renew_url, {"purpose": grant.access_request.purpose, "duration_days": "30",
                    "licence_version": "1"},
    )  # fmt: skip
    assert refused.status_code == 200 and refused.context["form"].errors["accept_licence"]

    response = client.post(
        renew_url,
        {"purpose": grant.access_request.purpose, "duration_days": "30",
         "licence_version": "1", "accept_licence": "on"},
    )  # fmt: skip

    assert response.status_code == 302
    renewal = AccessRequest.objects.get(renews=grant.access_request)
    assert renewal.state == RequestState.SUBMITTED and renewal.duration_days == 30
    assert response["Location"] == f"{REQUESTS}{renewal.pk}/change/"
    grant.refresh_from_db()
    assert grant.state == GrantState.ACTIVE  # the old access works until the decision


def test_researcher_gives_up_access_and_links_stop_at_once(researcher, grant):
    link = download_links(grant)[0]
    client = signed_in(researcher)
    assert "Give up your access" in client.get(f"{GRANTS}{grant.pk}/relinquish/").content.decode()

    response = client.post(f"{GRANTS}{grant.pk}/relinquish/", {"comment": "Project ended."})

    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.state == GrantState.RELINQUISHED
    path, query = link.url.split("://", 1)[1].split("/", 1)[1].split("?", 1)
    assert Client().get(f"/{path}?{query}").status_code == 403
    page = client.get(f"{GRANTS}{grant.pk}/change/").content.decode()
    assert 'id="relinquish-grant"' not in page and "download-button" not in page


def test_another_researchers_grant_cannot_be_given_up(grant):
    response = signed_in(UserFactory()).post(f"{GRANTS}{grant.pk}/relinquish/")

    assert response.status_code == 404
    grant.refresh_from_db()
    assert grant.state == GrantState.ACTIVE


@pytest.fixture
def mailoutbox_notifications():
    """The recipients of every e-mail written to the outbox so far."""
    from access.models import Notification

    return lambda: {n.recipient for n in Notification.objects.all()}
