"""Decision policies in the stewards' admin: defined and changed through the services (a change
is a version), refusals shown on their fields, only one's own publishers' policies, removal
keeps the versions."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from access.models import DecisionPolicy
from tests.access.policy_helpers import make_policy
from tests.accounts.factories import UserFactory, admin_user_in
from tests.catalogue.factories import PublisherFactory

pytestmark = pytest.mark.django_db

ADD = reverse("admin:access_decisionpolicy_add")
CHANGELIST = reverse("admin:access_decisionpolicy_changelist")
LMU = [{"kind": "email_domain", "domains": ["uni-muenchen.de"]}]


@pytest.fixture
def steward_browser(client, admin_steward):
    client.force_login(admin_steward)
    return client


def form_data(**values) -> dict:
    return {
        "name": "LMU researchers", "priority": "10", "active": "on",
        "conditions": json.dumps(LMU), "effect": "approve", "validity_days": "90",
        "route_to": "", "route_role": "",
        "versions-TOTAL_FORMS": "0", "versions-INITIAL_FORMS": "0",
        **values,
    }  # fmt: skip


def test_a_steward_defines_a_policy_and_a_change_makes_a_version(steward_browser, publisher):
    response = steward_browser.post(ADD, form_data(publisher=publisher.pk))
    assert response.status_code == 302, response.context["adminform"].form.errors
    policy = DecisionPolicy.objects.get()
    assert policy.current.version == 1 and policy.current.conditions == LMU
    assert policy.current.created_by.username == "steward"
    change = reverse("admin:access_decisionpolicy_change", args=[policy.pk])
    page = steward_browser.get(change)
    assert page.status_code == 200 and "uni-muenchen.de" in page.content.decode()
    response = steward_browser.post(
        change,
        form_data(
            validity_days="30",
            **{"versions-TOTAL_FORMS": "1", "versions-INITIAL_FORMS": "1",
               "versions-0-id": policy.current.pk, "versions-0-policy": policy.pk},
        ),
    )  # fmt: skip
    assert response.status_code == 302, response.context["adminform"].form.errors
    policy.refresh_from_db()
    assert policy.current.version == 2 and policy.current.validity_days == 30
    assert policy.versions.get(version=1).validity_days == 90


@pytest.mark.parametrize(
    ("values", "field", "text"),
    [
        ({"conditions": "[{"}, "conditions", "Not valid JSON"),
        ({"conditions": json.dumps([{"kind": "tarot"}])}, "conditions", "conditions.0.kind"),
        ({"validity_days": "500"}, "validity_days", "365"),
        ({"effect": "route", "validity_days": "", "route_to": "nobody", "route_role": "reviewer"},
         "route_to", "No single active account"),
    ],
)  # fmt: skip
def test_refusals_are_shown_on_their_fields_and_nothing_is_saved(
    steward_browser, publisher, values, field, text
):
    response = steward_browser.post(ADD, form_data(publisher=publisher.pk, **values))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert text in " ".join(errors[field]), errors
    assert not DecisionPolicy.objects.exists()


def test_a_steward_sees_and_chooses_only_their_publishers(steward_browser, steward, publisher):
    mine = make_policy(steward, publisher, name="Mine")
    rival_steward = UserFactory(username="rival")
    rival = PublisherFactory(slug="rival-farms", name="Rival Farms")
    rival.stewards.add(rival_steward)
    theirs = make_policy(rival_steward, rival, name="Theirs")
    listing = steward_browser.get(CHANGELIST).content.decode()
    assert "Mine" in listing and "Theirs" not in listing
    change = reverse("admin:access_decisionpolicy_change", args=[theirs.pk])
    assert steward_browser.get(change).status_code in (302, 404)
    response = steward_browser.post(ADD, form_data(publisher=rival.pk))
    assert "publisher" in response.context["adminform"].form.errors
    assert DecisionPolicy.objects.filter(publisher=rival).count() == 1
    assert mine.current.name == "Mine"


def test_remove_from_use_archives_and_keeps_the_versions(steward_browser, steward, publisher):
    policy = make_policy(steward, publisher)
    response = steward_browser.post(
        CHANGELIST, {"action": "remove_from_use", "_selected_action": [policy.pk]}
    )
    assert response.status_code == 302
    policy.refresh_from_db()
    assert policy.archived_at is not None and policy.versions.count() == 2
    assert "LMU" not in steward_browser.get(CHANGELIST).content.decode()


def test_a_researcher_has_no_policy_pages(client, researcher):
    client.force_login(admin_user_in(researcher, "Researchers"))
    assert client.get(CHANGELIST).status_code == 403


def test_the_request_page_shows_what_a_policy_did_to_stewards_only(
    steward_browser, steward, publisher, restricted, researcher, client
):
    from tests.access.policy_helpers import submit

    colleague = UserFactory(username="dr-weber")
    publisher.stewards.add(colleague)
    make_policy(
        steward, publisher, name="Weber's datasets", effect="route", route_to="dr-weber",
        route_role="steward",
    )  # fmt: skip
    request = submit(researcher, restricted)
    change = reverse("admin:access_accessrequest_change", args=[request.pk])
    page = steward_browser.get(change).content.decode()
    assert "Weber&#x27;s datasets v1" in page and "dr-weber" in page
    client.force_login(admin_user_in(researcher, "Researchers"))
    own = client.get(change)
    assert own.status_code == 200
    assert "Weber" not in own.content.decode()
