"""The production settings refuse to run unsafe: no SECRET_KEY, DEBUG on, or demo accounts.

Each test runs ``manage.py`` in a subprocess with ``config.settings.production`` and an environment
built here, on a throwaway SQLite database, so neither the developer's environment nor ``.env``
nor the test database changes the outcome.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
DEPLOY_CHECK = ["check", "--deploy", "--fail-level", "WARNING"]

# Variables the production settings read that would otherwise leak in from the outer environment.
_CLEARED = (
    "DJANGO_SETTINGS_MODULE",
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "STATIC_ROOT",
    "DISTRIBUTION_ROOT",
)


@pytest.fixture
def production_env(tmp_path: Path) -> dict[str, str]:
    """A correct production environment. Values are set explicitly (DEBUG=0 rather than
    unset) because variables already in the environment win over the project's .env file."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in _CLEARED and not key.startswith("SECURE_")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=secrets.token_urlsafe(64),
        DEBUG="0",
        ALLOWED_HOSTS="passerelle.example.eu",
        DATABASE_URL=f"sqlite:///{tmp_path / 'production.sqlite3'}",
        CELERY_BROKER_URL="memory://",
        PASSERELLE_VAR_DIR=str(tmp_path / "var"),
        SECURE_SSL_REDIRECT="1",
        SECURE_HSTS_SECONDS="31536000",
    )
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def output(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout + result.stderr


def create_user(env: dict[str, str], username: str, email: str) -> None:
    code = (
        "from django.contrib.auth import get_user_model; "
        f"get_user_model().objects.create_user({username!r}, {email!r}, 'demo-password')"
    )
    result = manage(env, "shell", "-c", code)
    assert result.returncode == 0, output(result)


@pytest.fixture
def migrated_env(production_env: dict[str, str]) -> dict[str, str]:
    result = manage(production_env, "migrate", "--noinput")
    assert result.returncode == 0, output(result)
    return production_env


def test_a_proper_production_environment_passes_the_deploy_check(migrated_env):
    result = manage(migrated_env, *DEPLOY_CHECK)

    assert result.returncode == 0, output(result)
    assert "no issues" in output(result)


@pytest.mark.parametrize(
    "secret_key",
    ["", "too-short", "insecure-local-development-key-change-me" + "x" * 20],
    ids=["missing", "short", "local-default"],
)
def test_production_refuses_to_start_without_a_real_secret_key(production_env, secret_key):
    # Set, even when empty, so that a SECRET_KEY in the project's .env cannot fill it in.
    production_env["SECRET_KEY"] = secret_key

    result = manage(production_env, *DEPLOY_CHECK)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in output(result)
    assert "SECRET_KEY" in output(result)


def test_production_refuses_to_start_with_debug_on(production_env):
    production_env["DEBUG"] = "1"

    result = manage(production_env, *DEPLOY_CHECK)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in output(result)
    assert "DEBUG" in output(result)


def test_the_demo_account_check_skips_a_database_that_is_not_migrated(production_env):
    # The SQLite file is empty: auth_user does not exist, and the check must not crash.
    result = manage(production_env, *DEPLOY_CHECK)

    assert result.returncode == 0, output(result)
    assert "passerelle.E001" not in output(result)


@pytest.mark.parametrize("username", ["admin", "steward", "researcher"])
def test_deploy_check_fails_when_a_demo_account_exists(migrated_env, username):
    create_user(migrated_env, username, f"{username}@demo.passerelle.invalid")

    result = manage(migrated_env, *DEPLOY_CHECK)

    assert result.returncode != 0
    assert "passerelle.E001" in output(result)
    assert "demo accounts present in production" in output(result)
    assert username in output(result)


def test_a_real_account_named_like_a_demo_account_is_allowed(migrated_env):
    create_user(migrated_env, "admin", "admin@passerelle.example.eu")
    create_user(migrated_env, "someone", "someone@demo.passerelle.invalid")

    result = manage(migrated_env, *DEPLOY_CHECK)

    assert result.returncode == 0, output(result)
    assert "passerelle.E001" not in output(result)
