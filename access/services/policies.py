"""Publishers' decision policies: define them (every change a new version) and apply them to
requests as they are submitted.

A policy is checked whole before anything is saved: unknown kinds or parameters, conditions
that can never hold together, an approval longer than the publisher allows, a route to an
account that does not exist; each refusal names its place (``conditions.<n>.<parameter>``,
``validity_days``, ``route_to``), and nothing is written.

Applying runs inside the submission's transaction (``requests._submit_locked``): the first policy
whose conditions hold approves (through ``decisions.approve_locked``, so the worker provisions the
grant as for a steward's approval; the actor is the system) or routes the request. The audit
event names the policy and its version, and a PolicyDecision row links the two.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from access.events import AuditAction
from access.models import (
    AccessEvent,
    AccessRequest,
    DecisionPolicy,
    DecisionPolicyVersion,
    PolicyDecision,
    PolicyEffect,
    ReviewInvitation,
    RouteRole,
)
from access.policies import Rule, RuleOutcome, rules_first_match, subject_of_request
from access.policy_conditions import (
    CleanContext,
    ConditionInvalid,
    PolicyCondition,
    condition_kinds,
    has_control,
)
from access.selectors import decision_rules_for, is_steward_for
from catalogue.models import Dataset, Publisher
from catalogue.selectors import publishers_stewarded_by
from core.errors import ApplicationError, ConflictError, NotFoundError
from core.partners import ACCESS_DECIDE

from .audit import audit_event_append
from .decisions import approve_locked
from .notifications import notifications_schedule

logger = logging.getLogger(__name__)

MAX_CONDITIONS = 20
MAX_NAME_LENGTH = 200
PRIORITY_RANGE = (-10_000, 10_000)
# The fields of a policy that a change may set; each change is a new version.
VERSIONED_FIELDS = (
    "name", "priority", "active", "conditions", "effect", "validity_days", "route_to",
    "route_role",
)  # fmt: skip


# --- checking a policy --------------------------------------------------------------------------


def _route_account(value: Any) -> AbstractBaseUser | None:
    """The active account named by username or e-mail (case-insensitive), if exactly one."""
    if isinstance(value, AbstractBaseUser):
        return value if value.is_active else None
    if not isinstance(value, str) or not value.strip() or len(value) > 254 or has_control(value):
        return None
    value = value.strip()
    users = get_user_model().objects.filter(is_active=True)
    by_name = list(users.filter(username=value)[:2])
    matches = by_name or list(users.filter(email__iexact=value)[:2])
    return matches[0] if len(matches) == 1 else None


def _clean_conditions(
    raw: Any, context: CleanContext, errors: dict[str, list[str]]
) -> list[dict[str, Any]]:
    if not isinstance(raw, list):
        errors["conditions"] = ["A list of conditions, each an object with a kind."]
        return []
    if len(raw) > MAX_CONDITIONS:
        errors["conditions"] = [f"At most {MAX_CONDITIONS} conditions; got {len(raw)}."]
        return []
    kinds = condition_kinds()
    cleaned: list[PolicyCondition] = []
    for index, item in enumerate(raw):
        place = f"conditions.{index}"
        if not isinstance(item, dict):
            errors[place] = ["An object with a kind and its parameters."]
            continue
        kind = item.get("kind")
        cls = kinds.get(kind) if isinstance(kind, str) else None
        if cls is None:
            errors[f"{place}.kind"] = [f"Unknown condition kind. One of: {', '.join(kinds)}."]
            continue
        params = {k: v for k, v in item.items() if k != "kind"}
        unknown = sorted(set(params) - set(cls.parameters))
        for name in unknown:
            allowed = ", ".join(cls.parameters) or "none"
            errors[f"{place}.{name}"] = [f"Unknown parameter of {kind}. Allowed: {allowed}."]
        if unknown:
            continue
        try:
            cleaned.append(cls(cls.clean(params, context=context)))
        except ConditionInvalid as exc:
            for name, messages in exc.errors.items():
                errors.setdefault(f"{place}.{name}", []).extend(messages)
        except (KeyError, TypeError, ValueError, AttributeError):
            # A kind from another package that does not check its input: bad input all the same.
            logger.warning("condition kind %s failed to clean %r", kind, params, exc_info=True)
            errors[place] = [f"Invalid parameters for {kind}: {', '.join(cls.parameters)}."]
    if any(name.startswith("conditions") for name in errors):
        return []
    for i, first in enumerate(cleaned):
        for j in range(i + 1, len(cleaned)):
            second = cleaned[j]
            if first.kind != second.kind:
                continue
            reason = first.conflict(second)
            if reason:
                errors.setdefault(f"conditions.{j}", []).append(
                    f"Contradicts condition {i}: {reason}; the policy could never apply."
                )
    return [condition.as_json() for condition in cleaned]


def decision_policy_clean(
    *, publisher: Publisher, dataset: Dataset | None, values: dict[str, Any]
) -> dict[str, Any]:
    """The policy's versioned fields as stored, or a 400 naming every bad field."""
    errors: dict[str, list[str]] = {}
    context = CleanContext(publisher=publisher, dataset=dataset)
    name = values.get("name")
    if not isinstance(name, str) or not name.strip():
        errors["name"] = ["Required: a short name for the policy."]
    elif len(name) > MAX_NAME_LENGTH or has_control(name):
        errors["name"] = [f"One line of at most {MAX_NAME_LENGTH} characters."]
    priority = values.get("priority", 100)
    if (
        isinstance(priority, bool)
        or not isinstance(priority, int)
        or not PRIORITY_RANGE[0] <= priority <= PRIORITY_RANGE[1]
    ):
        errors["priority"] = [
            f"A whole number between {PRIORITY_RANGE[0]} and {PRIORITY_RANGE[1]}."
        ]
    active = values.get("active", True)
    if not isinstance(active, bool):
        errors["active"] = ["true or false."]
    conditions = _clean_conditions(values.get("conditions", []), context, errors)
    effect = values.get("effect")
    validity = values.get("validity_days")
    route_to, route_role = values.get("route_to"), values.get("route_role") or ""
    account = None
    if effect not in PolicyEffect.values:
        errors["effect"] = [f"One of: {', '.join(PolicyEffect.values)}."]
    elif effect == PolicyEffect.APPROVE:
        maximum = publisher.max_access_days
        if validity is not None and (
            isinstance(validity, bool)
            or not isinstance(validity, int)
            or not 1 <= validity <= maximum
        ):
            errors["validity_days"] = [
                f"Between 1 and {maximum} days (the publisher's longest access period)."
            ]
        if route_to not in (None, ""):
            errors["route_to"] = ["Only a route policy names an account."]
        if route_role:
            errors["route_role"] = ["Only a route policy has a role."]
        route_to, route_role = None, ""
    else:
        if validity is not None:
            errors["validity_days"] = ["Only an approve policy gives access for a period."]
        if route_role not in RouteRole.values:
            errors["route_role"] = [
                "steward (assign the request to a steward of the publisher) or reviewer "
                "(invite the account to review it)."
            ]
        account = _route_account(route_to)
        if account is None:
            errors["route_to"] = ["No single active account with this username or e-mail."]
        elif (
            route_role == RouteRole.STEWARD
            and not publishers_stewarded_by(user=account).filter(pk=publisher.pk).exists()
        ):
            errors["route_to"] = [f"{account.get_username()} is not a steward of {publisher.slug}."]
    if errors:
        first = next(iter(errors))
        raise ApplicationError(f"Invalid policy: {first}: {errors[first][0]}", fields=errors)
    return {
        "name": " ".join(name.split()),
        "priority": priority,
        "active": active,
        "conditions": conditions,
        "effect": effect,
        "validity_days": validity if effect == PolicyEffect.APPROVE else None,
        "route_to": account,
        "route_role": route_role,
    }


