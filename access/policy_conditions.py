"""The kinds of condition a decision policy can put on a request.

A policy's conditions are stored as JSON, a list of ``{"kind": ..., <parameters>}``; every one
must hold for the policy to apply. Each kind is a subclass of :class:`PolicyCondition`, and the
kinds in force are the dotted paths listed in ``settings.ACCESS_POLICY_CONDITIONS`` (as DRF
lists its classes), so another package adds a kind without ``access`` importing it:

    class OrcidCondition(PolicyCondition):
        kind = "has_orcid"
        label = "The researcher gave an ORCID iD"
        parameters = {}

        def holds(self, subject):
            return ConditionResult(bool(subject.extra.get("orcid")), "...")

    ACCESS_POLICY_CONDITIONS = [*DEFAULT_POLICY_CONDITIONS, "myapp.policies.OrcidCondition"]

A kind checks its parameters once, when a policy is saved (``clean``: every problem as
``{parameter: [message]}``), says whether two conditions of its kind can never hold together
(``conflict``), and evaluates a :class:`PolicySubject`, which a submitted request and a draft
body being tried out both become, so that trying a policy and applying it give the same answer.
"""

from __future__ import annotations

import functools
import re
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.utils.module_loading import import_string

from access.models import ApplicationForm, PurposeCategory
from catalogue.models import AccessRights, Dataset, Publisher

DEFAULT_POLICY_CONDITIONS = [
    "access.policy_conditions.EmailDomainCondition",
    "access.policy_conditions.AffiliationCondition",
    "access.policy_conditions.ResearchOrganisationCondition",
    "access.policy_conditions.SubmittingClientCondition",
    "access.policy_conditions.PurposeCategoryCondition",
    "access.policy_conditions.MaxDurationCondition",
    "access.policy_conditions.FormAnswerCondition",
    "access.policy_conditions.LicenceAcceptedCondition",
    "access.policy_conditions.AccessRightsCondition",
]
MAX_VALUES = 100
MAX_TEXT = 300


@dataclass(frozen=True)
class PolicySubject:
    """What conditions read about a request: a submitted one, or a draft body being tried."""

    dataset: Dataset
    requester_email: str
    # A domain condition trusts only an address that was verified, or vouched for by the
    # partner system that submitted the request for the researcher.
    requester_email_trusted: bool
    affiliation: str
    purpose_category: str
    duration_days: int
    answers: dict[str, Any]
    licence_identifier: str
    licence_version: int
    licence_accepted: bool
    client_id: uuid.UUID | None = None
    client_name: str = ""
    client_research_organisation: str = ""
    # Room for kinds added by other packages (read from the request by their own code).
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ConditionResult:
    held: bool
    detail: str


@dataclass(frozen=True)
class CleanContext:
    """Where a policy applies: the publisher, and the one dataset if it has one."""

    publisher: Publisher
    dataset: Dataset | None


