"""GA4GH DRS 1.4 at /ga4gh/drs/v1: a small client written from the spec (and drs-cli, unchanged)
resolves drs:// URIs of granted files on a live server and fetches their bytes by passport or
bearer token; callers without an active grant are refused with the spec's codes and errors."""

from __future__ import annotations

import hashlib
import json
import os
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import requests
from django.utils import timezone
from rest_framework.test import APIClient

from access import services as access_services
from access.models import Grant
from accounts.services import api_token_create
from catalogue.models import AccessRights, Distribution
from delivery.services.passports import passport_issue
from tests.access.factories import approved_request
from tests.accounts.factories import UserFactory, partner_api, partner_client, token_client
from tests.catalogue.factories import DatasetFactory, file_distribution

DRS = "/ga4gh/drs/v1"


class SpecClient:
    """A DRS 1.4 client as the spec describes one, for hostname-based drs:// URIs. Resolution is
    ``https://<host>/ga4gh/drs/v1/objects/<id>``; ``scheme`` lets the test use plain HTTP."""

    def __init__(self, *, scheme: str = "https", token: str | None = None) -> None:
        self.scheme = scheme
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def _base(self, uri: str) -> tuple[str, str]:
        parts = urlsplit(uri)
        assert parts.scheme == "drs" and parts.netloc and ":" not in parts.path
        return f"{self.scheme}://{parts.netloc}{DRS}", parts.path.lstrip("/")

    def get_object(self, uri: str) -> requests.Response:
        base, object_id = self._base(uri)
        return requests.get(f"{base}/objects/{object_id}", headers=self.headers, timeout=30)

    def post_object(self, uri: str, passports: list[str]) -> requests.Response:
        base, object_id = self._base(uri)
        return requests.post(
            f"{base}/objects/{object_id}",
            json={"expand": False, "passports": passports},
            headers=self.headers,
            timeout=30,
        )

    def access_url(
        self, uri: str, access_id: str, passports: list[str] | None = None
    ) -> requests.Response:
        base, object_id = self._base(uri)
        url = f"{base}/objects/{object_id}/access/{access_id}"
        if passports is None:
            return requests.get(url, headers=self.headers, timeout=30)
        return requests.post(url, json={"passports": passports}, headers=self.headers, timeout=30)

    def fetch(self, uri: str, passports: list[str] | None = None) -> bytes:
        """Resolve the object, ask for the URL of its first access method, fetch the bytes and
        check them against the object's sha-256."""
        found = self.post_object(uri, passports) if passports else self.get_object(uri)
        assert found.status_code == 200, found.text
        obj = found.json()
        method = obj["access_methods"][0]
        if "access_url" in method:
            access = method["access_url"]
        else:
            response = self.access_url(uri, method["access_id"], passports)
            assert response.status_code == 200, response.text
            access = response.json()
        headers = dict(h.split(": ", 1) for h in access.get("headers", []))
        data = requests.get(access["url"], headers=headers, timeout=30)
        assert data.status_code == 200
        (checksum,) = [c["checksum"] for c in obj["checksums"] if c["type"] == "sha-256"]
        assert hashlib.sha256(data.content).hexdigest() == checksum
        assert len(data.content) == obj["size"]
        return data.content


def _spec_error(response: requests.Response | object, status: int) -> None:
    body = response.json()
    assert response.status_code == status and body["status_code"] == status
    assert isinstance(body["msg"], str) and body["msg"]
    assert set(body) == {"msg", "status_code"}


@pytest.fixture
def content() -> bytes:
    return os.urandom(300_000)


@pytest.fixture
def drs_grant(researcher, steward, restricted, content, sent_tasks):
    """The researcher's grant for one of two files of a restricted dataset."""
    granted = file_distribution(restricted, content=content, filename="cohort.bin")
    withheld = file_distribution(restricted, content=b"withheld", filename="keys.csv")
    request = approved_request(researcher, steward, restricted, distributions=[granted])
    grant = access_services.grant_provision(access_request_id=request.pk)
    return grant, granted, withheld


