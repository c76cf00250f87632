"""Staging a grant's files through its manifest, against nginx serving the same files.

    python benchmarks/staging.py [--files 1000] [--total-mib 10240] [--connections 16]
                                 [--rounds 3] [--verify] [--write-docs]

Creates a restricted dataset with ``--files`` files of random bytes (``--total-mib`` in all,
local storage), approves a request for all of them and provisions the grant. Then, for each
path, fetches the grant's aria2 manifest over HTTP (GET /api/v1/grants/{id}/manifest/
?format=aria2, with the researcher's API token) and downloads every file with
``aria2c -i manifest -j <connections>`` into an empty directory: (a) gunicorn as
deploy/gunicorn.conf.py runs it, sending the bytes itself with sendfile; (b) nginx in front of
gunicorn with X-Accel-Redirect; (c) nginx serving the same files statically (the same manifest
with static URLs), the baseline. Rounds are interleaved (each runs every path once, in a new
order); the medians are reported, as aggregate MiB/s and as a ratio to (c). Without
``--verify`` the manifest's checksum lines are dropped for every path (aria2's SHA-256 check
costs the same CPU on every path and would hide the servers' difference); with it they stay.

Needs nginx (Debian: nginx-light) and aria2c (Debian: aria2). The files, the downloads and the
database are deleted at the end.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import requests
from common import (
    ROOT,
    free_port,
    machine_description,
    restricted_dataset_setup,
    served_files_setup,
    wait_for_port,
    write_section,
)
from download import nginx_start, write_random_file

HEADING = "## Staging a grant through its manifest (`benchmarks/staging.py`)"


def write_random_bytes(path: Path, size: int, seed: bytes) -> str:
    """A file of ``size`` pseudo-random bytes (a random block, rotated per file): its SHA-256."""
    path.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    block = (seed * (1 + (1024 * 1024) // len(seed)))[: 1024 * 1024]
    with path.open("wb") as handle:
        remaining = size
        while remaining:
            chunk = block[: min(remaining, len(block))]
            digest.update(chunk)
            handle.write(chunk)
            remaining -= len(chunk)
    return digest.hexdigest()


def aria2_seconds(manifest: str, directory: Path, connections: int) -> tuple[float, int]:
    """Seconds for aria2c to fetch everything in ``manifest`` into ``directory``; bytes fetched."""
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    (directory / "manifest.txt").write_text(manifest)
    started = time.perf_counter()
    subprocess.run(
        ["aria2c", "-i", "manifest.txt", "-j", str(connections), "-x", "1", "-c",
         "--file-allocation=none", "--quiet", "--auto-file-renaming=false",
         "--max-connection-per-server", "16", "--console-log-level=error"],
        cwd=directory, check=True,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    fetched = sum(p.stat().st_size for p in directory.iterdir() if p.name != "manifest.txt")
    shutil.rmtree(directory, ignore_errors=True)
    return elapsed, fetched


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--total-mib", type=int, default=10 * 1024)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--verify", action="store_true", help="keep aria2's SHA-256 checks")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        raise SystemExit("nginx is needed: apt-get install nginx-light")
    if not shutil.which("aria2c"):
        raise SystemExit("aria2c is needed: apt-get install aria2")

    database = os.environ.get("BENCH_STAGING_DATABASE", "passerelle_bench_staging")
    work, env = served_files_setup(prefix="passerelle-bench-staging-", database=database)
    root = work / "distributions"

    from access import services
    from accounts.services import api_token_create
    from catalogue.models import Distribution

    steward, researcher, dataset = restricted_dataset_setup(
        slug="cohort", title="Cohort", description="Many files."
    )

    total = args.total_mib * 1024 * 1024
    each = total // args.files
    started = time.perf_counter()
    # One random MiB (download.py's generator), then each file a rotation of it: distinct
    # contents, cheap to make.
    seed_path = work / "seed.bin"
    write_random_file(seed_path, 1)
    seed = seed_path.read_bytes()
    rows = []
    for n in range(args.files):
        name = f"{dataset.pk}/f{n:05d}/part-{n:05d}.bin"
        rotated = seed[n % len(seed) :] + seed[: n % len(seed)]
        sha = write_random_bytes(root / name, each, rotated)
        rows.append(
            Distribution(
                dataset=dataset, title=f"Part {n}", format="BIN",
                media_type="application/octet-stream", byte_size=each, sha256=sha, file=name,
            )
        )  # fmt: skip
    distributions = Distribution.objects.bulk_create(rows)
    made = time.perf_counter() - started
    request = services.access_request_create(
        requester=researcher, dataset=dataset, accept_licence=True,
        purpose="Measuring how fast a compute cluster stages a grant of many files.",
    )  # fmt: skip
    services.access_request_approve(user=steward, request=request)
    grant = services.grant_provision(access_request_id=request.pk)
    assert grant.access_request.approved_distributions.count() == len(distributions)
    _, token = api_token_create(user=researcher)

    direct_port, accel_port, nginx_port = free_port(), free_port(), free_port()
    gunicorn = [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py"]
    quiet = {
        "stdout": subprocess.DEVNULL,
        "stderr": None if os.environ.get("BENCH_VERBOSE") else subprocess.DEVNULL,
    }
    direct = subprocess.Popen(
        gunicorn, cwd=ROOT, start_new_session=True, **quiet,
        env={**env, "GUNICORN_BIND": f"127.0.0.1:{direct_port}",
             "SITE_URL": f"http://127.0.0.1:{direct_port}"},
    )  # fmt: skip
    accel = subprocess.Popen(
        gunicorn, cwd=ROOT, start_new_session=True, **quiet,
        env={**env, "GUNICORN_BIND": f"127.0.0.1:{accel_port}",
             "SITE_URL": f"http://127.0.0.1:{nginx_port}",
             "DOWNLOAD_X_ACCEL_REDIRECT_PREFIX": "/_protected/"},
    )  # fmt: skip
    server = nginx_start(nginx, work=work, port=nginx_port, root=root, upstream=accel_port)
    manifest_urls = {
        "gunicorn sendfile": f"http://127.0.0.1:{direct_port}",
        "nginx X-Accel-Redirect": f"http://127.0.0.1:{nginx_port}",
    }
    results: dict[str, list[float]] = {p: [] for p in [*manifest_urls, "nginx static"]}
    manifest_seconds: list[float] = []
    loads: list[float] = []
    downloads = work / "downloads"

    def manifest_from(base: str) -> str:
        began = time.perf_counter()
        response = requests.get(
            f"{base}/api/v1/grants/{grant.pk}/manifest/",
            params={"format": "aria2"},
            headers={"Authorization": f"Token {token}"},
            timeout=120,
        )
        manifest_seconds.append(time.perf_counter() - began)
        response.raise_for_status()
        text = response.text
        assert text.count("\n  out=") == args.files
        if not args.verify:
            text = re.sub(r"^  checksum=.*\n", "", text, flags=re.M)
        return text

    def static_manifest(manifest: str) -> str:
        # The same names (and checksums), each URL the file's static copy.
        by_id = {str(d.pk): d.file.name for d in distributions}

        def static(match: re.Match) -> str:
            distribution_id = match.group(1)
            return f"http://127.0.0.1:{nginx_port}/static-copy/{by_id[distribution_id]}"

        return re.sub(
            r"^http://\S+/downloads/[0-9a-f-]+/([0-9a-f-]+)/\S*$", static, manifest, flags=re.M
        )

    try:
        for port in (direct_port, accel_port, nginx_port):
            wait_for_port(port)
        time.sleep(2)
        shuffle = random.Random(12)
        # Warm-up: the page cache holds the files; the workers have their connections.
        warm = manifest_from(manifest_urls["gunicorn sendfile"])
        aria2_seconds(static_manifest(warm), downloads, args.connections)
        manifest_seconds.clear()  # the first answers include the workers' start
        for _ in range(args.rounds):
            loads.append(float(Path("/proc/loadavg").read_text().split()[0]))
            order = list(results)
            shuffle.shuffle(order)
            for path in order:
                if path == "nginx static":
                    manifest = static_manifest(manifest_from(manifest_urls["gunicorn sendfile"]))
                else:
                    manifest = manifest_from(manifest_urls[path])
                seconds, fetched = aria2_seconds(manifest, downloads, args.connections)
                assert fetched == each * args.files, (path, fetched)
                results[path].append(fetched / seconds)
    finally:
        server.send_signal(signal.SIGQUIT)
        server.wait(timeout=20)
        for proc in (direct, accel):
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)
        from django.db import connections

        connections.close_all()
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-c",
             f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"],
            check=False, capture_output=True,
        )  # fmt: skip

    def mib_s(value: float) -> str:
        return f"{value / 1024 / 1024:,.0f} MiB/s"

    static = statistics.median(results["nginx static"])
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    nginx_version = subprocess.run([nginx, "-v"], capture_output=True, text=True).stderr.strip()
    aria2_version = subprocess.run(
        ["aria2c", "--version"], capture_output=True, text=True
    ).stdout.splitlines()[0]
    lines = [
        HEADING,
        "",
        f"Measured {stamp} on {machine_description()}; {nginx_version}; {aria2_version}; "
        "gunicorn as deploy/gunicorn.conf.py runs it. "
        f"A grant of {args.files:,} files of {each / 1024 / 1024:,.2f} MiB "
        f"({args.total_mib:,} MiB in all, local storage), fetched with "
        f"`aria2c -i manifest.txt -j {args.connections} -x 1 -c` into an empty directory on the "
        "same disk, from 127.0.0.1. "
        + (
            "aria2 checked every file's SHA-256 (the manifest's checksum lines). "
            if args.verify
            else "The manifest's checksum lines were dropped for every path (transfer only). "
        )
        + f"{args.rounds} interleaved rounds after one warm-up; medians shown. The machine was "
        "shared with other work: 1-minute load average "
        f"{min(loads):.1f} to {max(loads):.1f} during the rounds.",
        "",
        f"| path | aggregate ({args.connections} connections) | ratio to nginx static |",
        "|---|---|---|",
    ]
    for path, values in results.items():
        median = statistics.median(values)
        lines.append(f"| {path} | {mib_s(median)} | {median / static:.2f} |")
    lines += [
        "",
        f"Fetching the manifest of {args.files:,} files (aria2 format, signed links for every "
        f"file): median {statistics.median(manifest_seconds) * 1000:,.0f} ms, "
        f"slowest {max(manifest_seconds) * 1000:,.0f} ms. Making the files took {made:,.0f} s.",
        "",
    ]
    body = "\n".join(lines)
    print(body)
    if args.write_docs:
        write_section(ROOT / "docs" / "benchmarks.md", HEADING, body)


if __name__ == "__main__":
    main()
