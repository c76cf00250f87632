"""DCAT-AP export of 100,000 datasets, and harvesting 10,000 datasets from a local source.

    python benchmarks/interop.py [--count 100000] [--reuse] [--pages N] [--harvest 10000]
                                 [--write-docs]

1. Creates (or, with --reuse, keeps) the PostgreSQL database ``passerelle_bench_interop`` and
   fills it with ``manage.py generate_catalogue --count N``.
2. Export: requests every page of ``/catalogue.ttl`` (100 datasets a page) in this process,
   through Django's request handling, and reports the time per page and the process's resident
   memory after the first page, half-way and at the end, and its peak (ru_maxrss): the export
   holds one page at a time, so memory must not grow with the number of pages read.
3. Harvest: serves a DCAT-AP catalogue of M synthetic datasets (Turtle, 100 a page, Hydra
   next links, two distributions each) from a thread on 127.0.0.1, harvests it into a fresh
   publisher with the harvest service (``manage.py harvest`` does the same), then harvests it
   again unchanged; reports datasets per second for both, and the reading (fetch and parse)
   part alone.

Run by hand; never in the test suite. Results go to docs/benchmarks.md with --write-docs.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from common import PG_URL, ROOT, machine_description, write_section

DB_NAME = "passerelle_bench_interop"
PAGE_SIZE = 100


def run(cmd: list[str], env: dict[str, str]) -> None:
    subprocess.run(cmd, cwd=ROOT, env=env, check=True)


def prepare_database(env: dict[str, str], count: int, reuse: bool) -> None:
    probe = f"SELECT 1 FROM pg_database WHERE datname='{DB_NAME}'"
    exists = (
        subprocess.run(
            ["psql", f"{PG_URL}/postgres", "-Atc", probe], capture_output=True, text=True,
            check=True,
        ).stdout.strip()
        == "1"
    )  # fmt: skip
    if exists and reuse:
        print(f"reusing database {DB_NAME}")
        run([sys.executable, "manage.py", "migrate", "-v0"], env)
        return
    admin = ["psql", f"{PG_URL}/postgres", "-qc"]
    if exists:
        run([*admin, f"DROP DATABASE {DB_NAME} WITH (FORCE)"], env)
    run([*admin, f"CREATE DATABASE {DB_NAME}"], env)
    run([sys.executable, "manage.py", "migrate", "-v0"], env)
    started = time.monotonic()
    run([sys.executable, "manage.py", "generate_catalogue", "--count", str(count)], env)
    print(f"generated {count} datasets in {time.monotonic() - started:.1f} s")
    run(["psql", env["DATABASE_URL"], "-qc", "VACUUM ANALYZE"], env)


def rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1024**2


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# --- 1. export ---------------------------------------------------------------------------------


def bench_export(every: int) -> dict[str, object]:
    """Request every ``every``-th page from the first to the last (all with 1), so that pages
    deep in the catalogue (a large OFFSET) are measured as well as the first ones."""
    from django.test import Client

    from catalogue.models import Dataset

    page_count = -(-Dataset.objects.filter(withdrawn_at__isnull=True).count() // PAGE_SIZE)
    numbers = list(range(1, page_count + 1, every))
    if numbers[-1] != page_count:
        numbers.append(page_count)
    client = Client(HTTP_HOST="127.0.0.1")
    timings: dict[int, float] = {}
    rss: dict[str, float] = {}
    total_bytes = 0
    for position, page in enumerate(numbers, start=1):
        started = time.perf_counter()
        response = client.get(f"/catalogue.ttl?page={page}")
        assert response.status_code == 200, response.content[:300]
        body = b"".join(response.streaming_content) if response.streaming else response.content
        timings[page] = time.perf_counter() - started
        total_bytes += len(body)
        if position == 1:
            rss["after the first page"] = rss_mib()
        if position == len(numbers) // 2:
            rss[f"after {position} pages"] = rss_mib()
        if position % 10 == 0:
            print(f"  page {page}: {timings[page] * 1000:.0f} ms, RSS {rss_mib():.0f} MiB")
    rss[f"after all {len(numbers)}"] = rss_mib()
    ordered = sorted(timings.values())
    by_depth = {
        label: statistics.median(
            t for p, t in timings.items() if low <= p <= high
        ) * 1000
        for label, low, high in (
            ("pages 1-100", 1, 100),
            (f"pages {page_count // 2 - 49}-{page_count // 2 + 50}", page_count // 2 - 49,
             page_count // 2 + 50),
            (f"pages {page_count - 99}-{page_count}", page_count - 99, page_count),
        )
        if any(low <= p <= high for p in timings)
    }  # fmt: skip
    return {
        "pages": len(timings),
        "page_count": page_count,
        "every": every,
        "p50_ms": statistics.median(ordered) * 1000,
        "p95_ms": ordered[int(0.95 * (len(ordered) - 1))] * 1000,
        "max_ms": ordered[-1] * 1000,
        "by_depth": by_depth,
        "total_s": sum(ordered),
        "mib": total_bytes / 1024**2,
        "rss": rss,
        "peak_rss": peak_rss_mib(),
    }


# --- 2. harvest --------------------------------------------------------------------------------

PREFIXES = """@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> . @prefix spdx: <http://spdx.org/rdf/terms#> .
@prefix hydra: <http://www.w3.org/ns/hydra/core#> .
"""
EU = "http://publications.europa.eu/resource/authority/"
THEMES = ["AGRI", "ENVI", "HEAL", "TRAN", "ENER", "ECON", "SOCI", "TECH"]


def synthetic_page(number: int, page_count: int) -> bytes:
    lines = [PREFIXES]
    for n in range((number - 1) * PAGE_SIZE, number * PAGE_SIZE):
        theme = THEMES[n % len(THEMES)]
        lines.append(
            f"""<https://source.example/ds/{n}> a dcat:Dataset ; dct:identifier "SRC-{n}" ;
  dct:title "Synthetic dataset {n} of the source"@en ;
  dct:description "Measurements number {n}, collected daily by the source's stations."@en ;
  dcat:keyword "bench"@en, "series {n % 97}"@en, "{theme.lower()}"@en ;
  dcat:theme <{EU}data-theme/{theme}> ;
  dct:accessRights <{EU}access-right/PUBLIC> ; dct:license <{EU}licence/CC_BY_4_0> ;
  dct:language <{EU}language/ENG> ;
  dct:modified "2025-01-01T00:00:00+00:00"^^xsd:dateTime ;
  dcat:distribution <https://source.example/dist/{n}/csv>, <https://source.example/dist/{n}/api> .
