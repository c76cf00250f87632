"""Concurrent decisions and requests on PostgreSQL, through the API, from real threads.

Each thread has its own database connection (Django's are per thread), so the row lock taken by
the services and the partial unique index are what decide who wins, as in production.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from django.db import connection

from access import services
from access.models import AccessEvent, AccessRequest, RequestState
from access.services import decisions as decision_services
from access.services import requests as request_services
from catalogue.models import AccessRights
from tests.access.factories import PURPOSE
from tests.accounts.factories import UserFactory, token_client
from tests.catalogue.factories import DatasetFactory

pytestmark = [
    pytest.mark.postgres,
    # The threads must see committed rows; serialized_rollback restores the reference data
    # (licences, data spaces) that the flush after a transactional test removes.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

URL = "/api/v1/access-requests/"


@pytest.fixture(autouse=True)
def _no_broker(sent_tasks):
    """The commits here really run their on_commit hooks; keep the tasks off any broker."""


def run_together(*calls: Callable[[], object]) -> list[object]:
    """Start the calls at the same moment, each in its own thread with its own connection."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def worker(index: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except BaseException as exc:  # reported to the test below
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a thread hung (deadlock?)"
    return results


@pytest.fixture
def submitted(steward, publisher):
    second_steward = UserFactory(username="second-steward")
    publisher.stewards.add(second_steward)
    dataset = DatasetFactory(publisher=publisher, access_rights=AccessRights.RESTRICTED)
    request = services.access_request_create(
        requester=UserFactory(username="researcher"),
        dataset=dataset,
        purpose=PURPOSE,
        accept_licence=True,
    )
    return request, token_client(steward), token_client(second_steward)


def test_two_stewards_deciding_at_once_give_exactly_one_decision(submitted, monkeypatch):
    request, first, second = submitted
    # Hold the row lock a moment longer, so that without it both would read "submitted" and
    # both decide: the test fails if the services stop locking.
    original = decision_services.is_steward_for

    def slow_is_steward_for(**kwargs):
        time.sleep(0.3)
        return original(**kwargs)

    monkeypatch.setattr(decision_services, "is_steward_for", slow_is_steward_for)

    url = f"{URL}{request.pk}/"
    responses = run_together(
        lambda: first.post(url + "approve/", {"comment": "Fine."}, format="json"),
        lambda: second.post(url + "reject/", {"reason": "Out of scope."}, format="json"),
    )
    for response in responses:
        assert not isinstance(response, BaseException), response
    codes = sorted(response.status_code for response in responses)
    assert codes == [200, 409], [r.json() for r in responses]
    winner = next(r for r in responses if r.status_code == 200).json()
    loser = next(r for r in responses if r.status_code == 409).json()["error"]
    assert loser["state"] == winner["state"]  # the 409 names the state the winner left
    decisions = AccessEvent.objects.filter(
        access_request=request, action__in=["approved", "rejected"]
    )
    assert decisions.count() == 1
    request.refresh_from_db()
    assert request.state == winner["state"] == decisions.get().to_state
    assert services.audit_log_verify().ok


def test_the_same_decision_twice_at_once_is_recorded_once(submitted):
    request, first, second = submitted
    url = f"{URL}{request.pk}/approve/"
    responses = run_together(
        lambda: first.post(url, {}, format="json"), lambda: second.post(url, {}, format="json")
    )
    assert sorted(r.status_code for r in responses) == [200, 409]
    assert AccessEvent.objects.filter(access_request=request, action="approved").count() == 1


def test_two_identical_requests_at_once_give_one_201_and_one_409(publisher, monkeypatch):
    researcher = UserFactory(username="researcher")
    dataset = DatasetFactory(publisher=publisher, access_rights=AccessRights.RESTRICTED)
    # Let both transactions pass the "already open?" check before either inserts, so the race
    # is decided by the partial unique index, not by timing luck.
    inside = threading.Barrier(2)
    original = request_services._validate_distributions

    def validate_then_wait(*args, **kwargs):
        result = original(*args, **kwargs)
        inside.wait(timeout=10)
        return result

    monkeypatch.setattr(request_services, "_validate_distributions", validate_then_wait)
    body = {"dataset": str(dataset.pk), "purpose": PURPOSE, "accept_licence": True}
    clients = [token_client(researcher), token_client(researcher)]
    responses = run_together(*(lambda c=c: c.post(URL, body, format="json") for c in clients))
    for response in responses:
        assert not isinstance(response, BaseException), response
    assert sorted(r.status_code for r in responses) == [201, 409], [r.json() for r in responses]
    created = next(r for r in responses if r.status_code == 201).json()
    conflict = next(r for r in responses if r.status_code == 409).json()["error"]
    assert conflict["existing_request"] == created["id"]
    assert AccessRequest.objects.filter(requester=researcher, dataset=dataset).count() == 1
    assert AccessRequest.objects.get().state == RequestState.SUBMITTED
    assert services.audit_log_verify().ok
