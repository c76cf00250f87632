"""Partner clients submit access requests on behalf of researchers (scope access:request).

The partner names the researcher by e-mail; the account is the one whose address is verified,
or else a new one (unverified, no password) that the researcher claims by resetting its
password with that address. The partner vouches for the researcher: the rule that requests
come from verified addresses (``email_unverified``) does not stop its request, and the stewards
see which system submitted it. The researcher is told by e-mail, through the outbox.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from access.models import AccessRequest
from accounts.models import PartnerClient
from accounts.services import researcher_find_or_create
from catalogue.models import Dataset
from core.errors import ApplicationError, PermissionDeniedError
from core.partners import ACCESS_REQUEST, partner_context
from core.text import single_line

from .requests import access_request_create

# Four groups of four ASCII digits, the last character a digit or X (ISO 7064 MOD 11-2).
ORCID_PATTERN = re.compile(
    r"(?:https?://orcid\.org/)?([0-9]{4})-([0-9]{4})-([0-9]{4})-([0-9]{3}[0-9X])"
)


@dataclass(frozen=True)
class Researcher:
    """The person a partner client asks for."""

    email: str
    name: str
    affiliation: str
    orcid: str = ""


def orcid_clean(value: str) -> str:
    """The ORCID iD in its short form (0000-0002-1825-0097), checked: a full match of the
    pattern (ASCII digits only) and the ISO 7064 MOD 11-2 check character."""
    match = ORCID_PATTERN.fullmatch(value.strip())
    if match is None:
        raise ApplicationError(
            "The ORCID iD is malformed.",
            fields={"on_behalf_of.orcid": ["Expected 0000-0000-0000-000X (ASCII digits)."]},
        )
    digits = "".join(match.groups())
    total = 0
    for ch in digits[:-1]:
        total = (total + int(ch)) * 2
    check = (12 - total % 11) % 11
    expected = "X" if check == 10 else str(check)
    if digits[-1] != expected:
        raise ApplicationError(
            "The ORCID iD's check character is wrong: it is not a valid iD.",
            fields={"on_behalf_of.orcid": ["The checksum does not match (ISO 7064 MOD 11-2)."]},
        )
    return "-".join(match.groups())


def _normalised(text: str) -> str:
    return single_line(text).casefold()


def _clean(researcher: Researcher, *, research_organisation: str) -> Researcher:
    email = researcher.email.strip()
    try:
        validate_email(email)
    except ValidationError:
        raise ApplicationError(
            "The researcher's e-mail address is not valid.",
            fields={"on_behalf_of.email": ["Enter a valid e-mail address."]},
        ) from None
    name = single_line(researcher.name)
    affiliation = single_line(researcher.affiliation)
    if not affiliation:
        raise ApplicationError(
            "Name the researcher's affiliation.",
            fields={"on_behalf_of.affiliation": ["Required."]},
        )
    if research_organisation and _normalised(affiliation) != _normalised(research_organisation):
        raise PermissionDeniedError(
            f"This client submits only for researchers of '{research_organisation}'; the "
            f"affiliation '{affiliation}' is another organisation.",
            fields={"on_behalf_of.affiliation": [f"Must be '{research_organisation}'."]},
            extra={"rule": "affiliation_outside_organisation"},
        )
    orcid = orcid_clean(researcher.orcid) if researcher.orcid else ""
    return Researcher(email=email, name=name, affiliation=affiliation, orcid=orcid)


@transaction.atomic
def access_request_submit_on_behalf(
    *,
    user: AbstractBaseUser,
    researcher: Researcher,
    dataset: Dataset,
    purpose: str,
    accept_licence: bool,
    **fields: Any,
) -> AccessRequest:
    """A partner client (``user``, its service user) submits a request for ``researcher``.
    The request records the client; every event names the client's service user as actor."""
    partner = partner_context(user)
    if partner is None or not partner.allows(ACCESS_REQUEST):
        raise PermissionDeniedError(
            "on_behalf_of is for partner clients with the scope access:request; a person "
            "requests access for themself.",
            fields={"on_behalf_of": ["Not allowed for this caller."]},
        )
    if fields.pop("submit", True) is not True:
        raise ApplicationError(
            "A partner client submits requests; drafts are the researcher's own.",
            fields={"draft": ["Must be false with on_behalf_of."]},
        )
    if "affiliation" in fields:
        raise ApplicationError(
            "The affiliation goes in on_behalf_of.affiliation.",
            fields={"affiliation": ["Send it in on_behalf_of."]},
        )
    researcher = _clean(researcher, research_organisation=partner.research_organisation)
    requester, _created = researcher_find_or_create(email=researcher.email, name=researcher.name)
    if not requester.is_active:
        raise PermissionDeniedError(
            "The researcher's account is disabled.", extra={"rule": "account_disabled"}
        )
    return access_request_create(
        requester=requester,
        dataset=dataset,
        purpose=purpose,
        accept_licence=accept_licence,
        affiliation=researcher.affiliation,
        actor=user,
        submitted_by_client=PartnerClient.objects.get(pk=partner.client_id),
        requester_orcid=researcher.orcid,
        submit=True,
        **fields,
    )
