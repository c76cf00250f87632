"""Application forms and attachments in the stewards' admin."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from access import services
from access.forms import answers_from_cleaned_data, question_form_fields
from access.models import ApplicationForm
from tests.access.factories import PURPOSE
from tests.accounts.factories import UserFactory, admin_user_in
from tests.catalogue.factories import PublisherFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%%EOF\n"
QUESTIONS = [
    {"key": "ethics", "label": "Ethics approval number", "kind": "text", "required": True},
    {"key": "letter", "label": "Ethics letter", "kind": "attachment"},
    {"key": "consent", "label": "Consent obtained", "kind": "boolean"},
]
ADD = reverse("admin:access_applicationform_add")
CHANGELIST = reverse("admin:access_applicationform_changelist")


@pytest.fixture
def steward_browser(client, admin_steward):
    client.force_login(admin_steward)
    return client


def test_steward_defines_a_form_and_editing_it_makes_a_version(steward_browser, publisher):
    response = steward_browser.post(
        ADD,
        {
            "publisher": publisher.pk,
            "name": "Ethics",
            "active": "on",
            "questions": json.dumps(QUESTIONS),
            "versions-TOTAL_FORMS": "0",
            "versions-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    form = ApplicationForm.objects.get()
    assert form.current_version.version == 1
    change = reverse("admin:access_applicationform_change", args=[form.pk])
    response = steward_browser.post(
        change,
        {
            "name": "Ethics",
            "active": "on",
            "questions": json.dumps(QUESTIONS[:1]),
            "versions-TOTAL_FORMS": "1",
            "versions-INITIAL_FORMS": "1",
            "versions-0-id": form.current_version.pk,
            "versions-0-form": form.pk,
        },
    )
    assert response.status_code == 302
    assert [v.version for v in form.versions.order_by("version")] == [1, 2]
    assert len(form.versions.get(version=1).questions) == 3


def test_bad_questions_are_shown_on_the_form(steward_browser, publisher):
    response = steward_browser.post(
        ADD,
        {
            "publisher": publisher.pk,
            "name": "Ethics",
            "active": "on",
            "questions": json.dumps([{"key": "a", "label": "A", "kind": "essay"}]),
            "versions-TOTAL_FORMS": "0",
            "versions-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["questions"]
    assert any("questions.0.kind" in e for e in errors)
    assert not ApplicationForm.objects.exists()


def test_steward_of_another_publisher_does_not_see_the_form(client, publisher, steward):
    form = services.application_form_publish(
        user=steward, publisher=publisher, questions=QUESTIONS, name="Bauer ethics questions"
    ).form
    rival = admin_user_in(UserFactory(username="rival"), "Stewards")
    PublisherFactory(slug="rival-pub").stewards.add(rival)
    client.force_login(rival)
    assert client.get(
        reverse("admin:access_applicationform_change", args=[form.pk])
    ).status_code in (
        302,
        404,
    )
    assert form.name not in client.get(CHANGELIST).content.decode()


def test_the_request_page_shows_answers_next_to_questions_and_attachments(
    client, admin_steward, steward, publisher, researcher, restricted
):
    services.application_form_publish(user=steward, publisher=publisher, questions=QUESTIONS)
    draft = services.access_request_create(
        requester=researcher,
        dataset=restricted,
        purpose=PURPOSE,
        accept_licence=True,
        answers={"ethics": "EK-Würzburg-7", "consent": True},
        submit=False,
    )
    attachment = services.attachment_add(
        user=researcher,
        request=draft,
        upload=SimpleUploadedFile("letter.pdf", PDF),
        question_key="letter",
    )
    services.access_request_submit(user=researcher, request=draft)
    client.force_login(admin_steward)
    page = client.get(reverse("admin:access_accessrequest_change", args=[draft.pk]))
    html = page.content.decode()
    assert "Ethics approval number" in html and "EK-Würzburg-7" in html
    download = reverse("admin:access_accessrequest_attachment", args=[draft.pk, attachment.pk])
    assert download in html
    response = client.get(download)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF

    rival = admin_user_in(UserFactory(username="rival"), "Stewards")
    PublisherFactory(slug="rival-pub").stewards.add(rival)
    client.force_login(rival)
    assert client.get(download).status_code == 404


def test_question_fields_render_and_give_back_answers():
    version_questions = services.questions_clean(
        [
            *QUESTIONS,
            {"key": "sector", "label": "Sector", "kind": "choice", "choices": ["A", "B"]},
            {"key": "start", "label": "Start", "kind": "date"},
            {"key": "plan", "label": "Plan", "kind": "long_text"},
        ]
    )
    from django import forms

    form_class = type("QuestionForm", (forms.Form,), question_form_fields(version_questions))
    form = form_class(
        data={
            "answers.ethics": "EK-1",
            "answers.consent": "false",
            "answers.sector": "B",
            "answers.start": "2025-03-01",
            "answers.plan": "",
        },
        files={"answers.letter": SimpleUploadedFile("l.pdf", PDF)},
    )
    assert form.is_valid(), form.errors
    answers, uploads = answers_from_cleaned_data(version_questions, form.cleaned_data)
    assert answers == {
        "ethics": "EK-1",
        "consent": False,
        "sector": "B",
        "start": "2025-03-01",
        "plan": None,
    }
    assert list(uploads) == ["letter"]
    html = form.as_div()
    assert 'name="answers.ethics"' in html and "required" in html