# --- through a live server: the spec's client and drs-cli --------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.postgres
def test_spec_client_fetches_a_granted_file_by_passport_and_is_refused_without(
    live_server, settings, drs_grant, researcher, steward, content
):
    settings.SITE_URL = live_server.url
    settings.DRS_HOSTNAME = urlsplit(live_server.url).netloc
    grant, granted, withheld = drs_grant
    # The drs:// URI as the grant shows it to its grantee.
    files = token_client(researcher).get(f"/api/v1/grants/{grant.pk}/").json()["files"]
    uri = files[0]["drs_uri"]
    assert uri == f"drs://{settings.DRS_HOSTNAME}/{granted.pk}"
    client = SpecClient(scheme="http")
    passport = passport_issue(user=researcher)

    assert client.fetch(uri, passports=[passport]) == content
    obj = client.post_object(uri, [passport]).json()
    assert obj["self_uri"] == uri and obj["id"] == str(granted.pk)
    assert obj["access_methods"] == [
        {
            "type": "https",
            "access_id": f"grant-{grant.pk}",
            "authorizations": {
                "drs_object_id": str(granted.pk),
                "supported_types": ["PassportAuth", "BearerAuth"],
                "passport_auth_issuers": [live_server.url],
                "bearer_auth_issuers": [live_server.url],
            },
        }
    ]

    # Without any credentials: 401, and how to authenticate.
    refused = client.get_object(uri)
    _spec_error(refused, 401)
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    _spec_error(client.access_url(uri, f"grant-{grant.pk}"), 401)
    # The dataset's file that the approval left out: refused even with the passport.
    withheld_uri = f"drs://{settings.DRS_HOSTNAME}/{withheld.pk}"
    _spec_error(client.post_object(withheld_uri, [passport]), 403)
    # Another researcher's passport (their own grant is of another dataset): 403.
    other = UserFactory(username="other-researcher")
    elsewhere = DatasetFactory(
        publisher=granted.dataset.publisher, access_rights=AccessRights.RESTRICTED
    )
    file_distribution(elsewhere)
    access_services.grant_provision(
        access_request_id=approved_request(other, steward, elsewhere).pk
    )
    _spec_error(client.post_object(uri, [passport_issue(user=other)]), 403)
    # A forged passport: 401.
    _spec_error(client.post_object(uri, [passport[:-4] + "AAAA"]), 401)
    # Revoked: the very passport that worked is now refused, and so is the URL it obtained.
    url = client.access_url(uri, f"grant-{grant.pk}", [passport]).json()["url"]
    access_services.grant_revoke(user=steward, grant=grant, reason="Terms breached.")
    _spec_error(client.post_object(uri, [passport]), 403)
    _spec_error(client.access_url(uri, f"grant-{grant.pk}", [passport]), 403)
    assert requests.get(url, timeout=30).status_code == 403


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.postgres
def test_drs_cli_resolves_a_drs_uri_with_a_bearer_token(
    live_server, settings, drs_grant, researcher, content
):
    from drs_cli.client import DRSClient
    from drs_cli.models import AccessURL, DrsObject, Error

    settings.SITE_URL = live_server.url
    # drs-cli resolves drs://<host>/<id> on the port it is given (the spec's default is 443).
    settings.DRS_HOSTNAME = "127.0.0.1"
    port = urlsplit(live_server.url).port
    _grant, granted, _ = drs_grant
    _, raw = api_token_create(user=researcher)
    uri = f"drs://127.0.0.1/{granted.pk}"

    client = DRSClient(uri=uri, port=port, use_http=True, token=raw)
    obj = client.get_object(object_id=uri)
    assert isinstance(obj, DrsObject) and obj.self_uri == uri and obj.size == len(content)
    access = client.get_access_url(object_id=uri, access_id=obj.access_methods[0].access_id)
    assert isinstance(access, AccessURL)
    assert requests.get(access.url, timeout=30).content == content

    anonymous = DRSClient(uri=uri, port=port, use_http=True).get_object(object_id=uri)
    assert isinstance(anonymous, Error) and anonymous.status_code == 401


