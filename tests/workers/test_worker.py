"""A real Celery worker consumes the real queue: Redis in CI, the embedded broker in `make run`."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.filebased import FileBasedCache

from workers.celery import app as celery_app
from workers.tasks import WORKER_HEARTBEAT_KEY, heartbeat

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.redis
def test_worker_on_redis_runs_the_heartbeat_task():
    from celery.contrib.testing.worker import start_worker

    assert settings.CELERY_BROKER_URL.startswith("redis://")
    cache.delete(WORKER_HEARTBEAT_KEY)
    with start_worker(celery_app, perform_ping_check=False, loglevel="WARNING", pool="solo"):
        heartbeat.delay()
        deadline = time.monotonic() + 20
        while cache.get(WORKER_HEARTBEAT_KEY) is None and time.monotonic() < deadline:
            time.sleep(0.1)
    assert cache.get(WORKER_HEARTBEAT_KEY) is not None


def test_worker_process_on_the_embedded_broker_runs_a_task_sent_from_another_process(tmp_path):
    """What `make run` relies on: no server at all, yet a separate worker process."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "PASSERELLE_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "CELERY_BROKER_URL": "filesystem://",
        "REDIS_URL": "",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "workers", "worker", "--pool=solo",
         "--loglevel=WARNING", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        send = "from workers.tasks import heartbeat; heartbeat.delay()"
        subprocess.run(
            [sys.executable, "-c", f"import django; django.setup(); {send}"],
            cwd=ROOT, env=env, check=True, timeout=60,
        )  # fmt: skip
        file_cache = FileBasedCache(str(tmp_path / "cache"), {})
        deadline = time.monotonic() + 30
        while file_cache.get(WORKER_HEARTBEAT_KEY) is None and time.monotonic() < deadline:
            assert worker.poll() is None, worker.stderr.read().decode()
            time.sleep(0.2)
        assert file_cache.get(WORKER_HEARTBEAT_KEY) is not None
    finally:
        worker.terminate()
        worker.wait(timeout=20)
