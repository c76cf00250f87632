"""Downloads through real servers: gunicorn (gthread) sending the bytes itself with sendfile,
and nginx sending them after Django's X-Accel-Redirect. Bytes and headers must be exactly
right for whole files, single ranges, suffix ranges, unsatisfiable ranges, multi-ranges and
If-Range, and a revoked grant must stop the next download at once."""

from __future__ import annotations

import os
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from django.conf import settings

from access import services
from delivery import services as delivery_services
from tests.access.factories import approved_request
from tests.catalogue.factories import file_distribution
from tests.outage import Process, database_url, free_port, service_env, web_server

pytestmark = [
    pytest.mark.postgres,
    # The server reads the grant from its own connection: it must be committed.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SIZE = 3 * 1024 * 1024 + 123  # several sendfile calls and read chunks, an odd end
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


@pytest.fixture
def content() -> bytes:
    return os.urandom(SIZE)


@pytest.fixture
def grant_link(researcher, steward, restricted, content, sent_tasks):
    distribution = file_distribution(restricted, content=content, filename="cohort.bin")
    request = approved_request(researcher, steward, restricted)
    grant = services.grant_provision(access_request_id=request.pk)
    (link,) = delivery_services.download_links(grant)
    return grant, distribution, link.url.split("/api/v1/", 1)[1]


def _check_exact_bytes_and_headers(url: str, content: bytes, etag: str) -> None:
    whole = requests.get(url, timeout=30)
    assert whole.status_code == 200
    assert whole.content == content
    assert whole.headers["Content-Length"] == str(SIZE)
    assert whole.headers["ETag"] == etag and whole.headers["Accept-Ranges"] == "bytes"
    assert whole.headers["Repr-Digest"].startswith("sha-256=:")

    same = requests.get(url, headers={"Range": "bytes=0-9", "If-Range": etag}, timeout=30)
    assert same.status_code == 206 and same.content == content[:10]
    stale = requests.get(url, headers={"Range": "bytes=0-9", "If-Range": '"old"'}, timeout=30)
    assert stale.status_code == 200 and stale.content == content  # changed: all of it

    single = requests.get(url, headers={"Range": "bytes=1000-2999999"}, timeout=30)
    assert single.status_code == 206
    assert single.content == content[1000:3000000]
    assert single.headers["Content-Range"] == f"bytes 1000-2999999/{SIZE}"
    assert single.headers["Content-Length"] == str(3000000 - 1000)

    suffix = requests.get(url, headers={"Range": "bytes=-500"}, timeout=30)
    assert suffix.status_code == 206 and suffix.content == content[-500:]
    assert suffix.headers["Content-Range"] == f"bytes {SIZE - 500}-{SIZE - 1}/{SIZE}"

    rest = requests.get(url, headers={"Range": "bytes=3000000-"}, timeout=30)
    assert rest.status_code == 206 and rest.content == content[3000000:]

    beyond = requests.get(url, headers={"Range": f"bytes={SIZE}-"}, timeout=30)
    assert beyond.status_code == 416 and beyond.content == b""
    assert beyond.headers["Content-Range"] == f"bytes */{SIZE}"

    # 64 ranges at once, as a parallel downloader asks for them: they make the file again.
    step = -(-SIZE // 64)
    bounds = [(start, min(start + step, SIZE) - 1) for start in range(0, SIZE, step)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        parts = list(
            pool.map(
                lambda b: requests.get(url, headers={"Range": f"bytes={b[0]}-{b[1]}"}, timeout=60),
                bounds,
            )
        )
    assert all(part.status_code == 206 for part in parts)
    assert b"".join(part.content for part in parts) == content


def test_gunicorn_sends_files_and_ranges_exactly(grant_link, content, tmp_path):
    grant, distribution, path = grant_link
    env = service_env(database=database_url(), redis=settings.REDIS_URL, var_dir=tmp_path)
    server, base = web_server(env, tmp_path)
    try:
        url = f"{base}/api/v1/{path}"
        etag = f'"{distribution.sha256}"'
        _check_exact_bytes_and_headers(url, content, etag)

        several = requests.get(url, headers={"Range": "bytes=0-9,20-29"}, timeout=30)
        assert several.status_code == 200 and several.content == content  # as RFC 9110 allows
        head = requests.head(url, headers={"Range": "bytes=10-19"}, timeout=30)
        assert head.status_code == 206 and head.headers["Content-Length"] == "10"

        services.grant_revoke(user=grant.dataset.publisher.stewards.get(), grant=grant, reason="x")
        assert requests.get(url, timeout=30).status_code == 403  # the very next request
    finally:
        server.stop()
    assert "Traceback" not in server.output()


NGINX_CONF = """
worker_processes 1;
{user}
pid {work}/nginx.pid;
error_log {work}/error.log warn;
events {{ worker_connections 128; }}
http {{
    access_log off;
    sendfile on;
    client_body_temp_path {work}/tmp; proxy_temp_path {work}/tmp; fastcgi_temp_path {work}/tmp;
    uwsgi_temp_path {work}/tmp; scgi_temp_path {work}/tmp;
    server {{
        listen 127.0.0.1:{port};
        location /_protected/ {{
            internal;
            alias {root}/;
            etag off;
            add_header ETag $upstream_http_etag;
            add_header Repr-Digest $upstream_http_repr_digest;
        }}
        location / {{ proxy_pass http://127.0.0.1:{upstream}; proxy_set_header Host $host; }}
    }}
}}
"""


def test_behind_nginx_the_bytes_go_through_x_accel_redirect(grant_link, content, tmp_path):
    if not Path(NGINX).exists():
        missing = "needs nginx (Debian package nginx-light; .ci/run installs it)"
        if getattr(settings, "REQUIRE_SERVICES", False):
            pytest.fail(missing)
        pytest.skip(missing)
    grant, distribution, path = grant_link
    env = service_env(
        database=database_url(),
        redis=settings.REDIS_URL,
        var_dir=tmp_path,
        DOWNLOAD_X_ACCEL_REDIRECT_PREFIX="/_protected/",
    )
    server, upstream = web_server(env, tmp_path)
    port = free_port()
    (tmp_path / "tmp").mkdir()
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        NGINX_CONF.format(
            user="user root;" if os.geteuid() == 0 else "",
            work=tmp_path,
            port=port,
            root=settings.DISTRIBUTION_ROOT,
            upstream=upstream.rsplit(":", 1)[1],
        )
    )
    nginx = Process([NGINX, "-c", str(conf), "-g", "daemon off;"], os.environ, tmp_path / "nx")
    try:
        url = f"http://127.0.0.1:{port}/api/v1/{path}"
        for _ in range(100):
            try:
                requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        direct = requests.get(f"{upstream}/api/v1/{path}", timeout=30)
        assert direct.headers["X-Accel-Redirect"].startswith("/_protected/")
        assert direct.content == b""  # gunicorn alone sends no byte: nginx does
        _check_exact_bytes_and_headers(url, content, f'"{distribution.sha256}"')
        hidden = requests.get(
            f"http://127.0.0.1:{port}/_protected/{distribution.file.name}", timeout=30
        )
        assert hidden.status_code == 404  # only through Django's answer

        services.grant_revoke(user=grant.dataset.publisher.stewards.get(), grant=grant, reason="x")
        assert requests.get(url, timeout=30).status_code == 403
    finally:
        nginx.stop()
        server.stop()
    assert "Traceback" not in server.output()
