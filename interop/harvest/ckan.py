"""Reading a CKAN site through ``package_search``, ``rows`` at a time from ``start`` 0, sorted by
id so that the pages do not shift under the walk.

Package -> record: ``id`` is the identifier; title (else name), notes, tags (less the theme codes
a Passerelle adds to them), groups and the ``theme`` extra as EU data themes, license_id / url /
title as licence hints, metadata_modified, url as landing page, maintainer (else author) as
contact; the extras Passerelle and ckanext-dcat write (access_rights, language, spatial_text,
temporal_start/end, issued); resources -> distributions (id, name, description, format and
mimetype, size, a SHA-256 hash, url).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from django.conf import settings

from interop.dcat import vocabularies as vocab

from .fetch import Fetcher, HarvestError
from .records import (
    RecordError,
    RemoteDistribution,
    RemoteRecord,
    as_date,
    as_datetime,
    as_sha256,
    as_size,
)

SEARCH_PATH = "/api/3/action/package_search"


def search_url(source_url: str) -> str:
    url = source_url.split("?", 1)[0].rstrip("/")
    if url.endswith("/package_search"):
        return url
    if url.endswith(("/api/3/action", "/api/action")):
        return url + "/package_search"
    return url + SEARCH_PATH


def read_site(
    url: str, fetcher: Fetcher, *, rows: int | None = None
) -> Iterator[RemoteRecord | RecordError]:
    endpoint = search_url(url)
    rows = rows or settings.HARVEST_CKAN_ROWS
    start = 0
    seen: set[str] = set()
    while True:
        page = fetcher.get(
            endpoint,
            accept="application/json",
            params={"q": "*:*", "rows": str(rows), "start": str(start), "sort": "id asc"},
        )
        result = _result(page.url, page.content_type, page.body)
        packages = result["results"]
        if not packages:
            return
        ids = {str(p.get("id")) for p in packages if isinstance(p, dict) and p.get("id")}
        if ids and ids <= seen:
            raise HarvestError(
                f"{endpoint} sent the same packages again at start={start}: its paging loops."
            )
        seen |= ids
        for package in packages:
            yield read_package(package)
        start += len(packages)
        if start >= result["count"]:
            return


def _result(url: str, content_type: str, body: bytes) -> dict[str, Any]:
    if content_type == "text/html" or body[:512].lstrip().lower().startswith(
        (b"<!doctype", b"<html")
    ):
        raise HarvestError(f"{url} answered an HTML page, not CKAN's JSON.")
    try:
        envelope = json.loads(body)
    except (ValueError, RecursionError):
        raise HarvestError(f"{url} did not answer JSON ({content_type or 'no type'}).") from None
    if not isinstance(envelope, dict) or "success" not in envelope:
        raise HarvestError(f"{url} did not answer a CKAN envelope (no 'success').")
    if envelope["success"] is not True:
        error = envelope.get("error")
        message = error.get("message") if isinstance(error, dict) else error
        raise HarvestError(f"{url} answered an error: {str(message)[:300]}")
    result = envelope.get("result")
    if (
        not isinstance(result, dict)
        or not isinstance(result.get("results"), list)
        or not isinstance(result.get("count"), int)
    ):
        raise HarvestError(f"{url} answered no package_search result (count and results).")
    return result


def _extras(package: dict[str, Any]) -> dict[str, str]:
    extras = package.get("extras") or []
    if isinstance(extras, dict):
        return {str(k): str(v) for k, v in extras.items() if v is not None}
    result = {}
    for extra in extras:
        if isinstance(extra, dict) and extra.get("key") and extra.get("value") is not None:
            result[str(extra["key"])] = str(extra["value"])
    return result


def _str(value: Any) -> str:
    return str(value).strip() if value is not None else ""


def read_package(package: Any) -> RemoteRecord | RecordError:
    if not isinstance(package, dict):
        return RecordError("(not a package)", "A search result that is not a JSON object.")
    identifier = _str(package.get("id"))
    if not identifier:
        return RecordError(_str(package.get("name")) or "(no id)", "A package without an id.")
    try:
        return _record(identifier, package)
    except Exception as exc:  # one malformed package never aborts the run
        return RecordError(identifier, f"Could not be read: {type(exc).__name__}: {exc}")


def _record(identifier: str, package: dict[str, Any]) -> RemoteRecord:
    title = _str(package.get("title")) or _str(package.get("name"))
    if not title:
        raise RecordError(identifier, "The package has neither a title nor a name.")
    extras = _extras(package)
    themes: list[str] = []
    for group in package.get("groups") or []:
        if isinstance(group, dict):
            themes.append(_str(group.get("id") or group.get("name")).upper())
    for uri in extras.get("theme", "").split(","):
        uri = uri.strip()
        if uri.startswith(str(vocab.DATA_THEME)):
            themes.append(uri[len(str(vocab.DATA_THEME)) :])
    tags = [_str(t.get("name") if isinstance(t, dict) else t) for t in package.get("tags") or []]
    # A Passerelle lists its theme codes among the tags too; they come back as themes.
    keywords = [t for t in tags if t and t.upper() not in themes]
    access_rights = extras.get("access_rights", "").strip().upper() or None
    languages = [
        code.strip().lower()
        for code in (extras.get("language") or _str(package.get("language"))).split(",")
        if code.strip()
    ]
    landing = _str(package.get("url"))
    return RemoteRecord(
        identifier=identifier,
        title=title,
        description=_str(package.get("notes")),
        keywords=keywords,
        theme_codes=list(dict.fromkeys(themes)),
        licence_hints=[
            h
            for h in (
                _str(package.get("license_id")),
                _str(package.get("license_url")),
                _str(package.get("license_title")),
            )
            if h
        ],
        access_rights=access_rights,
        languages=languages,
        spatial=extras.get("spatial_text", "") or extras.get("spatial_uri", ""),
        temporal_start=as_date(extras.get("temporal_start")),
        temporal_end=as_date(extras.get("temporal_end")),
        issued=as_date(extras.get("issued") or extras.get("dcat_issued")),
        modified=as_datetime(package.get("metadata_modified")),
        landing_page=landing if landing.startswith(("http://", "https://")) else "",
        contact_name=_str(package.get("maintainer")) or _str(package.get("author")),
        contact_email=_str(package.get("maintainer_email")) or _str(package.get("author_email")),
        version=_str(package.get("version")),
        distributions=[
            _distribution(resource, identifier, position)
            for position, resource in enumerate(package.get("resources") or [])
            if isinstance(resource, dict)
        ],
    )


def _distribution(resource: dict[str, Any], package_id: str, position: int) -> RemoteDistribution:
    url = _str(resource.get("url"))
    mimetype = _str(resource.get("mimetype"))
    hints = [h for h in (_str(resource.get("format")), mimetype) if h]
    algorithm = _str(resource.get("hash_algorithm")).lower()
    return RemoteDistribution(
        identifier=_str(resource.get("id")) or url or f"{package_id}#resource-{position + 1}",
        title=_str(resource.get("name")),
        description=_str(resource.get("description")),
        format_hints=hints,
        media_type=mimetype if "/" in mimetype else "",
        byte_size=as_size(resource.get("size")) if resource.get("size") is not None else None,
        sha256=as_sha256(resource.get("hash")) if algorithm in ("", "sha256", "sha-256") else "",
        access_url=url if url.startswith(("http://", "https://")) else "",
    )
