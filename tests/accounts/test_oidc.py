"""Sign-in through OpenID Connect providers configured from OIDC_PROVIDERS: the full
authorization-code flow against a real provider process (oidc-provider-mock), linking by
verified e-mail, and providers that are down or answer garbage."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model

from accounts.selectors import email_is_verified
from config.settings.base import oidc_socialaccount_providers
from tests.accounts.factories import UserFactory
from tests.oidc_provider import PROVIDER_ID, OidcProvider
from tests.outage import ROOT, free_port

pytestmark = pytest.mark.django_db
LOGIN = f"/accounts/oidc/{PROVIDER_ID}/login/"
User = get_user_model()


@pytest.fixture(scope="module")
def provider():
    running = OidcProvider().start()
    yield running
    running.stop()


def use_providers(settings, *entries: dict) -> None:
    settings.SOCIALACCOUNT_PROVIDERS = oidc_socialaccount_providers(list(entries))


def entry(issuer: str) -> dict:
    return {
        "id": PROVIDER_ID,
        "name": "Mock IdP",
        "issuer": issuer,
        "client_id": "c",
        "secret": "s",
    }


def sign_in_through(client, provider: OidcProvider, sub: str):
    """The authorization-code flow as a browser makes it: Passerelle sends the person to the
    provider, the person picks who they are there, the provider sends them back with a code."""
    to_provider = client.post(LOGIN)
    assert to_provider.status_code == 302, to_provider.content
    authorize = to_provider["Location"]
    assert authorize.startswith(provider.issuer)
    back = requests.post(authorize, data={"sub": sub}, allow_redirects=False, timeout=10)
    assert back.status_code == 302, back.text
    callback = urlparse(back.headers["Location"])
    assert callback.path == f"/accounts/oidc/{PROVIDER_ID}/login/callback/"
    return client.get(f"{callback.path}?{callback.query}")


def test_oidc_providers_come_from_the_environment():
    providers = [
        {"id": "myaccessid", "name": "MyAccessID", "issuer": "https://proxy.myaccessid.org",
         "client_id": "abc", "secret": "xyz"},
        {"id": "lslogin", "name": "LS Login", "issuer": "https://login.aai.lifescience-ri.eu/oidc/",
         "client_id": "def", "secret": "uvw"},
    ]  # fmt: skip
    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.SOCIALACCOUNT_PROVIDERS))"
    )
    env = {**os.environ, "OIDC_PROVIDERS": json.dumps(providers),
           "DJANGO_SETTINGS_MODULE": "config.settings.test"}  # fmt: skip
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    apps = json.loads(out.stdout.strip().splitlines()[-1])["openid_connect"]["APPS"]
    assert [(a["provider_id"], a["name"], a["settings"]["server_url"]) for a in apps] == [
        ("myaccessid", "MyAccessID", "https://proxy.myaccessid.org"),
        ("lslogin", "LS Login", "https://login.aai.lifescience-ri.eu/oidc/"),
    ]
    assert [(a["client_id"], a["secret"]) for a in apps] == [("abc", "xyz"), ("def", "uvw")]


def test_a_new_identity_with_a_verified_email_becomes_a_researcher(client, settings, provider):
    use_providers(settings, provider.settings_entry())
    provider.set_user("ines-sub", email="ines@uni-lisboa.example", email_verified=True,
                      given_name="Inês", family_name="Sousa")  # fmt: skip
    response = sign_in_through(client, provider, "ines-sub")
    assert response.status_code == 302
    assert response["Location"] == "/workspace/"
    user = User.objects.get(email="ines@uni-lisboa.example")
    assert int(client.session["_auth_user_id"]) == user.pk
    assert not user.is_staff and not user.is_superuser
    assert not user.groups.exists() and not user.user_permissions.exists()
    assert email_is_verified(user=user)
    assert SocialAccount.objects.get(user=user).uid == "ines-sub"


def test_a_verified_email_links_to_the_existing_account_never_a_second(client, settings, provider):
    use_providers(settings, provider.settings_entry())
    existing = UserFactory(username="jonas", email="jonas@tu-berlin.example")
    provider.set_user("jonas-sub", email="Jonas@tu-berlin.example", email_verified=True)
    assert sign_in_through(client, provider, "jonas-sub").status_code == 302
    assert int(client.session["_auth_user_id"]) == existing.pk
    client.logout()
    assert sign_in_through(client, provider, "jonas-sub").status_code == 302
    assert int(client.session["_auth_user_id"]) == existing.pk
    assert User.objects.filter(email__iexact="jonas@tu-berlin.example").count() == 1
    assert SocialAccount.objects.get(uid="jonas-sub").user == existing


def test_an_unverified_email_does_not_take_over_an_existing_account(client, settings, provider):
    use_providers(settings, provider.settings_entry())
    existing = UserFactory(username="karin", email="karin@ki.example")
    provider.set_user("mallory-sub", email="karin@ki.example", email_verified=False)
    sign_in_through(client, provider, "mallory-sub")
    assert client.session.get("_auth_user_id") != str(existing.pk)
    assert not SocialAccount.objects.filter(user=existing).exists()
    assert User.objects.filter(email__iexact="karin@ki.example").count() == 1


class _Garbage(BaseHTTPRequestHandler):
    """A provider that is up but broken: discovery is not JSON, or the token endpoint fails."""

    mode = "html"

    def do_GET(self) -> None:
        if self.server.mode == "html":
            self._send(200, b"<html>Maintenance</html>", "text/html")
        else:
            base = f"http://127.0.0.1:{self.server.server_port}"
            config = {
                "issuer": base,
                "authorization_endpoint": f"{base}/authorize",
                "token_endpoint": f"{base}/token",
                "userinfo_endpoint": f"{base}/userinfo",
                "jwks_uri": f"{base}/jwks",
            }
            self._send(200, json.dumps(config).encode(), "application/json")

    def do_POST(self) -> None:
        self._send(500, b"Internal Server Error", "text/plain")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def broken_provider():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Garbage)
    server.mode = "html"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def assert_clear_failure(response, caplog) -> None:
    assert response.status_code in (401, 502)  # allauth's own error page answers 401
    page = response.content.decode()
    assert "Sign-in through your institution failed" in page
    assert "try again" in page
    assert any(
        r.name == "passerelle.accounts" and PROVIDER_ID in r.getMessage() for r in caplog.records
    )


def test_a_provider_that_does_not_answer_shows_a_message_and_logs_the_cause(
    client, settings, caplog
):
    use_providers(settings, entry(f"http://127.0.0.1:{free_port()}"))
    with caplog.at_level(logging.WARNING, logger="passerelle.accounts"):
        response = client.post(LOGIN)
    assert response.status_code == 502
    assert_clear_failure(response, caplog)
    assert "ConnectionError" in caplog.text
    assert "_auth_user_id" not in client.session


def test_a_discovery_document_that_is_not_json_shows_a_message_and_logs_the_cause(
    client, settings, caplog, broken_provider
):
    use_providers(settings, entry(f"http://127.0.0.1:{broken_provider.server_port}"))
    with caplog.at_level(logging.WARNING, logger="passerelle.accounts"):
        response = client.post(LOGIN)
    assert response.status_code == 502
    assert_clear_failure(response, caplog)
    assert "JSONDecodeError" in caplog.text


def test_a_token_endpoint_that_fails_shows_a_message_and_logs_the_cause(
    client, settings, caplog, broken_provider
):
    broken_provider.mode = "json"
    use_providers(settings, entry(f"http://127.0.0.1:{broken_provider.server_port}"))
    to_provider = client.post(LOGIN)
    assert to_provider.status_code == 302
    state = parse_qs(urlparse(to_provider["Location"]).query)["state"][0]
    with caplog.at_level(logging.WARNING, logger="passerelle.accounts"):
        response = client.get(f"{LOGIN}callback/", {"code": "abc", "state": state})
    assert_clear_failure(response, caplog)
    assert "_auth_user_id" not in client.session
    assert not User.objects.filter(socialaccount__isnull=False).exists()
