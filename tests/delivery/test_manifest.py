"""Grant manifests (GET /api/v1/grants/{id}/manifest/): every file the grant opens and nothing
else, with fresh signed links that download the right bytes, resume, and are named safely; in
JSON, for aria2c, for wget and for sha256sum; and who may ask for one."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from django.utils import timezone

from access import services as access_services
from access.models import Grant, GrantState
from catalogue.models import AccessRights, Distribution
from delivery.services.manifests import file_names, safe_file_name
from tests.access.factories import PURPOSE, approved_request
from tests.accounts.factories import UserFactory, partner_api, partner_client, token_client
from tests.catalogue.factories import DatasetFactory, file_distribution
from tests.delivery.test_s3_downloads import s3_storage  # noqa: F401  (fixture)

URL = "/api/v1/grants/{}/manifest/"


def _grant_for(researcher, steward, dataset, distributions, **fields) -> Grant:
    request = approved_request(researcher, steward, dataset, distributions=distributions, **fields)
    return access_services.grant_provision(access_request_id=request.pk)


@pytest.fixture
def files(restricted) -> list[Distribution]:
    """Three files of the restricted dataset; two share a stored name."""
    return [
        file_distribution(restricted, content=b"a,b\n1,2\n", filename="soil.csv"),
        file_distribution(restricted, content=os.urandom(70_000), filename="plots.bin"),
        file_distribution(restricted, content=b"x\n3\n", filename="soil.csv"),
    ]


@pytest.fixture
def partial_grant(researcher, steward, restricted, files, sent_tasks) -> Grant:
    """A grant approved for the first two files only: the third is the dataset's, not the
    grant's."""
    return _grant_for(researcher, steward, restricted, files[:2])


# --- what a manifest lists ---------------------------------------------------------------------


@pytest.mark.django_db
def test_manifest_lists_exactly_the_approved_files(researcher_client, partial_grant, files):
    body = researcher_client.get(URL.format(partial_grant.pk)).json()
    assert body["grant"] == str(partial_grant.pk)
    assert {f["id"] for f in body["files"]} == {str(files[0].pk), str(files[1].pk)}
    assert str(files[2].pk) not in str(body)  # the dataset's third file never appears
    by_id = {f["id"]: f for f in body["files"]}
    first = by_id[str(files[0].pk)]
    assert first["sha256"] == files[0].sha256 and first["size"] == files[0].byte_size
    assert first["drs_uri"] == f"drs://127.0.0.1:8000/{files[0].pk}"
    assert first["name"] == "soil.csv"
    assert first["url"].endswith("&name=soil.csv")


@pytest.mark.django_db
def test_same_stored_names_get_unique_names(researcher, steward, restricted, files, sent_tasks):
    grant = _grant_for(researcher, steward, restricted, files)
    names = [f["name"] for f in token_client(researcher).get(URL.format(grant.pk)).json()["files"]]
    assert len(set(names)) == 3
    assert f"{str(files[2].pk)[:8]}-soil.csv" in names and "plots.bin" in names


@pytest.mark.django_db
def test_hostile_stored_names_never_escape_the_directory(
    researcher, steward, restricted, files, sent_tasks
):
    grant = _grant_for(researcher, steward, restricted, files)
    # Stored names as a broken storage or a hand edit could leave them.
    Distribution.objects.filter(pk=files[0].pk).update(file=f"{restricted.pk}/x/..")
    Distribution.objects.filter(pk=files[1].pk).update(
        file=f"{restricted.pk}/y/-rf evil\n  out=../../etc/passwd"
    )
    text = token_client(researcher).get(URL.format(grant.pk), {"format": "aria2"}).content.decode()
    lines = text.splitlines()
    assert len(lines) == 9  # URL, out=, checksum= for each of three files: nothing injected
    outs = [line.removeprefix("  out=") for line in lines[1::3]]
    assert all(
        "/" not in out and ".." not in out and not out.startswith(("-", ".")) for out in outs
    )
    assert outs[0] == str(files[0].pk)  # nothing usable left: the id


