"""Grant tokens, signed download links and the downloads themselves."""

from __future__ import annotations

import base64
import hashlib
import time
from urllib.parse import parse_qs, urlparse

import jwt
import pytest
from django.core.files.base import ContentFile

from access import services
from access.models import GrantState
from delivery import services as delivery_services
from delivery.models import GrantDownload
from tests.accounts.factories import UserFactory
from tests.catalogue.factories import CSV_CONTENT as CONTENT
from tests.catalogue.factories import DistributionFactory

pytestmark = pytest.mark.django_db


def test_token_verifies_offline_against_the_published_jwks(grantee_client, grant, researcher):
    body = grantee_client.get(f"/api/v1/grants/{grant.pk}/").json()
    token = body["token"]
    jwks = grantee_client.get("/.well-known/jwks.json").json()
    kid = jwt.get_unverified_header(token)["kid"]
    key = jwt.PyJWKSet.from_dict(jwks)[kid]
    claims = jwt.decode(token, key.key, algorithms=["EdDSA"])
    assert claims["grant"] == str(grant.pk)
    assert claims["jti"] != str(grant.pk)  # each token has its own id
    assert claims["sub"] == researcher.username
    assert claims["exp"] == claims["iat"] + 3600 < int(grant.expires_at.timestamp())
    assert claims["dataset"] == str(grant.dataset_id)
    visa = claims["ga4gh_visa_v1"]
    assert visa["type"] == "ControlledAccessGrants"
    assert visa["by"] == "dac"
    assert visa["value"].endswith(f"/api/v1/datasets/{grant.dataset_id}/")
    assert "d" not in jwks["keys"][0]  # no private part is ever published


def test_rotation_keeps_old_tokens_verifying_until_retired(grant, grantee_client):
    from django.core.management import call_command

    old_token = delivery_services.grant_token(grant)
    old_kid = jwt.get_unverified_header(old_token)["kid"]
    call_command("rotate_signing_key")
    new_token = delivery_services.grant_token(grant)
    assert jwt.get_unverified_header(new_token)["kid"] != old_kid
    jwks = jwt.PyJWKSet.from_dict(grantee_client.get("/.well-known/jwks.json").json())
    jwt.decode(old_token, jwks[old_kid].key, algorithms=["EdDSA"])  # still verifies
    call_command("rotate_signing_key", "--retire", old_kid)
    kids = {k["kid"] for k in grantee_client.get("/.well-known/jwks.json").json()["keys"]}
    assert old_kid not in kids


def test_grant_api_shows_links_to_the_grantee_only(grantee_client, grant, steward_client):
    body = grantee_client.get("/api/v1/grants/").json()
    assert body["count"] == 1
    files = body["results"][0]["files"]
    assert [f["checksum"] for f in files] == [f"sha256:{hashlib.sha256(CONTENT).hexdigest()}"]
    steward_view = steward_client.get(f"/api/v1/grants/{grant.pk}/").json()
    assert steward_view["token"] is None and steward_view["files"] == []
    other = UserFactory(username="someone")
    grantee_client.force_authenticate(other)
    assert grantee_client.get(f"/api/v1/grants/{grant.pk}/").status_code == 404
    assert grantee_client.get("/api/v1/grants/").json()["count"] == 0


def test_link_ttl_can_only_be_shortened(grantee_client, grant):
    short = grantee_client.get(f"/api/v1/grants/{grant.pk}/", {"link_ttl": 60}).json()
    expires = int(parse_qs(urlparse(short["files"][0]["download_url"]).query)["expires"][0])
    assert expires - time.time() <= 61
    assert grantee_client.get(f"/api/v1/grants/{grant.pk}/", {"link_ttl": 3600}).status_code == 400


def _link(client, grant) -> str:
    url = client.get(f"/api/v1/grants/{grant.pk}/").json()["files"][0]["download_url"]
    return url.replace("http://127.0.0.1:8000", "")


def test_download_streams_the_file_with_digests_and_counts_it(grantee_client, grant, api_client):
    link = _link(grantee_client, grant)
    response = api_client.get(link)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == CONTENT
    digest = hashlib.sha256(CONTENT)
    assert response["Content-Length"] == str(len(CONTENT))
    assert response["ETag"] == f'"{digest.hexdigest()}"'
    assert response["Repr-Digest"] == f"sha-256=:{base64.b64encode(digest.digest()).decode()}:"
    assert response["Accept-Ranges"] == "bytes"
    assert "moisture.csv" in response["Content-Disposition"]
    grant.refresh_from_db()
    assert grant.download_count == 1
    assert GrantDownload.objects.get().bytes_requested == len(CONTENT)


def test_a_head_request_describes_the_file_and_is_not_a_download(grantee_client, grant, api_client):
    link = _link(grantee_client, grant)
    whole = api_client.head(link)
    assert whole.status_code == 200
    assert whole.content == b""
    assert whole["Content-Length"] == str(len(CONTENT))
    assert whole["ETag"] == f'"{hashlib.sha256(CONTENT).hexdigest()}"'
    part = api_client.head(link, HTTP_RANGE="bytes=100-199")
    assert part.status_code == 206 and part["Content-Range"] == f"bytes 100-199/{len(CONTENT)}"
    grant.refresh_from_db()
    assert grant.download_count == 0
    assert not GrantDownload.objects.exists()


