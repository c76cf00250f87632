"""Search latency and throughput at 100,000 and 1,000,000 datasets: the API under gunicorn, one
client and eight at once, against the raw SQL each request runs.

    python benchmarks/search.py [--sizes 100000 1000000] [--reuse] [--rounds 10] [--write-docs]

1. Databases: ``passerelle_bench`` holds ``manage.py generate_catalogue --count 100000``;
   ``passerelle_bench_1m`` is a copy of it (``CREATE DATABASE ... TEMPLATE``) grown to 1,000,000
   datasets in SQL (INSERT ... SELECT over generate_series: every dataset nine more times with a
   new id, slug and modification date, with its themes and distributions; triggers off, as the
   copied search vectors and facet columns are already what the triggers compute). With
   --reuse an existing database is kept (and migrated).
2. Serves the API with gunicorn and ``deploy/gunicorn.conf.py`` (gthread; --workers x --threads,
   2 x 4 by default) on 127.0.0.1, and runs the published query mix (QUERY_MIX: 33 queries in
   seven classes, including common words matching over half the catalogue, negations, filters
   alone, the landing page and deep pages), --rounds times, from one client with keep-alive,
   then from 8 concurrent clients.
3. In this process, captures the SQL statements each request runs (through Django's test client)
   and times those same statements run directly on the same database: the "raw SQL" time.

Targets (issue 12): at 100k p50 <= 50 ms and p99 <= 150 ms; at 1M p99 <= 300 ms; 8 clients get at
least 3x the throughput of one. Run by hand, never in the test suite; the machine's load average
is printed with the results because other work may share it.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime
from urllib.parse import urlencode

from common import PG_URL, ROOT, free_port, machine_description, wait_for_port, write_section

DATABASES = {100_000: "passerelle_bench", 1_000_000: "passerelle_bench_1m"}
HEADING = "## Search (`benchmarks/search.py`)"

# (class, parameters). Word shares are of the generated catalogue (the same at both sizes).
QUERY_MIX: list[tuple[str, dict[str, str]]] = [
    # Common words: each matches over half the catalogue (dataset 77%, updated 64%).
    ("common words", {"q": "dataset"}),
    ("common words", {"q": "updated"}),
    ("common words", {"q": "dataset updated"}),
    ("common words", {"q": "dataset or survey"}),
    ("common words", {"q": "dataset", "data_space": "health"}),
    ("common words", {"q": "updated", "access_rights": "PUBLIC"}),
    # Negations.
    ("negations", {"q": "dataset -hospital"}),
    ("negations", {"q": "dataset -survey"}),
    ("negations", {"q": "updated -monthly"}),
    ("negations", {"q": "mobility -bus"}),
    ("negations", {"q": "soil -harvest"}),
    # Selective words, phrases, or, accents, other languages, words with filters.
    ("words", {"q": "soil"}),
    ("words", {"q": "traffic"}),
    ("words", {"q": "energy consumption"}),
    ("words", {"q": '"air quality"'}),
    ("words", {"q": "harvests"}),
    ("words", {"q": "hospital or patients"}),
    ("words", {"q": "récoltes"}),
    ("words", {"q": "Krankenhaus"}),
    ("words", {"q": "climate", "data_space": "green-deal"}),
    ("words", {"q": "grid", "licence": "CC-BY-4.0"}),
    # Filters alone.
    ("filters alone", {"data_space": "agriculture"}),
    ("filters alone", {"data_space": "health", "access_rights": "RESTRICTED"}),
    ("filters alone", {"licence": "CC0-1.0"}),
    ("filters alone", {"theme": "TRAN"}),
    ("filters alone", {"format": "PARQUET"}),
    ("filters alone", {"access_rights": "PUBLIC", "ordering": "title"}),
    ("filters alone", {"data_space": "mobility", "format": "CSV"}),
    ("filters alone", {"modified_since": "2026-06-01"}),
    ("filters alone", {"keyword": "soil"}),
    # The landing page: no parameters.
    ("landing page", {}),
    # Deep pages (page_size 20): positions 980 and 3,980.
    ("deep page", {"q": "dataset", "page": "50"}),
    ("deep page", {"data_space": "agriculture", "page": "200"}),
]
CLASSES = list(dict.fromkeys(name for name, _ in QUERY_MIX))

# Each copy k of a row: a new id (and slug, publisher's identifier, modification date); every
# other column as it is, whatever columns the tables have by now.
GROW_OVERRIDES = {
    "catalogue_dataset": {
        "id": "md5(src.id::text || k)::uuid",
        "slug": "src.slug || '-' || k",
        "identifier": "CASE WHEN src.identifier = '' THEN '' ELSE src.identifier || '-' || k END",
        "modified": "src.modified - (random() * interval '1800 days')",
    },
    "catalogue_dataset_themes": {
        "id": None,  # serial: the default numbers the copies
        "dataset_id": "md5(src.dataset_id::text || k)::uuid",
    },
    "catalogue_distribution": {
        "id": "gen_random_uuid()",
        "dataset_id": "md5(src.dataset_id::text || k)::uuid",
    },
}


def grow_sql(url: str, copies: int) -> str:
    statements = ["SET session_replication_role = replica;"]  # no triggers: copies are computed
    for table, overrides in GROW_OVERRIDES.items():
        columns = psql(
            url,
            "SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM "
            f"information_schema.columns WHERE table_name = '{table}'",
        ).split(",")
        kept = [c for c in columns if overrides.get(c, "") is not None]
        values = [overrides.get(c) or f"src.{c}" for c in kept]
        statements.append(
            f"INSERT INTO {table} ({', '.join(kept)}) SELECT {', '.join(values)} "
            f"FROM {table} src, generate_series(1, {copies}) k;"
        )
    statements.append("SET session_replication_role = DEFAULT;")
    # The triggers were off: the landing page's facet totals are recounted from the rows.
    statements.append("SELECT catalogue_facet_totals_rebuild();")
    return "\n".join(statements)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def psql(url: str, sql: str) -> str:
    return subprocess.run(
        ["psql", url, "-v", "ON_ERROR_STOP=1", "-qAtc", sql],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip


def database_exists(name: str) -> bool:
    return psql(f"{PG_URL}/postgres", f"SELECT 1 FROM pg_database WHERE datname='{name}'") == "1"


def prepare_database(size: int, env: dict[str, str], reuse: bool) -> str:
    name = DATABASES[size]
    url = f"{PG_URL}/{name}"
    migrate = [sys.executable, "manage.py", "migrate", "-v0"]
    if reuse and database_exists(name):
        print(f"reusing database {name}")
        subprocess.run(migrate, cwd=ROOT, env={**env, "DATABASE_URL": url}, check=True)
        return url
    admin = f"{PG_URL}/postgres"
    if size == 100_000:
        psql(admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        psql(admin, f"CREATE DATABASE {name}")
        subprocess.run(migrate, cwd=ROOT, env={**env, "DATABASE_URL": url}, check=True)
        started = time.monotonic()
        subprocess.run(
            [sys.executable, "manage.py", "generate_catalogue", "--count", str(size)],
            cwd=ROOT, env={**env, "DATABASE_URL": url}, check=True,
        )  # fmt: skip
        print(f"generated {size:,} datasets in {time.monotonic() - started:.0f} s")
    else:
        prepare_database(100_000, env, reuse=True)
        psql(admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        psql(admin, f"CREATE DATABASE {name} TEMPLATE {DATABASES[100_000]}")
        started = time.monotonic()
        copies = size // 100_000 - 1
        subprocess.run(
            ["psql", url, "-v", "ON_ERROR_STOP=1", "-qc", grow_sql(url, copies)],
            check=True,
        )
        print(f"grew {name} to {size:,} datasets in {time.monotonic() - started:.0f} s")
    subprocess.run(["psql", url, "-qc", "VACUUM ANALYZE"], check=True)
    return url


def request_loop(
    base: str, queries: list[tuple[str, dict[str, str]]], results: list[tuple[str, float]]
) -> None:
    import requests

    session = requests.Session()
    for name, params in queries:
        started = time.perf_counter()
        response = session.get(f"{base}/api/v1/datasets/", params=params, timeout=60)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"{params}: {response.status_code} {response.text[:300]}")
        results.append((name, elapsed))


def run_clients(base: str, clients: int, rounds: int) -> tuple[list[tuple[str, float]], float]:
    """Every client runs the whole mix ``rounds`` times in its own shuffled order."""
    results: list[tuple[str, float]] = []
    failures: list[BaseException] = []

    def client_loop(order: list[tuple[str, dict[str, str]]]) -> None:
        try:
            request_loop(base, order, results)
        except BaseException as error:  # reported once the others have finished
            failures.append(error)

    threads = []
    for client in range(clients):
        order = [item for _ in range(rounds) for item in QUERY_MIX]
        random.Random(client).shuffle(order)
        threads.append(threading.Thread(target=client_loop, args=(order,)))
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise RuntimeError(f"{len(failures)} client(s) failed") from failures[0]
    return results, time.perf_counter() - started


def capture_sql() -> list[list[str]]:
    """The statements each request of the mix runs, captured through Django's request handling."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    captured = []
    for _, params in QUERY_MIX:
        client.get("/api/v1/datasets/?" + urlencode(params))  # readings cached, as in a server
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/api/v1/datasets/?" + urlencode(params))
            assert response.status_code == 200, response.content[:300]
        captured.append([q["sql"] for q in ctx.captured_queries])
    return captured


