"""Decision policies applied on submission: each condition kind holding or not, approve and
route, order, scope, versions, the built-in public-dataset policy, and pluggable kinds."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from access import services
from access.events import AuditAction
from access.models import (
    AccessEvent,
    DecisionPolicy,
    Notification,
    PolicyDecision,
    RequestState,
    ReviewInvitation,
)
from access.policies import Rule, rule_evaluate
from access.policy_conditions import ConditionResult, PolicyCondition, PolicySubject
from catalogue.models import AccessRights, Licence, LicenceVersion
from core.errors import ApplicationError
from tests.access.factories import PURPOSE
from tests.access.policy_helpers import make_policy, partner_client, submit
from tests.accounts.factories import UserFactory
from tests.catalogue.factories import DatasetFactory

pytestmark = pytest.mark.django_db


def approved_by_policy(request) -> bool:
    request.refresh_from_db()
    return request.state == RequestState.APPROVED and request.decided_by is None


# --- each condition kind, holding and not ------------------------------------------------------


@pytest.fixture
def lmu_researcher(db):
    return UserFactory(username="lena", email="lena@physik.uni-muenchen.de")


@pytest.mark.parametrize(
    ("domains", "approved"),
    [
        (["uni-muenchen.de"], True),  # a subdomain of a listed domain
        (["physik.uni-muenchen.de", "tum.de"], True),
        (["UNI-MUENCHEN.DE."], True),  # stored lower case, without the final dot
        (["tum.de"], False),
        (["muenchen.de"], False),  # not a parent: "uni-muenchen.de" only ends with the text
    ],
)
def test_email_domain(steward, publisher, restricted, lmu_researcher, domains, approved):
    make_policy(steward, publisher, conditions=[{"kind": "email_domain", "domains": domains}])
    request = submit(lmu_researcher, restricted)
    assert approved_by_policy(request) is approved


def test_email_domain_reads_internationalised_domains(steward, publisher, restricted):
    jana = UserFactory(username="jana", email="jana@physik.universität-münchen.example")
    make_policy(
        steward,
        publisher,
        conditions=[{"kind": "email_domain", "domains": ["Universität-München.example"]}],
    )
    policy = DecisionPolicy.objects.get()
    assert policy.current.conditions[0]["domains"] == ["xn--universitt-mnchen-yqb37b.example"]
    assert approved_by_policy(submit(jana, restricted))


def test_email_domain_trusts_only_a_verified_or_vouched_address(steward, publisher, restricted):
    policy = make_policy(
        steward, publisher, conditions=[{"kind": "email_domain", "domains": ["example.org"]}]
    )
    base = {
        "dataset": restricted, "requester_email": "eve@example.org", "affiliation": "",
        "purpose_category": "", "duration_days": 30, "answers": {},
        "licence_identifier": "CC-BY-4.0", "licence_version": 1, "licence_accepted": True,
    }  # fmt: skip
    rule = Rule.of_version(policy.current)
    untrusted = rule_evaluate(rule, PolicySubject(**base, requester_email_trusted=False))
    trusted = rule_evaluate(rule, PolicySubject(**base, requester_email_trusted=True))
    assert not untrusted.matched and "not verified" in untrusted.results[0][1].detail
    assert trusted.matched


@pytest.mark.parametrize(
    ("affiliation", "approved"),
    [("TU München", True), ("  tu   MÜNCHEN ", True), ("LMU München", False), ("", False)],
)
def test_affiliation(steward, publisher, restricted, researcher, affiliation, approved):
    make_policy(
        steward,
        publisher,
        conditions=[{"kind": "affiliation", "values": ["TU München", "Helmholtz Munich"]}],
    )
    request = submit(researcher, restricted, affiliation=affiliation)
    assert approved_by_policy(request) is approved


def test_research_organisation_holds_only_for_a_bound_partner(
    steward, publisher, restricted, researcher
):
    make_policy(
        steward,
        publisher,
        conditions=[{"kind": "research_organisation", "values": ["LMU München"]}],
    )
    # The researcher's own claim is not the partner's binding.
    mine = submit(researcher, restricted, affiliation="LMU München")
    assert not approved_by_policy(mine)
    services.access_request_withdraw(user=researcher, request=mine)
    lmu = partner_client("lmu-research-office", research_organisation="LMU München")
    assert approved_by_policy(submit(researcher, restricted, client=lmu))
    other = DatasetFactory(publisher=publisher, access_rights=AccessRights.RESTRICTED)
    tum = partner_client("tum-office", research_organisation="TU München")
    assert not approved_by_policy(submit(researcher, other, client=tum))


def test_submitting_client(steward, publisher, researcher):
    trusted, other = partner_client("trusted"), partner_client("other")
    make_policy(
        steward, publisher, conditions=[{"kind": "submitting_client", "clients": [str(trusted.pk)]}]
    )
    first, second, third = (
        DatasetFactory(publisher=publisher, access_rights=AccessRights.RESTRICTED) for _ in range(3)
    )
    assert approved_by_policy(submit(researcher, first, client=trusted))
    assert not approved_by_policy(submit(researcher, second, client=other))
    assert not approved_by_policy(submit(researcher, third))


@pytest.mark.parametrize(
    ("category", "approved"),
    [("scientific_research", True), ("education", True), ("innovation", False), ("", False)],
)
def test_purpose_category(steward, publisher, restricted, researcher, category, approved):
    make_policy(
        steward,
        publisher,
        conditions=[
            {"kind": "purpose_category", "categories": ["scientific_research", "education"]}
        ],
    )
    request = submit(researcher, restricted, purpose_category=category)
    assert request.purpose_category == category
    assert approved_by_policy(request) is approved


@pytest.mark.parametrize(("days", "approved"), [(30, True), (60, True), (61, False)])
def test_max_duration(steward, publisher, restricted, researcher, days, approved):
    make_policy(steward, publisher, conditions=[{"kind": "max_duration", "days": 60}])
    assert approved_by_policy(submit(researcher, restricted, duration_days=days)) is approved


FORM = [
    {"key": "ethics-approved", "label": "Ethics approval?", "kind": "boolean"},
    {"key": "sector", "label": "Sector", "kind": "choice", "choices": ["Academic", "Commercial"]},
    {"key": "ethics-id", "label": "Ethics number", "kind": "text"},
]


@pytest.mark.parametrize(
    ("condition", "answers", "approved"),
    [
        ({"key": "ethics-approved", "value": True}, {"ethics-approved": True}, True),
        ({"key": "ethics-approved", "value": True}, {"ethics-approved": False}, False),
        ({"key": "ethics-approved", "value": True}, {}, False),
        ({"key": "sector", "value": "Academic"}, {"sector": "Academic"}, True),
        ({"key": "sector", "value": "Academic"}, {"sector": "Commercial"}, False),
        ({"key": "ethics-id", "value": "EK-117"}, {"ethics-id": " ek-117 "}, True),
    ],
)
def test_form_answer(steward, publisher, restricted, researcher, condition, answers, approved):
    services.application_form_publish(user=steward, publisher=publisher, questions=FORM)
    make_policy(steward, publisher, conditions=[{"kind": "form_answer", **condition}])
    assert approved_by_policy(submit(researcher, restricted, answers=answers)) is approved


def test_licence_accepted(steward, publisher, researcher):
    licence = Licence.objects.get(identifier="CC-BY-4.0")
    LicenceVersion.objects.create(licence=licence, version=2, text="Version two.")
    make_policy(
        steward,
        publisher,
        conditions=[{"kind": "licence_accepted", "licence": "CC-BY-4.0", "min_version": 2}],
    )
    cc_by = DatasetFactory(publisher=publisher, access_rights=AccessRights.RESTRICTED)
    odbl = DatasetFactory(
        publisher=publisher,
        access_rights=AccessRights.RESTRICTED,
        licence=Licence.objects.get(identifier="ODbL-1.0"),
    )
    assert approved_by_policy(submit(researcher, cc_by))  # accepted version 2
    assert not approved_by_policy(submit(researcher, odbl))


def test_licence_below_the_minimum_version_does_not_hold(steward, publisher, restricted):
    licence = Licence.objects.get(identifier="CC-BY-4.0")
    LicenceVersion.objects.create(licence=licence, version=2, text="Version two.")
    policy = make_policy(
        steward,
        publisher,
        conditions=[{"kind": "licence_accepted", "licence": "CC-BY-4.0", "min_version": 2}],
    )
    subject = PolicySubject(
        dataset=restricted, requester_email="a@example.org", requester_email_trusted=True,
        affiliation="", purpose_category="", duration_days=30, answers={},
        licence_identifier="CC-BY-4.0", licence_version=1, licence_accepted=True,
    )  # fmt: skip
    outcome = rule_evaluate(Rule.of_version(policy.current), subject)
    assert not outcome.matched
    assert "not CC-BY-4.0 version 2 or later" in outcome.results[0][1].detail


@pytest.mark.parametrize(
    ("rights", "approved"),
    [(AccessRights.RESTRICTED, True), (AccessRights.NON_PUBLIC, False)],
)
def test_access_rights(steward, publisher, researcher, rights, approved):
    make_policy(
        steward, publisher, conditions=[{"kind": "access_rights", "values": ["RESTRICTED"]}]
    )
    dataset = DatasetFactory(publisher=publisher, access_rights=rights)
    assert approved_by_policy(submit(researcher, dataset)) is approved


def test_every_condition_must_hold(steward, publisher, restricted, researcher):
    make_policy(
        steward,
        publisher,
        conditions=[
            {"kind": "email_domain", "domains": ["example.org"]},
            {"kind": "max_duration", "days": 30},
        ],
    )
    assert not approved_by_policy(submit(researcher, restricted, duration_days=31))


# --- approve ----------------------------------------------------------------------------------


def test_an_approval_names_the_policy_and_version_and_enqueues_the_grant(
    steward, publisher, restricted, researcher, sent_tasks, django_capture_on_commit_callbacks
):
    policy = make_policy(steward, publisher, name="Partner universities", validity_days=20)
    with django_capture_on_commit_callbacks(execute=True):
        request = submit(researcher, restricted, duration_days=45)
    request.refresh_from_db()
    assert request.state == RequestState.APPROVED and request.decided_by is None
    # The policy's validity caps the 45 days asked for.
    assert abs(request.valid_until - (request.decided_at + timedelta(days=20))) < timedelta(
        seconds=1
    )
    approval = request.events.get(action=AuditAction.APPROVED)
    assert approval.actor is None
    assert f"policy 'Partner universities' ({policy.pk}, version 1)" in approval.comment
    assert request.decision_reason == approval.comment
    decision = PolicyDecision.objects.get(event=approval)
    assert decision.policy_version == policy.current and decision.effect == "approve"
    assert all(item["held"] for item in decision.conditions)
    assert ("access.provision_grant", [str(request.pk)]) in sent_tasks
    assert services.audit_log_verify().ok


def test_the_requested_duration_is_kept_when_shorter_than_the_validity(
    steward, publisher, restricted, researcher
):
    make_policy(steward, publisher, validity_days=200)
    request = submit(researcher, restricted, duration_days=10)
    request.refresh_from_db()
    assert (request.valid_until - request.decided_at).days == 10


def test_a_steward_may_still_revoke_what_a_policy_approved(
    steward, publisher, restricted, researcher
):
    make_policy(steward, publisher)
    request = submit(researcher, restricted)
    services.access_request_revoke(user=steward, request=request, reason="Consent withdrawn.")
    request.refresh_from_db()
    assert request.state == RequestState.REVOKED


def test_a_renewal_is_tried_against_the_policies_too(
    steward, publisher, restricted, restricted_file, researcher
):
    make_policy(steward, publisher)
    first = submit(researcher, restricted)
    services.grant_provision(access_request_id=first.pk)
    renewal = services.access_request_renew(user=researcher, request=first, accept_licence=True)
    assert approved_by_policy(renewal)
    first.refresh_from_db()
    assert first.state == RequestState.SUPERSEDED


def test_a_resubmitted_request_is_tried_again(steward, publisher, restricted, researcher):
    make_policy(steward, publisher, conditions=[{"kind": "max_duration", "days": 30}])
    request = submit(researcher, restricted, duration_days=90)
    assert not approved_by_policy(request)
    services.access_request_return(user=steward, request=request, comment="At most 30 days.")
    services.access_request_update(user=researcher, request=request, changes={"duration_days": 30})
    services.access_request_submit(user=researcher, request=request)
    assert approved_by_policy(request)


# --- route ------------------------------------------------------------------------------------


def test_route_to_a_reviewer_invites_and_mails_them(steward, publisher, restricted, researcher):
    reviewer = UserFactory(username="ethics-board", email="board@klinikum.example")
    policy = make_policy(
        steward, publisher, name="Ethics board", effect="route", route_to="board@klinikum.example",
        route_role="reviewer",
    )  # fmt: skip
    request = submit(researcher, restricted)
    request.refresh_from_db()
    assert request.state == RequestState.SUBMITTED  # the stewards still decide
    invitation = ReviewInvitation.objects.get(access_request=request)
    assert invitation.reviewer == reviewer and invitation.invited_by is None
    assert invitation.event.action == AuditAction.REVIEWER_INVITED
    assert invitation.event.actor is None
    assert f"({policy.pk}, version 1)" in invitation.event.comment
    mail = Notification.objects.get(event=invitation.event, recipient=reviewer.email)
    assert "review" in mail.subject.lower()
    assert PolicyDecision.objects.get(event=invitation.event).effect == "route"
    # The reviewer now sees the request and may review it.
    services.access_request_review(user=reviewer, request=request, recommendation="approve")


def test_route_to_a_steward_assigns_and_mails_them(steward, publisher, restricted, researcher):
    colleague = UserFactory(username="dr-weber", email="weber@bauer-agrar.example")
    publisher.stewards.add(colleague)
    make_policy(
        steward, publisher, effect="route", route_to="dr-weber", route_role="steward",
        conditions=[{"kind": "purpose_category", "categories": ["innovation"]}],
    )  # fmt: skip
    request = submit(researcher, restricted, purpose_category="innovation")
    request.refresh_from_db()
    assert request.state == RequestState.SUBMITTED and request.assigned_to == colleague
    event = request.events.get(action=AuditAction.ASSIGNED)
    mail = Notification.objects.get(event=event)
    assert mail.recipient == colleague.email and "assigned to you" in mail.subject
    # Not in the researcher's own view of the history.
    from access.selectors import access_request_events

    seen = access_request_events(request=request, user=researcher).values_list("action", flat=True)
    assert AuditAction.ASSIGNED not in seen


def test_a_route_to_someone_no_longer_a_steward_leaves_the_request_to_all(
    steward, publisher, restricted, researcher
):
    colleague = UserFactory(username="dr-weber")
    publisher.stewards.add(colleague)
    make_policy(steward, publisher, effect="route", route_to="dr-weber", route_role="steward")
    publisher.stewards.remove(colleague)
    request = submit(researcher, restricted)
    request.refresh_from_db()
    assert request.assigned_to is None and request.state == RequestState.SUBMITTED
    assert not PolicyDecision.objects.exists()


def test_a_route_never_makes_the_requester_review_their_own_request(
    steward, publisher, restricted, researcher
):
    make_policy(steward, publisher, effect="route", route_to="researcher", route_role="reviewer")
    request = submit(researcher, restricted)
    assert not ReviewInvitation.objects.filter(access_request=request).exists()


# --- order, scope, activity, versions ------------------------------------------------------------


def test_the_first_matching_policy_by_priority_decides(steward, publisher, researcher):
    UserFactory(username="ethics-board")
    route = make_policy(
        steward, publisher, name="Review first", effect="route", route_to="ethics-board",
        route_role="reviewer", priority=10,
    )  # fmt: skip
    make_policy(steward, publisher, name="Approve", priority=20)
    first = DatasetFactory(publisher=publisher, access_rights=AccessRights.RESTRICTED)
    assert not approved_by_policy(submit(researcher, first))
    services.decision_policy_update(user=steward, policy=route, changes={"priority": 30})
    second = DatasetFactory(publisher=publisher, access_rights=AccessRights.RESTRICTED)
    assert approved_by_policy(submit(researcher, second))


def test_a_dataset_policy_applies_to_that_dataset_only(steward, publisher, restricted, researcher):
    make_policy(steward, publisher, dataset=restricted)
    other = DatasetFactory(publisher=publisher, access_rights=AccessRights.RESTRICTED)
    assert approved_by_policy(submit(researcher, restricted))
    assert not approved_by_policy(submit(researcher, other))


def test_another_publishers_policy_never_applies(steward, researcher, other_dataset, publisher):
    make_policy(steward, publisher)
    assert not approved_by_policy(submit(researcher, other_dataset))


def test_an_inactive_or_removed_policy_does_not_apply(steward, publisher, researcher):
    policy = make_policy(steward, publisher, active=False)
    first = DatasetFactory(publisher=publisher, access_rights=AccessRights.RESTRICTED)
    assert not approved_by_policy(submit(researcher, first))
    services.decision_policy_update(user=steward, policy=policy, changes={"active": True})
    services.decision_policy_archive(user=steward, policy=policy)
    second = DatasetFactory(publisher=publisher, access_rights=AccessRights.RESTRICTED)
    assert not approved_by_policy(submit(researcher, second))
    policy.refresh_from_db()
    assert policy.archived_at is not None
    assert [v.active for v in policy.versions.order_by("version")] == [False, True, False]


def test_a_change_is_a_new_version_and_decisions_keep_theirs(steward, publisher, researcher):
    policy = make_policy(steward, publisher, name="Auto")
    first = submit(
        researcher, DatasetFactory(publisher=publisher, access_rights=AccessRights.RESTRICTED)
    )
    services.decision_policy_update(
        user=steward, policy=policy, changes={"validity_days": 30, "name": "Auto (30 days)"}
    )
    # The same values again write nothing.
    services.decision_policy_update(user=steward, policy=policy, changes={"validity_days": 30})
    policy.refresh_from_db()
    assert policy.current.version == 2 and policy.versions.count() == 2
    second = submit(
        researcher, DatasetFactory(publisher=publisher, access_rights=AccessRights.RESTRICTED)
    )
    versions = {d.access_request_id: d.policy_version.version for d in PolicyDecision.objects.all()}
    assert versions == {first.pk: 1, second.pk: 2}
    approval = second.events.get(action=AuditAction.APPROVED)
    assert "'Auto (30 days)'" in approval.comment and "version 2" in approval.comment


def test_switching_the_effect_drops_the_other_effects_fields(steward, publisher):
    UserFactory(username="ethics-board")
    policy = make_policy(steward, publisher, validity_days=30)
    services.decision_policy_update(
        user=steward,
        policy=policy,
        changes={"effect": "route", "route_to": "ethics-board", "route_role": "reviewer"},
    )
    policy.refresh_from_db()
    assert policy.current.validity_days is None and policy.current.route_role == "reviewer"
    services.decision_policy_update(user=steward, policy=policy, changes={"effect": "approve"})
    policy.refresh_from_db()
    assert policy.current.route_to is None and policy.current.version == 3


# --- the built-in policy ------------------------------------------------------------------------


def test_public_datasets_are_approved_by_the_builtin_policy(researcher, publisher):
    public = DatasetFactory(publisher=publisher, access_rights=AccessRights.PUBLIC)
    request = submit(researcher, public)
    assert approved_by_policy(request)
    approval = request.events.get(action=AuditAction.APPROVED)
    assert approval.comment == (
        "Approved automatically by the built-in policy 'public-dataset' (version 1): "
        "the dataset is public."
    )
    decision = PolicyDecision.objects.get(event=approval)
    assert (decision.builtin, decision.builtin_version, decision.policy_version) == (
        "public-dataset",
        1,
        None,
    )


def test_without_the_builtin_policy_public_requests_go_to_the_stewards(
    researcher, publisher, settings
):
    settings.ACCESS_POLICIES = []
    public = DatasetFactory(publisher=publisher, access_rights=AccessRights.PUBLIC)
    assert not approved_by_policy(submit(researcher, public))


def test_the_builtin_policy_runs_before_the_publishers(steward, publisher, researcher):
    UserFactory(username="ethics-board")
    make_policy(
        steward, publisher, effect="route", route_to="ethics-board", route_role="reviewer",
        priority=-10_000,
    )  # fmt: skip
    public = DatasetFactory(publisher=publisher, access_rights=AccessRights.PUBLIC)
    assert approved_by_policy(submit(researcher, public))
    assert not ReviewInvitation.objects.exists()


# --- pluggable kinds ----------------------------------------------------------------------------


class MinDurationCondition(PolicyCondition):
    """A kind another package could add: at least N days asked for."""

    kind = "min_duration"
    label = "The requested duration is at least this many days"
    parameters = {"days": "A whole number."}

    @classmethod
    def clean(cls, params, *, context):
        return {"days": int(params["days"])}

    def holds(self, subject: PolicySubject) -> ConditionResult:
        held = subject.duration_days >= self.params["days"]
        return ConditionResult(held, f"{subject.duration_days} days.")


class BrokenCondition(PolicyCondition):
    kind = "broken"
    label = "Raises"
    parameters = {}

    def holds(self, subject: PolicySubject) -> ConditionResult:
        raise RuntimeError("a bug in someone else's condition")


PLUGGED = "tests.access.test_policies.MinDurationCondition"


def test_a_kind_listed_in_the_setting_can_be_used(
    steward, publisher, restricted, researcher, settings
):
    with pytest.raises(ApplicationError) as refused:
        make_policy(steward, publisher, conditions=[{"kind": "min_duration", "days": 5}])
    assert "conditions.0.kind" in refused.value.fields
    settings.ACCESS_POLICY_CONDITIONS = [*settings.ACCESS_POLICY_CONDITIONS, PLUGGED]
    policy = make_policy(steward, publisher, conditions=[{"kind": "min_duration", "days": 5}])
    assert policy.current.conditions == [{"kind": "min_duration", "days": 5}]
    assert approved_by_policy(submit(researcher, restricted, duration_days=5))


def test_a_kind_that_does_not_check_its_input_still_answers_400(steward, publisher, settings):
    settings.ACCESS_POLICY_CONDITIONS = [*settings.ACCESS_POLICY_CONDITIONS, PLUGGED]
    for params in ({}, {"days": "many"}, {"days": [1]}):
        with pytest.raises(ApplicationError) as refused:
            make_policy(steward, publisher, conditions=[{"kind": "min_duration", **params}])
        assert "conditions.0" in refused.value.fields
    assert not DecisionPolicy.objects.exists()


def test_a_stored_kind_no_longer_configured_never_holds(
    steward, publisher, restricted, researcher, settings
):
    settings.ACCESS_POLICY_CONDITIONS = [*settings.ACCESS_POLICY_CONDITIONS, PLUGGED]
    make_policy(steward, publisher, conditions=[{"kind": "min_duration", "days": 1}])
    settings.ACCESS_POLICY_CONDITIONS = settings.ACCESS_POLICY_CONDITIONS[:-1]
    assert not approved_by_policy(submit(researcher, restricted))


def test_a_failing_condition_does_not_hold_and_the_submission_goes_on(
    steward, publisher, restricted, researcher, settings
):
    settings.ACCESS_POLICY_CONDITIONS = [
        *settings.ACCESS_POLICY_CONDITIONS,
        "tests.access.test_policies.BrokenCondition",
    ]
    make_policy(steward, publisher, conditions=[{"kind": "broken"}])
    request = submit(researcher, restricted)
    request.refresh_from_db()
    assert request.state == RequestState.SUBMITTED


def test_a_misconfigured_setting_is_reported(settings):
    from django.core.exceptions import ImproperlyConfigured

    from access.policy_conditions import condition_kinds

    settings.ACCESS_POLICY_CONDITIONS = ["access.policy_conditions.Nope"]
    with pytest.raises(ImproperlyConfigured, match="cannot import"):
        condition_kinds()
    settings.ACCESS_POLICY_CONDITIONS = [
        "access.policy_conditions.EmailDomainCondition",
        "access.policy_conditions.EmailDomainCondition",
    ]
    with pytest.raises(ImproperlyConfigured, match="defined twice"):
        condition_kinds()


# --- bad input: nothing saved --------------------------------------------------------------------


@pytest.fixture
def routable(db):
    return UserFactory(username="ethics-board", email="board@klinikum.example")


BAD_POLICIES = [
    ({"conditions": [{"kind": "zodiac", "sign": "leo"}]}, "conditions.0.kind"),
    ({"conditions": [{"kind": "email_domain", "domains": ["a.de"], "x": 1}]}, "conditions.0.x"),
    ({"conditions": [{"kind": "email_domain", "domains": []}]}, "conditions.0.domains"),
    ({"conditions": [{"kind": "email_domain", "domains": ["not a domain"]}]},
     "conditions.0.domains"),
    ({"conditions": [{"kind": "email_domain", "domains": ["a\x00.de"]}]}, "conditions.0.domains"),
    ({"conditions": [{"kind": "email_domain", "domains": ["lmu.de"]},
                     {"kind": "email_domain", "domains": ["tum.de"]}]}, "conditions.1"),
    ({"conditions": [{"kind": "max_duration", "days": 0}]}, "conditions.0.days"),
    ({"conditions": [{"kind": "max_duration", "days": -5}]}, "conditions.0.days"),
    ({"conditions": [{"kind": "max_duration", "days": "30"}]}, "conditions.0.days"),
    ({"conditions": [{"kind": "max_duration", "days": True}]}, "conditions.0.days"),
    ({"conditions": [{"kind": "max_duration", "days": 366}]}, "conditions.0.days"),
    ({"conditions": [{"kind": "purpose_category", "categories": ["astrology"]}]},
     "conditions.0.categories"),
    ({"conditions": [{"kind": "purpose_category", "categories": ["education"]},
                     {"kind": "purpose_category", "categories": ["innovation"]}]},
     "conditions.1"),
    ({"conditions": [{"kind": "affiliation", "values": ["LMU"]},
                     {"kind": "affiliation", "values": ["TUM"]}]}, "conditions.1"),
    ({"conditions": [{"kind": "form_answer", "key": "nope", "value": True}]},
     "conditions.0.key"),
    ({"conditions": [{"kind": "licence_accepted", "licence": "WTFPL"}]},
     "conditions.0.licence"),
    ({"conditions": [{"kind": "licence_accepted", "licence": "CC-BY-4.0", "min_version": 9}]},
     "conditions.0.min_version"),
    ({"conditions": [{"kind": "licence_accepted", "licence": "CC-BY-4.0"},
                     {"kind": "licence_accepted", "licence": "ODbL-1.0"}]}, "conditions.1"),
    ({"conditions": [{"kind": "submitting_client",
                      "clients": ["6f1c2f8e-0000-4000-8000-000000000000"]}]},
     "conditions.0.clients"),
    ({"conditions": [{"kind": "submitting_client", "clients": ["not-a-uuid"]}]},
     "conditions.0.clients"),
    ({"conditions": "email_domain=lmu.de"}, "conditions"),
    ({"conditions": [["kind", "email_domain"]]}, "conditions.0"),
    ({"conditions": [{"kind": "access_rights", "values": ["PUBLIC"]}] * 21}, "conditions"),
    ({"validity_days": 0}, "validity_days"),
    ({"validity_days": 366}, "validity_days"),  # the publisher's maximum is 365
    ({"route_to": "board@klinikum.example"}, "route_to"),  # approve names no account
    ({"effect": "route", "route_to": "nobody@nowhere.example", "route_role": "reviewer"},
     "route_to"),
    ({"effect": "route", "route_to": "board@klinikum.example", "route_role": "steward"},
     "route_to"),  # not a steward of the publisher
    ({"effect": "route", "route_to": "board@klinikum.example"}, "route_role"),
    ({"effect": "route", "route_to": "board@klinikum.example", "route_role": "reviewer",
      "validity_days": 30}, "validity_days"),
    ({"effect": "deny"}, "effect"),
    ({"name": ""}, "name"),
    ({"name": "Two\nlines"}, "name"),
    ({"priority": 10**9}, "priority"),
    ({"active": "yes"}, "active"),
    ({"colour": "blue"}, "colour"),
]  # fmt: skip


@pytest.mark.parametrize(("values", "field"), BAD_POLICIES)
def test_bad_policies_are_refused_naming_the_field_and_nothing_is_saved(
    steward, publisher, routable, values, field
):
    with pytest.raises(ApplicationError) as refused:
        make_policy(steward, publisher, **values)
    assert field in refused.value.fields, refused.value.fields
    assert refused.value.status_code == 400
    assert not DecisionPolicy.objects.exists()


def test_a_dataset_of_another_publisher_is_refused(steward, publisher, other_dataset):
    with pytest.raises(ApplicationError) as refused:
        make_policy(steward, publisher, dataset=other_dataset)
    assert "dataset" in refused.value.fields
    assert not DecisionPolicy.objects.exists()


def test_a_licence_the_dataset_does_not_have_contradicts_its_scope(steward, publisher, restricted):
    with pytest.raises(ApplicationError) as refused:
        make_policy(
            steward,
            publisher,
            dataset=restricted,
            conditions=[{"kind": "licence_accepted", "licence": "ODbL-1.0"}],
        )
    assert "CC-BY-4.0" in refused.value.fields["conditions.0.licence"][0]


def test_overlapping_domains_are_not_a_contradiction(steward, publisher):
    policy = make_policy(
        steward,
        publisher,
        conditions=[
            {"kind": "email_domain", "domains": ["uni-muenchen.de", "tum.de"]},
            {"kind": "email_domain", "domains": ["physik.uni-muenchen.de"]},
        ],
    )
    assert len(policy.current.conditions) == 2


def test_a_bad_change_keeps_the_current_version(steward, publisher):
    policy = make_policy(steward, publisher)
    with pytest.raises(ApplicationError):
        services.decision_policy_update(
            user=steward, policy=policy, changes={"validity_days": 9999}
        )
    with pytest.raises(ApplicationError):
        services.decision_policy_update(user=steward, policy=policy, changes={"dataset": None})
    policy.refresh_from_db()
    assert policy.current.version == 1 and policy.versions.count() == 1


def test_only_the_publishers_stewards_define_its_policies(researcher, publisher):
    from core.errors import NotFoundError

    with pytest.raises(NotFoundError):
        make_policy(researcher, publisher)
    assert not DecisionPolicy.objects.exists()


def test_a_policy_decision_and_the_request_survive_in_one_chain(
    steward, publisher, restricted, researcher
):
    """The automatic decision is one more event of the hash chain, in the submission's
    transaction: the chain verifies, and the events are created, submitted, approved."""
    make_policy(steward, publisher)
    request = submit(researcher, restricted)
    actions = list(
        AccessEvent.objects.filter(access_request=request)
        .order_by("position")
        .values_list("action", flat=True)
    )
    assert actions == ["created", "submitted", "approved"]
    assert services.audit_log_verify().ok


def test_purpose_category_is_checked(researcher, restricted):
    with pytest.raises(ApplicationError) as refused:
        services.access_request_create(
            requester=researcher, dataset=restricted, purpose=PURPOSE, accept_licence=True,
            purpose_category="world-domination",
        )  # fmt: skip
    assert "purpose_category" in refused.value.fields


def test_validity_is_capped_by_a_lowered_publisher_maximum(
    steward, publisher, restricted, researcher
):
    make_policy(steward, publisher, validity_days=300)
    publisher.max_access_days = 50
    publisher.save()
    request = submit(researcher, restricted, duration_days=50)
    request.refresh_from_db()
    assert request.valid_until <= timezone.now() + timedelta(days=50)
