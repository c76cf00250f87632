"""The publisher's questions and documents in the workspace's request form: asked, checked per
question, stored with the request, shown back with download links, and all-or-nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from access import services
from access.models import AccessRequest, RequestAttachment, RequestState
from tests.access.factories import PURPOSE
from tests.access.test_attachments import EXE, PDF

pytestmark = pytest.mark.django_db

CATALOGUE = "/workspace/workspace/cataloguedataset/"
REQUESTS = "/workspace/workspace/myrequest/"
QUESTIONS = [
    {"key": "ethics-id", "label": "Ethics approval number", "kind": "text", "required": True},
    {"key": "sector", "label": "Sector", "kind": "choice", "choices": ["Academic", "Industry"],
     "required": True},
    {"key": "ethics-letter", "label": "Ethics approval letter", "kind": "attachment",
     "required": True},
]  # fmt: skip


@pytest.fixture
def client(researcher) -> Client:
    client = Client()
    client.force_login(researcher)
    return client


@pytest.fixture
def form_version(publisher, steward):
    return services.application_form_publish(
        user=steward, publisher=publisher, questions=QUESTIONS, name="Bauer Agrar questions"
    )


def _form(**overrides) -> dict:
    data = {
        "purpose": PURPOSE,
        "project_title": "SoilNet",
        "affiliation": "TU München",
        "duration_days": "30",
        "scope": "whole",
        "accept_licence": "on",
        "licence_version": "1",
        "answers.ethics-id": "EK-2026-17",
        "answers.sector": "Academic",
        "answers.ethics-letter": SimpleUploadedFile("ethics.pdf", PDF, "application/pdf"),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _stored_files() -> list[Path]:
    root = Path(settings.ATTACHMENT_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_the_form_asks_the_publishers_questions_before_the_licence(
    client, restricted, form_version
):
    page = client.get(f"{CATALOGUE}{restricted.pk}/request/").content.decode()

    for label in ("Ethics approval number", "Sector", "Ethics approval letter"):
        assert label in page
    assert page.index("Ethics approval letter") < page.index("I accept this licence")
    assert 'type="file" name="answers.ethics-letter"' in page


def test_a_request_with_answers_and_a_document_is_submitted_whole(
    client, researcher, restricted, form_version
):
    response = client.post(f"{CATALOGUE}{restricted.pk}/request/", _form())

    assert response.status_code == 302
    created = AccessRequest.objects.get()
    assert created.state == RequestState.SUBMITTED
    assert created.form_version == form_version
    letter = RequestAttachment.objects.get()
    assert created.answers == {
        "ethics-id": "EK-2026-17", "sector": "Academic", "ethics-letter": str(letter.pk),
    }  # fmt: skip
    assert (letter.original_name, letter.size) == ("ethics.pdf", len(PDF))

    page = client.get(response["Location"]).content.decode()
    assert "EK-2026-17" in page and "ethics.pdf" in page
    link = page.split('class="attachment-download"')[0].rsplit('href="', 1)[1].split('"')[0]
    downloaded = client.get(link.replace("&amp;", "&"))
    assert downloaded.status_code == 200
    assert b"".join(downloaded.streaming_content) == PDF


def test_a_missing_answer_is_shown_on_its_question_and_nothing_is_kept(
    client, restricted, form_version
):
    response = client.post(
        f"{CATALOGUE}{restricted.pk}/request/", _form(**{"answers.ethics-id": ""})
    )

    assert response.status_code == 200
    assert response.context["form"].errors["answers.ethics-id"]
    assert not AccessRequest.objects.exists()
    assert not RequestAttachment.objects.exists() and _stored_files() == []


def test_a_refused_document_is_shown_on_its_question_and_nothing_is_kept(
    client, restricted, form_version
):
    disguised = SimpleUploadedFile("ethics.pdf", EXE, "application/pdf")

    response = client.post(
        f"{CATALOGUE}{restricted.pk}/request/", _form(**{"answers.ethics-letter": disguised})
    )

    assert response.status_code == 200
    assert response.context["form"].errors["answers.ethics-letter"]
    assert not AccessRequest.objects.exists()
    assert not RequestAttachment.objects.exists() and _stored_files() == []


def test_a_returned_request_gets_a_new_document_and_is_submitted_again(
    client, researcher, steward, restricted, form_version
):
    client.post(f"{CATALOGUE}{restricted.pk}/request/", _form())
    mine = AccessRequest.objects.get()
    services.access_request_return(user=steward, request=mine, comment="The letter is unsigned.")
    edit_url = f"{REQUESTS}{mine.pk}/edit/"
    page = client.get(edit_url).content.decode()
    assert 'value="EK-2026-17"' in page  # answers come back filled in

    signed = SimpleUploadedFile("ethics-signed.pdf", PDF + b"%signed", "application/pdf")
    response = client.post(
        edit_url,
        _form(**{"answers.ethics-letter": signed, "_submit": "1", "accept_licence": None}),
    )

    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.state == RequestState.SUBMITTED
    newest = RequestAttachment.objects.order_by("-created").first()
    assert newest.original_name == "ethics-signed.pdf"
    assert mine.answers["ethics-letter"] == str(newest.pk)
