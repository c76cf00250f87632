"""The end-to-end script of docs/partners.md, run as written (bash, curl, python3, sha256sum)
against a live server and a real worker on Redis: if the documented HTTP path breaks, this
fails."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from access.models import AccessRequest, Grant, GrantState
from catalogue.models import Dataset
from tests.accounts.factories import partner_client
from tests.catalogue.factories import PublisherFactory
from workers.celery import app as celery_app

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DOC = Path(__file__).resolve().parent.parent / "docs" / "partners.md"


def documented_script() -> str:
    text = DOC.read_text()
    section = text[text.index("## End to end: one script") :]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    return next(block for block in blocks if block.startswith("#!/usr/bin/env bash"))


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_documented_partner_script_runs_end_to_end(live_server, settings, tmp_path):
    from celery.contrib.testing.worker import start_worker

    settings.SITE_URL = live_server.url
    publisher = PublisherFactory(slug="observatoire-agricole-val-de-loire")
    client, secret = partner_client(
        "Val de Loire research office",
        scopes=("catalogue:write", "access:request", "access:decide", "grants:read"),
        publishers=[publisher],
        research_organisation="Université de Tours",
    )
    script = tmp_path / "partners-e2e.sh"
    script.write_text(documented_script())
    celery_app.control.purge()

    with start_worker(celery_app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
        result = subprocess.run(
            ["bash", str(script)],
            cwd=tmp_path,
            env={
                **os.environ,
                "BASE": live_server.url,
                "CLIENT_ID": client.application.client_id,
                "CLIENT_SECRET": secret,
            },
            capture_output=True,
            text=True,
            timeout=180,
        )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "downloaded.csv: OK" in result.stdout
    dataset = Dataset.objects.get(publisher=publisher)
    assert dataset.identifier.startswith("OAVL/")
    request = AccessRequest.objects.get(dataset=dataset)
    assert request.submitted_by_client == client
    assert request.requester.email == "claire.martin@univ-tours.example"
    assert Grant.objects.get(access_request=request).state == GrantState.ACTIVE
