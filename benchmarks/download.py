"""Throughput of grant downloads: gunicorn's sendfile, nginx X-Accel-Redirect, nginx static.

    python benchmarks/download.py [--size-mib 1024] [--rounds 5] [--write-docs]

Creates a file of random bytes as a restricted distribution, provisions a grant, and downloads
it from 127.0.0.1, in interleaved rounds (each round runs every path once, in a new order):
(a) gunicorn as deploy/gunicorn.conf.py runs it, sending the bytes itself; (b) nginx in front
of gunicorn with X-Accel-Redirect; (c) nginx serving the same file statically. Each path is
measured as one whole-file download (curl to /dev/null) and as 64 parallel 16 MiB ranges
covering the file (64 curl processes at once). Reports the median of the rounds as a ratio to
(c) (targets: whole file >= 0.9, ranges >= 0.8) and the gunicorn workers' peak memory while
they serve the whole file and the ranges (flat: never the file's size). Needs nginx (Debian
package nginx-light).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from common import (
    ROOT,
    free_port,
    machine_description,
    restricted_dataset_setup,
    served_files_setup,
    wait_for_port,
    write_section,
)

HEADING = "## Downloads (`benchmarks/download.py`)"
RANGE_MIB = 16
NGINX_CONF = """
worker_processes auto;
{user}
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    client_body_temp_path {work}/tmp;
    proxy_temp_path {work}/tmp;
    fastcgi_temp_path {work}/tmp;
    uwsgi_temp_path {work}/tmp;
    scgi_temp_path {work}/tmp;
    upstream web {{ server 127.0.0.1:{upstream}; keepalive 32; }}
    server {{
        listen 127.0.0.1:{port};
        location /static-copy/ {{ alias {root}/; }}
        location /_protected/ {{
            internal;
            alias {root}/;
            etag off;
            add_header ETag $upstream_http_etag;
        }}
        location / {{
            proxy_pass http://web;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_buffering off;
        }}
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


def whole_file_seconds(url: str, size: int) -> float:
    """Seconds for one download of the whole file to /dev/null."""
    out = subprocess.run(
        ["curl", "-s", "-f", "-o", "/dev/null", "-w", "%{size_download} %{time_total}", url],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert int(out[0]) == size, out
    return float(out[1])


def parallel_ranges_seconds(url: str, size: int) -> float:
    """Seconds until 64 curl processes, started together, have each fetched one 16 MiB range."""
    step = RANGE_MIB * 1024 * 1024
    commands = [
        ["curl", "-s", "-f", "-o", "/dev/null", "-w", "%{http_code} %{size_download}",
         "-r", f"{start}-{min(start + step, size) - 1}", url]
        for start in range(0, size, step)
    ]  # fmt: skip
    started = time.perf_counter()
    procs = [subprocess.Popen(c, stdout=subprocess.PIPE, text=True) for c in commands]
    outputs = [p.communicate()[0].split() for p in procs]
    elapsed = time.perf_counter() - started
    assert all(o[0] == "206" for o in outputs), outputs[:3]
    assert sum(int(o[1]) for o in outputs) == size
    return elapsed


def nginx_start(nginx: str, *, work: Path, port: int, root: Path, upstream: int):
    """nginx in the foreground with NGINX_CONF: /static-copy/ and /_protected/ from ``root``,
    everything else proxied to gunicorn on ``upstream``."""
    (work / "tmp").mkdir()
    conf = work / "nginx.conf"
    conf.write_text(
        NGINX_CONF.format(
            user="user root;" if os.geteuid() == 0 else "",
            work=work,
            port=port,
            root=root,
            upstream=upstream,
        )
    )
    return subprocess.Popen([nginx, "-c", str(conf), "-g", "daemon off;"])


def children_of(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


class PeakMemory(threading.Thread):
    """Highest resident memory (MiB) of any of ``pids`` while it runs."""

    def __init__(self, pids: list[int]) -> None:
        super().__init__(daemon=True)
        self.pids, self.peak_kib, self._done = pids, 0, threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            for pid in self.pids:
                try:
                    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                        if line.startswith("VmRSS:"):
                            self.peak_kib = max(self.peak_kib, int(line.split()[1]))
                except OSError:
                    pass
            time.sleep(0.02)

    def stop(self) -> float:
        self._done.set()
        self.join(timeout=5)
        return self.peak_kib / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        raise SystemExit("nginx is needed: apt-get install nginx-light")

    work, env = served_files_setup(
        prefix="passerelle-bench-dl-",
        database=os.environ.get("BENCH_DOWNLOAD_DATABASE", "passerelle_bench_dl"),
    )
    root = work / "distributions"

    from access import services
    from catalogue.models import Distribution
    from delivery import services as delivery_services

    steward, researcher, dataset = restricted_dataset_setup(
        slug="big", title="Big", description="Big files."
    )
    name = f"{dataset.pk}/large.bin"
    size = args.size_mib * 1024 * 1024
    sha = write_random_file(root / name, args.size_mib)
    Distribution.objects.create(
        dataset=dataset, title="large", format="ZIP", media_type="application/octet-stream",
        byte_size=size, sha256=sha, file=name,
    )  # fmt: skip
    request = services.access_request_create(
        requester=researcher, dataset=dataset, accept_licence=True,
        purpose="Measuring how fast a researcher can download a large restricted file.",
    )  # fmt: skip
    services.access_request_approve(user=steward, request=request)
    grant = services.grant_provision(access_request_id=request.pk)
    (link,) = delivery_services.download_links(grant)

    direct_port, accel_port, nginx_port = free_port(), free_port(), free_port()
    gunicorn = [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py"]
    quiet = {
        "stdout": subprocess.DEVNULL,
        "stderr": None if os.environ.get("BENCH_VERBOSE") else subprocess.DEVNULL,
    }
    direct = subprocess.Popen(
        gunicorn, cwd=ROOT, env={**env, "GUNICORN_BIND": f"127.0.0.1:{direct_port}"},
        start_new_session=True, **quiet,
    )  # fmt: skip
    accel = subprocess.Popen(
        gunicorn, cwd=ROOT, start_new_session=True, **quiet,
        env={**env, "GUNICORN_BIND": f"127.0.0.1:{accel_port}",
             "DOWNLOAD_X_ACCEL_REDIRECT_PREFIX": "/_protected/"},
    )  # fmt: skip
    server = nginx_start(nginx, work=work, port=nginx_port, root=root, upstream=accel_port)
    paths = {
        "nginx static": f"http://127.0.0.1:{nginx_port}/static-copy/{name}",
        "gunicorn sendfile": link.url.replace("http://127.0.0.1:8000", f"http://127.0.0.1:{direct_port}"),
        "nginx X-Accel-Redirect": link.url.replace("http://127.0.0.1:8000", f"http://127.0.0.1:{nginx_port}"),
    }  # fmt: skip
    whole: dict[str, list[float]] = {p: [] for p in paths}
    ranges: dict[str, list[float]] = {p: [] for p in paths}
    rounds: list[dict[str, float]] = []
    loads = []
    try:
        for port in (direct_port, accel_port, nginx_port):
            wait_for_port(port)
        time.sleep(2)
        for path_url in paths.values():  # warm-up: the page cache, the workers' connections
            whole_file_seconds(path_url, size)
            # 64 requests at once reach every worker and thread, so no measured request is a
            # worker's first (Django builds its URL resolver and middleware on that one).
            parallel_ranges_seconds(path_url, size)
        workers = children_of(direct.pid)
        memory = PeakMemory(workers)
        shuffle = random.Random(12)
        for _ in range(args.rounds):
            loads.append(float(Path("/proc/loadavg").read_text().split()[0]))
            order = list(paths)
            shuffle.shuffle(order)
            this_round = {}
            for path in order:
                if path == "gunicorn sendfile" and not memory.is_alive():
                    memory.start()
                whole[path].append(size / whole_file_seconds(paths[path], size))
                ranges[path].append(size / parallel_ranges_seconds(paths[path], size))
                this_round[path] = whole[path][-1]
            rounds.append(this_round)
        peak = memory.stop()
        baseline = children_of(direct.pid)
        idle = PeakMemory(baseline)
        idle.start()
        time.sleep(0.3)
        idle_rss = idle.stop()
    finally:
        server.send_signal(signal.SIGQUIT)
        server.wait(timeout=20)
        for proc in (direct, accel):
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)

    def median(values: list[float]) -> float:
        return statistics.median(values)

    def mib_s(value: float) -> str:
        return f"{value / 1024 / 1024:,.0f} MiB/s"

    static_whole, static_ranges = median(whole["nginx static"]), median(ranges["nginx static"])
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    nginx_version = subprocess.run([nginx, "-v"], capture_output=True, text=True).stderr.strip()
    lines = [
        HEADING,
        "",
        f"Measured {stamp} on {machine_description()}; {nginx_version}; gunicorn as "
        "deploy/gunicorn.conf.py runs it (gthread, "
        f"{os.environ.get('GUNICORN_WORKERS') or '2 x cores + 1'} workers, "
        f"{os.environ.get('GUNICORN_THREADS') or 4} threads each); "
        f"curl to /dev/null on 127.0.0.1. {args.rounds} interleaved rounds, each running every "
        "path once in a new order, after a warm-up per path (one whole download and the 64 "
        "ranges, which reach every worker); the medians are shown. "
        "The machine was shared with other work: 1-minute load average "
        f"{min(loads):.1f} to {max(loads):.1f} during the rounds.",
        "",
        f"A {args.size_mib:,} MiB file of random bytes, whole (one curl) and as "
        f"{-(-size // (RANGE_MIB * 1024 * 1024))} parallel {RANGE_MIB} MiB ranges "
        "(as many curl processes at once):",
        "",
        f"| path | whole file | ratio to static | {-(-size // (RANGE_MIB * 1024 * 1024))} "
        "ranges at once | ratio to static |",
        "|---|---|---|---|---|",
    ]
    for path in paths:
        lines.append(
            f"| {path} | {mib_s(median(whole[path]))} | "
            f"{median(whole[path]) / static_whole:.2f} | {mib_s(median(ranges[path]))} | "
            f"{median(ranges[path]) / static_ranges:.2f} |"
        )
    ratio_whole = median(whole["gunicorn sendfile"]) / static_whole
    ratio_ranges = median(ranges["gunicorn sendfile"]) / static_ranges
    lines += [
        "",
        f"Targets for gunicorn sending the bytes itself: whole file >= 0.9 x nginx static: "
        f"**{'met' if ratio_whole >= 0.9 else 'not met'}** ({ratio_whole:.2f}); 64 ranges "
        f">= 0.8 x: **{'met' if ratio_ranges >= 0.8 else 'not met'}** ({ratio_ranges:.2f}).",
        "",
        "Whole-file ratio per round (gunicorn / static): "
        + ", ".join(f"{r['gunicorn sendfile'] / r['nginx static']:.2f}" for r in rounds)
        + ".",
        "",
        f"Peak resident memory of any gunicorn worker while they sent {args.rounds} whole files "
        f"and {args.rounds} x 64 ranges: {peak:.0f} MiB (idle afterwards: {idle_rss:.0f} MiB); "
        "flat, since sendfile sends from the page cache and Python never holds the bytes.",
        "",
    ]
    body = "\n".join(lines)
    print(body)
    if args.write_docs:
        write_section(ROOT / "docs" / "benchmarks.md", HEADING, body)


if __name__ == "__main__":
    main()