def test_ranges_resume_a_download(grantee_client, grant, api_client):
    link = _link(grantee_client, grant)
    partial = api_client.get(link, HTTP_RANGE="bytes=100-")
    assert partial.status_code == 206
    assert partial["Content-Range"] == f"bytes 100-{len(CONTENT) - 1}/{len(CONTENT)}"
    assert b"".join(partial.streaming_content) == CONTENT[100:]
    middle = api_client.get(link, HTTP_RANGE="bytes=10-19")
    assert b"".join(middle.streaming_content) == CONTENT[10:20]
    suffix = api_client.get(link, HTTP_RANGE="bytes=-5")
    assert b"".join(suffix.streaming_content) == CONTENT[-5:]
    beyond = api_client.get(link, HTTP_RANGE=f"bytes={len(CONTENT)}-")
    assert beyond.status_code == 416
    assert beyond["Content-Range"] == f"bytes */{len(CONTENT)}"
    stale = api_client.get(link, HTTP_RANGE="bytes=10-19", HTTP_IF_RANGE='"other"')
    assert stale.status_code == 200  # the file changed: start again from the beginning


def test_tampered_foreign_revoked_and_expired_links(grantee_client, grant, api_client, steward):
    link = _link(grantee_client, grant)
    forged = link.replace("signature=", "signature=x")
    assert api_client.get(forged).status_code == 403
    non_ascii = link.split("signature=")[0] + "signature=%C3%A9%F0%9E%85%B7"
    assert api_client.get(non_ascii).status_code == 403
    assert api_client.get(link.split("?")[0] + "?expires=-52&signature=").status_code == 403
    other = DistributionFactory(dataset=grant.dataset)
    other.file.save("other.csv", ContentFile(b"x"))
    swapped = link.replace(
        str(grant.dataset.distributions.exclude(pk=other.pk).first().pk), str(other.pk)
    )
    assert api_client.get(swapped).status_code == 403
    # An expired link: signed correctly but for a past moment.
    from delivery.services.links import _mac

    distribution_id = link.split("/")[5]
    past = int(time.time()) - 10
    query = f"expires={past}&signature={_mac(str(grant.pk), distribution_id, past)}"
    expired = f"/api/v1/downloads/{grant.pk}/{distribution_id}/?{query}"
    response = api_client.get(expired)
    assert response.status_code == 410
    assert response.json()["error"]["code"] == "gone"
    services.grant_revoke(user=steward, grant=grant, reason="Data breach reported.")
    assert api_client.get(link).status_code == 403
    grant.refresh_from_db()
    assert grant.state == GrantState.REVOKED
    assert grantee_client.get(f"/api/v1/grants/{grant.pk}/").json()["files"] == []


def test_grant_expires_with_its_request(grantee_client, grant, api_client):
    from datetime import timedelta

    link = _link(grantee_client, grant)
    services.access_requests_expire_due(now=grant.expires_at + timedelta(seconds=1))
    grant.refresh_from_db()
    assert grant.state == GrantState.EXPIRED
    assert api_client.get(link).status_code == 410


def test_x_accel_redirect_hands_the_bytes_to_nginx(grantee_client, grant, api_client, settings):
    settings.DOWNLOAD_X_ACCEL_REDIRECT_PREFIX = "/_protected/"
    response = api_client.get(_link(grantee_client, grant))
    assert response.status_code == 200
    assert response["X-Accel-Redirect"].startswith("/_protected/")
    assert response["X-Accel-Redirect"].endswith("moisture.csv")
    assert response.content == b""
    assert response["ETag"]


def test_jwks_is_never_empty_and_holds_no_private_part(api_client):
    keys = api_client.get("/.well-known/jwks.json").json()["keys"]
    assert len(keys) == 1
    assert {"kty", "crv", "x", "kid", "alg", "use"} == set(keys[0])
    assert api_client.get("/.well-known/jwks.json").json()["keys"] == keys  # stable


def test_a_downloaded_file_can_still_be_removed_and_the_download_record_stays(
    grantee_client, grant, api_client, steward
):
    from catalogue.services import distribution_delete

    link = _link(grantee_client, grant)
    b"".join(api_client.get(link).streaming_content)
    distribution = grant.dataset.distributions.get()
    distribution_delete(user=steward, distribution=distribution)
    record = GrantDownload.objects.get()
    assert record.distribution is None
    assert record.bytes_requested == len(CONTENT)
    gone = api_client.get(link)  # the grant opened that file only, and it is gone
    assert gone.status_code == 404
    assert "removed from the dataset" in gone.json()["error"]["message"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_download_never_waits_for_the_grants_row(grantee_client, grant, api_client):
    """Parallel downloads of one grant (a cluster's 64 ranges) do not queue on its row: the
    count comes from the download records, and nothing in a download writes the grant. Here
    another transaction holds the lock an update of the grant's row takes (FOR NO KEY UPDATE,
    as the old per-download counter did) while the file is served; a download that wrote the
    row would wait for it and hit the lock timeout. (Recording the download only needs the key
    share lock of its foreign key, which such a lock does not block.)"""
    from django.db import connection, connections

    from access.models import Grant

    link = _link(grantee_client, grant)
    holder = connections.create_connection("default")
    try:
        with holder.cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute(
                f"SELECT id FROM {Grant._meta.db_table} WHERE id = %s FOR NO KEY UPDATE",
                [grant.pk.hex],
            )
            with connection.cursor() as own:
                own.execute("SET lock_timeout = '2s'")
            response = api_client.get(link, HTTP_RANGE="bytes=0-99")
            assert response.status_code == 206
            assert b"".join(response.streaming_content) == CONTENT[:100]
            cursor.execute("ROLLBACK")
    finally:
        holder.close()
    assert Grant.objects.get(pk=grant.pk).download_count == 1
    listed = grantee_client.get("/api/v1/grants/").json()["results"][0]
    assert listed["download_count"] == 1
