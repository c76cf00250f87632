"""Who is calling: a person, or a partner system acting through its service user.

A partner client (accounts.PartnerClient) acts as its own service user, so every service that
takes a ``user`` works unchanged. What differs is what that user may do: the scopes of the token
it presented and the organisations the client is bound to. The authentication class attaches a
:class:`PartnerContext` to the user object of the request; selectors in any app (catalogue
cannot import accounts) read it from here to restrict their querysets.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

# The scopes views and selectors name (settings.PARTNER_SCOPES lists every one, with its meaning).
CATALOGUE_WRITE = "catalogue:write"
ACCESS_REQUEST = "access:request"
ACCESS_DECIDE = "access:decide"
GRANTS_READ = "grants:read"
WEBHOOKS_MANAGE = "webhooks:manage"
# What views open to any partner token (reading the public catalogue, for instance).
ANY_PARTNER_SCOPE = (CATALOGUE_WRITE, ACCESS_REQUEST, ACCESS_DECIDE, GRANTS_READ, WEBHOOKS_MANAGE)

# The attribute of the user object that carries the context of a partner request.
_ATTRIBUTE = "partner_context"


@dataclass(frozen=True)
class PartnerContext:
    client_id: uuid.UUID
    name: str
    # What this request may do: the token's scopes that the client still holds.
    scopes: frozenset[str]
    research_organisation: str = ""

    def allows(self, scope: str) -> bool:
        return scope in self.scopes


def partner_context_attach(user: Any, context: PartnerContext) -> None:
    setattr(user, _ATTRIBUTE, context)


def partner_context(user: Any) -> PartnerContext | None:
    """The partner on whose behalf ``user`` acts in this request; None for a person."""
    return getattr(user, _ATTRIBUTE, None)


def partner_allows(user: Any, scope: str) -> bool:
    context = partner_context(user)
    return context is not None and context.allows(scope)
