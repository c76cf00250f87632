"""The CKAN actions Passerelle answers, and how a catalogue dataset reads as a CKAN package.

Each action takes the request's parameters (query string or JSON body, already a dict) and an
``ActionContext``, reads through ``catalogue.selectors`` only, and returns the ``result``. It
shows what the public /api/v1 shows and nothing more: files of non-public datasets get the page
where access is requested, never a download URL.

Mapping: dataset -> package (name = slug, notes = description, url = landing page), publisher
-> organization (id and name are its slug: no sequential ids leave the service), distributions
-> resources, licence -> license_id/title/url, keywords and theme codes -> tags, themes ->
groups, access rights, data space, languages, coverage -> extras.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.urls import NoReverseMatch, reverse

from catalogue import selectors
from core.errors import ApplicationError
from core.errors import NotFoundError as CatalogueNotFoundError

from . import query
from .envelope import NotFoundError, SearchQueryError, SearchTimeoutError, ValidationError

# The catalogue's access-rights values (catalogue.models.AccessRights), read as data.
PUBLIC = "PUBLIC"
RESTRICTED = "RESTRICTED"

CKAN_VERSION = "2.10.0"  # the Action API version whose shapes these follow

# CKAN facet field -> (the catalogue's facet in dataset_search, how its value is named).
FACETS: dict[str, str] = {
    "organization": "publisher",
    "license_id": "licence",
    "res_format": "format",
    "groups": "theme",
    "data_space": "data_space",
    "access_rights": "access_rights",
    "tags": "",  # keywords and theme codes, counted apart
}


@dataclass
class ActionContext:
    """What an action needs from the request: absolute URLs."""

    absolute_url: Callable[[str], str]


def ckan_datetime(value: datetime | None) -> str | None:
    """CKAN's timestamp form: UTC, ISO 8601 without an offset, with microseconds."""
    if value is None:
        return None
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")


# --- shapes -----------------------------------------------------------------------------------


def organization_dict(publisher, *, package_count: int | None = None) -> dict[str, Any]:
    result = {
        "id": publisher.slug,
        "name": publisher.slug,
        "title": publisher.name,
        "display_name": publisher.name,
        "description": publisher.description,
        "image_url": "",
        "image_display_url": "",
        "created": ckan_datetime(publisher.created),
        "is_organization": True,
        "type": "organization",
        "state": "active",
        "approval_status": "approved",
    }
    if package_count is not None:
        result["package_count"] = package_count
    return result


def licence_dict(licence) -> dict[str, Any]:
    return {
        "id": licence.identifier,
        "title": licence.title,
        "url": licence.url,
        "is_okd_compliant": licence.is_open,
        "is_osi_compliant": False,
        "is_generic": False,
        "od_conformance": "approved" if licence.is_open else "not reviewed",
        "osd_conformance": "not reviewed",
        "domain_content": True,
        "domain_data": True,
        "domain_software": False,
        "family": "",
        "maintainer": "",
        "status": "active",
    }


def _tag(name: str) -> dict[str, Any]:
    return {"name": name, "display_name": name, "id": name, "state": "active",
            "vocabulary_id": None}  # fmt: skip


def _resource_urls(dataset, distribution, context: ActionContext) -> tuple[str, str | None]:
    """(url, download_url): the file itself for public datasets; otherwise where access is
    asked for (restricted) or the dataset's public record (non-public), never the bytes."""
    if dataset.access_rights == PUBLIC and distribution.file:
        download = context.absolute_url(
            reverse(
                "api:distribution-download",
                kwargs={"id_or_slug": str(dataset.id), "distribution_id": str(distribution.id)},
            )
        )
        return download, download
    if dataset.access_rights == PUBLIC and distribution.access_url:
        return distribution.access_url, None
    if dataset.access_rights == RESTRICTED:
        try:
            return context.absolute_url(
                reverse(
                    "workspace:workspace_cataloguedataset_request",
                    kwargs={"dataset_id": dataset.id},
                )
            ), None
        except NoReverseMatch:  # the workspace is not installed
            pass
    return context.absolute_url(dataset.get_absolute_url()), None