def time_raw_sql(statements: list[list[str]], rounds: int) -> dict[str, list[float]]:
    from django.db import connection

    timings: dict[str, list[float]] = defaultdict(list)
    with connection.cursor() as cursor:
        for _ in range(rounds + 1):  # the first round warms up
            for (name, _), group in zip(QUERY_MIX, statements, strict=True):
                started = time.perf_counter()
                for sql in group:
                    cursor.execute(sql)
                    if cursor.description:
                        cursor.fetchall()
                timings[name].append((time.perf_counter() - started) * 1000)
    return {name: values[len(values) // (rounds + 1) :] for name, values in timings.items()}


def compare_plans(rounds: int) -> dict[str, dict[str, list[float]]]:
    """The selector alone, in this process, bounded (what the API runs) against exact (every
    match counted, ranked and faceted: the plan before the bounds, which the CKAN API still
    uses), interleaved query by query so that both see the same load."""
    from django.http import QueryDict
    from django.test import override_settings

    from catalogue import selectors
    from catalogue.api.filters import DatasetFilterSet
    from catalogue.models import Dataset

    timings: dict[str, dict[str, list[float]]] = {"bounded": {}, "exact": {}}
    with override_settings(SEARCH_STATEMENT_TIMEOUT_MS=600_000):
        for round_number in range(rounds + 1):  # the first round warms up
            for name, params in QUERY_MIX:
                for plan in ("bounded", "exact"):
                    filterset = DatasetFilterSet(
                        QueryDict(urlencode(params)), queryset=Dataset.objects.listed()
                    )
                    assert filterset.is_valid(), filterset.errors
                    cleaned = filterset.form.cleaned_data
                    page = int(params.get("page", 1))
                    started = time.perf_counter()
                    result = selectors.dataset_search(
                        matches=filterset.qs,
                        q=cleaned.get("q"),
                        ordering=cleaned.get("ordering"),
                        offset=(page - 1) * 20,
                        limit=20,
                        exact=plan == "exact",
                    )
                    selectors.datasets_by_ids(result.page_ids)
                    elapsed = (time.perf_counter() - started) * 1000
                    if round_number:
                        timings[plan].setdefault(name, []).append(elapsed)
    for plan in timings.values():
        plan["all"] = [t for name in CLASSES for t in plan[name]]
    return timings


def by_class(results: list[tuple[str, float]]) -> dict[str, list[float]]:
    grouped: dict[str, list[float]] = defaultdict(list)
    for name, elapsed in results:
        grouped[name].append(elapsed)
    grouped["all"] = [elapsed for _, elapsed in results]
    return grouped


def measure(size: int, url: str, args: argparse.Namespace, env: dict[str, str]) -> dict:
    os.environ["DATABASE_URL"] = url
    from django.db import connection

    connection.close()
    connection.settings_dict["NAME"] = url.rsplit("/", 1)[1]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM catalogue_dataset")
        datasets = cursor.fetchone()[0]
    port = free_port()
    server_env = {
        **env,
        "DATABASE_URL": url,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": str(args.workers),
        "GUNICORN_THREADS": str(args.threads),
        "GUNICORN_MAX_REQUESTS": "0",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "config.wsgi"],
        cwd=ROOT, env=server_env, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    load_before = os.getloadavg()[0]
    try:
        wait_for_port(port)
        base = f"http://127.0.0.1:{port}"
        run_clients(base, clients=args.workers * args.threads, rounds=1)  # warm every thread
        sequential, seq_seconds = run_clients(base, clients=1, rounds=args.rounds)
        concurrent, conc_seconds = run_clients(base, clients=8, rounds=args.rounds)
    finally:
        server.terminate()
        server.wait(timeout=30)
    load_after = os.getloadavg()[0]
    raw = time_raw_sql(capture_sql(), args.rounds)
    raw["all"] = [t for name in CLASSES for t in raw[name]]
    plans = compare_plans(args.compare_rounds) if args.compare_rounds else None
    return {
        "plans": plans,
        "size": datasets,
        "sequential": by_class(sequential),
        "concurrent": by_class(concurrent),
        "raw": raw,
        "seq_rps": len(sequential) / seq_seconds,
        "conc_rps": len(concurrent) / conc_seconds,
        "load": (load_before, load_after),
    }


def report(runs: list[dict], args: argparse.Namespace) -> str:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    from django.conf import settings

    lines = [
        HEADING,
        "",
        f"Measured {stamp} on {machine_description()}; gunicorn `deploy/gunicorn.conf.py` with "
        f"{args.workers} gthread workers x {args.threads} threads on 127.0.0.1, PostgreSQL with "
        "its default settings (shared_buffers 128 MB) after `VACUUM ANALYZE`. The 2 cores were "
        "shared with other work (load averages below). Search settings: exact counts up to "
        f"{settings.SEARCH_EXACT_COUNT_UP_TO:,} matches, facet sample "
        f"{settings.SEARCH_FACET_SAMPLE_ROWS:,} rows, rank window {settings.SEARCH_RANK_WINDOW:,}.",
        "",
        f"The mix: {len(QUERY_MIX)} queries (`QUERY_MIX` in the script), each run {args.rounds} "
        "times per client after a warm-up pass; 8 concurrent clients each run the whole mix "
        "in their own order. Raw SQL: the statements each request runs (captured through "
        "Django's request handling), re-run in one connection on the same database.",
        "",
    ]
    for run in runs:
        seq, conc, raw = run["sequential"], run["concurrent"], run["raw"]
        ratio = run["conc_rps"] / run["seq_rps"]
        lines += [
            f"### {run['size']:,} datasets",
            "",
            f"Throughput: 1 client {run['seq_rps']:.1f} req/s, 8 clients {run['conc_rps']:.1f} "
            f"req/s ({ratio:.2f}x). Load average (1 min) {run['load'][0]:.1f} before, "
            f"{run['load'][1]:.1f} after.",
            "",
            "| class | queries | 1 client p50 / p99 (ms) | 8 clients p50 / p99 (ms) "
            "| raw SQL p50 / p99 (ms) |",
            "|---|---|---|---|---|",
        ]
        for name in [*CLASSES, "all"]:
            count = len(QUERY_MIX) if name == "all" else sum(1 for c, _ in QUERY_MIX if c == name)
            lines.append(
                f"| {name} | {count} "
                f"| {statistics.median(seq[name]):.0f} / {percentile(seq[name], 99):.0f} "
                f"| {statistics.median(conc[name]):.0f} / {percentile(conc[name], 99):.0f} "
                f"| {statistics.median(raw[name]):.0f} / {percentile(raw[name], 99):.0f} |"
            )
        lines.append("")
        if run["plans"]:
            bounded, exact = run["plans"]["bounded"], run["plans"]["exact"]
            lines += [
                f"The search alone (the selector and the page's rows, in one process, "
                f"{args.compare_rounds} rounds): bounded, as the API runs it, against exact "
                "(every match counted, ranked and faceted, the plan before the bounds; the CKAN "
                "API's), interleaved query by query under the same load:",
                "",
                "| class | bounded p50 / max (ms) | exact p50 / max (ms) |",
                "|---|---|---|",
            ]
            for name in [*CLASSES, "all"]:
                lines.append(
                    f"| {name} | {statistics.median(bounded[name]):.0f} / "
                    f"{max(bounded[name]):.0f} | {statistics.median(exact[name]):.0f} / "
                    f"{max(exact[name]):.0f} |"
                )
            lines.append("")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000],
                        choices=sorted(DATABASES))  # fmt: skip
    parser.add_argument("--reuse", action="store_true", help="keep existing bench databases")
    parser.add_argument("--rounds", type=int, default=10, help="passes over the mix per client")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker")
    parser.add_argument(
        "--compare-rounds",
        type=int,
        default=3,
        help="rounds of the bounded-against-exact comparison (0: skip it)",
    )
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DEBUG": "0",
        "THROTTLE_DISABLED": "1",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
    }
    urls = {size: prepare_database(size, env, args.reuse) for size in args.sizes}
    os.environ.update(env)
    os.environ["DATABASE_URL"] = urls[args.sizes[0]]
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    runs = [measure(size, urls[size], args, env) for size in args.sizes]
    text = report(runs, args)
    print(text)
    if args.write_docs:
        write_section(ROOT / "docs" / "benchmarks.md", HEADING, text)


if __name__ == "__main__":
    main()
