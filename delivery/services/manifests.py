"""A grant's files as one manifest for staging them at scale: every file with a fresh signed
link, its size, SHA-256, DRS URI and a safe, unique name to save it under.

The same manifest is shaped as JSON (the API), as an ``aria2c -i`` input file, as a
``wget -i`` URL list and as a ``sha256sum -c`` list. The links come from
:func:`delivery.services.links.download_links`, so a manifest lists exactly the files the grant
opens (``grant_files``), never another file of the dataset.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.utils import timezone

from access import selectors as access_selectors
from access.models import Grant, GrantState
from catalogue.models import Distribution
from core.errors import ConflictError, GoneError, PermissionDeniedError

from .drs import drs_uri
from .links import DownloadLink, download_links

# What a saved file's name may hold: the portable file name characters (POSIX; the DRS spec asks
# the same of object names): ASCII letters and digits, '.', '_' and '-'. Never a path separator,
# a NUL, a control character, a space or a newline (which would start a new option in an aria2
# input file). Accented letters lose their accents; other scripts become '_'.
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
MAX_NAME_LENGTH = 200


def safe_file_name(raw: str, *, fallback: str) -> str:
    """``raw`` as a name safe to save a file under in the current directory: no ``/``, no
    ``..``, no NUL or control characters, not starting with ``.`` or ``-`` (hidden file, or
    read as an option by a command line tool); ``fallback`` when nothing usable is left."""
    name = raw.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    name = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    name = _UNSAFE.sub("_", name).lstrip(".-_")
    if len(name) > MAX_NAME_LENGTH:
        stem, dot, ext = name.rpartition(".")
        suffix = f".{ext[:16]}" if dot else ""
        name = (stem if dot else name)[: MAX_NAME_LENGTH - len(suffix)] + suffix
    return name or fallback


def file_names(distributions: Sequence[Distribution]) -> dict[str, str]:
    """Each distribution's file name to save it under, by distribution id: the stored file's own
    name made safe; two files of the same name (compared case-insensitively, as on macOS and
    Windows) get their distribution id's start in front, so one never overwrites another."""
    bare = {str(d.pk): safe_file_name(d.file.name, fallback=str(d.pk)) for d in distributions}
    counts: dict[str, int] = {}
    for name in bare.values():
        counts[name.casefold()] = counts.get(name.casefold(), 0) + 1
    names = {
        pk: (name if counts[name.casefold()] == 1 else f"{pk[:8]}-{name}")
        for pk, name in bare.items()
    }
    # An id prefix can, in theory, collide with another file's own name: then the whole id.
    seen: set[str] = set()
    for pk, name in names.items():
        if name.casefold() in seen:
            names[pk] = f"{pk}-{bare[pk]}"
        seen.add(names[pk].casefold())
    return names


def named_url(link: DownloadLink, name: str) -> str:
    """The link asking the server to name the file ``name`` (Content-Disposition), so that
    ``wget --content-disposition`` and ``curl -OJ`` save it under the manifest's name. The
    name is not part of the signature: it only changes what the caller's own copy is called."""
    return f"{link.url}&name={name}"


@dataclass(frozen=True)
class ManifestFile:
    distribution: Distribution
    name: str
    url: str
    drs_uri: str

    @property
    def sha256(self) -> str:
        return self.distribution.sha256

    @property
    def size(self) -> int:
        d = self.distribution
        return d.byte_size if d.byte_size is not None else d.file.size


class ManifestLine(Protocol):
    url: str
    name: str
    sha256: str


@dataclass(frozen=True)
class Manifest:
    grant: Grant
    expires_at: datetime
    files: list[ManifestFile]


def manifest_ttl_bounds() -> tuple[int, int]:
    """(default, maximum) lifetime of a manifest's links in seconds, from the settings."""
    maximum = settings.MANIFEST_MAX_LINK_TTL_SECONDS
    return min(settings.MANIFEST_LINK_TTL_SECONDS, maximum), maximum


def grant_usable_by(*, user: AbstractBaseUser, grant: Grant, now: datetime | None = None) -> bool:
    """Whether ``user`` may fetch the grant's files now: its grantee, or the partner client that
    submitted the request for them (it stages the data for its researcher), while the grant is
    active. Never a steward or a publisher's client: they hold the data already, and a grant's
    downloads are its grantee's record."""
    return (
        user.pk == grant.grantee_id
        or access_selectors.is_submitting_client(user=user, request=grant.access_request)
    ) and access_selectors.grant_is_usable(grant=grant, now=now)


def grant_manifest(
    *, user: AbstractBaseUser, grant: Grant, ttl_seconds: int, now: datetime | None = None
) -> Manifest:
    """The grant's files with links that live ``ttl_seconds`` (bounded by the grant's own end:
    a link never outlives the grant). ``grant`` comes from ``access.selectors.grant_get`` (the
    caller can see it); 403 for a caller who sees but may not use it, 409 for a grant revoked,
    relinquished or superseded, 410 for one that has expired.

    Queries: none beyond the grant's own when it was read with its approved distributions
    prefetched (``grants_visible_to`` does), whatever the number of files.
    """
    now = now or timezone.now()
    if not (
        user.pk == grant.grantee_id
        or access_selectors.is_submitting_client(user=user, request=grant.access_request)
    ):
        raise PermissionDeniedError(
            "Only the grantee, or the partner client that submitted the request for them, "
            "fetches a grant's files."
        )
    if grant.state == GrantState.EXPIRED or (
        grant.state == GrantState.ACTIVE and grant.expires_at <= now
    ):
        raise GoneError("The grant has expired: its files can no longer be fetched.")
    if grant.state != GrantState.ACTIVE:
        raise ConflictError(
            f"The grant is {grant.get_state_display().lower()}: its files can no longer be "
            "fetched.",
            extra={"state": grant.state},
        )
    ttl = max(1, min(ttl_seconds, int((grant.expires_at - now).total_seconds())))
    links = download_links(grant, ttl_seconds=ttl)
    names = file_names([link.distribution for link in links])
    files = [
        ManifestFile(
            distribution=link.distribution,
            name=names[str(link.distribution.pk)],
            url=named_url(link, names[str(link.distribution.pk)]),
            drs_uri=drs_uri(link.distribution.pk),
        )
        for link in links
    ]
    expires_at = links[0].expires_at if links else now
    return Manifest(grant=grant, expires_at=expires_at, files=files)


# --- text shapes --------------------------------------------------------------------------------


def aria2_input(files: Sequence[ManifestLine]) -> str:
    """For ``aria2c -i FILE -j 16 -c``: each URL, then its options indented; aria2 saves the
    file under ``out`` and checks its SHA-256 when the download ends."""
    lines = []
    for item in files:
        lines += [item.url, f"  out={item.name}"]
        if item.sha256:
            lines.append(f"  checksum=sha-256={item.sha256}")
    return "".join(f"{line}\n" for line in lines)


def wget_input(files: Sequence[ManifestLine]) -> str:
    """For ``wget --content-disposition -c -i FILE``: one URL a line; each URL names its file
    (the server's Content-Disposition), so the names are the manifest's."""
    return "".join(f"{item.url}\n" for item in files)


def sha256sums(files: Sequence[ManifestLine]) -> str:
    """``<hex>  <file name>`` lines, for ``sha256sum -c`` next to the downloaded files."""
    return "".join(f"{item.sha256}  {item.name}\n" for item in files if item.sha256)
