"""My grants in the workspace: files, Download buttons, curl, manifests and the grant token."""

from __future__ import annotations

import hashlib
import shlex
import shutil
import subprocess
from datetime import UTC, datetime
from urllib.parse import urlsplit

import jwt
import pytest
from django.test import Client

from access import services
from tests.catalogue.factories import file_distribution

pytestmark = pytest.mark.django_db

GRANTS = "/workspace/workspace/mygrant/"


@pytest.fixture
def client(researcher) -> Client:
    client = Client()
    client.force_login(researcher)
    return client


def fetch(url: str) -> tuple[int, bytes]:
    """Use a signed link as a download tool would: no session, just the URL."""
    parts = urlsplit(url)
    response = Client().get(f"{parts.path}?{parts.query}")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response.status_code, body


def grant_page(client: Client, grant) -> str:
    response = client.get(f"{GRANTS}{grant.pk}/change/")
    assert response.status_code == 200
    return response.content.decode()


def test_my_grants_lists_only_my_grants(client, grant):
    response = client.get(GRANTS)

    assert response.status_code == 200
    assert [g.pk for g in response.context["cl"].result_list] == [grant.pk]


def test_grant_page_shows_each_file_with_size_and_checksum(client, grant, restricted_file):
    page = grant_page(client, grant)

    assert restricted_file.title in page
    assert restricted_file.sha256 in page
    assert "moisture.csv" in page
    assert page.count('value="Download"') == 1
    assert f'action="{GRANTS}{grant.pk}/download/{restricted_file.pk}/"' in page


def test_download_button_redirects_to_a_fresh_link_whose_bytes_match_the_checksum(
    client, grant, restricted_file
):
    response = client.post(f"{GRANTS}{grant.pk}/download/{restricted_file.pk}/")

    assert response.status_code == 302
    status, body = fetch(response["Location"])
    assert status == 200
    assert hashlib.sha256(body).hexdigest() == restricted_file.sha256
    second = client.post(f"{GRANTS}{grant.pk}/download/{restricted_file.pk}/")
    assert "signature=" in second["Location"]


def test_download_is_a_post(client, grant, restricted_file):
    assert client.get(f"{GRANTS}{grant.pk}/download/{restricted_file.pk}/").status_code == 405


def test_a_file_outside_the_grant_gets_no_link(client, grant, restricted):
    added_later = file_distribution(restricted, filename="later.csv")

    response = client.post(f"{GRANTS}{grant.pk}/download/{added_later.pk}/")

    assert response.status_code == 404


def test_curl_command_downloads_the_file_under_its_name(client, grant, restricted_file):
    page = grant_page(client, grant)
    command = page.split('class="curl-command" value="', 1)[1].split('"', 1)[0]
    command = command.replace("&#x27;", "'").replace("&amp;", "&")

    words = shlex.split(command)
    assert words[:4] == ["curl", "-fL", "-o", "moisture.csv"]
    status, body = fetch(words[4])
    assert status == 200
    assert hashlib.sha256(body).hexdigest() == restricted_file.sha256


def test_grant_token_is_shown_with_its_expiry_and_verifies_against_the_jwks(
    client, grant, researcher
):
    page = grant_page(client, grant)
    token = page.split('id="token-value">', 1)[1].split("</textarea>", 1)[0]
    jwks = client.get("/.well-known/jwks.json").json()

    key = jwt.PyJWK(jwks["keys"][0]).key
    claims = jwt.decode(token, key, algorithms=["EdDSA"])
    assert claims["grant"] == str(grant.pk)
    assert claims["sub"] == researcher.username
    # Short-lived: an hour at most, and the page says when this token (not the grant) ends.
    assert claims["exp"] - claims["iat"] <= 3600
    token_end = datetime.fromtimestamp(claims["exp"], tz=UTC)
    assert f'id="token-expires">{token_end:%Y-%m-%d %H:%M}' in page
    assert grant.expires_at.strftime("%Y-%m-%d %H:%M") in page


# --- "download all" -----------------------------------------------------------------------------


@pytest.fixture
def two_file_grant(researcher, steward, restricted):
    from tests.access.factories import approved_request

    first = file_distribution(restricted, content=b"a,b\n1,2\n", filename="first.csv")
    second = file_distribution(restricted, content=b"c,d\n3,4\n", filename="second.csv")
    approved = approved_request(researcher, steward, restricted)
    return services.grant_provision(access_request_id=approved.pk), [first, second]