def test_safe_file_name_refuses_paths_controls_and_options():
    assert safe_file_name("../../etc/passwd", fallback="f") == "passwd"
    assert safe_file_name("a\x00b\nc d", fallback="f") == "a_b_c_d"
    assert safe_file_name("..", fallback="f") == "f"
    assert safe_file_name("-rf", fallback="f") == "rf"
    assert safe_file_name("données.csv", fallback="f") == "donnees.csv"
    assert safe_file_name("x" * 300 + ".csv", fallback="f") == "x" * 196 + ".csv"


def test_file_names_are_unique_case_insensitively():
    class D:
        def __init__(self, pk, name):
            self.pk, self.file = pk, type("F", (), {"name": name})()

    names = file_names([D("aaaaaaaa-1", "d/1/Data.csv"), D("bbbbbbbb-2", "d/2/data.csv")])
    assert len({n.casefold() for n in names.values()}) == 2


@pytest.mark.django_db
def test_a_thousand_files_take_a_fixed_number_of_queries(
    researcher, steward, restricted, restricted_file, sent_tasks, django_assert_max_num_queries
):
    grant = _grant_for(researcher, steward, restricted, [restricted_file])
    many = Distribution.objects.bulk_create(
        Distribution(
            dataset=restricted, title=f"Plot {i}", format="CSV", byte_size=10 + i,
            sha256=f"{i:064x}", file=f"{restricted.pk}/p{i}/plot.csv",
        )
        for i in range(1000)
    )  # fmt: skip
    grant.access_request.approved_distributions.add(*many)
    client = token_client(researcher)
    with django_assert_max_num_queries(6):  # token, grant with its files, nothing per file
        body = client.get(URL.format(grant.pk), {"format": "aria2"})
    assert body.status_code == 200
    assert body.content.decode().count("\n  out=") == 1001
    # A download of one of them takes a fixed number of queries too.
    (url,) = [
        line for line in body.content.decode().splitlines() if str(restricted_file.pk) in line
    ]
    with django_assert_max_num_queries(6):
        response = client.get(url.removeprefix("http://127.0.0.1:8000"))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == restricted_file.file.open("rb").read()


# --- formats and parameters ------------------------------------------------------------------


@pytest.mark.django_db
def test_text_formats(researcher_client, partial_grant, files):
    aria2 = researcher_client.get(URL.format(partial_grant.pk), {"format": "aria2"})
    assert aria2.status_code == 200 and aria2["Content-Type"].startswith("text/plain")
    assert "attachment" in aria2["Content-Disposition"]
    entries = _parse_aria2(aria2.content.decode())
    assert {e["checksum"] for e in entries} == {f"sha-256={f.sha256}" for f in files[:2]}
    wget = researcher_client.get(URL.format(partial_grant.pk), {"format": "wget"})
    assert [line.split("/downloads/")[0] for line in wget.content.decode().splitlines()] == [
        "http://127.0.0.1:8000/api/v1"
    ] * 2
    sums = researcher_client.get(URL.format(partial_grant.pk), {"format": "sha256sums"})
    assert sums.content.decode() == (f"{files[0].sha256}  soil.csv\n{files[1].sha256}  plots.bin\n")


def _require(*tools: str) -> None:
    """Skip without the tools (Debian: aria2, wget), unless REQUIRE_SERVICES says CI has them."""
    missing = [tool for tool in tools if not shutil.which(tool)]
    if missing and os.environ.get("REQUIRE_SERVICES"):
        pytest.fail(f"{', '.join(missing)} missing: apt-get install aria2 wget")
    if missing:
        pytest.skip(f"{', '.join(missing)} missing: apt-get install aria2 wget")


def _parse_aria2(text: str) -> list[dict]:
    """aria2's input file: a URL line, then its options, each indented."""
    entries: list[dict] = []
    for line in text.splitlines():
        if not line.startswith((" ", "\t")):
            entries.append({"url": line})
        else:
            key, _, value = line.strip().partition("=")
            entries[-1][key] = value
    return entries


@pytest.mark.django_db
def test_bad_format_and_link_ttl_are_400(researcher_client, partial_grant):
    for params in (
        {"format": "zip"},
        {"link_ttl": "0"},
        {"link_ttl": str(24 * 3600 + 1)},
        {"link_ttl": "٣٠"},
        {"link_ttl": "1\x00"},
    ):
        response = researcher_client.get(URL.format(partial_grant.pk), params)
        assert response.status_code == 400, params
        assert response.json()["error"]["code"] == "invalid"


