"""A real OpenID Connect provider for tests: the `oidc-provider-mock` package's server, run as a
process of its own on a free 127.0.0.1 port (as tests/outage.py runs Redis), stopped by the test
that started it. It accepts any client id and secret; users are set with their claims."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import requests

from tests.outage import free_port, wait_for

PROVIDER_ID = "mock-idp"


class OidcProvider:
    client_id = "passerelle-test"
    secret = "passerelle-test-secret"

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> OidcProvider:
        binary = shutil.which("oidc-provider-mock") or str(
            Path(sys.executable).with_name("oidc-provider-mock")
        )
        self.process = subprocess.Popen(
            [binary, "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if not wait_for(self._answers, timeout=30):
            self.stop()
            raise RuntimeError(f"oidc-provider-mock did not start on port {self.port}")
        return self

    def _answers(self) -> bool:
        response = requests.get(f"{self.issuer}/.well-known/openid-configuration", timeout=1)
        return response.ok and response.json()["issuer"].rstrip("/") == self.issuer

    def set_user(self, sub: str, **claims: object) -> None:
        """The claims the provider will vouch for when ``sub`` signs in."""
        response = requests.put(f"{self.issuer}/users/{sub}", json=claims, timeout=5)
        response.raise_for_status()

    def settings_entry(self, provider_id: str = PROVIDER_ID, name: str = "Mock IdP") -> dict:
        """This provider as one item of OIDC_PROVIDERS."""
        return {
            "id": provider_id,
            "name": name,
            "issuer": self.issuer,
            "client_id": self.client_id,
            "secret": self.secret,
        }

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None