def _ensure_steward(user: AbstractBaseUser, publisher: Publisher) -> None:
    if not publishers_stewarded_by(user=user, scope=ACCESS_DECIDE).filter(pk=publisher.pk).exists():
        raise NotFoundError(f"No publisher '{publisher.slug}' that you steward.")


def _same_rule(version: DecisionPolicyVersion, cleaned: dict[str, Any]) -> bool:
    current = {
        "name": version.name,
        "priority": version.priority,
        "active": version.active,
        "conditions": version.conditions,
        "effect": version.effect,
        "validity_days": version.validity_days,
        "route_to": version.route_to_id,
        "route_role": version.route_role,
    }
    wanted = {**cleaned, "route_to": cleaned["route_to"].pk if cleaned["route_to"] else None}
    return current == wanted


def _new_version(
    policy: DecisionPolicy, cleaned: dict[str, Any], user: AbstractBaseUser | None
) -> DecisionPolicyVersion:
    number = (policy.current.version + 1) if policy.current_id else 1
    version = DecisionPolicyVersion.objects.create(
        policy=policy,
        version=number,
        created_by=user if user is not None and user.is_authenticated else None,
        **cleaned,
    )
    policy.current = version
    policy.save(update_fields=["current"])
    return version


@transaction.atomic
def decision_policy_create(
    *,
    user: AbstractBaseUser,
    publisher: Publisher,
    dataset: Dataset | None = None,
    **values: Any,
) -> DecisionPolicy:
    """A new policy of ``publisher`` (for one of its datasets, or all of them when ``dataset``
    is None), as version 1. Only the publisher's stewards (or a superuser)."""
    _ensure_steward(user, publisher)
    unknown = set(values) - set(VERSIONED_FIELDS)
    if unknown:
        raise ApplicationError(
            f"Unknown policy fields: {', '.join(sorted(unknown))}.",
            fields={name: ["Unknown field."] for name in sorted(unknown)},
        )
    if dataset is not None and dataset.publisher_id != publisher.pk:
        raise ApplicationError(
            "The dataset is not one of the publisher's.",
            fields={"dataset": [f"Not a dataset of {publisher.slug}."]},
        )
    cleaned = decision_policy_clean(publisher=publisher, dataset=dataset, values=values)
    policy = DecisionPolicy.objects.create(publisher=publisher, dataset=dataset)
    _new_version(policy, cleaned, user)
    return policy