@pytest.mark.django_db
def test_links_live_as_asked_and_never_past_the_grant(researcher_client, partial_grant, settings):
    before = int(time.time())
    body = researcher_client.get(URL.format(partial_grant.pk)).json()
    expires = int(parse_qs(urlparse(body["files"][0]["url"]).query)["expires"][0])
    assert before + settings.MANIFEST_LINK_TTL_SECONDS <= expires <= int(time.time()) + 6 * 3600
    body = researcher_client.get(URL.format(partial_grant.pk), {"link_ttl": 600}).json()
    expires = int(parse_qs(urlparse(body["files"][0]["url"]).query)["expires"][0])
    assert expires <= int(time.time()) + 600
    Grant.objects.filter(pk=partial_grant.pk).update(
        expires_at=timezone.now() + timedelta(minutes=5)
    )
    body = researcher_client.get(URL.format(partial_grant.pk), {"link_ttl": 7200}).json()
    expires = int(parse_qs(urlparse(body["files"][0]["url"]).query)["expires"][0])
    assert expires <= int(time.time()) + 300


# --- who may have one ---------------------------------------------------------------------


@pytest.mark.django_db
def test_steward_sees_the_grant_but_gets_no_manifest(steward_client, partial_grant):
    response = steward_client.get(URL.format(partial_grant.pk))
    assert response.status_code == 403 and response.json()["error"]["code"] == "permission_denied"


@pytest.mark.django_db
def test_another_user_gets_404(partial_grant):
    other = token_client(UserFactory(username="someone-else"))
    assert other.get(URL.format(partial_grant.pk)).status_code == 404
    assert other.get(URL.format("not-a-uuid")).status_code == 404
    assert other.get(URL.format("x\x00")).status_code == 400


@pytest.mark.django_db
def test_revoked_is_409_and_expired_is_410(researcher_client, partial_grant, steward):
    Grant.objects.filter(pk=partial_grant.pk).update(
        valid_from=timezone.now() - timedelta(days=2),
        expires_at=timezone.now() - timedelta(seconds=1),
    )
    assert researcher_client.get(URL.format(partial_grant.pk)).status_code == 410
    Grant.objects.filter(pk=partial_grant.pk).update(expires_at=timezone.now() + timedelta(days=1))
    partial_grant.refresh_from_db()
    access_services.grant_revoke(user=steward, grant=partial_grant, reason="Breach of terms.")
    response = researcher_client.get(URL.format(partial_grant.pk), {"format": "aria2"})
    assert response.status_code == 409
    assert response["Content-Type"] == "application/json"  # errors stay JSON
    assert response.json()["error"]["state"] == GrantState.REVOKED


@pytest.mark.django_db
def test_partner_that_submitted_the_request_gets_the_manifest(
    researcher, steward, restricted, files, publisher, sent_tasks
):
    office, secret = partner_client(scopes=("access:request", "grants:read"))
    grant = _grant_for(researcher, steward, restricted, files[:1], submitted_by_client=office)
    response = partner_api(office, secret).get(URL.format(grant.pk))
    assert response.status_code == 200 and len(response.json()["files"]) == 1
    # Without grants:read in its token, the door is closed.
    response = partner_api(office, secret, scope="access:request").get(URL.format(grant.pk))
    assert response.status_code == 403
    # The publisher's own client reads the grant but does not fetch its files.
    owner, owner_secret = partner_client(
        "Bauer IT", scopes=("grants:read",), publishers=[publisher]
    )
    assert partner_api(owner, owner_secret).get(URL.format(grant.pk)).status_code == 403


# --- through a real server ----------------------------------------------------------------


