"""Publishers' application forms: questions checked field by field, versions kept, answers
checked per question and the version answered stored on the request."""

from __future__ import annotations

import pytest

from access import services
from access.events import AuditAction
from access.models import AccessEvent, AccessRequest, ApplicationForm, ApplicationFormVersion
from core.errors import ApplicationError, NotFoundError
from tests.access.factories import PURPOSE
from tests.accounts.factories import UserFactory
from tests.catalogue.factories import PublisherFactory

pytestmark = pytest.mark.django_db

QUESTIONS = [
    {"key": "ethics-id", "label": "Ethics approval number", "kind": "text", "required": True},
    {"key": "plan", "label": "Data management plan", "kind": "long_text", "order": 2},
    {
        "key": "sector",
        "label": "Your sector",
        "kind": "choice",
        "choices": ["Academic", "Public", "Commercial"],
        "required": True,
        "order": 3,
    },
    {"key": "start", "label": "Planned start", "kind": "date", "order": 4},
    {"key": "consent", "label": "Participants consented?", "kind": "boolean", "order": 5},
    {"key": "ethics-letter", "label": "Ethics letter", "kind": "attachment", "order": 6},
]
GOOD_ANSWERS = {"ethics-id": "EK-2024-117", "sector": "Academic"}


@pytest.fixture
def form_version(publisher, steward):
    return services.application_form_publish(
        user=steward, publisher=publisher, questions=QUESTIONS, name="Bauer Agrar questions"
    )


def _fields(exc_info) -> dict[str, list[str]]:
    return exc_info.value.fields


# --- questions ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("questions", "field"),
    [
        ([{"key": "a", "label": "A", "kind": "essay"}], "questions.0.kind"),
        ([{"key": "a", "label": "A", "kind": "text", "colour": "red"}], "questions.0.colour"),
        ([{"key": "Not A Slug", "label": "A", "kind": "text"}], "questions.0.key"),
        ([{"label": "A", "kind": "text"}], "questions.0.key"),
        ([{"key": "a", "label": "", "kind": "text"}], "questions.0.label"),
        ([{"key": "a", "label": "L" * 301, "kind": "text"}], "questions.0.label"),
        ([{"key": "a", "label": "two\nlines", "kind": "text"}], "questions.0.label"),
        ([{"key": "a", "label": "A", "kind": "choice"}], "questions.0.choices"),
        ([{"key": "a", "label": "A", "kind": "choice", "choices": []}], "questions.0.choices"),
        (
            [{"key": "a", "label": "A", "kind": "choice", "choices": ["x", "x"]}],
            "questions.0.choices",
        ),
        ([{"key": "a", "label": "A", "kind": "text", "choices": ["x"]}], "questions.0.choices"),
        ([{"key": "a", "label": "A", "kind": "text", "required": "yes"}], "questions.0.required"),
        ([{"key": "a", "label": "A", "kind": "text", "order": "1"}], "questions.0.order"),
        (
            [
                {"key": "a", "label": "A", "kind": "text"},
                {"key": "a", "label": "B", "kind": "date"},
            ],
            "questions.1.key",
        ),
        (["just a string"], "questions.0"),
        ({"key": "a"}, "questions"),
        ([{"key": f"q{i}", "label": "Q", "kind": "text"} for i in range(51)], "questions"),
    ],
)
def test_bad_questions_are_refused_naming_the_field(publisher, steward, questions, field):
    with pytest.raises(ApplicationError) as exc_info:
        services.application_form_publish(user=steward, publisher=publisher, questions=questions)
    assert field in _fields(exc_info)
    assert not ApplicationFormVersion.objects.exists()


def test_questions_are_stored_in_their_order_with_defaults(form_version):
    assert [q["key"] for q in form_version.questions] == [
        "ethics-id", "plan", "sector", "start", "consent", "ethics-letter"
    ]  # fmt: skip
    first = form_version.questions[0]
    assert first == {
        "key": "ethics-id",
        "label": "Ethics approval number",
        "kind": "text",
        "required": True,
        "help_text": "",
        "choices": [],
        "order": 0,
    }


def test_changing_the_questions_makes_a_new_version_and_keeps_the_old(
    publisher, steward, form_version
):
    same = services.application_form_publish(user=steward, publisher=publisher, questions=QUESTIONS)
    assert same.pk == form_version.pk
    second = services.application_form_publish(
        user=steward, publisher=publisher, questions=QUESTIONS[:2]
    )
    assert (second.version, second.form_id) == (2, form_version.form_id)
    form_version.refresh_from_db()
    assert len(form_version.questions) == 6
    assert services.application_form_current(publisher=publisher) == second