def resource_dict(dataset, distribution, position: int, context: ActionContext) -> dict[str, Any]:
    url, download_url = _resource_urls(dataset, distribution, context)
    return {
        "id": str(distribution.id),
        "package_id": str(dataset.id),
        "name": distribution.title,
        "description": distribution.description,
        "format": distribution.get_format_display(),
        "mimetype": distribution.media_type or None,
        "size": distribution.byte_size,
        "hash": distribution.sha256,
        "hash_algorithm": "sha256" if distribution.sha256 else "",
        "url": url,
        "download_url": download_url,
        "access_url": distribution.access_url or url,
        "url_type": None,
        "restricted": dataset.access_rights != PUBLIC,
        "created": ckan_datetime(distribution.created),
        "last_modified": None,
        "metadata_modified": ckan_datetime(distribution.created),
        "state": "active",
        "position": position,
    }


def package_dict(dataset, context: ActionContext) -> dict[str, Any]:
    """A dataset (from ``selectors.dataset_detail_queryset``) as a CKAN package."""
    licence = dataset.licence
    themes = list(dataset.themes.all())
    tags = [
        *dataset.keywords,
        *(theme.code for theme in themes if theme.code not in dataset.keywords),
    ]
    resources = [
        resource_dict(dataset, distribution, position, context)
        for position, distribution in enumerate(dataset.distributions.all())
    ]
    extras = {
        "identifier": str(dataset.id),
        "access_rights": dataset.access_rights,
        "data_space": dataset.data_space.slug,
        "data_space_title": dataset.data_space.name,
        "theme": ",".join(theme.uri for theme in themes),
        "language": ",".join(dataset.languages),
        "spatial_text": dataset.spatial,
        "temporal_start": dataset.temporal_start.isoformat() if dataset.temporal_start else "",
        "temporal_end": dataset.temporal_end.isoformat() if dataset.temporal_end else "",
        "issued": dataset.issued.isoformat() if dataset.issued else "",
        "passerelle_url": context.absolute_url(dataset.get_absolute_url()),
    }
    return {
        "id": str(dataset.id),
        "name": dataset.slug,
        "title": dataset.title,
        "notes": dataset.description,
        "url": dataset.landing_page,
        "version": dataset.version,
        "type": "dataset",
        # A withdrawn dataset is no longer listed or searched; asked for by name, it says so the
        # way CKAN marks a package taken out of use, so a harvester drops it.
        "state": "deleted" if dataset.withdrawn_at else "active",
        "private": False,
        "author": dataset.publisher.name,
        "author_email": None,
        "maintainer": dataset.contact_name or None,
        "maintainer_email": dataset.contact_email or None,
        "license_id": licence.identifier,
        "license_title": licence.title,
        "license_url": licence.url,
        "isopen": licence.is_open,
        "metadata_created": ckan_datetime(dataset.created),
        "metadata_modified": ckan_datetime(dataset.modified),
        "owner_org": dataset.publisher.slug,
        "organization": organization_dict(dataset.publisher),
        "resources": resources,
        "num_resources": len(resources),
        "tags": [_tag(name) for name in tags],
        "num_tags": len(tags),
        "groups": [
            {
                "id": theme.code,
                "name": theme.code.lower(),
                "title": theme.label,
                "display_name": theme.label,
                "description": "",
                "image_display_url": "",
            }
            for theme in themes
        ],
        "extras": [{"key": key, "value": value} for key, value in extras.items() if value],
        "relationships_as_object": [],
        "relationships_as_subject": [],
    }


# --- actions ----------------------------------------------------------------------------------


