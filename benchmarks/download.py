"""Throughput of grant downloads: Django streaming, nginx X-Accel-Redirect, nginx static.

    python benchmarks/download.py [--size-mib 1024] [--write-docs]

Creates a file of random bytes as a restricted distribution, provisions a grant, and downloads
it with curl through (a) gunicorn streaming it (no X-Accel), (b) nginx in front of gunicorn with
X-Accel-Redirect, and (c) nginx serving the same file statically, all in the same run on
127.0.0.1. Reports each throughput as a ratio to (c) (targets: >= 0.5 without X-Accel, >= 0.9
with it) and the gunicorn worker's peak memory for a small and the large file (flat, not
growing with the file size). Needs nginx (Debian package `nginx`).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from common import (
    ROOT,
    free_port,
    fresh_database,
    machine_description,
    setup_django,
    wait_for_port,
    write_section,
)

HEADING = "## Downloads (`benchmarks/download.py`)"
NGINX_CONF = """
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    client_body_temp_path {work}/tmp;
    proxy_temp_path {work}/tmp;
    fastcgi_temp_path {work}/tmp;
    uwsgi_temp_path {work}/tmp;
    scgi_temp_path {work}/tmp;
    server {{
        listen 127.0.0.1:{port};
        location /static-copy/ {{ alias {root}/; }}
        location /_protected/ {{ internal; alias {root}/; }}
        location / {{ proxy_pass http://127.0.0.1:{upstream}; proxy_buffering off; }}
    }}
}}
"""


def write_random_file(path: Path, size_mib: int) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    block = os.urandom(1024 * 1024)
    with path.open("wb") as handle:
        for n in range(size_mib):
            chunk = block[n % 7 :] + block[: n % 7]  # differs per MiB, cheap to make
            digest.update(chunk)
            handle.write(chunk)
    return digest.hexdigest()


def curl_speed(url: str) -> float:
    """Bytes per second of one download to /dev/null (best of three)."""
    speeds = []
    for _ in range(3):
        out = subprocess.run(
            ["curl", "-s", "-f", "-o", "/dev/null", "-w", "%{speed_download}", url],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        speeds.append(float(out))
    return max(speeds)


def children_of(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def peak_rss_during(pids: list[int], action) -> float:
    """Highest resident memory (MiB) of any of ``pids`` while ``action`` runs."""
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            for pid in pids:
                try:
                    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                        if line.startswith("VmRSS:"):
                            peak = max(peak, int(line.split()[1]))
                except OSError:
                    pass
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        action()
    finally:
        stop.set()
        sampler.join()
    return peak / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--small-mib", type=int, default=64)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        raise SystemExit("nginx is needed: apt-get install nginx")

    work = Path(tempfile.mkdtemp(prefix="passerelle-bench-dl-"))
    work.chmod(0o755)  # nginx's worker processes run as an unprivileged user
    root = work / "distributions"
    env = {
        **os.environ,
        "DATABASE_URL": fresh_database("passerelle_bench_dl"),
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "DISTRIBUTION_ROOT": str(root),
        "PASSERELLE_VAR_DIR": str(work / "var"),
        "THROTTLE_DISABLED": "1",
        "ALLOWED_HOSTS": "127.0.0.1",
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    setup_django(env)

    from django.contrib.auth import get_user_model

    from access import services
    from catalogue.models import AccessRights, Dataset, DataSpace, Distribution, Licence, Publisher
    from delivery import services as delivery_services

    users = get_user_model().objects
    steward = users.create_user("steward", "s@example.org", "x")
    researcher = users.create_user("researcher", "r@example.org", "x")
    publisher = Publisher.objects.create(slug="bench", name="Bench")
    publisher.stewards.add(steward)
    dataset = Dataset.objects.create(
        slug="big", title="Big", description="Big files.", publisher=publisher,
        data_space=DataSpace.objects.get(slug="research-eosc"),
        licence=Licence.objects.get(identifier="CC-BY-4.0"), access_rights=AccessRights.RESTRICTED,
    )  # fmt: skip
    files = {}
    for label, size in (("small", args.small_mib), ("large", args.size_mib)):
        name = f"{dataset.pk}/{label}.bin"
        sha = write_random_file(root / name, size)
        files[label] = Distribution.objects.create(
            dataset=dataset, title=label, format="ZIP", media_type="application/octet-stream",
            byte_size=size * 1024 * 1024, sha256=sha, file=name,
        )  # fmt: skip
    request = services.access_request_create(
        requester=researcher, dataset=dataset, accept_licence=True,
        purpose="Measuring how fast a researcher can download a large restricted file.",
    )  # fmt: skip
    services.access_request_approve(user=steward, request=request)
    grant = services.grant_provision(access_request_id=request.pk)
    links = {link.distribution.title: link.url for link in delivery_services.download_links(grant)}

    direct_port, accel_port, nginx_port = free_port(), free_port(), free_port()
    gunicorn = [sys.executable, "-m", "gunicorn", "config.wsgi", "--workers", "1",
                "--log-level", "warning", "--timeout", "300"]  # fmt: skip
    direct = subprocess.Popen(
        [*gunicorn, "--bind", f"127.0.0.1:{direct_port}"],
        cwd=ROOT, env={**env, "DJANGO_SETTINGS_MODULE": "config.settings.local"},
        start_new_session=True,
    )  # fmt: skip
    accel = subprocess.Popen(
        [*gunicorn, "--bind", f"127.0.0.1:{accel_port}"],
        cwd=ROOT, env={**env, "DOWNLOAD_X_ACCEL_REDIRECT_PREFIX": "/_protected/"},
        start_new_session=True,
    )  # fmt: skip
    (work / "tmp").mkdir()
    conf = work / "nginx.conf"
    conf.write_text(NGINX_CONF.format(work=work, port=nginx_port, root=root, upstream=accel_port))
    server = subprocess.Popen([nginx, "-c", str(conf), "-g", "daemon off;"])
    try:
        for port in (direct_port, accel_port, nginx_port):
            wait_for_port(port)

        def url(base_port: int, label: str) -> str:
            return links[label].replace("http://127.0.0.1:8000", f"http://127.0.0.1:{base_port}")

        static = curl_speed(f"http://127.0.0.1:{nginx_port}/static-copy/{files['large'].file.name}")
        via_django = curl_speed(url(direct_port, "large"))
        via_accel = curl_speed(url(nginx_port, "large"))
        worker_pids = children_of(direct.pid)
        rss_small = peak_rss_during(worker_pids, lambda: curl_speed(url(direct_port, "small")))
        rss_large = peak_rss_during(worker_pids, lambda: curl_speed(url(direct_port, "large")))
    finally:
        server.send_signal(signal.SIGQUIT)
        server.wait(timeout=20)
        for proc in (direct, accel):
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)

    def mib_s(value: float) -> str:
        return f"{value / 1024 / 1024:,.0f} MiB/s"

    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    ratio_direct, ratio_accel = via_django / static, via_accel / static
    body = "\n".join(
        [
            HEADING,
            "",
            f"Measured {stamp} on {machine_description()}; "
            f"{subprocess.run([nginx, '-v'], capture_output=True, text=True).stderr.strip()}; "
            "gunicorn with one sync worker; curl to /dev/null on 127.0.0.1, best of three.",
            "",
            f"A {args.size_mib:,} MiB file of random bytes:",
            "",
            "| path | throughput | ratio to nginx static | target |",
            "|---|---|---|---|",
            f"| nginx serving the file statically | {mib_s(static)} | 1.00 | |",
            f"| grant link, gunicorn streams the file | {mib_s(via_django)} | "
            f"{ratio_direct:.2f} | >= 0.5: {'met' if ratio_direct >= 0.5 else 'not met'} |",
            f"| grant link via nginx, X-Accel-Redirect | {mib_s(via_accel)} | "
            f"{ratio_accel:.2f} | >= 0.9: {'met' if ratio_accel >= 0.9 else 'not met'} |",
            "",
            f"Peak resident memory of the gunicorn worker while it streamed a {args.small_mib} MiB "
            f"file: {rss_small:.0f} MiB; a {args.size_mib:,} MiB file: {rss_large:.0f} MiB "
            "(flat: the file is sent in chunks, never read whole).",
            "",
        ]
    )
    print(body)
    if args.write_docs:
        write_section(ROOT / "docs" / "benchmarks.md", HEADING, body)


if __name__ == "__main__":
    main()
