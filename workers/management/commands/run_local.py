"""Serve the API and admin together with a real Celery worker and beat, for `make run`.

Three separate processes consume a real queue (the embedded file-system broker, or Redis when
REDIS_URL is set). Ctrl-C, or any of them exiting, stops all three.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Run the web server, a Celery worker and Celery beat together (development)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--addrport", default="127.0.0.1:8000")
        parser.add_argument("--concurrency", type=int, default=2)

    def handle(self, *args: Any, **options: Any) -> None:
        host, _, port = options["addrport"].rpartition(":")
        self._ensure_free(host or "127.0.0.1", int(port))
        python = sys.executable
        commands = {
            "web": [python, "manage.py", "runserver", options["addrport"], "--noreload"],
            "worker": [
                python, "-m", "celery", "-A", "workers", "worker", "--loglevel=INFO",
                f"--concurrency={options['concurrency']}", "--hostname=worker@%h",
            ],
            "beat": [
                python, "-m", "celery", "-A", "workers", "beat", "--loglevel=INFO",
                f"--schedule={settings.CELERY_BEAT_SCHEDULE_FILENAME}",
            ],
        }  # fmt: skip
        broker = settings.CELERY_BROKER_URL.split("@")[-1]
        self.stdout.write(
            f"Passerelle on http://{options['addrport']}/ (API /api/v1/, admin /admin/, "
            f"docs /api/docs/); broker {broker}; Ctrl-C stops everything."
        )
        processes: dict[str, subprocess.Popen] = {}
        stopping = False

        def stop(*_: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            for name, command in commands.items():
                # Each child gets its own process group so that we, not the terminal, decide
                # the order in which they stop.
                processes[name] = subprocess.Popen(command, start_new_session=True)  # noqa: S603
            while not stopping:
                exited = [name for name, proc in processes.items() if proc.poll() is not None]
                if exited:
                    failed = ", ".join(
                        f"{name} (exit code {processes[name].returncode})" for name in exited
                    )
                    self.stderr.write(f"{failed} stopped on its own; stopping the others.")
                    break
                time.sleep(0.5)
        finally:
            for proc in processes.values():
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 15
            for proc in processes.values():
                try:
                    proc.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    proc.kill()
            self.stdout.write("Stopped web, worker and beat.")
        if not stopping:
            # A process that stops by itself is a failure (a port taken, a crash): say so with
            # the exit status, so that `make run` fails too.
            raise CommandError("A process of make run stopped unexpectedly; see above.")

    @staticmethod
    def _ensure_free(host: str, port: int) -> None:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            try:
                probe.bind((host.strip("[]"), port))
            except OSError as exc:
                raise CommandError(
                    f"Port {port} on {host} is taken ({exc.strerror}). Stop what uses it, or "
                    f"choose another port: make run PORT={port + 1}"
                ) from None