def test_aria2_manifest_has_each_url_with_its_file_name_and_checksum(client, two_file_grant):
    grant, files = two_file_grant

    response = client.get(f"{GRANTS}{grant.pk}/manifest/aria2/")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert len(lines) == 6
    for (url, out, checksum), distribution in zip(
        (lines[i : i + 3] for i in range(0, 6, 3)), files, strict=True
    ):
        name = distribution.file.name.rsplit("/", 1)[-1]
        assert out == f"  out={name}"
        assert checksum == f"  checksum=sha-256={distribution.sha256}"
        status, body = fetch(url)
        assert status == 200 and hashlib.sha256(body).hexdigest() == distribution.sha256


def test_wget_manifest_is_one_working_signed_url_per_line(client, two_file_grant):
    grant, files = two_file_grant

    body = client.get(f"{GRANTS}{grant.pk}/manifest/wget/").content.decode()

    urls = body.splitlines()
    assert len(urls) == 2 and body.endswith("\n")
    assert sorted(hashlib.sha256(fetch(url)[1]).hexdigest() for url in urls) == sorted(
        d.sha256 for d in files
    )


def test_manifest_links_are_fresh_each_time(client, two_file_grant, monkeypatch):
    import time

    grant, _ = two_file_grant
    first = client.get(f"{GRANTS}{grant.pk}/manifest/wget/").content
    later = time.time() + 5
    monkeypatch.setattr(time, "time", lambda: later)

    assert client.get(f"{GRANTS}{grant.pk}/manifest/wget/").content != first


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="needs coreutils' sha256sum")
def test_sha256sums_checks_the_downloaded_files_with_sha256sum(client, two_file_grant, tmp_path):
    grant, _ = two_file_grant
    aria2 = client.get(f"{GRANTS}{grant.pk}/manifest/aria2/").content.decode().splitlines()
    for url, out in zip(aria2[0::3], aria2[1::3], strict=True):
        (tmp_path / out.removeprefix("  out=")).write_bytes(fetch(url)[1])
    sums = client.get(f"{GRANTS}{grant.pk}/manifest/sha256sums/")
    assert sums["Content-Disposition"] == 'attachment; filename="SHA256SUMS"'
    (tmp_path / "SHA256SUMS").write_bytes(sums.content)

    checked = subprocess.run(
        ["sha256sum", "-c", "SHA256SUMS"], cwd=tmp_path, capture_output=True, text=True
    )

    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.count(": OK") == 2


def test_files_with_the_same_name_are_saved_under_different_names(
    client, researcher, steward, restricted
):
    from tests.access.factories import approved_request

    file_distribution(restricted, content=b"one\n", filename="data.csv")
    file_distribution(restricted, content=b"two\n", filename="data.csv")
    approved = approved_request(researcher, steward, restricted)
    grant = services.grant_provision(access_request_id=approved.pk)

    sums = client.get(f"{GRANTS}{grant.pk}/manifest/sha256sums/").content.decode()

    names = [line.split("  ", 1)[1] for line in sums.splitlines()]
    assert len(set(names)) == 2 and all(name.endswith("-data.csv") for name in names)


def test_unknown_manifest_kind_is_not_found(client, grant):
    assert client.get(f"{GRANTS}{grant.pk}/manifest/zip/").status_code == 404


# --- ended grants -------------------------------------------------------------------------------


def test_revoked_grant_shows_no_buttons_and_refuses_links_made_before(
    client, grant, steward, restricted_file
):
    earlier_link = client.post(f"{GRANTS}{grant.pk}/download/{restricted_file.pk}/")["Location"]
    services.grant_revoke(user=steward, grant=grant, reason="Data withdrawn by the publisher.")

    page = grant_page(client, grant)

    assert 'id="grant-closed"' in page and "revoked" in page
    assert 'value="Download"' not in page
    assert "curl-command" not in page and 'id="token-value"' not in page
    assert restricted_file.title in page  # still listed, for the record
    assert fetch(earlier_link)[0] == 403
    refused = client.post(f"{GRANTS}{grant.pk}/download/{restricted_file.pk}/", follow=True)
    assert any("no links are made" in str(m) for m in refused.context["messages"])
    assert client.get(f"{GRANTS}{grant.pk}/manifest/aria2/").status_code == 410


def test_expired_grant_shows_no_buttons(client, grant):
    from datetime import timedelta

    from django.utils import timezone

    type(grant).objects.filter(pk=grant.pk).update(
        valid_from=timezone.now() - timedelta(days=10),
        expires_at=timezone.now() - timedelta(days=1),
    )

    page = grant_page(client, grant)

    assert 'id="grant-closed"' in page
    assert 'value="Download"' not in page
    assert client.get(f"{GRANTS}{grant.pk}/manifest/wget/").status_code == 410
