"""Who enters the researcher workspace, and what each person sees there."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.access.factories import submitted_request
from tests.accounts.factories import UserFactory, admin_user_in

pytestmark = pytest.mark.django_db

PAGES = [
    "/workspace/",
    "/workspace/workspace/cataloguedataset/",
    "/workspace/workspace/myrequest/",
    "/workspace/workspace/mygrant/",
]


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_visitor_is_sent_to_sign_in_and_back(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"


def test_workspace_sign_in_is_allauths_and_lands_back_without_staff(client, researcher):
    from tests.accounts.factories import PASSWORD

    mine = "/workspace/workspace/myrequest/"
    handed_over = client.get(f"/workspace/login/?next={mine}")
    assert handed_over["Location"] == f"/accounts/login/?next={mine}"
    # Nowhere else: a next on another site is dropped.
    assert client.get("/workspace/login/?next=https://evil.example/")["Location"] == (
        "/accounts/login/?next=/workspace/"
    )

    assert not researcher.is_staff
    response = client.post(
        f"/accounts/login/?next={mine}",
        {"login": researcher.email, "password": PASSWORD, "next": mine},
    )

    assert response.status_code == 302
    assert response["Location"] == mine
    assert client.get(mine).status_code == 200


@pytest.mark.parametrize("url", PAGES)
def test_account_without_verified_email_is_refused_with_a_page_saying_why(url):
    unverified = UserFactory(username="nomail", email="")

    response = signed_in(unverified).get(url)

    assert response.status_code == 403
    page = response.content.decode()
    assert "cannot enter the workspace yet" in page
    assert "has no e-mail address" in page
    assert 'action="/workspace/logout/"' in page


def test_account_whose_address_is_unverified_is_told_to_verify_it():
    unverified = UserFactory(username="pending", email_verified=False)

    response = signed_in(unverified).get("/workspace/")

    assert response.status_code == 403
    page = response.content.decode()
    assert f"its e-mail address {unverified.email} is not verified" in page
    assert 'href="/accounts/email/"' in page


def test_account_without_verified_email_can_still_sign_out():
    client = signed_in(UserFactory(username="nomail", email=""))

    response = client.post("/workspace/logout/")

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_inactive_account_is_treated_as_signed_out(researcher):
    client = signed_in(researcher)
    researcher.is_active = False
    researcher.save(update_fields=["is_active"])

    response = client.get("/workspace/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_researcher_enters_and_sees_only_the_workspace_pages(researcher):
    response = signed_in(researcher).get("/workspace/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "Passerelle workspace" in page
    for label in ("Catalogue", "My requests", "My grants"):
        assert label in page
    models = {
        model["object_name"] for app in response.context["app_list"] for model in app["models"]
    }
    assert models == {"CatalogueDataset", "MyRequest", "MyGrant", "RequestToReview"}
    # The account's own pages, the API tokens among them, instead of the admin's recent actions.
    assert 'href="/accounts/tokens/"' in page and 'href="/accounts/2fa/"' in page


@pytest.mark.parametrize(
    "url",
    [
        "/workspace/catalogue/dataset/",
        "/workspace/access/accessrequest/",
        "/workspace/access/grant/",
        "/workspace/auth/user/",
        "/workspace/access/accessevent/",
    ],
)
def test_stewards_admin_models_do_not_exist_in_the_workspace(researcher, url):
    assert signed_in(researcher).get(url).status_code == 404


def test_even_a_steward_sees_no_stewards_model_in_the_workspace(admin_steward):
    response = signed_in(admin_steward).get("/workspace/")

    models = {
        model["object_name"] for app in response.context["app_list"] for model in app["models"]
    }
    assert models == {"CatalogueDataset", "MyRequest", "MyGrant", "RequestToReview"}


def test_non_staff_researcher_cannot_reach_the_stewards_admin(researcher):
    client = signed_in(researcher)

    for url in ("/admin/", "/admin/access/accessrequest/", "/admin/catalogue/dataset/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/admin/login/")


def test_another_researchers_request_is_not_found(researcher, restricted):
    other = UserFactory(username="other")
    theirs = submitted_request(other, restricted)
    client = signed_in(researcher)

    for suffix in ("change/", "edit/", "withdraw/"):
        url = f"/workspace/workspace/myrequest/{theirs.pk}/{suffix}"
        assert client.get(url).status_code == 404, url
    assert client.post(f"/workspace/workspace/myrequest/{theirs.pk}/withdraw/").status_code == 404
    listed = client.get("/workspace/workspace/myrequest/").content.decode()
    assert restricted.title not in listed
    theirs.refresh_from_db()
    assert theirs.state == "submitted"


def test_steward_sees_only_their_own_requests_in_the_workspace(
    admin_steward, researcher, restricted
):
    submitted_request(researcher, restricted)

    response = signed_in(admin_steward).get("/workspace/workspace/myrequest/")

    assert response.status_code == 200
    assert response.context["cl"].result_count == 0


def test_another_researchers_grant_is_not_found(grant, restricted_file):
    client = signed_in(UserFactory(username="other"))
    base = f"/workspace/workspace/mygrant/{grant.pk}"

    assert client.get(f"{base}/change/").status_code == 404
    assert client.get(f"{base}/manifest/wget/").status_code == 404
    assert client.post(f"{base}/download/{restricted_file.pk}/").status_code == 404
    assert client.get("/workspace/workspace/mygrant/").context["cl"].result_count == 0


def test_nothing_can_be_added_changed_or_deleted_through_the_admin_forms(researcher, grant):
    client = signed_in(researcher)
    request_id = grant.access_request_id

    assert client.get("/workspace/workspace/myrequest/add/").status_code == 403
    assert client.post(f"/workspace/workspace/myrequest/{request_id}/delete/").status_code == 403
    assert client.post(f"/workspace/workspace/mygrant/{grant.pk}/delete/").status_code == 403


def test_staff_researcher_with_admin_groups_keeps_the_admin(researcher):
    admin_user_in(researcher, "Researchers")

    assert signed_in(researcher).get("/admin/").status_code == 200
