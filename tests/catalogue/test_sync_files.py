"""Files given by URL in a sync: fetched from a real HTTP server on 127.0.0.1, verified against
the declared checksum and size, bounded in time and redirects, refused for private addresses."""

from __future__ import annotations

import hashlib
from urllib.parse import quote

import pytest

from catalogue import services
from catalogue.models import (
    DatasetEvent,
    DatasetEventAction,
    Distribution,
    FetchStatus,
    distribution_storage,
)
from core.net import UnsafeURLError, address_is_public, url_check_public
from tests.http_source import http_source

pytestmark = pytest.mark.django_db

CONTENT = b"plot,carbon\n" + b"".join(b"p%04d,%d\n" % (n, n % 89) for n in range(3000))


def checksum(content: bytes) -> str:
    return "sha256:" + hashlib.sha256(content).hexdigest()


def body(owner, files) -> dict:
    return {
        "title": "Soil carbon",
        "description": "Topsoil organic carbon.",
        "publisher": owner.slug,
        "data_space": "agriculture",
        "licence": "CC-BY-4.0",
        "distributions": files,
    }


@pytest.fixture(autouse=True)
def _after_commit(django_capture_on_commit_callbacks):
    """Tasks leave after the commit; here the test's transaction never commits, so what would
    run on commit runs when each request or fetch ends."""
    global on_commit
    on_commit = django_capture_on_commit_callbacks


def put(client, identifier, data):
    with on_commit(execute=True):
        return client.put(
            f"/api/v1/datasets/by-identifier/{quote(identifier, safe='')}/", data, format="json"
        )


def file_item(url, content=CONTENT, **extra) -> dict:
    return {"identifier": "f", "download_url": url, "checksum": checksum(content), **extra}


@pytest.fixture
def source():
    with http_source() as server:
        yield server


def sync_file(client, publisher, item) -> Distribution:
    response = put(client, "S-1", body(publisher, [item]))
    assert response.status_code in (200, 201), response.content
    return Distribution.objects.get(dataset__identifier="S-1", identifier=item["identifier"])


def fetch(distribution: Distribution) -> Distribution:
    with on_commit(execute=True):
        services.distribution_fetch(distribution_id=str(distribution.pk))
    distribution.refresh_from_db()
    return distribution


def test_a_file_is_fetched_verified_and_not_fetched_again(
    steward_client, publisher, source, sent_tasks
):
    url = source.serve("/carbon.csv", body=CONTENT)
    distribution = sync_file(steward_client, publisher, file_item(url, byte_size=len(CONTENT)))
    assert distribution.fetch_status == FetchStatus.PENDING
    assert ("catalogue.fetch_distribution", [str(distribution.pk)]) in sent_tasks

    distribution = fetch(distribution)
    assert distribution.fetch_status == FetchStatus.READY
    assert distribution.checksum == checksum(CONTENT)
    assert distribution.byte_size == len(CONTENT)
    with distribution.file.open("rb") as stored:
        assert stored.read() == CONTENT
    event = DatasetEvent.objects.filter(dataset_ref=distribution.dataset_id).last()
    assert event.action == DatasetEventAction.FILE_FETCHED

    sent_tasks.clear()
    again = put(steward_client, "S-1", body(publisher, [file_item(url, byte_size=len(CONTENT))]))
    assert again.json()["outcome"] == "unchanged"
    assert sent_tasks == []
    # The same bytes under another URL: the checksum says they are held already.
    moved = source.serve("/moved/carbon.csv", body=CONTENT)
    put(steward_client, "S-1", body(publisher, [file_item(moved, byte_size=len(CONTENT))]))
    assert sent_tasks == []
    assert source.hits == {"/carbon.csv": 1}


def test_a_changed_checksum_replaces_the_bytes_only_once_verified(
    steward_client, publisher, source, sent_tasks
):
    url = source.serve("/carbon.csv", body=CONTENT)
    first = fetch(sync_file(steward_client, publisher, file_item(url)))
    old_name = first.file.name

    newer = CONTENT + b"p9999,1\n"
    # The source still serves the old bytes: the new declaration fails, the old file stays.
    broken = fetch(sync_file(steward_client, publisher, file_item(url, content=newer)))
    assert broken.fetch_status == FetchStatus.FAILED
    assert "does not match the declared checksum" in broken.fetch_error
    assert broken.file.name == old_name and broken.checksum == checksum(CONTENT)
    assert distribution_storage().exists(old_name)

    fixed = source.serve("/v2/carbon.csv", body=newer)
    put(steward_client, "S-1", body(publisher, [file_item(fixed, content=newer)]))
    replaced = fetch(Distribution.objects.get(pk=first.pk))
    assert replaced.fetch_status == FetchStatus.READY
    assert replaced.checksum == checksum(newer)
    with replaced.file.open("rb") as stored:
        assert stored.read() == newer
    assert not distribution_storage().exists(old_name)


