"""deploy/ puts the static files (admin, Swagger UI, Redoc) where nginx serves them.

The image runs collectstatic at build time, which imports every installed app: a package missing
from the image fails the build. The web container collects into the "static" volume, which nginx
mounts and serves under STATIC_URL.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"


def test_the_image_holds_every_package_of_the_project():
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    wanted = {name.rstrip("*") for name in packages["packages"]["find"]["include"]}
    copied = set(re.findall(r"^COPY (\w+) \./\1$", (DEPLOY / "Dockerfile").read_text(), re.M))
    assert wanted <= copied, f"the image lacks {sorted(wanted - copied)}"


def test_nginx_serves_static_urls_from_the_volume_collectstatic_fills():
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())["services"]
    static_root = compose["web"]["environment"]["STATIC_ROOT"]
    assert "collectstatic" in " ".join(compose["web"]["command"])
    assert f"static:{static_root}" in compose["web"]["volumes"]
    (served_from,) = [
        volume.split(":")[1]
        for volume in compose["nginx"]["volumes"]
        if volume.startswith("static:")
    ]
    nginx = (DEPLOY / "nginx.conf").read_text()
    location = re.search(r"location (\S+) \{\s*alias (\S+);", nginx)
    assert location, "no static location in nginx.conf"
    assert location.group(1) == "/" + settings.STATIC_URL.strip("/") + "/"
    assert location.group(2).rstrip("/") == served_from.rstrip("/")


def test_behind_nginx_the_client_address_is_the_entry_nginx_appends():
    """nginx appends the address it saw to X-Forwarded-For, and the app trusts exactly one
    proxy: any entry a client wrote itself stays to the left and is never read."""
    nginx = (DEPLOY / "nginx.conf").read_text()
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in nginx
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())["services"]
    for service in ("web", "worker"):
        assert compose[service]["environment"]["NUM_PROXIES"] == "${NUM_PROXIES:-1}"


def test_researchers_attachments_live_on_a_volume_nginx_does_not_serve():
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    root = compose["services"]["web"]["environment"]["ATTACHMENT_ROOT"]
    assert f"attachments:{root}" in compose["services"]["web"]["volumes"]
    assert "attachments" in compose["volumes"]
    assert not any(v.startswith("attachments:") for v in compose["services"]["nginx"]["volumes"])
