"""End to end through a real worker on Redis: a research office submits for a new researcher
(who is e-mailed by the worker), the publisher's committee approves in its own system, the
worker provisions the grant, and the office fetches the file with the grant's link."""

from __future__ import annotations

import time

import pytest
from django.core import mail

from access.models import Grant, Notification, NotificationState
from catalogue.models import AccessRights
from tests.access.factories import PURPOSE
from tests.accounts.factories import partner_api, partner_client
from tests.catalogue.factories import CSV_CONTENT, DatasetFactory, file_distribution
from workers.celery import app as celery_app

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def wait_for(condition, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def test_submit_for_a_researcher_decide_externally_and_download(publisher):
    from celery.contrib.testing.worker import start_worker

    dataset = DatasetFactory(
        publisher=publisher, title="Soil moisture", access_rights=AccessRights.RESTRICTED
    )
    file_distribution(dataset)
    office = partner_client(
        "TUM Research Office",
        scopes=("access:request", "grants:read"),
        research_organisation="TU Munich",
    )
    committee = partner_client("Bauer DAC", scopes=("access:decide",), publishers=[publisher])
    publisher.decisions_by_client = committee[0]
    publisher.save()
    celery_app.control.purge()

    with start_worker(celery_app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
        office_api = partner_api(*office)
        created = office_api.post(
            "/api/v1/access-requests/",
            {
                "dataset": dataset.slug,
                "purpose": PURPOSE,
                "accept_licence": True,
                "on_behalf_of": {
                    "email": "ada@tum.example",
                    "name": "Ada Lovelace",
                    "affiliation": "TU Munich",
                    "orcid": "0000-0002-1825-0097",
                },
            },
            format="json",
        )
        assert created.status_code == 201, created.json()
        request_id = created.json()["id"]
        assert wait_for(lambda: any("ada@tum.example" in m.to for m in mail.outbox))

        approved = partner_api(*committee).post(
            f"/api/v1/access-requests/{request_id}/approve/",
            {"comment": "Approved by the committee."},
            format="json",
        )
        assert approved.status_code == 200, approved.json()
        assert wait_for(lambda: Grant.objects.filter(access_request_id=request_id).exists())

    (notice,) = [m for m in mail.outbox if "ada@tum.example" in m.to and "for you" in m.subject]
    assert "TUM Research Office" in notice.subject
    assert "/accounts/password/reset/" in notice.body
    assert Notification.objects.filter(
        recipient="ada@tum.example", state=NotificationState.SENT
    ).exists()

    grants = office_api.get("/api/v1/grants/").json()
    (grant,) = grants["results"]
    link = grant["files"][0]["download_url"]
    download = office_api.get(link.split("testserver", 1)[-1])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == CSV_CONTENT
