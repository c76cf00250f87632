"""Decision policies as they run: built-in policies, the publishers' policies, and the rule that
the first policy whose conditions all hold decides.

A submitted request meets, in this order, the built-in policies of ``settings.ACCESS_POLICIES``
(dotted paths to :class:`BuiltinPolicy` subclasses; by default only "public datasets are
approved at once") and then the active policies of its dataset's publisher that cover the
dataset, by priority (lower first), then age. The first one whose conditions all hold decides:
approve at once, or route to a steward or reviewer. None: the stewards decide, as always.

Nothing here writes: ``access.services.policies`` applies the outcome, and the evaluate endpoint
shows it without applying it.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.utils.module_loading import import_string

from access.models import AccessRequest, DecisionPolicyVersion, PolicyEffect
from access.policy_conditions import (
    AccessRightsCondition,
    ConditionResult,
    PolicyCondition,
    PolicySubject,
    conditions_load,
)
from accounts.selectors import email_is_verified

logger = logging.getLogger(__name__)

DEFAULT_POLICIES = ["access.policies.PublicDatasetPolicy"]


class BuiltinPolicy:
    """A policy of the installation rather than of a publisher, defined in code and listed in
    ``settings.ACCESS_POLICIES``. ``key`` and ``version`` name it in the audit trail: change the
    version when its meaning changes."""

    key: ClassVar[str]
    version: ClassVar[int]
    name: ClassVar[str]
    reason: ClassVar[str] = ""
    effect: ClassVar[str] = PolicyEffect.APPROVE

    def conditions(self) -> list[PolicyCondition]:
        raise NotImplementedError


class PublicDatasetPolicy(BuiltinPolicy):
    """Public data needs no decision: a request for it is approved at once, by the system."""

    key = "public-dataset"
    version = 1
    name = "Public datasets are approved at once"
    reason = "the dataset is public"

    def conditions(self) -> list[PolicyCondition]:
        # The class itself, not the setting's kinds: this rule holds whatever kinds are listed.
        return [AccessRightsCondition({"values": ["PUBLIC"]})]


@functools.cache
def builtin_policies() -> tuple[BuiltinPolicy, ...]:
    paths = getattr(settings, "ACCESS_POLICIES", DEFAULT_POLICIES)
    policies = []
    for path in paths:
        try:
            cls = import_string(path)
        except ImportError as exc:
            raise ImproperlyConfigured(f"ACCESS_POLICIES: cannot import {path}: {exc}") from exc
        if not (isinstance(cls, type) and issubclass(cls, BuiltinPolicy)):
            raise ImproperlyConfigured(f"ACCESS_POLICIES: {path} is not a BuiltinPolicy.")
        policies.append(cls())
    return tuple(policies)


def _reset_on_setting_change(*, setting: str, **kwargs: Any) -> None:
    if setting == "ACCESS_POLICIES":
        builtin_policies.cache_clear()


setting_changed.connect(_reset_on_setting_change)


# --- rules: one shape for both kinds of policy --------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """A policy as the engine runs it: one version of a publisher's policy, or a built-in one."""

    name: str
    conditions: list[PolicyCondition]
    effect: str
    validity_days: int | None = None
    route_to: Any = None  # the account, for route
    route_role: str = ""
    policy_version: DecisionPolicyVersion | None = None
    builtin: BuiltinPolicy | None = None

    @property
    def label(self) -> str:
        """How the audit trail names it: the policy, its id and its version."""
        if self.builtin is not None:
            return f"the built-in policy '{self.builtin.key}' (version {self.builtin.version})"
        version = self.policy_version
        return f"policy '{version.name}' ({version.policy_id}, version {version.version})"

    @classmethod
    def of_version(cls, version: DecisionPolicyVersion) -> Rule:
        return cls(
            name=version.name,
            conditions=conditions_load(version.conditions),
            effect=version.effect,
            validity_days=version.validity_days,
            route_to=version.route_to,
            route_role=version.route_role,
            policy_version=version,
        )

    @classmethod
    def of_builtin(cls, policy: BuiltinPolicy) -> Rule:
        return cls(
            name=policy.name, conditions=policy.conditions(), effect=policy.effect, builtin=policy
        )


@dataclass(frozen=True)
class RuleOutcome:
    rule: Rule
    results: list[tuple[PolicyCondition, ConditionResult]]

    @property
    def matched(self) -> bool:
        return all(result.held for _, result in self.results)

    def conditions_json(self) -> list[dict[str, Any]]:
        return [
            {"condition": condition.as_json(), "held": result.held, "detail": result.detail}
            for condition, result in self.results
        ]


def rule_evaluate(rule: Rule, subject: PolicySubject) -> RuleOutcome:
    """Every condition is checked (not only up to the first that fails), so that trying a
    policy shows all that would have to change."""
    return RuleOutcome(
        rule, [(condition, _holds(condition, subject)) for condition in rule.conditions]
    )


def _holds(condition: PolicyCondition, subject: PolicySubject) -> ConditionResult:
    # A condition kind may come from another package: if it fails, it does not hold (a broken
    # check never approves anything) and the submission goes on.
    try:
        return condition.holds(subject)
    except Exception:
        logger.exception(
            "policy condition %s failed on dataset %s", condition.kind, subject.dataset.pk
        )
        return ConditionResult(False, f"The condition {condition.kind} could not be checked.")


def rules_first_match(rules: Iterable[Rule], subject: PolicySubject) -> RuleOutcome | None:
    for rule in rules:
        outcome = rule_evaluate(rule, subject)
        if outcome.matched:
            return outcome
    return None


def subject_of_request(request: AccessRequest) -> PolicySubject:
    """What the conditions read from a request being submitted."""
    client = request.submitted_by_client
    requester = request.requester
    return PolicySubject(
        dataset=request.dataset,
        requester_email=requester.email or "",
        # A partner that submits for a researcher vouches for the address it gave.
        requester_email_trusted=client is not None or email_is_verified(user=requester),
        affiliation=request.affiliation,
        purpose_category=request.purpose_category,
        duration_days=request.duration_days,
        answers=dict(request.answers or {}),
        licence_identifier=request.licence_version.licence.identifier,
        licence_version=request.licence_version.version,
        licence_accepted=request.licence_accepted_at is not None,
        client_id=client.pk if client is not None else None,
        client_name=client.name if client is not None else "",
        client_research_organisation=client.research_organisation if client is not None else "",
    )
