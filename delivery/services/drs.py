"""GA4GH DRS 1.4: which files a caller may resolve as DRS objects, and the URLs that fetch them.

A DRS object is a distribution that holds bytes (a file); its id is the distribution's UUID and
its URI ``drs://<DRS_HOSTNAME>/<uuid>``.

Who resolves what:

- a file of a PUBLIC dataset: anyone, without credentials (it is open data; the access URL is
  the catalogue's public download URL);
- any other file: a caller holding an ACTIVE, unexpired grant whose approval covers the file
  (exactly ``grant_files`` semantics: approved, and still holding bytes). The caller is the
  grantee (personal API token), the partner client that submitted the request for them (token
  with ``grants:read``), or anyone presenting a GA4GH Passport whose visas name such a grant.
  Each such grant is one access method, ``access_id = "grant-<uuid>"``, whose access URL is a
  short-lived signed link naming the grant (so the download is recorded on it).

Unresolved ids get the status the spec asks for: 404 for an id that is not a file Passerelle
holds, 401 for a restricted file asked without any credentials, 403 with credentials that open
no grant for it. Telling 404 from 401/403 reveals only that the file exists, which the public
catalogue already shows (every dataset's distributions, their ids, sizes and checksums, are
listed there), and nothing about who holds grants.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from access import selectors as access_selectors
from access.models import AccessRequest, Grant, GrantState
from catalogue.models import AccessRights, Distribution, distribution_drs_uri
from core.partners import GRANTS_READ, partner_context

from .links import download_link
from .signing import issuer

ACCESS_ID_PREFIX = "grant-"
PUBLIC_ACCESS_ID = "public"
# A DRS id here is a distribution UUID in its canonical form; anything else names nothing.
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


# The hostname-based DRS URI of a file (``drs://<host>/<id>``).
drs_uri = distribution_drs_uri


@dataclass(frozen=True)
class DrsCaller:
    """Who asks: an authenticated person or partner client (``user``), the grants named by the
    passports sent in the body (already verified), or neither."""

    user: AbstractBaseUser | None = None
    passport_grant_ids: frozenset[uuid.UUID] = frozenset()
    passports_sent: bool = False

    @property
    def has_credentials(self) -> bool:
        return bool(self.user is not None and self.user.is_authenticated) or self.passports_sent


def usable_grants(*, caller: DrsCaller, now: datetime | None = None) -> QuerySet[Grant]:
    """The active, unexpired grants whose files ``caller`` may fetch."""
    conditions = Q(pk__in=list(caller.passport_grant_ids))
    user = caller.user
    if user is not None and user.is_authenticated:
        partner = partner_context(user)
        if partner is None:
            conditions |= Q(grantee=user)
        elif partner.allows(GRANTS_READ):
            # What the partner can see (access.selectors), and of that only the requests it
            # submitted for its researchers: a publisher's client reads grants, never fetches.
            visible = access_selectors.grants_visible_to(user=user)
            conditions |= Q(
                pk__in=visible.filter(
                    access_request__submitted_by_client_id=partner.client_id
                ).values("pk")
            )
    return Grant.objects.filter(
        conditions, state=GrantState.ACTIVE, expires_at__gt=now or timezone.now()
    )


@dataclass(frozen=True)
class DrsObject:
    distribution: Distribution
    public: bool
    # The caller's usable grants that open this file (empty for a public file).
    grant_ids: tuple[uuid.UUID, ...] = ()

    @property
    def access_ids(self) -> list[str]:
        if self.public:
            return [PUBLIC_ACCESS_ID]
        return [f"{ACCESS_ID_PREFIX}{grant_id}" for grant_id in self.grant_ids]


@dataclass
class Resolution:
    """Resolved objects by the id asked for, and the status code of each id that was not."""

    resolved: dict[str, DrsObject] = field(default_factory=dict)
    unresolved: dict[str, int] = field(default_factory=dict)

    def unresolved_by_code(self) -> list[dict]:
        """The spec's ``unresolved_drs_objects``: ids grouped by error code."""
        groups: dict[int, list[str]] = {}
        for object_id, code in self.unresolved.items():
            groups.setdefault(code, []).append(object_id)
        return [{"error_code": code, "object_ids": ids} for code, ids in sorted(groups.items())]