# --- objects, authorization and errors (test client) -------------------------------------------


@pytest.mark.django_db
def test_service_info(api_client, settings):
    body = api_client.get(f"{DRS}/service-info").json()
    assert body["type"] == {"group": "org.ga4gh", "artifact": "drs", "version": "1.4.0"}
    assert body["maxBulkRequestLength"] == settings.DRS_MAX_BULK_REQUEST_LENGTH
    assert {"id", "name", "organization", "version"} <= set(body)


@pytest.mark.django_db
def test_public_files_resolve_without_credentials(api_client, publisher):
    dataset = DatasetFactory(publisher=publisher, access_rights=AccessRights.PUBLIC)
    public = file_distribution(dataset, content=b"open,data\n", filename="open.csv")
    body = api_client.get(f"{DRS}/objects/{public.pk}").json()
    (method,) = body["access_methods"]
    assert method["access_url"]["url"].endswith(
        f"/api/v1/datasets/{dataset.pk}/distributions/{public.pk}/download/"
    )
    assert api_client.get(method["access_url"]["url"]).status_code == 200
    access = api_client.get(f"{DRS}/objects/{public.pk}/access/public").json()
    assert access["url"] == method["access_url"]["url"]
    options = api_client.options(f"{DRS}/objects/{public.pk}").json()
    assert options["supported_types"] == ["None"]
    # The catalogue gives each file its DRS URI.
    listed = api_client.get(f"/api/v1/datasets/{dataset.slug}/").json()["distributions"]
    assert listed[0]["drs_uri"] == body["self_uri"] == f"drs://127.0.0.1:8000/{public.pk}"


@pytest.mark.django_db
def test_personal_token_as_bearer_and_partner_rules(
    drs_grant, researcher, steward, restricted, publisher, api_client
):
    _grant, granted, _ = drs_grant
    _, raw = api_token_create(user=researcher)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api_client.get(f"{DRS}/objects/{granted.pk}").status_code == 200
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    assert api_client.get(f"{DRS}/objects/{granted.pk}").status_code == 200
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    _spec_error(api_client.get(f"{DRS}/objects/{granted.pk}"), 401)
    # The steward sees the grant in the API but fetches nothing through it.
    _spec_error(token_client(steward).get(f"{DRS}/objects/{granted.pk}"), 403)
    # A partner of the publisher with grants:read: it reads grants, it does not fetch files.
    owner, secret = partner_client("Bauer IT", scopes=("grants:read",), publishers=[publisher])
    _spec_error(partner_api(owner, secret).get(f"{DRS}/objects/{granted.pk}"), 403)
    # A partner without grants:read in its token: refused at the door.
    office, office_secret = partner_client(scopes=("access:request",))
    _spec_error(partner_api(office, office_secret).get(f"{DRS}/objects/{granted.pk}"), 403)


@pytest.mark.django_db
def test_partner_that_submitted_the_request_resolves_and_fetches(
    researcher, steward, restricted, sent_tasks
):
    office, secret = partner_client(scopes=("access:request", "grants:read"))
    file = file_distribution(restricted, content=b"staged\n", filename="staged.csv")
    request = approved_request(researcher, steward, restricted, submitted_by_client=office)
    grant = access_services.grant_provision(access_request_id=request.pk)
    api = partner_api(office, secret)
    obj = api.get(f"{DRS}/objects/{file.pk}").json()
    assert obj["access_methods"][0]["access_id"] == f"grant-{grant.pk}"
    url = api.get(f"{DRS}/objects/{file.pk}/access/grant-{grant.pk}").json()["url"]
    assert url.startswith("http://127.0.0.1:8000/api/v1/downloads/")
    # The researcher's passport as this partner gets it (its own grants' visas) opens it too,
    # with no other credential, as partners.md shows.
    passport = api.get(f"/api/v1/passports/{researcher.username}/").json()["passport"]
    by_passport = APIClient().post(
        f"{DRS}/objects/{file.pk}/access/grant-{grant.pk}", {"passports": [passport]}, format="json"
    )
    assert by_passport.status_code == 200 and "/downloads/" in by_passport.json()["url"]
    _spec_error(APIClient().options(f"{DRS}/objects/00000000-0000-0000-0000-000000000000"), 404)
    # Another partner with grants:read that did not submit it: 403.
    rival, rival_secret = partner_client("Rival office", scopes=("grants:read",))
    _spec_error(partner_api(rival, rival_secret).get(f"{DRS}/objects/{file.pk}"), 403)


