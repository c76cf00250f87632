"""Shared helpers of the benchmark scripts (run by hand, never by the test suite)."""

from __future__ import annotations

import os
import platform
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


def fresh_database(name: str) -> str:
    admin = ["psql", f"{PG_URL}/postgres", "-qc"]
    subprocess.run([*admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], check=True)
    subprocess.run([*admin, f"CREATE DATABASE {name}"], check=True)
    return f"{PG_URL}/{name}"


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def machine_description() -> str:
    cpu = platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    pg = subprocess.run(
        ["psql", f"{PG_URL}/postgres", "-Atc", "SHOW server_version"],
        capture_output=True, text=True, check=False,
    ).stdout.strip()  # fmt: skip
    return (
        f"{cpu}, {os.cpu_count()} cores, {mem_gib:.0f} GiB RAM; PostgreSQL {pg}; "
        f"Python {platform.python_version()}"
    )


def write_section(path: Path, heading: str, body: str) -> None:
    text = path.read_text() if path.exists() else "# Benchmarks\n\n"
    if heading in text:
        start = text.index(heading)
        following = text.find("\n## ", start + len(heading))
        text = text[:start] + body + (text[following + 1 :] if following != -1 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + body
    path.write_text(text)


def served_files_setup(*, prefix: str, database: str) -> tuple[Path, dict[str, str]]:
    """A fresh database (migrated) and a fresh distribution root that nginx may read, for the
    benchmarks that serve files; Django is set up on them. Returns the work directory and the
    environment to start gunicorn with (distributions under ``work / "distributions"``)."""
    import tempfile

    work = Path(tempfile.mkdtemp(prefix=prefix))
    work.chmod(0o755)  # nginx's worker processes may run as an unprivileged user
    env = {
        **os.environ,
        "DATABASE_URL": fresh_database(database),
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "DISTRIBUTION_ROOT": str(work / "distributions"),
        "PASSERELLE_VAR_DIR": str(work / "var"),
        "ALLOWED_HOSTS": "127.0.0.1",
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    setup_django(env)
    return work, env


def restricted_dataset_setup(*, slug: str, title: str, description: str):
    """A steward, a researcher with a verified address, and a restricted dataset of the
    steward's publisher (after served_files_setup)."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model

    from catalogue.models import AccessRights, Dataset, DataSpace, Licence, Publisher

    users = get_user_model().objects
    steward = users.create_user("steward", "s@example.org", "x")
    researcher = users.create_user("researcher", "r@example.org", "x")
    EmailAddress.objects.create(
        user=researcher, email=researcher.email, verified=True, primary=True
    )
    publisher = Publisher.objects.create(slug="bench", name="Bench")
    publisher.stewards.add(steward)
    dataset = Dataset.objects.create(
        slug=slug, title=title, description=description, publisher=publisher,
        data_space=DataSpace.objects.get(slug="research-eosc"),
        licence=Licence.objects.get(identifier="CC-BY-4.0"), access_rights=AccessRights.RESTRICTED,
    )  # fmt: skip
    return steward, researcher, dataset