def package_search(params: dict[str, Any], context: ActionContext) -> dict[str, Any]:
    """Search datasets: q, fq (field:value, metadata_modified:[from TO *]), fq_list (a list of
    fq), rows (at most 1000), start, sort, facet.field (a JSON list), facet.limit (-1: all)."""
    filters = [query.parse_string(params, "fq") or "", *query.parse_string_list(params, "fq_list")]
    terms = query.parse_search(query.parse_string(params, "q"), " ".join(filters))
    rows = query.parse_int(params, "rows", default=query.DEFAULT_ROWS, maximum=query.MAX_ROWS)
    start = query.parse_int(params, "start", default=0)
    ordering = query.parse_sort(params.get("sort"))
    facet_fields = query.parse_facet_fields(params.get("facet.field"), tuple(FACETS))
    facet_limit = query.parse_int(
        params, "facet.limit", default=query.DEFAULT_FACET_LIMIT, minimum=-1
    )
    try:
        matches = selectors.dataset_matches(text=terms.text, conditions=terms.conditions)
        # Exact counts and facets: harvesters page by ``count`` (the cost grows with the
        # matches; the search time limit still bounds it).
        page = selectors.dataset_search(
            matches=matches, q=terms.text, ordering=ordering, offset=start, limit=rows, exact=True
        )
    except selectors.SearchTimeoutError as error:
        raise SearchTimeoutError(error.message) from None
    except ApplicationError as error:  # the full-text part could not be read
        raise SearchQueryError(error.message) from None
    datasets = selectors.datasets_with_distributions_by_ids(page.page_ids)
    limit = None if facet_limit < 0 else facet_limit
    facets: dict[str, dict[str, int]] = {}
    search_facets: dict[str, dict[str, Any]] = {}
    for name in facet_fields:
        items = _facet_items(name, page.facets, matches, limit)
        facets[name] = {item["name"]: item["count"] for item in items}
        search_facets[name] = {"title": name, "items": items}
    return {
        "count": page.total,
        "sort": params.get("sort") or query.DEFAULT_SORT,
        "results": [package_dict(dataset, context) for dataset in datasets],
        "facets": facets,
        "search_facets": search_facets,
    }


def _facet_items(name: str, facets: dict[str, list[dict[str, Any]]], matches, limit: int | None):
    if name == "tags":
        # The top ``limit`` keywords and every theme hold the top ``limit`` tags.
        counted = selectors.dataset_keyword_counts(matches=matches, limit=limit)
        keywords = {keyword for keyword, _ in counted}
        counted += [
            (bucket["value"], bucket["count"])
            for bucket in facets.get("theme", [])
            if bucket["value"] not in keywords
        ]
        items = [{"name": value, "display_name": value, "count": n} for value, n in counted]
    else:
        items = [
            {
                "name": bucket["value"].lower() if name == "groups" else bucket["value"],
                "display_name": bucket["label"],
                "count": bucket["count"],
            }
            for bucket in facets.get(FACETS[name], [])
        ]
    items.sort(key=lambda item: (-item["count"], item["name"]))
    return items if limit is None else items[:limit]


def package_show(params: dict[str, Any], context: ActionContext) -> dict[str, Any]:
    """One dataset, by id (UUID) or name (slug)."""
    name_or_id = query.parse_string(params, "id") or query.parse_string(params, "name_or_id")
    if not name_or_id:
        raise ValidationError("Missing value: id.", fields={"name_or_id": ["Missing value"]})
    try:
        dataset = selectors.dataset_get(id_or_slug=name_or_id)
    except CatalogueNotFoundError:
        raise NotFoundError(f"Not found: no dataset '{name_or_id}'.") from None
    return package_dict(dataset, context)


def package_list(params: dict[str, Any], context: ActionContext) -> list[str]:
    """Every dataset's name, in name order; limit and offset page through them."""
    limit = params.get("limit")
    return selectors.dataset_slugs(
        offset=query.parse_int(params, "offset", default=0),
        limit=None if limit in (None, "") else query.parse_int(params, "limit", default=0),
    )


_ORGANIZATION_SORTS = {
    "title asc": ("name", "slug"),
    "title desc": ("-name", "-slug"),
    "name asc": ("slug",),
    "name desc": ("-slug",),
    "package_count desc": ("-dataset_count", "slug"),
    "package_count asc": ("dataset_count", "slug"),
}


