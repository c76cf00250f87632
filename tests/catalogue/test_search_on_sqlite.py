"""The embedded default (``make run`` without DATABASE_URL: SQLite) answers searches with their
facets. The suite itself runs on PostgreSQL, so this runs Django on a SQLite file in a child
process: SQLite refuses SQL that PostgreSQL accepts (an ORDER BY inside a UNION's parts made
every search a 500 there once)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import json
from django.test import Client
from catalogue.models import Dataset, DataSpace, Licence, Publisher, Theme

publisher = Publisher.objects.create(slug="soil-lab", name="Soil Lab")
for n in range(3):
    dataset = Dataset.objects.create(
        slug=f"soil-{n}", title=f"Soil moisture {n}", description="Readings.",
        publisher=publisher, data_space=DataSpace.objects.get(slug="agriculture"),
        licence=Licence.objects.get(identifier="CC-BY-4.0"), access_rights="PUBLIC",
    )
    dataset.themes.add(Theme.objects.get(code="AGRI"))
client = Client()
print(json.dumps({
    query: (lambda r: {"status": r.status_code, "body": r.json()})(
        client.get("/api/v1/datasets/" + query, HTTP_HOST="localhost")
    )
    for query in ("", "?q=soil", "?data_space=agriculture&ordering=title")
}))
"""


def test_searches_and_their_facets_answer_on_sqlite(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "PASSERELLE_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "CELERY_BROKER_URL": "memory://",
        "REDIS_URL": "",
        "THROTTLE_DISABLED": "1",
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=300)
    result = subprocess.run(
        [*manage, "shell", "-c", SCRIPT],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    answers = json.loads(result.stdout.strip().splitlines()[-1])
    for query, answer in answers.items():
        assert answer["status"] == 200, (query, answer)
        body = answer["body"]
        assert (body["count"], body["count_exact"]) == (3, True), query
        assert body["facets"]["publisher"] == [
            {"value": "soil-lab", "label": "Soil Lab", "count": 3}
        ], query
        assert body["facets"]["theme"][0]["value"] == "AGRI", query
