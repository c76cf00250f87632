"""Grants: provisioned by workers from approvals, revoked by stewards, one per request."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from access import services
from access.models import AccessEvent, Grant, GrantState
from catalogue.models import AccessRights, Distribution
from tests.access.factories import PURPOSE, approved_request, submitted_request
from tests.accounts.factories import UserFactory, token_client
from tests.catalogue.factories import DatasetFactory, PublisherFactory, file_distribution

pytestmark = pytest.mark.django_db


def test_provisioning_is_idempotent_and_recorded(approved, grant):
    assert grant.state == GrantState.ACTIVE
    assert grant.expires_at == approved.valid_until
    assert services.grant_provision(access_request_id=approved.pk).pk == grant.pk
    assert Grant.objects.filter(access_request=approved).count() == 1
    assert approved.events.filter(action="grant_provisioned").count() == 1
    assert services.audit_log_verify().ok


def test_steward_revokes_through_the_api(steward_client, grant, researcher_client):
    response = steward_client.post(
        f"/api/v1/grants/{grant.pk}/revoke/", {"reason": "Ended early."}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["state"] == "revoked"
    assert (
        steward_client.post(f"/api/v1/grants/{grant.pk}/revoke/", {}, format="json").status_code
        == 400
    )


def test_approval_survives_a_dead_broker_and_the_sweep_provisions(
    approved, dead_broker, django_capture_on_commit_callbacks, researcher, steward_client
):
    from datetime import timedelta

    second = DatasetFactory(publisher=approved.dataset.publisher, access_rights="RESTRICTED")
    request = services.access_request_create(
        requester=researcher, dataset=second, purpose=PURPOSE, accept_licence=True
    )
    with django_capture_on_commit_callbacks(execute=True) as sent:
        response = steward_client.post(
            f"/api/v1/access-requests/{request.pk}/approve/", {}, format="json"
        )
    assert response.status_code == 200  # the broker's failure is not the steward's problem
    assert response.json()["state"] == "approved"
    assert len(sent) == 1  # the provisioning was tried after commit, and failed
    assert not Grant.objects.filter(access_request=request).exists()
    # Once the broker is back, the sweep (run by beat every minute) provisions what was missed.
    assert services.grants_provision_missing(older_than=timedelta(0)) == 2
    assert Grant.objects.filter(access_request=request).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_fifty_concurrent_provisions_make_one_grant(approved):
    barrier = threading.Barrier(50)
    errors: list[BaseException] = []

    def provision() -> None:
        try:
            barrier.wait()
            services.grant_provision(access_request_id=approved.pk)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=provision) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Grant.objects.filter(access_request=approved).count() == 1
    assert AccessEvent.objects.filter(action="grant_provisioned").count() == 1


def test_the_request_shows_its_grant_once_provisioned(grantee_client, approved):
    url = f"/api/v1/access-requests/{approved.pk}/"
    assert grantee_client.get(url).json()["grant"] is None
    grant = services.grant_provision(access_request_id=approved.pk)
    shown = grantee_client.get(url).json()["grant"]
    assert shown["id"] == str(grant.pk)
    assert shown["state"] == "active"
    assert grantee_client.get(shown["url"]).status_code == 200


def test_steward_revokes_grants_in_the_admin_with_a_reason(client, steward, grant, api_client):
    from django.contrib.auth.models import Group

    steward.is_staff = True
    steward.save()
    steward.groups.add(Group.objects.get(name="Stewards"))
    client.force_login(steward)
    changelist = "/admin/access/grant/"
    assert str(grant.pk) in client.get(changelist).content.decode()
    asked = client.post(changelist, {"action": "revoke_selected", "_selected_action": [grant.pk]})
    assert b"Revoke grants" in asked.content  # the reason is asked first
    done = client.post(
        changelist,
        {"action": "revoke_selected", "_selected_action": [grant.pk], "apply": "1",
         "reason": "Consent withdrawn."},
        follow=True,
    )  # fmt: skip
    assert b"Revoked 1 grant" in done.content
    grant.refresh_from_db()
    assert grant.state == GrantState.REVOKED
    assert grant.access_request.events.last().comment == "Consent withdrawn."


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_fifty_concurrent_approvals_of_one_request_make_one_grant(researcher, steward, publisher):
    dataset = DatasetFactory(publisher=publisher, access_rights=AccessRights.RESTRICTED)
    request = services.access_request_create(
        requester=researcher, dataset=dataset, purpose=PURPOSE, accept_licence=True
    )
    barrier = threading.Barrier(50)
    outcomes: list[str] = []

    def approve() -> None:
        try:
            barrier.wait()
            services.access_request_approve(user=steward, request=request)
            services.grant_provision(access_request_id=request.pk)
            outcomes.append("approved")
        except services.StateConflictError:
            outcomes.append("conflict")
        except BaseException as exc:  # reported below
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=approve) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(set(outcomes)) == ["approved", "conflict"], outcomes
    assert outcomes.count("approved") == 1
    assert request.events.filter(action="approved").count() == 1
    assert Grant.objects.filter(access_request=request).count() == 1


# --- a grant never widens ----------------------------------------------------------------------


def grant_file_titles(client, grant) -> list[str]:
    return [f["title"] for f in client.get(f"/api/v1/grants/{grant.pk}/").json()["files"]]


def test_a_file_added_after_approval_is_not_in_the_grant(grant, grantee_client, restricted):
    original = grant_file_titles(grantee_client, grant)
    file_distribution(restricted, b"added later\n", "later.csv", title="Added later")
    assert grant_file_titles(grantee_client, grant) == original
    assert "Added later" not in original


def test_removing_every_approved_file_leaves_a_grant_that_covers_nothing(
    researcher, steward, steward_client, grantee_client, api_client, restricted
):
    """Asked for one file of two: when that file is removed, the grant opens nothing, never the
    other file."""
    chosen = file_distribution(restricted, b"chosen\n", "chosen.csv", title="Chosen")
    file_distribution(restricted, b"not chosen\n", "other.csv", title="Not chosen")
    request = approved_request(researcher, steward, restricted, distributions=[chosen.pk])
    grant = services.grant_provision(access_request_id=request.pk)
    link = grantee_client.get(f"/api/v1/grants/{grant.pk}/").json()["files"][0]["download_url"]
    assert grant_file_titles(grantee_client, grant) == ["Chosen"]

    response = steward_client.delete(
        f"/api/v1/datasets/{restricted.slug}/distributions/{chosen.pk}/"
    )
    assert response.status_code == 204
    assert grant_file_titles(grantee_client, grant) == []
    gone = api_client.get(link)
    assert gone.status_code == 404
    assert "no longer part of the grant" in gone.json()["error"]["message"]
    assert "covers no files" in gone.json()["error"]["message"]
    detail = grantee_client.get(f"/api/v1/access-requests/{request.pk}/").json()
    assert detail["whole_dataset"] is False
    assert detail["distributions"] == [] and detail["approved_distributions"] == []


def test_a_request_whose_chosen_files_are_gone_is_not_approved_for_everything(
    researcher, steward_client, restricted
):
    chosen = file_distribution(restricted, b"chosen\n", "chosen.csv", title="Chosen")
    file_distribution(restricted, b"not chosen\n", "other.csv", title="Not chosen")
    request = submitted_request(researcher, restricted, distributions=[chosen.pk])
    steward_client.delete(f"/api/v1/datasets/{restricted.slug}/distributions/{chosen.pk}/")
    response = steward_client.post(f"/api/v1/access-requests/{request.pk}/approve/", {})
    assert response.status_code == 409
    assert "removed from the dataset" in response.json()["error"]["message"]
    request.refresh_from_db()
    assert request.state == "submitted" and not request.approved_distributions.exists()


def test_the_whole_dataset_is_frozen_at_approval(researcher, steward, restricted, restricted_file):
    request = approved_request(researcher, steward, restricted)
    file_distribution(restricted, b"later\n", "later.csv")
    assert list(request.approved_distributions.all()) == [restricted_file]
    assert request.whole_dataset is True


@pytest.mark.parametrize(
    ("who", "status"), [("steward", 204), ("rival", 404), ("researcher", 404), ("anonymous", 401)]
)
def test_only_the_publishers_stewards_remove_a_file_through_the_api(
    who, status, restricted_file, restricted, steward_client, researcher_client
):
    rival = UserFactory(username="rival-steward")
    PublisherFactory(slug="rival-farms").stewards.add(rival)
    client = {
        "steward": steward_client,
        "rival": token_client(rival),
        "researcher": researcher_client,
        "anonymous": APIClient(),
    }[who]
    url = f"/api/v1/datasets/{restricted.pk}/distributions/{restricted_file.pk}/"
    response = client.delete(url)
    assert response.status_code == status, response.content
    if status != 204:
        assert "error" in response.json()
    assert Distribution.objects.filter(pk=restricted_file.pk).exists() == (status != 204)
