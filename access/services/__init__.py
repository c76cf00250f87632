"""Writes of the access app. Import from here: ``from access import services``."""

from .audit import audit_event_append, audit_log_verify
from .requests import (
    NotAllowedError,
    StateConflictError,
    access_request_approve,
    access_request_create,
    access_request_reject,
    access_request_return,
    access_request_revoke,
    access_request_submit,
    access_request_update,
    access_request_withdraw,
    access_requests_expire_due,
    is_steward_for,
)
from .tokens import (
    TOKEN_PREFIX,
    InvalidCredentials,
    api_token_create,
    api_token_obtain,
    api_token_revoke,
    hash_token,
)

__all__ = [
    "TOKEN_PREFIX",
    "InvalidCredentials",
    "NotAllowedError",
    "StateConflictError",
    "access_request_approve",
    "access_request_create",
    "access_request_reject",
    "access_request_return",
    "access_request_revoke",
    "access_request_submit",
    "access_request_update",
    "access_request_withdraw",
    "access_requests_expire_due",
    "api_token_create",
    "api_token_obtain",
    "api_token_revoke",
    "audit_event_append",
    "audit_log_verify",
    "hash_token",
    "is_steward_for",
]

from .notifications import notify_for_event, review_reminders_send

__all__ += ["notify_for_event", "review_reminders_send"]

from .grants import (  # noqa: E402
    grant_provision,
    grant_revoke,
    grants_provision_missing,
    grants_warn_expiring,
)
from .signing import grant_token, jwks, signing_key_create, signing_key_current, signing_key_retire  # noqa: E402

__all__ += [
    "grant_provision",
    "grant_revoke",
    "grant_token",
    "grants_provision_missing",
    "grants_warn_expiring",
    "jwks",
    "signing_key_create",
    "signing_key_current",
    "signing_key_retire",
]

from .downloads import (  # noqa: E402
    DEFAULT_LINK_TTL_SECONDS,
    download_authorise,
    download_links,
    download_record,
)

__all__ += ["DEFAULT_LINK_TTL_SECONDS", "download_authorise", "download_links", "download_record"]