def test_only_one_form_of_a_publisher_is_active(publisher, form_version):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        ApplicationForm.objects.create(publisher=publisher, name="Another", active=True)


def test_steward_of_another_publisher_cannot_publish_a_form(steward):
    rival = PublisherFactory(slug="rival")
    with pytest.raises(NotFoundError):
        services.application_form_publish(user=steward, publisher=rival, questions=QUESTIONS)


# --- answers ------------------------------------------------------------------------------------


def _create(researcher, dataset, *, answers, submit=True) -> AccessRequest:
    return services.access_request_create(
        requester=researcher,
        dataset=dataset,
        purpose=PURPOSE,
        accept_licence=True,
        answers=answers,
        submit=submit,
    )


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        ({**GOOD_ANSWERS, "unknown": "x"}, "answers.unknown"),
        ({**GOOD_ANSWERS, "ethics-id": "line one\nline two"}, "answers.ethics-id"),
        ({**GOOD_ANSWERS, "ethics-id": "x" * 2001}, "answers.ethics-id"),
        ({**GOOD_ANSWERS, "ethics-id": 42}, "answers.ethics-id"),
        ({**GOOD_ANSWERS, "ethics-id": "nul\x00byte"}, "answers.ethics-id"),
        ({**GOOD_ANSWERS, "plan": "p" * 20_001}, "answers.plan"),
        ({**GOOD_ANSWERS, "sector": "Military"}, "answers.sector"),
        ({**GOOD_ANSWERS, "start": "01/02/2025"}, "answers.start"),
        ({**GOOD_ANSWERS, "start": "2025-02-30"}, "answers.start"),
        ({**GOOD_ANSWERS, "consent": "yes"}, "answers.consent"),
        ({**GOOD_ANSWERS, "ethics-letter": "not-an-id"}, "answers.ethics-letter"),
        (
            {**GOOD_ANSWERS, "ethics-letter": "7f3c0d4e-0000-4000-8000-000000000000"},
            "answers.ethics-letter",
        ),
        ({"sector": "Academic"}, "answers.ethics-id"),
    ],
)
def test_answers_that_do_not_fit_the_form_are_refused_per_field(
    researcher, restricted, form_version, answers, field
):
    with pytest.raises(ApplicationError) as exc_info:
        _create(researcher, restricted, answers=answers)
    assert field in _fields(exc_info)
    assert not AccessRequest.objects.exists()


def test_answers_and_the_form_version_are_stored(researcher, restricted, form_version):
    answers = {
        **GOOD_ANSWERS,
        "plan": "Pseudonymised data kept on the institute's encrypted cluster.\nDeleted after.",
        "start": "2025-03-01",
        "consent": False,
    }
    request = _create(researcher, restricted, answers=answers)
    request.refresh_from_db()
    assert request.form_version == form_version
    assert request.answers == answers


def test_non_ascii_and_long_answers_are_kept_whole(researcher, restricted, form_version):
    text = "Ethik-Kommission Universität Würzburg, 倫理審査 Nº 42 — ✓"
    plan = "Données pseudonymisées. " * 800  # ~19,200 characters, under the limit
    request = _create(
        researcher, restricted, answers={**GOOD_ANSWERS, "ethics-id": text, "plan": plan.strip()}
    )
    request.refresh_from_db()
    assert request.answers["ethics-id"] == text
    assert request.answers["plan"] == plan.strip()


def test_a_draft_may_be_incomplete_but_not_its_submission(researcher, restricted, form_version):
    draft = _create(researcher, restricted, answers={"sector": "Public"}, submit=False)
    with pytest.raises(ApplicationError) as exc_info:
        services.access_request_submit(user=researcher, request=draft)
    assert set(_fields(exc_info)) == {"answers.ethics-id"}
    draft.refresh_from_db()
    assert draft.state == "draft"

    services.access_request_update(
        user=researcher, request=draft, changes={"answers": {"ethics-id": "EK-1"}}
    )
    submitted = services.access_request_submit(user=researcher, request=draft)
    assert submitted.state == "submitted"
    assert submitted.answers == {"sector": "Public", "ethics-id": "EK-1"}
    edited = AccessEvent.objects.filter(access_request=draft, action=AuditAction.EDITED)
    assert edited.count() == 1