def _lock_policy(policy: DecisionPolicy) -> DecisionPolicy:
    return (
        DecisionPolicy.objects.select_for_update(of=("self",))
        .select_related("publisher", "dataset__licence", "current")
        .get(pk=policy.pk)
    )


@transaction.atomic
def decision_policy_update(
    *, user: AbstractBaseUser, policy: DecisionPolicy, changes: dict[str, Any]
) -> DecisionPolicy:
    """Change a policy: the current version with ``changes`` becomes the next version (nothing
    is written when nothing differs). Switching the effect drops the other effect's fields
    unless the change gives them."""
    unknown = set(changes) - set(VERSIONED_FIELDS)
    if unknown:
        raise ApplicationError(
            f"These fields cannot be changed: {', '.join(sorted(unknown))}.",
            fields={name: ["Unknown or fixed field."] for name in sorted(unknown)},
        )
    policy = _lock_policy(policy)
    _ensure_steward(user, policy.publisher)
    if policy.archived_at is not None:
        raise NotFoundError(f"No decision policy {policy.pk} that you steward.")
    current = policy.current
    values = {
        "name": current.name,
        "priority": current.priority,
        "active": current.active,
        "conditions": current.conditions,
        "effect": current.effect,
        "validity_days": current.validity_days,
        "route_to": current.route_to,
        "route_role": current.route_role,
    }
    if changes.get("effect") == PolicyEffect.APPROVE:
        values.update(route_to=None, route_role="")
    elif changes.get("effect") == PolicyEffect.ROUTE:
        values.update(validity_days=None)
    values.update(changes)
    cleaned = decision_policy_clean(
        publisher=policy.publisher, dataset=policy.dataset, values=values
    )
    if not _same_rule(current, cleaned):
        _new_version(policy, cleaned, user)
    return policy