def test_checksum_mismatch_fails_at_once_and_keeps_nothing(
    steward_client, publisher, source, sent_tasks
):
    url = source.serve("/carbon.csv", body=b"something else entirely")
    distribution = fetch(sync_file(steward_client, publisher, file_item(url)))
    assert distribution.fetch_status == FetchStatus.FAILED
    assert distribution.fetch_attempts == 1
    assert not distribution.file
    assert distribution.checksum is None
    event = DatasetEvent.objects.filter(dataset_ref=distribution.dataset_id).last()
    assert event.action == DatasetEventAction.FILE_FETCH_FAILED
    shown = steward_client.get(f"/api/v1/datasets/{distribution.dataset_id}/").json()
    (listed,) = shown["distributions"]
    assert listed["fetch_status"] == "failed"
    assert "checksum" in listed["fetch_error"]


@pytest.mark.parametrize("send_length", [True, False])
def test_a_body_longer_than_declared_is_cut_off_and_refused(
    steward_client, publisher, source, sent_tasks, send_length
):
    url = source.serve("/big.csv", body=CONTENT * 4, send_length=send_length)
    item = file_item(url, byte_size=len(CONTENT))
    distribution = fetch(sync_file(steward_client, publisher, item))
    assert distribution.fetch_status == FetchStatus.FAILED
    assert f"{len(CONTENT):,}" in distribution.fetch_error
    assert not distribution.file


def test_the_installation_limit_bounds_an_undeclared_size(
    steward_client, publisher, source, sent_tasks, settings
):
    settings.MAX_DISTRIBUTION_UPLOAD_BYTES = 1000
    url = source.serve("/big.csv", body=CONTENT, send_length=False)
    distribution = fetch(sync_file(steward_client, publisher, file_item(url)))
    assert distribution.fetch_status == FetchStatus.FAILED
    assert "more than 1,000 bytes" in distribution.fetch_error


def test_a_slow_server_times_out_and_is_retried_then_fails(
    steward_client, publisher, source, sent_tasks, settings
):
    settings.FETCH_READ_TIMEOUT = 0.3
    settings.FETCH_MAX_ATTEMPTS = 2
    url = source.serve("/slow.csv", body=CONTENT, delay=1.0)
    distribution = fetch(sync_file(steward_client, publisher, file_item(url)))
    assert distribution.fetch_status == FetchStatus.PENDING  # a transient failure: retried
    assert distribution.fetch_attempts == 1
    assert "did not answer in time" in distribution.fetch_error
    retries = [args for name, args in sent_tasks if name == "catalogue.fetch_distribution"]
    assert len(retries) == 2  # after the sync's commit, and the retry

    distribution = fetch(distribution)
    assert distribution.fetch_status == FetchStatus.FAILED
    assert distribution.fetch_attempts == 2


def test_a_trickling_server_is_stopped_by_the_deadline(
    steward_client, publisher, source, sent_tasks, settings
):
    settings.FETCH_MAX_ATTEMPTS = 1
    settings.FETCH_DEADLINE_SECONDS = 0
    url = source.serve("/carbon.csv", body=CONTENT)
    distribution = fetch(sync_file(steward_client, publisher, file_item(url)))
    assert distribution.fetch_status == FetchStatus.FAILED
    assert "took too long" in distribution.fetch_error


def test_redirects_are_followed_a_few_times_but_not_forever(
    steward_client, publisher, source, sent_tasks
):
    final = source.serve("/final.csv", body=CONTENT)
    source.serve("/hop.csv", status=302, location=final)
    distribution = fetch(sync_file(steward_client, publisher, file_item(source.url("/hop.csv"))))
    assert distribution.fetch_status == FetchStatus.READY

    source.serve("/loop-a", status=302, location=source.url("/loop-b"))
    source.serve("/loop-b", status=301, location="/loop-a")  # relative, too
    item = {**file_item(source.url("/loop-a")), "identifier": "g", "format": "CSV"}
    looping = fetch(sync_file(steward_client, publisher, item))
    assert looping.fetch_status == FetchStatus.FAILED
    assert "redirected more than 5 times" in looping.fetch_error
    assert source.hits["/loop-a"] + source.hits["/loop-b"] == 6


def test_http_errors_are_failures_with_the_status(steward_client, publisher, source, sent_tasks):
    distribution = fetch(sync_file(steward_client, publisher, file_item(source.url("/gone.csv"))))
    assert distribution.fetch_status == FetchStatus.FAILED  # 404: not worth retrying
    assert "HTTP 404" in distribution.fetch_error


def test_private_addresses_are_refused_at_input_and_at_fetch_time(
    steward_client, publisher, source, sent_tasks, settings
):
    url = source.serve("/carbon.csv", body=CONTENT)
    pending = sync_file(steward_client, publisher, file_item(url))

    settings.FETCH_ALLOW_PRIVATE_ADDRESSES = False
    for refused in [url, "http://localhost/x.csv", "http://[::1]/x.csv",
                    "http://169.254.169.254/latest/meta-data", "http://10.1.2.3/x.csv",
                    "http://[::ffff:127.0.0.1]/x.csv", "http://0.0.0.0/x.csv"]:  # fmt: skip
        response = put(steward_client, "S-2", body(publisher, [file_item(refused)]))
        assert response.status_code == 400, (refused, response.content)
        assert "distributions[0].download_url" in response.json()["error"]["fields"]
    # Accepted while allowed, fetched after the rule applies (or after DNS changed its mind):
    # the fetch checks again and keeps nothing.
    refused_later = fetch(pending)
    assert refused_later.fetch_status == FetchStatus.FAILED
    assert "private or reserved address" in refused_later.fetch_error
    assert source.hits == {}