class ConditionInvalid(Exception):
    """The parameters of one condition are wrong: ``errors`` maps parameter -> messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors = errors


def has_control(value: str) -> bool:
    return any(unicodedata.category(ch) == "Cc" for ch in value)


def normalise_text(value: str) -> str:
    """Compared without case, accents kept, spaces collapsed (affiliations, organisations)."""
    return " ".join(value.split()).casefold()


class PolicyCondition:
    """One kind of condition. Subclasses set ``kind``, ``label`` and ``parameters`` (name ->
    description, for the documentation and the error messages) and implement ``clean`` (class
    method: raw parameters -> stored parameters, or ConditionInvalid) and ``holds``."""

    kind: ClassVar[str]
    label: ClassVar[str]
    parameters: ClassVar[dict[str, str]]

    def __init__(self, params: dict[str, Any]) -> None:
        self.params = params

    @classmethod
    def clean(cls, params: dict[str, Any], *, context: CleanContext) -> dict[str, Any]:
        return {}

    def holds(self, subject: PolicySubject) -> ConditionResult:
        raise NotImplementedError

    def conflict(self, other: PolicyCondition) -> str:
        """Why this condition and ``other`` (of the same kind) can never both hold; '' if they
        can."""
        return ""

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, **self.params}


# --- helpers for parameters ---------------------------------------------------------------------


def _string_list(
    params: dict[str, Any], name: str, errors: dict[str, list[str]], *, max_length: int = MAX_TEXT
) -> list[str]:
    values = params.get(name)
    if not isinstance(values, list) or not values:
        errors.setdefault(name, []).append("A non-empty list of strings.")
        return []
    if len(values) > MAX_VALUES:
        errors.setdefault(name, []).append(f"At most {MAX_VALUES} values.")
        return []
    cleaned: list[str] = []
    for value in values:
        if not isinstance(value, str) or not value.strip():
            errors.setdefault(name, []).append("Each value is a non-empty string.")
            return []
        if len(value) > max_length or has_control(value):
            errors.setdefault(name, []).append(
                f"Each value is one line of at most {max_length} characters."
            )
            return []
        cleaned.append(" ".join(value.split()))
    return cleaned


def _choices(
    params: dict[str, Any], name: str, allowed: Iterable[str], errors: dict[str, list[str]]
) -> list[str]:
    allowed = list(allowed)
    values = _string_list(params, name, errors)
    unknown = [v for v in values if v not in allowed]
    if unknown:
        errors.setdefault(name, []).append(
            f"Unknown: {', '.join(unknown)}. One or more of: {', '.join(allowed)}."
        )
        return []
    return sorted(set(values), key=allowed.index)


def _disjoint(mine: Iterable[str], theirs: Iterable[str], what: str) -> str:
    if set(mine) & set(theirs):
        return ""
    return f"no {what} is in both lists ({', '.join(mine)} / {', '.join(theirs)})"


# --- the built-in kinds -------------------------------------------------------------------------

LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
DOMAIN_RE = re.compile(rf"^(?=.{{1,253}}$){LABEL}(?:\.{LABEL})+$")


def normalise_domain(value: str) -> str | None:
    """A domain in its ASCII form (IDNA for non-ASCII names), lower case; None if it is not one."""
    value = value.strip().rstrip(".").lower()
    try:
        value = value.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    return value if DOMAIN_RE.match(value) else None


def _within(domain: str, parent: str) -> bool:
    return domain == parent or domain.endswith("." + parent)


class EmailDomainCondition(PolicyCondition):
    kind = "email_domain"
    label = "The researcher's e-mail address is at one of these domains (or their subdomains)"
    parameters = {"domains": "Domains such as uni-muenchen.de; subdomains match too."}

    @classmethod
    def clean(cls, params: dict[str, Any], *, context: CleanContext) -> dict[str, Any]:
        errors: dict[str, list[str]] = {}
        domains = _string_list(params, "domains", errors, max_length=253)
        cleaned = []
        for value in domains:
            domain = normalise_domain(value)
            if domain is None:
                errors.setdefault("domains", []).append(f"'{value}' is not a domain name.")
            else:
                cleaned.append(domain)
        if errors:
            raise ConditionInvalid(errors)
        return {"domains": sorted(set(cleaned))}

    def holds(self, subject: PolicySubject) -> ConditionResult:
        address = subject.requester_email
        domain = normalise_domain(address.rpartition("@")[2]) if "@" in address else None
        if domain is None:
            return ConditionResult(False, "The researcher has no e-mail address.")
        if not subject.requester_email_trusted:
            return ConditionResult(
                False, f"The address {address} is not verified, so its domain proves nothing."
            )
        matched = [d for d in self.params["domains"] if _within(domain, d)]
        if matched:
            return ConditionResult(True, f"{address} is at {matched[0]}.")
        return ConditionResult(False, f"{address} is not at {', '.join(self.params['domains'])}.")

    def conflict(self, other: PolicyCondition) -> str:
        for mine in self.params["domains"]:
            for theirs in other.params["domains"]:
                if _within(mine, theirs) or _within(theirs, mine):
                    return ""
        mine, theirs = ", ".join(self.params["domains"]), ", ".join(other.params["domains"])
        return f"an address cannot be at one of {mine} and at one of {theirs}"


class _TextListCondition(PolicyCondition):
    """A text the request carries is one of a list, compared without case."""

    what: ClassVar[str]

    @classmethod
    def clean(cls, params: dict[str, Any], *, context: CleanContext) -> dict[str, Any]:
        errors: dict[str, list[str]] = {}
        values = _string_list(params, "values", errors)
        if errors:
            raise ConditionInvalid(errors)
        unique = list({normalise_text(v): v for v in values}.values())
        return {"values": unique}

    def text(self, subject: PolicySubject) -> str:
        raise NotImplementedError

    def holds(self, subject: PolicySubject) -> ConditionResult:
        text = self.text(subject)
        wanted = {normalise_text(v) for v in self.params["values"]}
        if text and normalise_text(text) in wanted:
            return ConditionResult(True, f"The {self.what} is '{text}'.")
        shown = f"'{text}'" if text else "empty"
        return ConditionResult(
            False, f"The {self.what} is {shown}, not one of: {'; '.join(self.params['values'])}."
        )

    def conflict(self, other: PolicyCondition) -> str:
        mine = {normalise_text(v) for v in self.params["values"]}
        theirs = {normalise_text(v) for v in other.params["values"]}
        return "" if mine & theirs else f"no {self.what} is in both lists"


class AffiliationCondition(_TextListCondition):
    kind = "affiliation"
    label = "The affiliation stated on the request is one of these (as the researcher wrote it)"
    parameters = {"values": "Organisation names, compared without case."}
    what = "affiliation"

    def text(self, subject: PolicySubject) -> str:
        return subject.affiliation


class ResearchOrganisationCondition(_TextListCondition):
    kind = "research_organisation"
    label = "A partner system bound to one of these research organisations submitted the request"
    parameters = {"values": "Research organisations of partner clients, compared without case."}
    what = "research organisation of the submitting partner"

    def text(self, subject: PolicySubject) -> str:
        return subject.client_research_organisation if subject.client_id else ""


class SubmittingClientCondition(PolicyCondition):
    kind = "submitting_client"
    label = "One of these partner clients submitted the request for the researcher"
    parameters = {"clients": "Partner client ids (UUIDs)."}

    @classmethod
    def clean(cls, params: dict[str, Any], *, context: CleanContext) -> dict[str, Any]:
        errors: dict[str, list[str]] = {}
        values = _string_list(params, "clients", errors, max_length=64)
        ids = []
        for value in values:
            try:
                ids.append(str(uuid.UUID(value)))
            except ValueError:
                errors.setdefault("clients", []).append(f"'{value}' is not a client id (a UUID).")
        if not errors:
            # By app label: the partner clients are another app's models, never imported here.
            client_model = apps.get_model("accounts", "PartnerClient")
            found = {
                str(pk)
                for pk in client_model.objects.filter(pk__in=ids).values_list("pk", flat=True)
            }
            missing = [i for i in ids if i not in found]
            if missing:
                errors["clients"] = [f"No partner client {', '.join(missing)}."]
        if errors:
            raise ConditionInvalid(errors)
        return {"clients": sorted(set(ids))}

    def holds(self, subject: PolicySubject) -> ConditionResult:
        if subject.client_id is None:
            return ConditionResult(False, "No partner client submitted the request.")
        if str(subject.client_id) in self.params["clients"]:
            return ConditionResult(True, f"The partner client {subject.client_name} submitted it.")
        return ConditionResult(
            False, f"The partner client {subject.client_name} is not one of those listed."
        )

    def conflict(self, other: PolicyCondition) -> str:
        return _disjoint(self.params["clients"], other.params["clients"], "client")


class PurposeCategoryCondition(PolicyCondition):
    kind = "purpose_category"
    label = "The request's purpose category is one of these"
    parameters = {"categories": f"One or more of: {', '.join(PurposeCategory.values)}."}

    @classmethod
    def clean(cls, params: dict[str, Any], *, context: CleanContext) -> dict[str, Any]:
        errors: dict[str, list[str]] = {}
        categories = _choices(params, "categories", PurposeCategory.values, errors)
        if errors:
            raise ConditionInvalid(errors)
        return {"categories": categories}

    def holds(self, subject: PolicySubject) -> ConditionResult:
        category = subject.purpose_category
        if category in self.params["categories"]:
            return ConditionResult(True, f"The purpose category is {category}.")
        return ConditionResult(
            False,
            f"The purpose category is {category or 'not given'}, not one of "
            f"{', '.join(self.params['categories'])}.",
        )

    def conflict(self, other: PolicyCondition) -> str:
        return _disjoint(self.params["categories"], other.params["categories"], "category")


def _whole_number(value: Any) -> int | None:
    # JSON booleans are ints in Python; "30" and 30.0 are not whole numbers of days either.
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class MaxDurationCondition(PolicyCondition):
    kind = "max_duration"
    label = "The requested duration is at most this many days"
    parameters = {"days": "Between 1 and the publisher's longest access period."}

    @classmethod
    def clean(cls, params: dict[str, Any], *, context: CleanContext) -> dict[str, Any]:
        days = _whole_number(params.get("days"))
        maximum = context.publisher.max_access_days
        if days is None or not 1 <= days <= maximum:
            raise ConditionInvalid(
                {
                    "days": [
                        f"A whole number of days between 1 and {maximum} (the publisher's "
                        "longest access period; no request is longer)."
                    ]
                }
            )
        return {"days": days}

    def holds(self, subject: PolicySubject) -> ConditionResult:
        days, limit = subject.duration_days, self.params["days"]
        if days <= limit:
            return ConditionResult(True, f"{days} days asked for, at most {limit}.")
        return ConditionResult(False, f"{days} days asked for, more than {limit}.")


class FormAnswerCondition(PolicyCondition):
    kind = "form_answer"
    label = "The answer to a question of the publisher's application form is this value"
    parameters = {
        "key": "The question's key in the publisher's current form.",
        "value": "The expected answer (true/false for a yes/no question, a choice, a text).",
    }

    @classmethod
    def clean(cls, params: dict[str, Any], *, context: CleanContext) -> dict[str, Any]:
        key, value = params.get("key"), params.get("value")
        form = (
            ApplicationForm.objects.filter(publisher=context.publisher, active=True)
            .prefetch_related("versions")
            .first()
        )
        version = form.current_version if form else None
        questions = {q["key"]: q for q in (version.questions if version else [])}
        if not isinstance(key, str) or key not in questions:
            known = ", ".join(sorted(questions)) or "none: the publisher has no form"
            raise ConditionInvalid({"key": [f"Not a question of the current form ({known})."]})
        question = questions[key]
        kind = question["kind"]
        problem = ""
        if kind == "attachment":
            problem = "A document cannot be compared with a value."
        elif kind == "boolean" and not isinstance(value, bool):
            problem = "true or false (a yes/no question)."
        elif kind == "choice" and value not in question["choices"]:
            problem = f"One of the question's choices: {', '.join(question['choices'])}."
        elif kind in ("text", "long_text", "date") and (
            not isinstance(value, str)
            or not value.strip()
            or len(value) > MAX_TEXT
            or has_control(value)
        ):
            problem = f"A non-empty line of at most {MAX_TEXT} characters."
        if problem:
            raise ConditionInvalid({"value": [problem]})
        if isinstance(value, str):
            value = value.strip()
        return {"key": key, "value": value}

    def holds(self, subject: PolicySubject) -> ConditionResult:
        key, expected = self.params["key"], self.params["value"]
        given = subject.answers.get(key)
        if isinstance(expected, str) and isinstance(given, str):
            same = normalise_text(given) == normalise_text(expected)
        else:
            same = given is not None and given == expected
        if same:
            return ConditionResult(True, f"The answer to '{key}' is {given!r}.")
        shown = "not given" if given is None else repr(given)
        return ConditionResult(False, f"The answer to '{key}' is {shown}, not {expected!r}.")

    def conflict(self, other: PolicyCondition) -> str:
        if self.params["key"] != other.params["key"]:
            return ""
        mine, theirs = self.params["value"], other.params["value"]
        if isinstance(mine, str) and isinstance(theirs, str):
            mine, theirs = normalise_text(mine), normalise_text(theirs)
        if mine == theirs:
            return ""
        return f"the answer to '{self.params['key']}' cannot be both {mine!r} and {theirs!r}"


class LicenceAcceptedCondition(PolicyCondition):
    kind = "licence_accepted"
    label = "The researcher accepted this licence (at least this version)"
    parameters = {
        "licence": "The licence identifier (such as CC-BY-4.0 or a LicenseRef-...).",
        "min_version": "Optional: the lowest version accepted.",
    }

    @classmethod
    def clean(cls, params: dict[str, Any], *, context: CleanContext) -> dict[str, Any]:
        licence_model = apps.get_model("catalogue", "Licence")
        identifier = params.get("licence")
        licence = (
            licence_model.objects.filter(identifier=identifier).first()
            if isinstance(identifier, str) and len(identifier) <= 64
            else None
        )
        if licence is None:
            raise ConditionInvalid({"licence": ["No licence with this identifier."]})
        if context.dataset is not None and context.dataset.licence_id != licence.pk:
            raise ConditionInvalid(
                {
                    "licence": [
                        f"The dataset's licence is {context.dataset.licence.identifier}: its "
                        f"requests never accept {identifier}."
                    ]
                }
            )
        cleaned: dict[str, Any] = {"licence": licence.identifier}
        if "min_version" in params and params["min_version"] is not None:
            version = _whole_number(params["min_version"])
            if version is None or not licence.versions.filter(version=version).exists():
                raise ConditionInvalid(
                    {"min_version": [f"A version of {licence.identifier} that exists."]}
                )
            cleaned["min_version"] = version
        return cleaned

    def holds(self, subject: PolicySubject) -> ConditionResult:
        wanted, minimum = self.params["licence"], self.params.get("min_version") or 1
        accepted = f"{subject.licence_identifier} version {subject.licence_version}"
        if not subject.licence_accepted:
            return ConditionResult(False, "The licence was not accepted.")
        if subject.licence_identifier == wanted and subject.licence_version >= minimum:
            return ConditionResult(True, f"Accepted {accepted}.")
        return ConditionResult(
            False, f"Accepted {accepted}, not {wanted} version {minimum} or later."
        )

    def conflict(self, other: PolicyCondition) -> str:
        if self.params["licence"] == other.params["licence"]:
            return ""
        return (
            f"a request accepts one licence, not both {self.params['licence']} and "
            f"{other.params['licence']}"
        )


class AccessRightsCondition(PolicyCondition):
    kind = "access_rights"
    label = "The dataset's access rights are one of these"
    parameters = {"values": f"One or more of: {', '.join(AccessRights.values)}."}

    @classmethod
    def clean(cls, params: dict[str, Any], *, context: CleanContext) -> dict[str, Any]:
        errors: dict[str, list[str]] = {}
        values = _choices(params, "values", AccessRights.values, errors)
        if errors:
            raise ConditionInvalid(errors)
        return {"values": values}

    def holds(self, subject: PolicySubject) -> ConditionResult:
        rights = subject.dataset.access_rights
        if rights in self.params["values"]:
            return ConditionResult(True, f"The dataset is {rights}.")
        return ConditionResult(False, f"The dataset is {rights}.")

    def conflict(self, other: PolicyCondition) -> str:
        return _disjoint(self.params["values"], other.params["values"], "access right")


# --- the registry -------------------------------------------------------------------------------


@functools.cache
def condition_kinds() -> dict[str, type[PolicyCondition]]:
    """kind -> class, from settings.ACCESS_POLICY_CONDITIONS (read once; tests that change the
    setting get a fresh read)."""
    paths = getattr(settings, "ACCESS_POLICY_CONDITIONS", DEFAULT_POLICY_CONDITIONS)
    kinds: dict[str, type[PolicyCondition]] = {}
    for path in paths:
        try:
            cls = import_string(path)
        except ImportError as exc:
            raise ImproperlyConfigured(
                f"ACCESS_POLICY_CONDITIONS: cannot import {path}: {exc}"
            ) from exc
        if not (isinstance(cls, type) and issubclass(cls, PolicyCondition)):
            raise ImproperlyConfigured(
                f"ACCESS_POLICY_CONDITIONS: {path} is not a PolicyCondition."
            )
        if cls.kind in kinds:
            raise ImproperlyConfigured(
                f"ACCESS_POLICY_CONDITIONS: the kind '{cls.kind}' is defined twice ({path})."
            )
        kinds[cls.kind] = cls
    return kinds


def _reset_on_setting_change(*, setting: str, **kwargs: Any) -> None:
    if setting == "ACCESS_POLICY_CONDITIONS":
        condition_kinds.cache_clear()


setting_changed.connect(_reset_on_setting_change)


def conditions_load(stored: list[dict[str, Any]]) -> list[PolicyCondition]:
    """The stored (already cleaned) conditions as objects. A kind no longer configured can never
    be checked, so it never holds (the policy then applies to nothing): a stored policy must not
    approve more because a setting changed."""
    kinds = condition_kinds()
    loaded: list[PolicyCondition] = []
    for raw in stored:
        params = {k: v for k, v in raw.items() if k != "kind"}
        cls = kinds.get(raw.get("kind"), UnknownCondition)
        loaded.append(cls(params) if cls is not UnknownCondition else UnknownCondition(raw))
    return loaded


class UnknownCondition(PolicyCondition):
    """A stored condition whose kind is not configured (any more): it never holds."""

    kind = "unknown"
    label = "A condition of a kind that is not configured"
    parameters = {}

    def holds(self, subject: PolicySubject) -> ConditionResult:
        return ConditionResult(
            False, f"The condition kind '{self.params.get('kind')}' is not configured here."
        )

    def as_json(self) -> dict[str, Any]:
        return dict(self.params)