@pytest.fixture
def live_grant(live_server, settings, researcher, steward, restricted, sent_tasks):
    settings.SITE_URL = live_server.url
    contents = [os.urandom(200_000 + i) for i in range(3)]
    files = [
        file_distribution(restricted, content=c, filename=name)
        for c, name in zip(contents, ["cohort.bin", "cohort.bin", "notes.txt"], strict=True)
    ]
    other = file_distribution(restricted, content=b"not granted", filename="secret.csv")
    grant = _grant_for(researcher, steward, restricted, files)
    return grant, files, contents, other


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.postgres
def test_each_link_downloads_its_bytes_and_resumes(live_grant, researcher):
    grant, files, contents, other = live_grant
    body = token_client(researcher).get(URL.format(grant.pk)).json()
    by_id = {str(f.pk): c for f, c in zip(files, contents, strict=True)}
    assert set(by_id) == {f["id"] for f in body["files"]}
    for item in body["files"]:
        whole = requests.get(item["url"], timeout=30)
        assert whole.status_code == 200 and whole.content == by_id[item["id"]]
        assert hashlib.sha256(whole.content).hexdigest() == item["sha256"]
        assert f'filename="{item["name"]}"' in whole.headers["Content-Disposition"]
        tail = requests.get(item["url"], headers={"Range": "bytes=1000-"}, timeout=30)
        assert tail.status_code == 206 and tail.content == by_id[item["id"]][1000:]
    # The link of one file never opens another, granted or not.
    first = body["files"][0]["url"]
    forged = first.replace(body["files"][0]["id"], str(other.pk))
    assert requests.get(forged, timeout=30).status_code == 403


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.postgres
def test_wget_fetches_resumes_and_names_every_file(live_grant, researcher, tmp_path):
    _require("wget", "sha256sum")
    grant, _, contents, _ = live_grant
    client = token_client(researcher)
    (tmp_path / "list.txt").write_bytes(
        client.get(URL.format(grant.pk), {"format": "wget"}).content
    )
    (tmp_path / "SHA256SUMS").write_bytes(
        client.get(URL.format(grant.pk), {"format": "sha256sums"}).content
    )
    names = [f["name"] for f in client.get(URL.format(grant.pk)).json()["files"]]
    # An interrupted download of the first file: wget -c asks for the rest only.
    (tmp_path / names[0]).write_bytes(contents[0][:50_000])
    run = subprocess.run(
        ["wget", "-q", "--content-disposition", "-c", "-i", "list.txt"],
        cwd=tmp_path, capture_output=True, timeout=120, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    check = subprocess.run(
        ["sha256sum", "-c", "SHA256SUMS"], cwd=tmp_path, capture_output=True, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*names, "list.txt", "SHA256SUMS"])
    grant.refresh_from_db()
    assert grant.downloads.filter(range_start=50_000).count() == 1  # resumed, not refetched


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.postgres
def test_aria2c_fetches_everything_in_parallel_and_checks_it(live_grant, researcher, tmp_path):
    _require("aria2c")
    grant, files, contents, _ = live_grant
    manifest = token_client(researcher).get(URL.format(grant.pk), {"format": "aria2"}).content
    (tmp_path / "manifest.txt").write_bytes(manifest)
    run = subprocess.run(
        ["aria2c", "-i", "manifest.txt", "-j", "16", "-c", "--quiet", "--check-integrity=true"],
        cwd=tmp_path, capture_output=True, timeout=120, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    entries = _parse_aria2(manifest.decode())
    by_id = {str(f.pk): c for f, c in zip(files, contents, strict=True)}
    for entry in entries:
        distribution_id = urlparse(entry["url"]).path.rstrip("/").rsplit("/", 1)[-1]
        assert Path(tmp_path / entry["out"]).read_bytes() == by_id[distribution_id]


# --- object storage --------------------------------------------------------------------------


@pytest.mark.django_db
def test_s3_presigned_urls_live_as_long_as_the_manifest(
    s3_storage,  # noqa: F811
    publisher,
    steward,
    api_client,
    sent_tasks,
):
    researcher = UserFactory(username="researcher")
    dataset = DatasetFactory(publisher=publisher, access_rights=AccessRights.RESTRICTED)
    distribution = file_distribution(dataset, content=b"pm25\n" * 1000, filename="air.csv")
    grant = _grant_for(researcher, steward, dataset, [distribution], purpose=PURPOSE)
    body = token_client(researcher).get(URL.format(grant.pk), {"link_ttl": 3 * 3600}).json()
    link = body["files"][0]["url"].replace("http://127.0.0.1:8000", "")
    response = api_client.get(link)
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(s3_storage)
    lifetime = int(parse_qs(urlparse(location).query)["X-Amz-Expires"][0])
    assert 3 * 3600 - 60 <= lifetime <= 3 * 3600
    assert "air.csv" in parse_qs(urlparse(location).query)["response-content-disposition"][0]
    fetched = requests.get(location, timeout=10)
    assert hashlib.sha256(fetched.content).hexdigest() == distribution.sha256