@pytest.mark.django_db
def test_access_ids_and_ids_that_name_nothing(drs_grant, researcher_client):
    grant, granted, _ = drs_grant
    base = f"{DRS}/objects/{granted.pk}/access"
    other_grant = "grant-00000000-0000-0000-0000-000000000000"
    for bad in (other_grant, "public", "grant-x", "%E2%80%8B"):
        _spec_error(researcher_client.get(f"{base}/{bad}"), 404)
    for missing in ("00000000-0000-0000-0000-000000000000", "not-a-uuid", "%C3%A9"):
        _spec_error(researcher_client.get(f"{DRS}/objects/{missing}"), 404)
    _spec_error(researcher_client.get(f"{DRS}/nothing/here"), 404)
    csrf_checked = APIClient(enforce_csrf_checks=True)
    _spec_error(csrf_checked.post(f"{DRS}/nothing/here", {}, format="json"), 404)
    _spec_error(researcher_client.get(f"{DRS}/objects/%00"), 400)
    # The link the access method gives lives DRS_ACCESS_URL_TTL_SECONDS.
    url = researcher_client.get(f"{base}/grant-{grant.pk}").json()["url"]
    assert str(grant.pk) in url and str(granted.pk) in url


@pytest.mark.django_db
def test_expired_grant_opens_nothing(drs_grant, researcher_client):
    grant, granted, _ = drs_grant
    Grant.objects.filter(pk=grant.pk).update(
        valid_from=timezone.now() - timedelta(days=2),
        expires_at=timezone.now() - timedelta(seconds=1),
    )
    _spec_error(researcher_client.get(f"{DRS}/objects/{granted.pk}"), 403)


# --- bulk forms -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_bulk_objects_and_bulk_access(drs_grant, researcher, api_client):
    grant, granted, withheld = drs_grant
    missing = "00000000-0000-0000-0000-000000000000"
    passport = passport_issue(user=researcher)
    body = api_client.post(
        f"{DRS}/objects",
        {"bulk_object_ids": [str(granted.pk), str(withheld.pk), missing], "passports": [passport]},
        format="json",
    ).json()
    assert body["summary"] == {"requested": 3, "resolved": 1, "unresolved": 2}
    assert [o["id"] for o in body["resolved_drs_object"]] == [str(granted.pk)]
    assert body["unresolved_drs_objects"] == [
        {"error_code": 403, "object_ids": [str(withheld.pk)]},
        {"error_code": 404, "object_ids": [missing]},
    ]
    anonymous = api_client.post(
        f"{DRS}/objects", {"bulk_object_ids": [str(granted.pk)]}, format="json"
    ).json()
    assert anonymous["unresolved_drs_objects"] == [
        {"error_code": 401, "object_ids": [str(granted.pk)]}
    ]

    access = api_client.post(
        f"{DRS}/objects/access",
        {
            "bulk_object_access_ids": [
                {"bulk_object_id": str(granted.pk), "bulk_access_ids": [f"grant-{grant.pk}", "x"]},
                {"bulk_object_id": str(withheld.pk), "bulk_access_ids": [f"grant-{grant.pk}"]},
            ],
            "passports": [passport],
        },
        format="json",
    ).json()
    assert access["summary"] == {"requested": 3, "resolved": 1, "unresolved": 2}
    (resolved,) = access["resolved_drs_object_access_urls"]
    assert resolved["drs_object_id"] == str(granted.pk)
    assert resolved["drs_access_id"] == f"grant-{grant.pk}"
    assert api_client.get(resolved["url"].removeprefix("http://127.0.0.1:8000")).status_code == 200
    assert {g["error_code"] for g in access["unresolved_drs_objects"]} == {403, 404}

    options = api_client.options(
        f"{DRS}/objects", {"bulk_object_ids": [str(granted.pk), missing]}, format="json"
    ).json()
    assert options["summary"] == {"requested": 2, "resolved": 1, "unresolved": 1}
    assert options["resolved_drs_object"][0]["supported_types"] == ["PassportAuth", "BearerAuth"]


