"""1,000 approvals provisioned into grants by 1, 2 and 4 worker processes on Redis.

    python benchmarks/grants.py [--count 1000] [--workers 1,2,4] [--save FILE]
                                [--before FILE] [--write-docs]

For each worker count: a fresh PostgreSQL database with 1,000 submitted requests, a Celery
worker with that many prefork processes on Redis, then every request approved as a steward
would (each approval enqueues its provisioning after commit) until every grant is active.
Reports the time from the first approval to the last grant, the approval-to-grant latency, and
what the database backends were waiting for meanwhile: a sampler reads pg_stat_activity every
5 ms and counts the active backends waiting for a lock, and those waiting for the audit chain's
head row (their statement reads access_audithead). Target: all active within 20 s with one
worker process.

``--save`` keeps the figures as JSON; ``--before`` puts saved figures (the same script run on
an earlier version of the code) beside the new ones.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from common import (
    ROOT,
    fresh_database,
    machine_description,
    setup_django,
    write_section,
)

HEADING = "## Grant provisioning (`benchmarks/grants.py`)"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
TARGET_SECONDS = 20
SAMPLE_EVERY = 0.005
DATABASE = os.environ.get("BENCH_GRANTS_DATABASE", "passerelle_bench_grants")
SAMPLE_SQL = """
SELECT count(*),
       count(*) FILTER (WHERE wait_event_type = 'Lock'),
       count(*) FILTER (WHERE wait_event_type = 'Lock' AND query ILIKE '%%access_audithead%%')
  FROM pg_stat_activity
 WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid()
"""


@dataclass
class LockSamples:
    samples: int = 0
    active: int = 0  # backend-samples: one active backend seen in one sample
    waiting: int = 0
    waiting_on_head: int = 0

    def share(self, part: int) -> float:
        return part / self.active if self.active else 0.0


@dataclass
class Run:
    workers: int
    count: int
    approvals_seconds: float
    all_active_seconds: float
    latency_p50_ms: float
    latency_p99_ms: float
    latency_max_ms: float
    locks: LockSamples = field(default_factory=LockSamples)
    load_before: str = ""
    # Backlog: the same approvals all made before the worker starts; the seconds from its first
    # grant to its last (what the worker processes alone take, start-up excluded).
    backlog_seconds: float | None = None


class LockSampler(threading.Thread):
    """Counts, every few milliseconds, the database's active backends and what they wait for."""

    def __init__(self, dsn: str) -> None:
        super().__init__(daemon=True)
        self.dsn = dsn
        self.result = LockSamples()
        self._done = threading.Event()

    def run(self) -> None:
        import psycopg

        with psycopg.connect(self.dsn, autocommit=True) as conn:
            while not self._done.is_set():
                active, waiting, on_head = conn.execute(SAMPLE_SQL).fetchone()
                self.result.samples += 1
                self.result.active += active
                self.result.waiting += waiting
                self.result.waiting_on_head += on_head
                time.sleep(SAMPLE_EVERY)

    def stop(self) -> LockSamples:
        self._done.set()
        self.join(timeout=5)
        return self.result


def one_run(count: int, workers: int) -> Run:
    """Runs in a child process of its own (Django is set up once per process)."""
    run = live_run(count, workers)
    run.backlog_seconds = backlog_run(count, workers)
    return run


