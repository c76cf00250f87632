"""A request a policy approves gets an active grant from a real worker on Redis, exactly as a
steward's approval does; a routed request's reviewer is mailed by the worker."""

from __future__ import annotations

import time

import pytest
from django.core import mail
from rest_framework.test import APIClient

from access.models import AccessRequest, Grant, GrantState, RequestState
from catalogue.models import AccessRights
from tests.access.factories import PURPOSE
from tests.access.policy_helpers import make_policy
from tests.accounts.factories import UserFactory, token_client
from tests.catalogue.factories import CSV_CONTENT, DatasetFactory, file_distribution
from workers.celery import app as celery_app

pytestmark = [
    pytest.mark.redis,
    # The worker reads the request with its own connection: it must be committed.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def wait_for(condition, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def test_a_policy_approval_becomes_an_active_grant_through_the_worker(steward, publisher):
    from celery.contrib.testing.worker import start_worker

    dataset = DatasetFactory(
        publisher=publisher, slug="soil-moisture", access_rights=AccessRights.RESTRICTED
    )
    file_distribution(dataset)
    lena = UserFactory(username="lena", email="lena@physik.uni-muenchen.de")
    policy = make_policy(
        steward,
        publisher,
        name="LMU researchers",
        validity_days=30,
        conditions=[{"kind": "email_domain", "domains": ["uni-muenchen.de"]}],
    )
    client = token_client(lena)
    celery_app.control.purge()  # tasks left in the queue by earlier runs are not ours

    with start_worker(celery_app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
        response = client.post(
            "/api/v1/access-requests/",
            {"dataset": "soil-moisture", "purpose": PURPOSE, "accept_licence": True,
             "duration_days": 90},
            format="json",
        )  # fmt: skip
        assert response.status_code == 201, response.json()
        assert response.json()["state"] == "approved"
        request = AccessRequest.objects.get(pk=response.json()["id"])
        assert wait_for(lambda: Grant.objects.filter(access_request=request).exists())
        # The researcher's e-mail announcing the grant goes out from the worker too.
        assert wait_for(lambda: any("approved" in m.subject for m in mail.outbox))

    grant = Grant.objects.get(access_request=request)
    assert grant.state == GrantState.ACTIVE and grant.grantee == lena
    assert (grant.expires_at - grant.valid_from).days == 30  # the policy's validity
    request.refresh_from_db()
    assert request.state == RequestState.APPROVED
    approval, provisioned = request.events.filter(
        action__in=["approved", "grant_provisioned"]
    ).order_by("position")
    assert approval.actor is None and f"({policy.pk}, version 1)" in approval.comment
    assert provisioned.action == "grant_provisioned"
    # The grant opens the file: its signed link downloads the bytes.
    detail = client.get(f"/api/v1/grants/{grant.pk}/")
    assert detail.status_code == 200, detail.json()
    (file,) = detail.json()["files"]
    link = file["download_url"].replace("http://127.0.0.1:8000", "")
    download = APIClient().get(link)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == CSV_CONTENT


def test_a_routed_request_mails_the_reviewer_from_the_worker(steward, publisher):
    from celery.contrib.testing.worker import start_worker

    dataset = DatasetFactory(
        publisher=publisher, slug="soil-moisture", access_rights=AccessRights.RESTRICTED
    )
    UserFactory(username="ethics-board", email="board@klinikum.example")
    make_policy(steward, publisher, effect="route", route_to="ethics-board", route_role="reviewer")
    researcher = UserFactory(username="researcher")
    celery_app.control.purge()
    with start_worker(celery_app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
        response = token_client(researcher).post(
            "/api/v1/access-requests/",
            {"dataset": str(dataset.pk), "purpose": PURPOSE, "accept_licence": True},
            format="json",
        )
        assert response.status_code == 201 and response.json()["state"] == "submitted"
        assert wait_for(
            lambda: any("board@klinikum.example" in m.to for m in mail.outbox), timeout=30
        )
    invitation_mail = next(m for m in mail.outbox if "board@klinikum.example" in m.to)
    assert "review" in invitation_mail.subject.lower()