def drs_objects_resolve(
    *, caller: DrsCaller, object_ids: Iterable[str], now: datetime | None = None
) -> Resolution:
    """Resolve each id for ``caller`` (see the module's docstring for the rules).

    Two queries whatever the number of ids: the files, and which of the caller's grants open
    the restricted ones.
    """
    wanted: dict[str, uuid.UUID | None] = {}
    for object_id in object_ids:
        wanted[object_id] = uuid.UUID(object_id) if _UUID.match(object_id) else None
    pks = {pk for pk in wanted.values() if pk is not None}
    files = (
        {
            d.pk: d
            for d in Distribution.objects.filter(pk__in=pks)
            .exclude(file="")
            .select_related("dataset")
        }
        if pks
        else {}
    )
    restricted = [pk for pk, d in files.items() if d.dataset.access_rights != AccessRights.PUBLIC]
    opened: dict[uuid.UUID, list[uuid.UUID]] = {}
    if restricted and caller.has_credentials:
        # The approval's own rows: exactly the files the grant was approved for.
        through = AccessRequest.approved_distributions.through
        rows = (
            through.objects.filter(
                distribution_id__in=restricted,
                accessrequest__grant__in=usable_grants(caller=caller, now=now),
            )
            .values_list("distribution_id", "accessrequest__grant__id")
            .order_by("accessrequest__grant__id")
        )
        for distribution_id, grant_id in rows:
            opened.setdefault(distribution_id, []).append(grant_id)

    resolution = Resolution()
    for object_id, pk in wanted.items():
        distribution = files.get(pk) if pk is not None else None
        if distribution is None:
            resolution.unresolved[object_id] = 404
        elif distribution.dataset.access_rights == AccessRights.PUBLIC:
            resolution.resolved[object_id] = DrsObject(distribution=distribution, public=True)
        elif opened.get(pk):
            resolution.resolved[object_id] = DrsObject(
                distribution=distribution, public=False, grant_ids=tuple(opened[pk])
            )
        else:
            resolution.unresolved[object_id] = 403 if caller.has_credentials else 401
    return resolution


@dataclass(frozen=True)
class AccessUrl:
    object_id: str
    access_id: str
    url: str
    expires_at: datetime | None


@dataclass
class AccessResolution:
    resolved: list[AccessUrl] = field(default_factory=list)
    # (object id, access id) -> status code
    unresolved: dict[tuple[str, str], int] = field(default_factory=dict)

    def unresolved_by_code(self) -> list[dict]:
        groups: dict[int, list[str]] = {}
        for (object_id, _), code in self.unresolved.items():
            ids = groups.setdefault(code, [])
            if object_id not in ids:
                ids.append(object_id)
        return [{"error_code": code, "object_ids": ids} for code, ids in sorted(groups.items())]


def public_download_url(distribution: Distribution) -> str:
    path = reverse(
        "api:distribution-download",
        kwargs={"id_or_slug": str(distribution.dataset_id), "distribution_id": distribution.pk},
    )
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def drs_access_urls(
    *,
    caller: DrsCaller,
    wanted: Sequence[tuple[str, str]],
    ttl_seconds: int | None = None,
    now: datetime | None = None,
) -> AccessResolution:
    """The URL that fetches each (object id, access id): a signed link of the grant the access
    id names (living ``ttl_seconds``, DRS_ACCESS_URL_TTL_SECONDS by default, never past the
    grant's end), or the public download URL. An access id the object does not offer to this
    caller is a 404; an object the caller may not resolve keeps its 401/403/404."""
    now = now or timezone.now()
    ttl = ttl_seconds if ttl_seconds is not None else settings.DRS_ACCESS_URL_TTL_SECONDS
    resolution = drs_objects_resolve(
        caller=caller, object_ids=[object_id for object_id, _ in wanted], now=now
    )
    grant_ids = {
        uuid.UUID(access_id.removeprefix(ACCESS_ID_PREFIX))
        for object_id, access_id in wanted
        if object_id in resolution.resolved
        and access_id in resolution.resolved[object_id].access_ids
        and not resolution.resolved[object_id].public
    }
    grants = Grant.objects.in_bulk(list(grant_ids)) if grant_ids else {}
    result = AccessResolution()
    for object_id, access_id in wanted:
        if object_id in resolution.unresolved:
            result.unresolved[(object_id, access_id)] = resolution.unresolved[object_id]
            continue
        obj = resolution.resolved[object_id]
        if access_id not in obj.access_ids:
            result.unresolved[(object_id, access_id)] = 404
        elif obj.public:
            result.resolved.append(
                AccessUrl(object_id, access_id, public_download_url(obj.distribution), None)
            )
        else:
            grant = grants[uuid.UUID(access_id.removeprefix(ACCESS_ID_PREFIX))]
            remaining = int((grant.expires_at - now).total_seconds())
            link = download_link(grant, obj.distribution, ttl_seconds=max(1, min(ttl, remaining)))
            result.resolved.append(AccessUrl(object_id, access_id, link.url, link.expires_at))
    return result


def drs_authorizations(*, object_ids: Iterable[str]) -> Resolution:
    """Which objects exist (for OPTIONS): public ones need nothing, the others a bearer token or
    a passport. No caller: the answer is the same for everyone."""
    return drs_objects_resolve(caller=DrsCaller(), object_ids=object_ids)


def passport_issuers() -> list[str]:
    """Whose visas open objects here: Passerelle's own passports only."""
    return [issuer()]


def bearer_issuers() -> list[str]:
    """Who issues the bearer tokens accepted: Passerelle itself (personal API tokens, and
    partner clients' tokens from /o/token/)."""
    return [issuer()]
