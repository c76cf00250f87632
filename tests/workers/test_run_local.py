"""`make run` (manage.py run_local) fails loudly when it cannot serve: a taken port is an error
with a way out, and a non-zero exit status, not a worker and beat running behind a dead server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_taken_port_is_a_non_zero_exit_that_names_the_way_out(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "PASSERELLE_VAR_DIR": str(tmp_path),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "CELERY_BROKER_URL": "filesystem://",
            "REDIS_URL": "",
        }
        result = subprocess.run(
            [sys.executable, "manage.py", "run_local", "--addrport", f"127.0.0.1:{port}"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert result.returncode != 0
    assert f"Port {port} on 127.0.0.1 is taken" in result.stderr
    assert f"make run PORT={port + 1}" in result.stderr