def prepared_requests(count: int) -> tuple[dict[str, str], str, object, list]:
    """A fresh database with ``count`` submitted requests: (environment, database, steward,
    requests)."""
    from django.apps import apps

    if apps.ready:  # a second database in this process: let go of the one being dropped
        from django.db import connections

        connections.close_all()
    database = fresh_database(DATABASE)
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "REDIS_URL": REDIS_URL,
        "CELERY_BROKER_URL": REDIS_URL,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run(["redis-cli", "-u", REDIS_URL, "FLUSHDB"], check=True, capture_output=True)
    setup_django(env)

    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model

    from access import services
    from catalogue.models import AccessRights, Dataset, DataSpace, Licence, Publisher

    user_model = get_user_model()
    steward = user_model.objects.create_user("steward", "steward@example.org", "x")
    researcher = user_model.objects.create_user("researcher", "researcher@example.org", "x")
    EmailAddress.objects.create(
        user=researcher, email=researcher.email, verified=True, primary=True
    )  # as after following the sign-up link
    publisher = Publisher.objects.create(slug="bench", name="Bench Publisher")
    publisher.stewards.add(steward)
    space = DataSpace.objects.get(slug="health")
    licence = Licence.objects.get(identifier="LicenseRef-Passerelle-Research-Only-1.0")
    Dataset.objects.bulk_create(
        Dataset(
            slug=f"bench-{n}", title=f"Cohort {n}", description="Synthetic cohort.",
            publisher=publisher, data_space=space, licence=licence,
            access_rights=AccessRights.RESTRICTED,
        )
        for n in range(count)
    )  # fmt: skip
    requests = [
        services.access_request_create(
            requester=researcher,
            dataset=dataset,
            purpose="Benchmarking the provisioning of grants for a synthetic cohort study.",
            accept_licence=True,
        )
        for dataset in Dataset.objects.filter(publisher=publisher)
    ]
    subprocess.run(["redis-cli", "-u", REDIS_URL, "FLUSHDB"], check=True, capture_output=True)
    subprocess.run(
        ["psql", database, "-qc", "VACUUM ANALYZE"], check=True, capture_output=True
    )  # fmt: skip
    return env, database, steward, requests


def start_worker(env: dict[str, str], workers: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "workers", "worker", "--pool=prefork",
         f"--concurrency={workers}", "--loglevel=WARNING", "--without-gossip", "--without-mingle",
         "--without-heartbeat"],
        cwd=ROOT, env=env, start_new_session=True,
    )  # fmt: skip


def stop_worker(worker: subprocess.Popen) -> None:
    os.killpg(worker.pid, signal.SIGTERM)
    worker.wait(timeout=60)


def wait_for_grants(count: int, started: float) -> None:
    from access.models import Grant

    while Grant.objects.filter(state="active").count() < count:
        if time.monotonic() - started > 300:
            raise SystemExit("grants still missing after 300 s")
        time.sleep(0.05)


def backlog_run(count: int, workers: int) -> float:
    """Every approval made first, with no worker running (each enqueues its provisioning after
    commit); then the worker starts and drains the queue. Returns the seconds from the first
    grant to the last."""
    from django.db.models import Max, Min

    from access import services
    from access.models import Grant

    env, _, steward, requests = prepared_requests(count)
    for request in requests:
        services.access_request_approve(user=steward, request=request)
    worker = start_worker(env, workers)
    try:
        wait_for_grants(count, time.monotonic())
    finally:
        stop_worker(worker)
    span = Grant.objects.aggregate(first=Min("created"), last=Max("created"))
    assert services.audit_log_verify().ok
    return (span["last"] - span["first"]).total_seconds()


def live_run(count: int, workers: int) -> Run:
    """Approvals made one after another while the worker provisions."""
    env, database, steward, requests = prepared_requests(count)  # sets Django up first

    from access import services
    from access.models import AccessRequest, Grant

    worker = start_worker(env, workers)
    try:
        time.sleep(3 + workers)  # let the worker processes connect
        load_before = Path("/proc/loadavg").read_text().split()[0]
        sampler = LockSampler(database)
        sampler.start()
        started = time.monotonic()
        for request in requests:
            services.access_request_approve(user=steward, request=request)
        approvals_done = time.monotonic() - started
        wait_for_grants(count, started)
        all_active = time.monotonic() - started
        locks = sampler.stop()
    finally:
        stop_worker(worker)

    latencies = sorted(
        (grant.created - grant.access_request.decided_at).total_seconds() * 1000
        for grant in Grant.objects.select_related("access_request").iterator()
    )
    assert AccessRequest.objects.filter(state="approved", grant__isnull=True).count() == 0
    assert services.audit_log_verify().ok
    return Run(
        workers=workers,
        count=count,
        approvals_seconds=approvals_done,
        all_active_seconds=all_active,
        latency_p50_ms=statistics.median(latencies),
        latency_p99_ms=latencies[int(len(latencies) * 0.99) - 1],
        latency_max_ms=latencies[-1],
        locks=locks,
        load_before=load_before,
    )


def load_runs(path: Path) -> dict:
    saved = json.loads(path.read_text())
    for run in saved["runs"]:
        run["locks"] = LockSamples(**run["locks"])
    saved["runs"] = [Run(**run) for run in saved["runs"]]
    return saved


