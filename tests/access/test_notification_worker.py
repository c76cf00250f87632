"""A request made through the API reaches the steward's inbox through a real worker on Redis."""

from __future__ import annotations

import threading
import time

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from rest_framework.test import APIClient

from access.models import Notification, NotificationState
from accounts.services import api_token_create
from catalogue.models import AccessRights
from tests.access.factories import PURPOSE
from tests.accounts.factories import UserFactory
from tests.catalogue.factories import DatasetFactory
from workers.celery import app as celery_app

pytestmark = [
    pytest.mark.redis,
    # The worker thread reads the request with its own connection: it must be committed.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_creating_a_request_e_mails_the_steward_from_the_worker_after_commit(
    steward, publisher, monkeypatch
):
    from celery.contrib.testing.worker import start_worker

    dataset = DatasetFactory(
        publisher=publisher, title="Soil moisture", access_rights=AccessRights.RESTRICTED
    )
    researcher = UserFactory(username="researcher")
    client = APIClient()
    _, raw = api_token_create(user=researcher)
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")

    # Remember which thread sends each e-mail: the worker's, not the request's.
    sending_threads: list[str] = []
    original_send = EmailBackend.send_messages

    def send_messages(self, messages):
        sending_threads.append(threading.current_thread().name)
        return original_send(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", send_messages)
    celery_app.control.purge()  # tasks left in the queue by earlier runs are not ours

    with start_worker(celery_app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
        response = client.post(
            "/api/v1/access-requests/",
            {"dataset": str(dataset.pk), "purpose": PURPOSE, "accept_licence": True},
            format="json",
        )
        assert response.status_code == 201, response.json()
        request_thread = threading.current_thread().name

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any(steward.email in m.to for m in mail.outbox):
            time.sleep(0.05)

    to_steward = [m for m in mail.outbox if steward.email in m.to]
    assert len(to_steward) == 1, [(m.to, m.subject) for m in mail.outbox]
    message = to_steward[0]
    assert "submitted" in message.subject and "Soil moisture" in message.subject
    assert PURPOSE in message.body
    assert response.json()["id"] in message.body
    assert sending_threads and request_thread not in sending_threads
    assert Notification.objects.get(recipient=steward.email).state == NotificationState.SENT
