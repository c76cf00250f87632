"""A grant's files as text for download tools: fresh signed links in the formats of
``aria2c -i``, ``wget -i`` and ``sha256sum -c``. Pure text shaping; the links come from
``delivery.services.links.download_links``."""

from __future__ import annotations

import shlex
from collections.abc import Sequence

from catalogue.models import Distribution
from delivery.services.links import DownloadLink

MANIFEST_KINDS = {
    # kind: (file name suffix, what it is for)
    "aria2": ("aria2.txt", "aria2c -i"),
    "wget": ("wget.txt", "wget -i"),
    "sha256sums": ("SHA256SUMS", "sha256sum -c"),
}


def file_names(distributions: Sequence[Distribution]) -> dict[str, str]:
    """Each distribution's file name to save it under, by distribution id. Names are the stored
    file's own; two files of the same name get their distribution id's start in front, so one
    download never overwrites another."""
    bare = {str(d.pk): d.file.name.rsplit("/", 1)[-1] for d in distributions}
    counts: dict[str, int] = {}
    for name in bare.values():
        counts[name] = counts.get(name, 0) + 1
    return {pk: (name if counts[name] == 1 else f"{pk[:8]}-{name}") for pk, name in bare.items()}


def aria2_input(links: Sequence[DownloadLink]) -> str:
    """For ``aria2c -i FILE``: each URL, then its options indented (aria2 checks the SHA-256)."""
    names = file_names([link.distribution for link in links])
    lines = []
    for link in links:
        lines += [link.url, f"  out={names[str(link.distribution.pk)]}"]
        if link.distribution.sha256:
            lines.append(f"  checksum=sha-256={link.distribution.sha256}")
    return "".join(f"{line}\n" for line in lines)


def wget_input(links: Sequence[DownloadLink]) -> str:
    """For ``wget -i FILE`` (add ``--content-disposition`` to keep the files' names)."""
    return "".join(f"{link.url}\n" for link in links)


def sha256sums(distributions: Sequence[Distribution]) -> str:
    """``<hex>  <file name>`` lines, for ``sha256sum -c SHA256SUMS`` next to the files."""
    names = file_names(distributions)
    return "".join(f"{d.sha256}  {names[str(d.pk)]}\n" for d in distributions if d.sha256)


def curl_command(link: DownloadLink, file_name: str) -> str:
    """One file with curl: fail on an HTTP error, follow redirects (S3), save as ``file_name``."""
    return f"curl -fL -o {shlex.quote(file_name)} {shlex.quote(link.url)}"
