"""1,000 requests submitted by one partner client, approved by a decision policy, into grants.

    python benchmarks/policies.py [--count 1000] [--write-docs]

Creates a fresh PostgreSQL database, 1,000 researchers and restricted datasets, one partner
client and a publisher policy (submitting client, purpose category, duration at most 180 days:
approve), starts one Celery worker process (prefork, one child) on Redis, then submits every
request through the partner's own submission service (`access_request_submit_on_behalf`: the
policies run inside the submission and the approval enqueues the grant after commit) and waits
until every grant is active. Reports the submission time (policies included), the time to the
last active grant, and what the policies cost per submission compared with the same
submissions without any publisher policy (built-in only; the stewards would decide).
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

from common import ROOT, fresh_database, machine_description, setup_django, write_section

HEADING = "## Policy approvals (`benchmarks/policies.py`)"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
PURPOSE = "Benchmarking automatic approvals of requests a research office submits for us."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()

    env = {
        **os.environ,
        "DATABASE_URL": fresh_database("passerelle_bench_policies"),
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
    from oauth2_provider.models import Application

    from access import services
    from access.models import AccessRequest, Grant, PolicyDecision
    from accounts.models import PartnerClient
    from catalogue.models import AccessRights, Dataset, DataSpace, Licence, Publisher
    from core.partners import PartnerContext, partner_context_attach

    user_model = get_user_model()
    steward = user_model.objects.create_user("steward", "steward@example.org", "x")
    publisher = Publisher.objects.create(slug="bench", name="Bench Publisher")
    publisher.stewards.add(steward)
    space = DataSpace.objects.get(slug="health")
    licence = Licence.objects.get(identifier="LicenseRef-Passerelle-Research-Only-1.0")
    total = args.count * 2  # half with the policy, half without (the baseline)
    Dataset.objects.bulk_create(
        Dataset(
            slug=f"bench-{n}", title=f"Cohort {n}", description="Synthetic cohort.",
            publisher=publisher, data_space=space, licence=licence,
            access_rights=AccessRights.RESTRICTED,
        )
        for n in range(total)
    )  # fmt: skip
    researchers = user_model.objects.bulk_create(
        user_model(username=f"r{n}", email=f"r{n}@uni-bench.example") for n in range(total)
    )
    EmailAddress.objects.bulk_create(
        EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in researchers
    )
    application = Application.objects.create(
        name="research-office",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
    )
    client = PartnerClient.objects.create(
        application=application,
        name="research-office",
        service_user=user_model.objects.create_user("svc-research-office"),
        research_organisation="Uni Bench",
        scopes=["access:request"],
    )
    # What the partner's Bearer authentication attaches to its service user on each call.
    partner_context_attach(
        client.service_user,
        PartnerContext(
            client_id=client.pk,
            name=client.name,
            scopes=frozenset(client.scopes),
            research_organisation=client.research_organisation,
        ),
    )
    datasets = list(Dataset.objects.filter(publisher=publisher).order_by("slug"))

    def submit_all(pairs) -> list[float]:
        took = []
        for researcher, dataset in pairs:
            start = time.perf_counter()
            services.access_request_submit_on_behalf(
                user=client.service_user,
                researcher=services.Researcher(
                    email=researcher.email, name=researcher.username, affiliation="Uni Bench"
                ),
                dataset=dataset, purpose=PURPOSE, accept_licence=True,
                purpose_category="scientific_research", duration_days=90,
            )  # fmt: skip
            took.append((time.perf_counter() - start) * 1000)
        return took

    # The baseline first, with no publisher policy: the same submissions, left to the stewards.
    baseline = submit_all(zip(researchers[args.count :], datasets[args.count :], strict=True))
    services.decision_policy_create(
        user=steward,
        publisher=publisher,
        name="Research office, research, short",
        conditions=[
            {"kind": "submitting_client", "clients": [str(client.pk)]},
            {"kind": "purpose_category", "categories": ["scientific_research"]},
            {"kind": "max_duration", "days": 180},
        ],
        effect="approve",
        validity_days=180,
    )
    subprocess.run(["redis-cli", "-u", REDIS_URL, "FLUSHDB"], check=True, capture_output=True)
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "workers", "worker", "--pool=prefork",
         "--concurrency=1", "--loglevel=WARNING", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env, start_new_session=True,
    )  # fmt: skip
    try:
        time.sleep(3)  # let the worker connect
        started = time.monotonic()
        with_policy = submit_all(
            zip(researchers[: args.count], datasets[: args.count], strict=True)
        )
        submissions_done = time.monotonic() - started
        while Grant.objects.filter(state="active").count() < args.count:
            if time.monotonic() - started > 600:
                raise SystemExit("grants still missing after 600 s")
            time.sleep(0.2)
        all_active = time.monotonic() - started
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)

    assert PolicyDecision.objects.count() == args.count
    assert AccessRequest.objects.filter(state="approved").count() == args.count
    assert AccessRequest.objects.filter(state="submitted").count() == args.count

    def p(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return ordered[max(0, int(len(ordered) * q) - 1)]

    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = "\n".join(
        [
            HEADING,
            "",
            f"Measured {stamp} on {machine_description()}; Redis 7 as broker; one Celery worker "
            "process (prefork, one child) that also sent the e-mails. The machine was shared "
            f"with other work while it ran (load average {os.getloadavg()[0]:.1f} at the end).",
            "",
            f"- {args.count:,} requests submitted for {args.count:,} researchers by one partner "
            f"client in {submissions_done:.1f} s, each approved inside its submission by a "
            "policy of three conditions (submitting client, purpose category, duration).",
            f"- All {args.count:,} grants active {all_active:.1f} s after the first submission.",
            f"- Submission with the policy approving: p50 {statistics.median(with_policy):.1f} ms,"
            f" p99 {p(with_policy, 0.99):.1f} ms; the same submission with no publisher policy "
            f"(left to the stewards): p50 {statistics.median(baseline):.1f} ms, p99 "
            f"{p(baseline, 0.99):.1f} ms. The difference is the policy run plus the approval "
            "it makes (frozen files, event, grant task).",
            "",
        ]
    )
    print(body)
    if args.write_docs:
        write_section(ROOT / "docs" / "benchmarks.md", HEADING, body)


if __name__ == "__main__":
    main()
