"""The scope contract between DRF views and partner clients' tokens.

A view declares ``required_scopes``: a dict from the viewset action name (or the lowercase HTTP
method, for a plain APIView) to a tuple of scopes, any one of which allows the call. An action
absent from the dict, or a view without the attribute, is closed to partner tokens: 403, with a
message naming what is missing. People (sessions, personal API tokens) are not concerned: their
rights are the stewardships and requests they hold, checked by the views and services.

Scopes open the door; the organisations behind it are the selectors' business (a client with
``catalogue:write`` for publisher X finds Y's datasets 404, as a steward of X would).
"""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions, permissions
from rest_framework.request import Request

from core.partners import partner_context


def required_scopes_of(view: Any, method: str) -> tuple[str, ...] | None:
    """The scopes one of which opens this call of ``view``; None when closed to partners."""
    mapping = getattr(view, "required_scopes", None)
    if not isinstance(mapping, dict):
        return None
    action = getattr(view, "action", None)
    scopes = mapping.get(action) if action else None
    if scopes is None:
        scopes = mapping.get(method.lower())
    if scopes is None and method.lower() == "head":  # a HEAD is the GET without its body
        scopes = mapping.get("get")
    return tuple(scopes) if scopes else None


def partner_scope_check(request: Request, view: Any, *, user: Any = None) -> None:
    """Raise 403 unless the partner token of the request holds a scope the call requires."""
    context = partner_context(user if user is not None else request.user)
    if context is None:
        return
    needed = required_scopes_of(view, request.method)
    what = getattr(view, "action", None) or request.method
    if needed is None:
        raise exceptions.PermissionDenied(
            f"Partner clients cannot call this endpoint ({what}); it is for people only."
        )
    if not context.scopes.intersection(needed):
        raise exceptions.PermissionDenied(
            f"This token lacks the scope this call needs: {' or '.join(needed)} "
            f"(the token holds: {', '.join(sorted(context.scopes)) or 'none'})."
        )


class PartnerScopePermission(permissions.BasePermission):
    """Partner tokens reach only the actions whose ``required_scopes`` they hold."""

    def has_permission(self, request: Request, view: Any) -> bool:
        partner_scope_check(request, view)
        return True
