"""1,000 approvals provisioned into grants by one worker process on Redis.

    python benchmarks/grants.py [--count 1000] [--write-docs]

Creates a fresh PostgreSQL database, 1,000 submitted requests, starts one Celery worker process
(prefork, one child) on Redis, then approves every request as a steward would (each approval
enqueues its provisioning after commit) and waits until every grant is active. Reports the time
from the first approval to the last grant and the approval-to-grant latency. Target: all active
within 30 s.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime

from common import (
    ROOT,
    fresh_database,
    machine_description,
    setup_django,
    write_section,
)

HEADING = "## Grant provisioning (`benchmarks/grants.py`)"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()

    env = {
        **os.environ,
        "DATABASE_URL": fresh_database("passerelle_bench_grants"),
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

    from django.contrib.auth import get_user_model

    from access import services
    from access.models import AccessRequest, Grant
    from catalogue.models import AccessRights, Dataset, DataSpace, Licence, Publisher

    user_model = get_user_model()
    steward = user_model.objects.create_user("steward", "steward@example.org", "x")
    researcher = user_model.objects.create_user("researcher", "researcher@example.org", "x")
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
        for n in range(args.count)
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

    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "workers", "worker", "--pool=prefork",
         "--concurrency=1", "--loglevel=WARNING", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env, start_new_session=True,
    )  # fmt: skip
    try:
        time.sleep(3)  # let the worker connect
        started = time.monotonic()
        for request in requests:
            services.access_request_approve(user=steward, request=request)
        approvals_done = time.monotonic() - started
        while Grant.objects.filter(state="active").count() < args.count:
            if time.monotonic() - started > 300:
                raise SystemExit("grants still missing after 300 s")
            time.sleep(0.2)
        all_active = time.monotonic() - started
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)

    latencies = [
        (grant.created - request.decided_at).total_seconds() * 1000
        for grant, request in (
            (g, g.access_request) for g in Grant.objects.select_related("access_request").iterator()
        )
    ]
    assert AccessRequest.objects.filter(state="approved", grant__isnull=True).count() == 0
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    ordered = sorted(latencies)
    body = "\n".join(
        [
            HEADING,
            "",
            f"Measured {stamp} on {machine_description()}; Redis 7 as broker; one Celery worker "
            "process (prefork, one child) that also sent the e-mails of each approval.",
            "",
            f"- {args.count:,} approvals made in {approvals_done:.1f} s by the steward's service "
            "calls (each enqueues its provisioning after commit).",
            f"- All {args.count:,} grants active {all_active:.1f} s after the first approval "
            f"(target: 30 s) — **{'met' if all_active <= 30 else 'not met'}**.",
            f"- Approval-to-grant latency: p50 {statistics.median(ordered):.0f} ms, "
            f"p99 {ordered[int(len(ordered) * 0.99) - 1]:.0f} ms, max {ordered[-1]:.0f} ms "
            "(it grows while approvals arrive faster than one worker drains them).",
            "",
        ]
    )
    print(body)
    if args.write_docs:
        write_section(ROOT / "docs" / "benchmarks.md", HEADING, body)


if __name__ == "__main__":
    main()