@pytest.mark.django_db
def test_bulk_of_a_thousand_takes_a_fixed_number_of_queries(
    drs_grant, researcher, restricted, django_assert_max_num_queries, api_client
):
    grant, granted, _ = drs_grant
    many = Distribution.objects.bulk_create(
        Distribution(
            dataset=restricted, title=f"Plot {i}", format="CSV", byte_size=10 + i,
            sha256=f"{i:064x}", file=f"{restricted.pk}/p{i}/plot.csv",
        )
        for i in range(999)
    )  # fmt: skip
    grant.access_request.approved_distributions.add(*many)
    ids = [str(granted.pk), *(str(d.pk) for d in many)]
    _, raw = api_token_create(user=researcher)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    with django_assert_max_num_queries(8):
        body = api_client.post(f"{DRS}/objects", {"bulk_object_ids": ids}, format="json").json()
    assert body["summary"]["resolved"] == 1000
    wanted = [{"bulk_object_id": i, "bulk_access_ids": [f"grant-{grant.pk}"]} for i in ids]
    with django_assert_max_num_queries(9):
        access = api_client.post(
            f"{DRS}/objects/access", {"bulk_object_access_ids": wanted}, format="json"
        ).json()
    assert access["summary"]["resolved"] == 1000


@pytest.mark.django_db
def test_hostile_bodies_are_400_or_413_in_the_spec_shape(api_client, drs_grant, settings):
    _, granted, _ = drs_grant
    url = f"{DRS}/objects/{granted.pk}"
    post = lambda path, body, **kw: api_client.generic(  # noqa: E731
        "POST", path, body, content_type=kw.get("content_type", "application/json")
    )
    # JSON with a charset parameter is JSON.
    with_charset = post(url, "{}", content_type="application/json; charset=utf-8")
    _spec_error(with_charset, 401)
    _spec_error(post(url, "{not json"), 400)
    _spec_error(post(url, "[" * 100_000 + "]" * 100_000), 400)
    _spec_error(post(url, '["a list"]'), 400)
    _spec_error(post(url, json.dumps({"passports": "one"})), 400)
    _spec_error(post(url, json.dumps({"passports": [1]})), 400)
    _spec_error(post(url, json.dumps({"passports": ["x"] * 50})), 400)
    _spec_error(post(url, json.dumps({"expand": "yes"})), 400)
    _spec_error(post(url, json.dumps({"passports": ["\u0000"]})), 401)
    _spec_error(post(url, "passports=x", content_type="application/x-www-form-urlencoded"), 415)
    too_many = {"bulk_object_ids": ["x"] * (settings.DRS_MAX_BULK_REQUEST_LENGTH + 1)}
    _spec_error(post(f"{DRS}/objects", json.dumps(too_many)), 413)
    _spec_error(post(f"{DRS}/objects", json.dumps({"bulk_object_ids": []})), 400)
    _spec_error(post(f"{DRS}/objects", json.dumps({"bulk_object_ids": ["a\u0000b"]})), 400)
    _spec_error(post(f"{DRS}/objects/access", json.dumps({"bulk_object_access_ids": [1]})), 400)
    _spec_error(post(f"{DRS}/objects/access", "{}"), 400)
    huge = b'{"passports": ["' + b"a" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10) + b'"]}'
    _spec_error(post(url, huge), 413)
