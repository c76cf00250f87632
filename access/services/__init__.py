"""Writes of the access app. Import from here: ``from access import services``.

Inside, modules import one way only (import-linter checks it): ``requests`` uses ``policies``
(a request is tried against the decision policies on submission), which uses ``decisions``
(approve), which uses ``grants``; all record through ``transitions`` and ``audit``, which
schedules ``notifications``. ``evaluation`` (trying a policy on a draft body) sits on top.
"""

from .applications import access_request_apply, access_request_revise
from .attachments import (
    MAX_ATTACHMENTS_PER_REQUEST,
    attachment_add,
    attachment_clean_name,
    attachment_detect_type,
    attachment_remove,
)
from .audit import (
    audit_chain_place,
    audit_event_append,
    audit_log_verify,
    audited_atomic,
    event_record,
    events_record,
)
from .decisions import (
    access_request_approve,
    access_request_reject,
    access_request_relinquish,
    access_request_return,
    access_request_revoke,
    access_requests_expire_due,
    grant_relinquish,
    grant_revoke,
)
from .evaluation import PolicyEvaluation, decision_policy_evaluate
from .forms import (
    QUESTION_KINDS,
    answers_clean,
    application_form_current,
    application_form_publish,
    questions_clean,
)
from .grants import (
    PROVISION_BATCH_SIZE,
    grant_provision,
    grants_provision_missing,
    grants_warn_expiring,
)
from .notifications import (
    notification_send,
    notifications_retry,
    notifications_send,
    notifications_send_due,
    notifications_write_for_event,
    review_reminders_send,
)
from .on_behalf import Researcher, access_request_submit_on_behalf, orcid_clean
from .policies import (
    decision_policy_archive,
    decision_policy_clean,
    decision_policy_create,
    decision_policy_update,
    policies_apply_locked,
)
from .requests import (
    MAX_PURPOSE_LENGTH,
    MIN_PURPOSE_LENGTH,
    access_request_create,
    access_request_default_duration,
    access_request_fields_clean,
    access_request_renew,
    access_request_submit,
    access_request_update,
    access_request_withdraw,
)
from .reviews import (
    MAX_COMMENT_LENGTH,
    access_request_comment,
    access_request_review,
    access_request_reviewer_invite,
)
from .transitions import NotAllowedError, StateConflictError

__all__ = [
    "MAX_ATTACHMENTS_PER_REQUEST",
    "MAX_COMMENT_LENGTH",
    "MAX_PURPOSE_LENGTH",
    "MIN_PURPOSE_LENGTH",
    "PROVISION_BATCH_SIZE",
    "QUESTION_KINDS",
    "NotAllowedError",
    "PolicyEvaluation",
    "Researcher",
    "StateConflictError",
    "access_request_apply",
    "access_request_approve",
    "access_request_comment",
    "access_request_create",
    "access_request_default_duration",
    "access_request_fields_clean",
    "access_request_reject",
    "access_request_relinquish",
    "access_request_renew",
    "access_request_return",
    "access_request_review",
    "access_request_reviewer_invite",
    "access_request_revise",
    "access_request_revoke",
    "access_request_submit",
    "access_request_submit_on_behalf",
    "access_request_update",
    "access_request_withdraw",
    "access_requests_expire_due",
    "answers_clean",
    "application_form_current",
    "application_form_publish",
    "attachment_add",
    "attachment_clean_name",
    "attachment_detect_type",
    "attachment_remove",
    "audit_chain_place",
    "audit_event_append",
    "audit_log_verify",
    "audited_atomic",
    "decision_policy_archive",
    "decision_policy_clean",
    "decision_policy_create",
    "decision_policy_evaluate",
    "decision_policy_update",
    "event_record",
    "events_record",
    "grant_provision",
    "grant_relinquish",
    "grant_revoke",
    "grants_provision_missing",
    "grants_warn_expiring",
    "notification_send",
    "notifications_retry",
    "notifications_send",
    "notifications_send_due",
    "notifications_write_for_event",
    "orcid_clean",
    "policies_apply_locked",
    "questions_clean",
    "review_reminders_send",
]