def test_submission_checks_again_against_a_form_changed_since_the_draft(
    researcher, steward, publisher, restricted, form_version
):
    draft = _create(researcher, restricted, answers=GOOD_ANSWERS, submit=False)
    assert draft.form_version == form_version
    changed = [
        {"key": "ethics-id", "label": "Ethics approval number", "kind": "text", "required": True},
        {
            "key": "sector",
            "label": "Your sector",
            "kind": "choice",
            "choices": ["University", "Government"],
            "required": True,
        },
        {"key": "funding", "label": "Funder", "kind": "text", "required": True},
    ]
    version_2 = services.application_form_publish(
        user=steward, publisher=publisher, questions=changed
    )
    with pytest.raises(ApplicationError) as exc_info:
        services.access_request_submit(user=researcher, request=draft)
    assert set(_fields(exc_info)) == {"answers.sector", "answers.funding"}

    submitted = services.access_request_submit(
        user=researcher,
        request=draft,
        answers={"sector": "University", "funding": "DFG"},
    )
    submitted.refresh_from_db()
    assert submitted.form_version == version_2
    assert submitted.answers == {
        "ethics-id": "EK-2024-117",
        "sector": "University",
        "funding": "DFG",
    }


def test_a_publisher_without_a_form_takes_no_answers(researcher, restricted):
    request = _create(researcher, restricted, answers=None)
    assert request.form_version is None and request.answers == {}
    other = UserFactory()
    with pytest.raises(ApplicationError) as exc_info:
        _create(other, restricted, answers={"anything": "x"})
    assert "answers.anything" in _fields(exc_info)


# --- through the API ----------------------------------------------------------------------------


def test_anyone_reads_the_current_form(api_client, publisher, form_version):
    response = api_client.get(f"/api/v1/publishers/{publisher.slug}/application-form/")
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == 1 and body["name"] == "Bauer Agrar questions"
    assert [q["key"] for q in body["questions"]][:2] == ["ethics-id", "plan"]


def test_a_publisher_without_a_form_answers_404(api_client, publisher):
    response = api_client.get(f"/api/v1/publishers/{publisher.slug}/application-form/")
    assert response.status_code == 404


def test_steward_publishes_a_new_version_through_the_api(steward_client, publisher, form_version):
    url = f"/api/v1/publishers/{publisher.slug}/application-form/"
    response = steward_client.put(url, {"questions": QUESTIONS[:1]}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["version"] == 2
    bad = steward_client.put(
        url, {"questions": [{"key": "x", "label": "X", "kind": "essay"}]}, format="json"
    )
    assert bad.status_code == 400
    assert "questions.0.kind" in bad.json()["error"]["fields"]


def test_publishing_a_form_is_for_its_stewards_only(researcher_client, steward_client, publisher):
    url = f"/api/v1/publishers/{publisher.slug}/application-form/"
    assert researcher_client.put(url, {"questions": QUESTIONS}, format="json").status_code == 404
    PublisherFactory(slug="rival")
    rival = steward_client.put(
        "/api/v1/publishers/rival/application-form/", {"questions": QUESTIONS}, format="json"
    )
    assert rival.status_code == 404
    assert not ApplicationFormVersion.objects.exists()


def test_api_request_takes_answers_and_shows_the_form(researcher_client, restricted, form_version):
    body = {
        "dataset": restricted.slug,
        "purpose": PURPOSE,
        "accept_licence": True,
        "answers": {"ethics-id": "EK-9", "sector": "Trade"},
    }
    refused = researcher_client.post("/api/v1/access-requests/", body, format="json")
    assert refused.status_code == 400
    assert list(refused.json()["error"]["fields"]) == ["answers.sector"]

    body["answers"]["sector"] = "Academic"
    created = researcher_client.post("/api/v1/access-requests/", body, format="json")
    assert created.status_code == 201, created.json()
    data = created.json()
    assert data["answers"] == {"ethics-id": "EK-9", "sector": "Academic"}
    assert data["form"]["version"] == 1 and data["form"]["id"] == form_version.form_id
    assert data["form"]["questions"][0]["key"] == "ethics-id"


def test_api_patch_changes_answers_and_null_removes_one(
    researcher_client, researcher, restricted, form_version
):
    draft = _create(researcher, restricted, answers=GOOD_ANSWERS, submit=False)
    url = f"/api/v1/access-requests/{draft.pk}/"
    response = researcher_client.patch(
        url, {"answers": {"plan": "Kept encrypted.", "sector": None}}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["answers"] == {"ethics-id": "EK-2024-117", "plan": "Kept encrypted."}
    submit = researcher_client.post(f"{url}submit/", {}, format="json")
    assert submit.status_code == 400
    assert list(submit.json()["error"]["fields"]) == ["answers.sector"]
    submit = researcher_client.post(
        f"{url}submit/", {"answers": {"sector": "Public"}}, format="json"
    )
    assert submit.status_code == 200, submit.json()
    assert submit.json()["state"] == "submitted"