<https://source.example/dist/{n}/csv> a dcat:Distribution ; dct:title "Data {n}, CSV" ;
  dct:format <{EU}file-type/CSV> ; dcat:downloadURL <https://source.example/files/{n}.csv> ;
  dcat:byteSize "{1000 + n}"^^xsd:nonNegativeInteger ;
  spdx:checksum [ spdx:algorithm spdx:checksumAlgorithm_sha256 ;
                  spdx:checksumValue "{n:064x}" ] .
<https://source.example/dist/{n}/api> a dcat:Distribution ; dct:title "Data {n}, API" ;
  dct:format <{EU}file-type/JSON> ; dcat:accessURL <https://source.example/api/{n}> .
"""
        )
    following = f"; hydra:next <?page={number + 1}>" if number < page_count else ""
    lines.append(f"<?page={number}> a hydra:PartialCollectionView {following} .\n")
    return "".join(lines).encode()


def serve(pages: dict[int, bytes]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            number = int(parse_qs(urlsplit(self.path).query).get("page", ["1"])[0])
            body = pages[number]
            self.send_response(200)
            self.send_header("Content-Type", "text/turtle")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def bench_harvest(count: int) -> dict[str, object]:
    from catalogue.models import Dataset, DataSpace, Publisher
    from interop.harvest import services
    from interop.harvest.fetch import Fetcher
    from interop.models import HarvestSource

    page_count = count // PAGE_SIZE
    pages = {n: synthetic_page(n, page_count) for n in range(1, page_count + 1)}
    server = serve(pages)
    url = f"http://127.0.0.1:{server.server_address[1]}/catalogue.ttl"
    publisher, _ = Publisher.objects.get_or_create(slug="bench-harvest", name="Bench harvest")
    if Dataset.objects.filter(publisher=publisher).exists():
        sys.exit("the bench-harvest publisher has datasets already: run without --reuse")
    source = HarvestSource.objects.create(
        name=f"bench {datetime.now(UTC):%H%M%S}", url=url, kind="dcat", publisher=publisher,
        data_space=DataSpace.objects.get(slug="agriculture"),
    )  # fmt: skip
    try:
        started = time.perf_counter()
        read = list(
            services.read_source(source, Fetcher.for_source(max_pages=None, deadline_seconds=None))
        )
        reading = time.perf_counter() - started  # fmt: skip
        assert len(read) == count, len(read)
        del read

        started = time.perf_counter()
        first = services.harvest_source_run(source_id=source.pk)
        first_s = time.perf_counter() - started
        assert first.status == "succeeded" and first.created_count == count, first.summary()

        started = time.perf_counter()
        again = services.harvest_source_run(source_id=source.pk)
        again_s = time.perf_counter() - started
        assert again.unchanged_count == count, again.summary()
    finally:
        server.shutdown()
    return {
        "count": count,
        "pages": page_count,
        "source_mib": sum(len(p) for p in pages.values()) / 1024**2,
        "reading_s": reading,
        "first_s": first_s,
        "again_s": again_s,
        "first": first.summary(),
        "again": again.summary(),
        "peak_rss": peak_rss_mib(),
    }


def report(export: dict, harvest: dict, count: int) -> str:
    rss = ", ".join(f"{k} {v:.0f} MiB" for k, v in export["rss"].items())
    every = export["every"]
    sampled = (
        "Every page" if every == 1 else f"Every {every}th page, first to last ({export['pages']}),"
    )
    depth = export["by_depth"]
    depth_heads = " | ".join(f"p50 of {label}" for label in depth)
    depth_rule = "---|" * len(depth)
    depth_cells = " | ".join(f"{value:.0f} ms" for value in depth.values())
    p50, p95 = export["p50_ms"], export["p95_ms"]
    count_h = harvest["count"]
    rows = "\n".join(
        f"| {label} | {seconds:.1f} s | {count_h / seconds:.0f} | {outcome} |"
        for label, seconds, outcome in (
            ("first harvest", harvest["first_s"], harvest["first"]),
            ("no-change re-harvest", harvest["again_s"], harvest["again"]),
            ("reading only (fetch and parse every page)", harvest["reading_s"], ""),
        )
    )
    return f"""## DCAT-AP export and harvesting (`benchmarks/interop.py`)

Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine_description()}. The machine was shared
with other work (up to six sessions on its two cores), so times are upper bounds.

