"""Try a decision policy on a draft request body: which conditions hold and what would happen,
with no side effect.

The body is checked as a creation checks it (the same 400s), turned into the same
:class:`PolicySubject` a submitted request becomes, and run through the same rules, so that the
answer is what submitting it would do. Nothing is written: the work runs in a transaction that
is always rolled back, as a guard, and the tests assert that no statement wrote anything.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction

from access.models import DecisionPolicy, DecisionPolicyVersion, PolicyEffect
from access.policies import Rule, RuleOutcome, rule_evaluate, rules_first_match
from access.policy_conditions import PolicySubject
from access.selectors import decision_rules_for
from accounts.selectors import email_is_verified
from catalogue.models import Dataset
from core.errors import ApplicationError

from .policies import approval_validity_days
from .requests import access_request_fields_clean


@dataclass(frozen=True)
class PolicyEvaluation:
    policy: DecisionPolicy
    version: DecisionPolicyVersion
    dataset: Dataset
    covers_dataset: bool
    outcome: RuleOutcome
    would: str  # approve, route or nothing: what this policy would do to the request
    validity_days: int | None
    decided_by: RuleOutcome | None  # the policy that would decide, trying them all in order
    message: str


def _client(value: Any) -> Any:
    if value in (None, ""):
        return None
    client_model = apps.get_model("accounts", "PartnerClient")
    try:
        pk = uuid.UUID(str(value))
    except ValueError:
        pk = None
    client = client_model.objects.filter(pk=pk).first() if pk else None
    if client is None:
        raise ApplicationError(
            "No partner client with this id.",
            fields={"submitted_by_client": ["No partner client with this id."]},
        )
    return client


def _subject(
    *,
    user: AbstractBaseUser,
    dataset: Dataset,
    fields: dict[str, Any],
    on_behalf_of: dict[str, Any] | None,
    client: Any,
) -> PolicySubject:
    if on_behalf_of:
        # As when a partner submits for a researcher: the partner vouches for the address.
        email, trusted = on_behalf_of.get("email", ""), True
        affiliation = fields["affiliation"] or on_behalf_of.get("affiliation", "") or ""
    else:
        email, trusted = user.email or "", email_is_verified(user=user)
        affiliation = fields["affiliation"]
    licence_version = fields["licence_version"]
    return PolicySubject(
        dataset=dataset,
        requester_email=email,
        requester_email_trusted=trusted,
        affiliation=affiliation,
        purpose_category=fields["purpose_category"],
        duration_days=fields["duration_days"],
        answers=fields["answers"],
        licence_identifier=licence_version.licence.identifier,
        licence_version=licence_version.version,
        licence_accepted=True,
        client_id=client.pk if client is not None else None,
        client_name=client.name if client is not None else "",
        client_research_organisation=client.research_organisation if client is not None else "",
    )


def _what(outcome: RuleOutcome | None, days: int | None) -> str:
    if outcome is None:
        return "no policy applies: the stewards decide"
    rule = outcome.rule
    if rule.effect == PolicyEffect.APPROVE:
        return f"approved at once by {rule.label}, for {days} days"
    role = "assigned to the steward" if rule.route_role == "steward" else "sent to the reviewer"
    return f"{role} {rule.route_to.get_username()} by {rule.label}"


def decision_policy_evaluate(
    *,
    user: AbstractBaseUser,
    policy: DecisionPolicy,
    dataset: Dataset | None = None,
    on_behalf_of: dict[str, Any] | None = None,
    submitted_by_client: Any = None,
    **body: Any,
) -> PolicyEvaluation:
    """What ``policy`` (its current version) would do with a request made of ``body`` (the
    fields of POST /api/v1/access-requests/), and what the whole chain of policies would do.
    ``dataset`` defaults to the policy's own; ``on_behalf_of`` stands for a researcher a
    partner submits for (else the caller is the requester); ``submitted_by_client`` names the
    partner client. Writes nothing."""
    with transaction.atomic():
        try:
            return _evaluate(user, policy, dataset, on_behalf_of, submitted_by_client, body)
        finally:
            transaction.set_rollback(True)


def _evaluate(
    user: AbstractBaseUser,
    policy: DecisionPolicy,
    dataset: Dataset | None,
    on_behalf_of: dict[str, Any] | None,
    submitted_by_client: Any,
    body: dict[str, Any],
) -> PolicyEvaluation:
    if dataset is None:
        dataset = policy.dataset
    if dataset is None:
        raise ApplicationError(
            "Name the dataset the request is for: this policy covers all the publisher's.",
            fields={"dataset": ["This field is required."]},
        )
    dataset = Dataset.objects.select_related("publisher", "licence").get(pk=dataset.pk)
    for ignored in ("draft", "distributions"):  # the request's shape; no condition reads them
        body.pop(ignored, None)
    client = _client(submitted_by_client)
    fields = access_request_fields_clean(dataset=dataset, complete=False, **body)
    subject = _subject(
        user=user, dataset=dataset, fields=fields, on_behalf_of=on_behalf_of, client=client
    )
    version = policy.current
    rule = Rule.of_version(version)
    outcome = rule_evaluate(rule, subject)
    covers = dataset.publisher_id == policy.publisher_id and policy.dataset_id in (
        None,
        dataset.pk,
    )
    applies = covers and version.active and outcome.matched
    days = (
        approval_validity_days(
            rule=rule, request_days=subject.duration_days, publisher=dataset.publisher
        )
        if rule.effect == PolicyEffect.APPROVE
        else None
    )
    decided_by = rules_first_match(decision_rules_for(dataset=dataset), subject)
    decided_days = (
        approval_validity_days(
            rule=decided_by.rule, request_days=subject.duration_days, publisher=dataset.publisher
        )
        if decided_by is not None and decided_by.rule.effect == PolicyEffect.APPROVE
        else None
    )
    if not covers:
        mine = f"This policy does not cover {dataset.slug}."
    elif not outcome.matched:
        failed = sum(1 for _, result in outcome.results if not result.held)
        mine = f"This policy would not apply: {failed} of its conditions do not hold."
    elif not version.active:
        mine = "Its conditions hold, but the policy is inactive."
    else:
        mine = f"This policy applies: the request would be {_what(outcome, days)}."
    return PolicyEvaluation(
        policy=policy,
        version=version,
        dataset=dataset,
        covers_dataset=covers,
        outcome=outcome,
        would=rule.effect if applies else "nothing",
        validity_days=days if applies else None,
        decided_by=decided_by,
        message=f"{mine} Submitted now, it would be {_what(decided_by, decided_days)}.",
    )
