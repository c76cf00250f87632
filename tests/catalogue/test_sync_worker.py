"""Catalogue sync against the real services: a real Celery worker on Redis fetches the files, and
two first syncs of one record at the same moment make one dataset."""

from __future__ import annotations

import hashlib
import threading
import time
from urllib.parse import quote

import pytest
from django.db import connection

from catalogue.models import Dataset, Distribution, FetchStatus
from tests.accounts.factories import token_client
from tests.http_source import http_source
from workers.celery import app as celery_app

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

CONTENT = b"plot,carbon\n" + b"".join(b"p%04d,%d\n" % (n, n % 89) for n in range(5000))


def wait_for(condition, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def body(owner, files=None) -> dict:
    data = {
        "title": "Soil carbon",
        "description": "Topsoil organic carbon.",
        "publisher": owner.slug,
        "data_space": "agriculture",
        "licence": "CC-BY-4.0",
    }
    if files is not None:
        data["distributions"] = files
    return data


def test_a_worker_fetches_the_file_and_a_failure_is_reported(steward_client, publisher):
    from celery.contrib.testing.worker import start_worker

    good = {"identifier": "good", "checksum": "sha256:" + hashlib.sha256(CONTENT).hexdigest()}
    bad = {"identifier": "bad", "checksum": "sha256:" + "0" * 64, "format": "CSV"}
    with (
        http_source() as source,
        start_worker(celery_app, pool="solo", perform_ping_check=False, loglevel="WARNING"),
    ):
        good["download_url"] = source.serve("/carbon.csv", body=CONTENT)
        bad["download_url"] = source.serve("/other.csv", body=b"not what was declared")
        response = steward_client.post(
            "/api/v1/datasets/bulk/",
            {"items": [{**body(publisher, [good, bad]), "identifier": "W-1"}]},
            format="json",
        )
        assert response.status_code == 200, response.content

        def settled() -> bool:
            statuses = set(
                Distribution.objects.filter(dataset__identifier="W-1").values_list(
                    "fetch_status", flat=True
                )
            )
            return FetchStatus.PENDING not in statuses

        assert wait_for(settled)
    fetched = Distribution.objects.get(identifier="good")
    assert fetched.fetch_status == FetchStatus.READY
    with fetched.file.open("rb") as stored:
        assert stored.read() == CONTENT
    refused = Distribution.objects.get(identifier="bad")
    assert refused.fetch_status == FetchStatus.FAILED
    assert "checksum" in refused.fetch_error and not refused.file
    shown = steward_client.get(f"/api/v1/datasets/{fetched.dataset_id}/").json()
    assert {d["identifier"]: d["fetch_status"] for d in shown["distributions"]} == {
        "good": "ready",
        "bad": "failed",
    }


def test_two_first_syncs_at_once_make_one_dataset(steward, publisher):
    clients = [token_client(steward), token_client(steward)]
    barrier = threading.Barrier(len(clients))
    answers: list[tuple[int, str]] = []

    def sync(client) -> None:
        try:
            barrier.wait(timeout=10)
            response = client.put(
                f"/api/v1/datasets/by-identifier/{quote('RACE/1', safe='')}/",
                body(publisher),
                format="json",
            )
            answers.append((response.status_code, response.json().get("outcome", "")))
        finally:
            connection.close()

    threads = [threading.Thread(target=sync, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(answers) == [(200, "unchanged"), (201, "created")]
    assert Dataset.objects.filter(publisher=publisher, identifier="RACE/1").count() == 1