**Export.** Catalogue: {count:,} generated datasets, {export["page_count"]:,} pages of
`/catalogue.ttl` ({PAGE_SIZE} datasets a page). {sampled} requested in one process through
Django's request handling: {export["mib"]:.0f} MiB of Turtle in {export["total_s"]:.0f} s.

| time per page p50 | p95 | max | {depth_heads} |
|---|---|---|{depth_rule}
| {p50:.0f} ms | {p95:.0f} ms | {export["max_ms"]:.0f} ms | {depth_cells} |

Resident memory: {rss}; peak {export["peak_rss"]:.0f} MiB. Each page is built, serialised
and dropped before the next, so memory stays flat however many pages are read.

**Harvest.** A local DCAT-AP source (a thread on 127.0.0.1) serving {harvest["count"]:,}
synthetic datasets in {harvest["pages"]} Turtle pages ({harvest["source_mib"]:.1f} MiB; two
distributions each, themes, keywords, licence, checksums), harvested into a fresh publisher:

| run | time | datasets per second | outcome |
|---|---|---|---|
{rows}

Each record is one upsert in its own transaction (the catalogue's `dataset_upsert`: lock the
row, compare, write only what changed); a no-change re-harvest writes no dataset, event or
distribution, and updates "last seen" in bulk. The whole source is read before anything is
applied, so the run holds every record in memory at once (peak RSS of the process at the end:
{harvest["peak_rss"]:.0f} MiB).
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--reuse", action="store_true", help="keep an existing bench database")
    parser.add_argument("--every", type=int, default=1, help="export every N-th page only")
    parser.add_argument("--harvest", type=int, default=10_000, help="datasets to harvest")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()

    env = {
        **os.environ,
        "DATABASE_URL": f"{PG_URL}/{DB_NAME}",
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DEBUG": "0",
        "THROTTLE_DISABLED": "1",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        "HARVEST_ALLOW_PRIVATE_ADDRESSES": "1",  # the source is on 127.0.0.1
    }
    prepare_database(env, args.count, args.reuse)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()

    print("export: every page of /catalogue.ttl")
    export = bench_export(args.every)
    print(export)
    print(f"harvest: {args.harvest} datasets from a local source")
    harvest = bench_harvest(args.harvest)
    print(harvest)
    text = report(export, harvest, args.count)
    print(text)
    if args.write_docs:
        write_section(ROOT / "docs" / "benchmarks.md", "## DCAT-AP export and harvesting", text)


if __name__ == "__main__":
    main()