def organization_list(params: dict[str, Any], context: ActionContext) -> list[Any]:
    """Organizations (publishers): names, or whole dicts with all_fields; sort, limit, offset,
    organizations (only these names)."""
    sort = " ".join((query.parse_string(params, "sort") or "title asc").lower().split())
    if sort not in _ORGANIZATION_SORTS:
        raise ValidationError(
            "Invalid sort.", fields={"sort": [f"One of: {', '.join(_ORGANIZATION_SORTS)}"]}
        )
    publishers = selectors.publisher_list().order_by(*_ORGANIZATION_SORTS[sort])
    wanted = params.get("organizations")
    if isinstance(wanted, str) and wanted:
        wanted = [name.strip() for name in wanted.split(",") if name.strip()]
    if isinstance(wanted, list) and wanted:
        publishers = publishers.filter(slug__in=[str(name) for name in wanted])
    offset = query.parse_int(params, "offset", default=0)
    limit = params.get("limit")
    end = None if limit in (None, "") else offset + query.parse_int(params, "limit", default=0)
    chosen = publishers[offset:end]
    if not query.parse_bool(params, "all_fields"):
        return [publisher.slug for publisher in chosen]
    return [organization_dict(p, package_count=p.dataset_count) for p in chosen]


def organization_show(params: dict[str, Any], context: ActionContext) -> dict[str, Any]:
    """One organization by id or name (both its slug); include_datasets adds its first 1000
    packages, most recently modified first."""
    slug = query.parse_string(params, "id")
    if not slug:
        raise ValidationError("Missing value: id.", fields={"id": ["Missing value"]})
    try:
        publisher = selectors.publisher_get(slug=slug)
    except CatalogueNotFoundError:
        raise NotFoundError(f"Not found: no organization '{slug}'.") from None
    result = organization_dict(publisher, package_count=publisher.dataset_count)
    if query.parse_bool(params, "include_datasets"):
        matches = selectors.dataset_matches(
            text=None,
            conditions=[selectors.DatasetCondition(field="publisher", values=(publisher.slug,))],
        )
        page = selectors.dataset_search(
            matches=matches,
            q=None,
            ordering="-modified",
            offset=0,
            limit=query.MAX_ROWS,
            exact=True,
        )
        result["packages"] = [
            package_dict(dataset, context)
            for dataset in selectors.datasets_with_distributions_by_ids(page.page_ids)
        ]
    return result


def license_list(params: dict[str, Any], context: ActionContext) -> list[dict[str, Any]]:
    """Every licence a dataset may have."""
    return [licence_dict(licence) for licence in selectors.licence_list()]


def tag_list(params: dict[str, Any], context: ActionContext) -> list[Any]:
    """Every tag in use (keywords and theme codes); query keeps those containing it (any
    case); all_fields gives dicts."""
    needle = (query.parse_string(params, "query") or query.parse_string(params, "q") or "").lower()
    names = sorted(
        {*selectors.keywords_in_use(), *(theme.code for theme in selectors.themes_in_use())}
    )
    if needle:
        names = [name for name in names if needle in name.lower()]
    if query.parse_bool(params, "all_fields"):
        return [_tag(name) for name in names]
    return names


def status_show(params: dict[str, Any], context: ActionContext) -> dict[str, Any]:
    """What this site is and which Action API version it follows."""
    return {
        "site_title": "Passerelle",
        "site_description": "Catalogue and access broker for the Common European Data Spaces",
        "site_url": context.absolute_url("/"),
        "ckan_version": CKAN_VERSION,
        "locale_default": "en",
        "extensions": ["passerelle"],
    }


def help_show(params: dict[str, Any], context: ActionContext) -> str:
    """The documentation of an action: name."""
    name = query.parse_string(params, "name")
    if not name:
        raise ValidationError("Missing value: name.", fields={"name": ["Missing value"]})
    action = ACTIONS.get(name)
    if action is None:
        raise NotFoundError(f"Not found: no action '{name}'.")
    return inspect.cleandoc(action.__doc__ or "")


Action = Callable[[dict[str, Any], ActionContext], Any]

ACTIONS: dict[str, Action] = {
    action.__name__: action
    for action in (
        package_search,
        package_show,
        package_list,
        organization_list,
        organization_show,
        license_list,
        tag_list,
        status_show,
        help_show,
    )
}
