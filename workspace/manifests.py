"""A grant's files as text for download tools: fresh signed links in the formats of
``aria2c -i``, ``wget -i`` and ``sha256sum -c``. Pure text shaping; the links come from
``delivery.services.links.download_links``."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from types import SimpleNamespace

from catalogue.models import Distribution
from delivery.services import manifests as shared
from delivery.services.drs import drs_uri
from delivery.services.links import DownloadLink

MANIFEST_KINDS = {
    # kind: (file name suffix, what it is for)
    "aria2": ("aria2.txt", "aria2c -i"),
    "wget": ("wget.txt", "wget -i"),
    "sha256sums": ("SHA256SUMS", "sha256sum -c"),
}


# The names and the text shapes are delivery's, shared with the API's grant manifests
# (GET /api/v1/grants/{id}/manifest/): safe, unique names, and wget links that name their file.
file_names = shared.file_names


def _entries(links: Sequence[DownloadLink]) -> list[shared.ManifestFile]:
    names = file_names([link.distribution for link in links])
    return [
        shared.ManifestFile(
            distribution=link.distribution,
            name=names[str(link.distribution.pk)],
            url=shared.named_url(link, names[str(link.distribution.pk)]),
            drs_uri=drs_uri(link.distribution.pk),
        )
        for link in links
    ]


def aria2_input(links: Sequence[DownloadLink]) -> str:
    """For ``aria2c -i FILE``: each URL, then its options indented (aria2 checks the SHA-256)."""
    return shared.aria2_input(_entries(links))


def wget_input(links: Sequence[DownloadLink]) -> str:
    """For ``wget --content-disposition -c -i FILE``: each link names its file."""
    return shared.wget_input(_entries(links))


def sha256sums(distributions: Sequence[Distribution]) -> str:
    """``<hex>  <file name>`` lines, for ``sha256sum -c SHA256SUMS`` next to the files."""
    names = file_names(distributions)
    return shared.sha256sums(
        [SimpleNamespace(url="", name=names[str(d.pk)], sha256=d.sha256) for d in distributions]
    )


def curl_command(link: DownloadLink, file_name: str) -> str:
    """One file with curl: fail on an HTTP error, follow redirects (S3), save as ``file_name``."""
    return f"curl -fL -o {shlex.quote(file_name)} {shlex.quote(link.url)}"