def table(runs: list[Run], label: str) -> list[str]:
    lines = []
    for run in runs:
        lines.append(
            f"| {label} | {run.workers} | {run.approvals_seconds:.1f} | "
            f"**{run.all_active_seconds:.1f}** | {run.latency_p50_ms:,.0f} / "
            f"{run.latency_p99_ms:,.0f} | {run.locks.share(run.locks.waiting):.1%} | "
            f"{run.locks.share(run.locks.waiting_on_head):.1%} | "
            f"{run.locks.active / max(run.locks.samples, 1):.2f} | {run.load_before} | "
            + (
                f"{run.backlog_seconds:.1f} ({run.count / run.backlog_seconds:,.0f}/s) |"
                if run.backlog_seconds
                else "- |"
            )
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--workers", default="1,2,4", help="worker process counts, e.g. 1,2,4")
    parser.add_argument("--save", type=Path, help="keep the figures in this JSON file")
    parser.add_argument("--before", type=Path, help="figures saved from the earlier code")
    parser.add_argument("--label", default="", help="what the figures are of (commit)")
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--render", type=Path, help="no run: show the figures saved in FILE")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: a child run
    args = parser.parse_args()

    if args.one is not None:
        print(json.dumps(asdict(one_run(args.count, args.one))))
        return

    runs = []
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    if args.render:
        saved = load_runs(args.render)
        runs, stamp, args.label = saved["runs"], saved["stamp"], saved["label"]
        args.workers = ""
    for workers in [int(n) for n in args.workers.split(",") if n]:
        out = subprocess.run(
            [sys.executable, __file__, "--count", str(args.count), "--one", str(workers)],
            cwd=ROOT, check=True, stdout=subprocess.PIPE, text=True,
        ).stdout  # fmt: skip
        run = json.loads(out.strip().splitlines()[-1])
        run["locks"] = LockSamples(**run["locks"])
        runs.append(Run(**run))
        print(table([run for run in runs[-1:]], args.label or "this code")[0], flush=True)

    if args.save:
        args.save.write_text(
            json.dumps(
                {"label": args.label, "stamp": stamp, "runs": [asdict(r) for r in runs]},
                indent=1,
            )
        )
    before = load_runs(args.before) if args.before else None
    one_worker = next((r for r in runs if r.workers == 1), None)
    lines = [
        HEADING,
        "",
        f"Measured {stamp} on {machine_description()}; Redis 7 as broker; a Celery worker "
        "with 1, 2 and 4 prefork processes, which also send each grant's e-mail (dummy "
        "backend). The machine was shared with other work; the last column is the 1-minute "
        "load average just before each run.",
        "",
        f"{runs[0].count:,} approvals made one after another by the steward's service calls "
        "(each enqueues its provisioning after commit), while the worker provisions; "
        "**all active** is the time from the first approval until every grant is active. Lock "
        "waits: share of the active database backends, sampled every 5 ms, that waited for a "
        "row lock, and for the audit chain's head row in particular.",
        "",
        "| code | worker processes | approvals made (s) | all active (s) | approval-to-grant "
        "p50 / p99 (ms) | waiting for a lock | waiting for the audit head | active backends "
        "(mean) | load | backlog drained in (s) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    if before:
        lines += table(before["runs"], f"before ({before['label']}, {before['stamp']})")
    lines += table(runs, args.label or "this code")
    lines += [""]
    if one_worker:
        verdict = "met" if one_worker.all_active_seconds <= TARGET_SECONDS else "not met"
        lines += [
            f"Target: all {one_worker.count:,} active within {TARGET_SECONDS} s with one worker "
            f"process: **{verdict}** ({one_worker.all_active_seconds:.1f} s).",
            "",
            "The approvals are made one after another by one process, as one steward's client "
            "would: when the worker keeps up, the last grant follows the last approval within "
            "the approval-to-grant latency, and *all active* is bounded by *approvals made* "
            "(compare the two columns); on a 2-core machine the worker processes and the "
            "approving process also compete for the same cores.",
            "",
            "*Backlog drained in*: the same approvals all made first, with no worker running, "
            "then the worker started: the seconds from its first grant to its last (worker "
            "start-up excluded), and grants per second. This is what the worker processes "
            "alone can do, without the approving process setting the pace.",
            "",
        ]
    body = "\n".join(lines)
    print(body)
    if args.write_docs:
        write_section(ROOT / "docs" / "benchmarks.md", HEADING, body)


if __name__ == "__main__":
    main()