def test_a_public_host_redirecting_inside_is_refused_on_the_hop(settings):
    """The redirect target is checked like the first URL (here: a loopback literal)."""
    from core.outbound import FetchError, FetchLimits, fetch_stream

    settings.FETCH_ALLOW_PRIVATE_ADDRESSES = False
    limits = FetchLimits(
        max_bytes=100, connect_timeout=1, read_timeout=1, deadline_seconds=5, max_redirects=2
    )
    with pytest.raises(FetchError) as caught, fetch_stream("http://127.0.0.1:9/", limits=limits):
        pass
    assert "private or reserved" in caught.value.message
    assert caught.value.transient is False


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True), ("2606:4700::1111", True), ("127.0.0.1", False),
        ("10.0.0.1", False), ("172.16.5.4", False), ("192.168.1.1", False),
        ("169.254.169.254", False), ("100.64.0.1", False), ("224.0.0.1", False),
        ("240.0.0.1", False), ("0.0.0.0", False),  # noqa: S104 ("::1", False), ("fe80::1%eth0", False),
        ("fc00::1", False), ("ff02::1", False), ("::ffff:10.0.0.1", False), ("nonsense", False),
    ],
)  # fmt: skip
def test_address_is_public(address, public):
    assert address_is_public(address) is public


def test_url_check_refuses_what_is_not_plain_http(settings):
    settings.FETCH_ALLOW_PRIVATE_ADDRESSES = False
    for url in ["ftp://example.org/x", "file:///etc/passwd", "gopher://x", "http://",
                "https://user:secret@example.org/x", "http://example.org:99999/"]:  # fmt: skip
        with pytest.raises(UnsafeURLError):
            url_check_public(url, resolve=False)
    with pytest.raises(UnsafeURLError, match="does not resolve"):
        url_check_public("http://no-such-host.invalid/x")


def test_a_removed_distribution_is_not_stored_when_its_fetch_ends(
    steward_client, publisher, source, sent_tasks
):
    url = source.serve("/carbon.csv", body=CONTENT)
    distribution = sync_file(steward_client, publisher, file_item(url))
    put(steward_client, "S-1", body(publisher, []))
    assert services.distribution_fetch(distribution_id=str(distribution.pk)) is None
    assert source.hits == {}


def test_upload_takes_an_identifier_a_sync_then_keeps(steward_client, publisher, restricted):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("carbon.csv", CONTENT, content_type="text/csv")
    response = steward_client.post(
        f"/api/v1/datasets/{restricted.pk}/distributions/",
        {"file": upload, "identifier": "csv-1"},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    assert response.json()["identifier"] == "csv-1"
    upload.seek(0)
    twice = steward_client.post(
        f"/api/v1/datasets/{restricted.pk}/distributions/",
        {"file": upload, "identifier": "csv-1"},
        format="multipart",
    )
    assert twice.status_code == 409
    assert Distribution.objects.filter(dataset=restricted).count() == 1


def test_only_stewards_see_where_a_file_comes_from(
    steward_client, api_client, researcher_client, publisher, source, sent_tasks
):
    url = source.serve("/secret/carbon.csv", body=b"x")
    distribution = fetch(sync_file(steward_client, publisher, file_item(url)))
    path = f"/api/v1/datasets/{distribution.dataset_id}/"
    (own,) = steward_client.get(path).json()["distributions"]
    assert own["source_url"] == url and "checksum" in own["fetch_error"]
    for client in (api_client, researcher_client):
        (shown,) = client.get(path).json()["distributions"]
        assert shown["source_url"] is None and shown["fetch_error"] == ""
        assert shown["fetch_status"] == "failed"


def test_dns_that_changes_its_answer_after_the_check_is_caught_on_the_socket(
    source, settings, monkeypatch
):
    """DNS rebinding: the name checked as public, then resolved to a private address when the
    connection is made. The check on the connected socket refuses it before a byte is sent."""
    import core.outbound
    from core.outbound import FetchError, FetchLimits, fetch_stream

    url = source.serve("/carbon.csv", body=CONTENT)
    settings.FETCH_ALLOW_PRIVATE_ADDRESSES = False
    monkeypatch.setattr(core.outbound, "url_check_public", lambda url: None)  # "public" at check
    limits = FetchLimits(
        max_bytes=10**6, connect_timeout=2, read_timeout=2, deadline_seconds=5, max_redirects=2
    )
    with pytest.raises(FetchError) as caught, fetch_stream(url, limits=limits):
        pass
    assert "connected to a private or reserved address" in caught.value.message
    assert caught.value.transient is False
    assert source.hits == {}