@transaction.atomic
def decision_policy_archive(*, user: AbstractBaseUser, policy: DecisionPolicy) -> None:
    """Take a policy out of use for good. Its versions stay: the decisions it made name them.
    The last version records who did it (inactive, by this user)."""
    policy = _lock_policy(policy)
    _ensure_steward(user, policy.publisher)
    if policy.archived_at is not None:
        raise NotFoundError(f"No decision policy {policy.pk} that you steward.")
    current = policy.current
    if current.active:
        _new_version(
            policy,
            {
                "name": current.name,
                "priority": current.priority,
                "active": False,
                "conditions": current.conditions,
                "effect": current.effect,
                "validity_days": current.validity_days,
                "route_to": current.route_to,
                "route_role": current.route_role,
            },
            user,
        )
    policy.archived_at = timezone.now()
    policy.save(update_fields=["archived_at"])


# --- applying the policies to a submitted request -----------------------------------------------


def _record(request: AccessRequest, outcome: RuleOutcome, event: AccessEvent) -> PolicyDecision:
    rule = outcome.rule
    return PolicyDecision.objects.create(
        access_request=request,
        event=event,
        policy_version=rule.policy_version,
        builtin=rule.builtin.key if rule.builtin else "",
        builtin_version=rule.builtin.version if rule.builtin else None,
        effect=rule.effect,
        conditions=outcome.conditions_json(),
    )


def approval_validity_days(*, rule: Rule, request_days: int, publisher: Publisher) -> int:
    """An automatic approval lasts what the researcher asked for, never more than the policy's
    validity nor the publisher's longest access period."""
    return min(request_days, rule.validity_days or request_days, publisher.max_access_days)


def _approve(request: AccessRequest, outcome: RuleOutcome, now: datetime) -> PolicyDecision | None:
    rule = outcome.rule
    days = approval_validity_days(
        rule=rule, request_days=request.duration_days, publisher=request.dataset.publisher
    )
    reason = f": {rule.builtin.reason}" if rule.builtin and rule.builtin.reason else ""
    try:
        with transaction.atomic():
            event = approve_locked(
                request,
                actor=None,
                now=now,
                valid_until=now + timedelta(days=days),
                comment=f"Approved automatically by {rule.label}{reason}.",
            )
    except ConflictError as exc:
        # Every file the request chose is gone: the stewards decide (return or reject it).
        logger.info("policy approval of %s not possible: %s", request.pk, exc.message)
        return None
    return _record(request, outcome, event)


def _route(request: AccessRequest, outcome: RuleOutcome) -> PolicyDecision | None:
    rule = outcome.rule
    target = rule.route_to
    username = target.get_username()
    if not target.is_active or target.pk == request.requester_id:
        logger.info("policy %s does not route %s to %s", rule.label, request.pk, username)
        return None
    if rule.route_role == RouteRole.STEWARD:
        if not is_steward_for(user=target, dataset=request.dataset):
            logger.info("policy %s: %s no longer stewards the dataset", rule.label, username)
            return None
        if request.assigned_to_id == target.pk:
            return None  # a resubmission: already theirs
        request.assigned_to = target
        request.save(update_fields=["assigned_to", "updated"])
        action, comment = AuditAction.ASSIGNED, f"Assigned to {username} by {rule.label}."
    else:
        invitation, created = ReviewInvitation.objects.get_or_create(
            access_request=request, reviewer=target, defaults={"invited_by": None}
        )
        if not created:
            return None  # a resubmission: invited already
        action, comment = (
            AuditAction.REVIEWER_INVITED,
            f"Invited {username} to review, by {rule.label}.",
        )
    event = audit_event_append(
        access_request=request,
        actor=None,
        action=action,
        from_state=request.state,
        to_state=request.state,
        comment=comment,
    )
    if action == AuditAction.REVIEWER_INVITED:
        # Linked before the e-mails are written: the invitation e-mail is addressed from it.
        invitation.event = event
        invitation.save(update_fields=["event"])
    decision = _record(request, outcome, event)
    notifications_schedule(event)
    return decision


def policies_apply_locked(request: AccessRequest, *, now: datetime) -> PolicyDecision | None:
    """Run the policies on a request just submitted (locked, in the submission's transaction):
    the first whose conditions all hold approves or routes it. None: the stewards decide."""
    outcome = rules_first_match(
        decision_rules_for(dataset=request.dataset), subject_of_request(request)
    )
    if outcome is None:
        return None
    if outcome.rule.effect == PolicyEffect.APPROVE:
        return _approve(request, outcome, now)
    return _route(request, outcome)
