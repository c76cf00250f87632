"""Attachments: size and type limits with nothing left behind, visibility exactly the request's,
and signed download links that give back the very bytes."""

from __future__ import annotations

import hashlib
import io
import time
import zipfile
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from access import services
from access.events import AuditAction
from access.models import AccessEvent, RequestAttachment
from tests.access.factories import PURPOSE, submitted_request
from tests.accounts.factories import UserFactory, token_client

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n" + b"1 0 obj << /Type /Catalog >> endobj\n" * 200 + b"%%EOF\n"
HTML = b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200


@pytest.fixture
def draft(researcher, restricted):
    return services.access_request_create(
        requester=researcher, dataset=restricted, purpose=PURPOSE, accept_licence=True, submit=False
    )


def _url(request) -> str:
    return f"/api/v1/access-requests/{request.pk}/attachments/"


def _upload(client, request, name: str, content: bytes, **extra):
    data = {"file": SimpleUploadedFile(name, content, content_type="application/pdf")}
    if "question_key" in extra:
        data["question_key"] = extra.pop("question_key")
    return client.post(_url(request), data, format="multipart", **extra)


def _stored_files() -> list[Path]:
    root = Path(settings.ATTACHMENT_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _nothing_stored() -> bool:
    return not RequestAttachment.objects.exists() and not _stored_files()


def _download(client, url: str):
    return client.get(url)


def test_requester_uploads_and_downloads_the_same_bytes(researcher_client, draft):
    response = _upload(researcher_client, draft, "Ethics approval.pdf", PDF)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["name"] == "Ethics approval.pdf"
    assert body["size"] == len(PDF)
    assert body["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert body["content_type"] == "application/pdf"

    download = _download(researcher_client, body["download_url"])
    assert download.status_code == 200
    data = b"".join(download.streaming_content)
    assert data == PDF and hashlib.sha256(data).hexdigest() == body["sha256"]
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"

    event = AccessEvent.objects.filter(access_request=draft).order_by("-position").first()
    assert event.action == AuditAction.ATTACHMENT_ADDED
    assert "Ethics approval.pdf" in event.comment


def test_the_name_is_sanitised_and_the_file_kept_out_of_public_urls(researcher_client, draft):
    response = _upload(researcher_client, draft, "..\\..\\évaluation<1>|été;.pdf", PDF)
    assert response.status_code == 201, response.json()
    assert response.json()["name"] == "évaluation_1__été_.pdf"
    (stored,) = _stored_files()
    assert Path(settings.ATTACHMENT_ROOT) in stored.parents
    assert ".." not in stored.relative_to(settings.ATTACHMENT_ROOT).parts


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ('../../etc/"passwd".pdf', "_passwd_.pdf"),
        ("a\r\nContent-Type: text.pdf", "a__Content-Type_ text.pdf"),
        ("rapport\u202egpj.pdf", "rapport_gpj.pdf"),
        ("...", "attachment"),
        ("x" * 300 + ".pdf", "x" * 196 + ".pdf"),
    ],
)
def test_names_lose_what_means_something_to_a_file_system_or_a_header(raw, clean):
    assert services.attachment_clean_name(raw) == clean


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("ethics.pdf", HTML),
        ("ethics.pdf", EXE),
        ("plan.txt", EXE),
        ("plan.txt", HTML),
        ("plan.csv", b"a,b\n\x00\x01\x02"),
        ("photo.png", PDF),
        ("plan.docx", b"PK\x03\x04" + b"\x00" * 100),
        ("setup.exe", EXE),
        ("page.html", HTML),
        ("noextension", PDF),
    ],
)
def test_a_file_whose_content_is_not_an_accepted_type_is_refused_415(
    researcher_client, draft, name, content
):
    response = _upload(researcher_client, draft, name, content)
    assert response.status_code == 415, response.json()
    assert response.json()["error"]["code"] == "unsupported_media_type"
    assert _nothing_stored()


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def _odt() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text"
        )  # stored, first: as OpenDocument requires
        archive.writestr("content.xml", "<office:document-content/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("plan.txt", "Données pseudonymisées, Würzburg.\n".encode(), "text/plain"),
        ("samples.csv", b"site,year\nBY-1,2019\n", "text/csv"),
        ("scan.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png"),
        ("scan.JPG", b"\xff\xd8\xff\xe0" + b"\x00" * 64, "image/jpeg"),
        ("plan.docx", _docx(), services.attachments.DOCX),
        ("plan.odt", _odt(), services.attachments.ODT),
    ],
)
def test_accepted_types_are_recognised_from_their_content(
    researcher_client, draft, name, content, content_type
):
    response = _upload(researcher_client, draft, name, content)
    assert response.status_code == 201, response.json()
    assert response.json()["content_type"] == content_type


def test_a_declared_length_over_the_limit_is_refused_before_reading(
    researcher_client, draft, settings
):
    settings.ATTACHMENT_MAX_BYTES = 1000
    response = _upload(researcher_client, draft, "big.pdf", PDF, CONTENT_LENGTH=str(50 * 1024**2))
    assert response.status_code == 413
    assert response.json()["error"]["max_bytes"] == 1000
    assert _nothing_stored()


def test_a_file_over_the_limit_is_refused_while_it_streams(researcher_client, draft, settings):
    settings.ATTACHMENT_MAX_BYTES = 1000  # the body declares less than limit + multipart slack
    response = _upload(researcher_client, draft, "big.pdf", PDF)
    assert len(PDF) > 1000
    assert response.status_code == 413
    assert _nothing_stored()


def test_the_service_counts_the_bytes_whatever_the_upload_says(researcher, draft, settings):
    settings.ATTACHMENT_MAX_BYTES = 1000
    upload = SimpleUploadedFile("big.pdf", PDF)
    upload.size = 10  # a lying upload
    with pytest.raises(services.attachments.PayloadTooLargeError):
        services.attachment_add(user=researcher, request=draft, upload=upload)
    assert _nothing_stored()


def test_an_empty_file_is_refused(researcher_client, draft):
    response = _upload(researcher_client, draft, "empty.pdf", b"")
    assert response.status_code == 400
    assert _nothing_stored()


def test_another_users_attachment_is_not_found(researcher_client, draft, restricted):
    body = _upload(researcher_client, draft, "ethics.pdf", PDF).json()
    stranger = token_client(UserFactory(username="stranger"))
    assert stranger.get(_url(draft)).status_code == 404
    assert stranger.get(f"{_url(draft)}{body['id']}/").status_code == 404
    assert stranger.delete(f"{_url(draft)}{body['id']}/").status_code == 404
    assert _upload(stranger, draft, "mine.pdf", PDF).status_code == 404
    # Their own request does not open another's attachment either.
    own = submitted_request(UserFactory(username="stranger2"), restricted)
    assert token_client(own.requester).get(f"{_url(own)}{body['id']}/").status_code == 404
    assert RequestAttachment.objects.count() == 1


def test_stewards_see_attachments_once_submitted_others_do_not(
    researcher, researcher_client, steward_client, draft, other_dataset
):
    attachment_id = _upload(researcher_client, draft, "ethics.pdf", PDF).json()["id"]
    assert steward_client.get(_url(draft)).status_code == 404  # a draft is the researcher's
    services.access_request_submit(user=researcher, request=draft)
    listed = steward_client.get(_url(draft))
    assert listed.status_code == 200
    (item,) = listed.json()["results"]
    assert item["id"] == attachment_id
    assert b"".join(_download(steward_client, item["download_url"]).streaming_content) == PDF
    # The steward of another publisher sees nothing of it.
    rival = UserFactory(username="rival-steward")
    other_dataset.publisher.stewards.add(rival)
    assert token_client(rival).get(_url(draft)).status_code == 404
    # And cannot change it: only the requester, and only while draft or returned.
    delete = steward_client.delete(f"{_url(draft)}{attachment_id}/")
    assert delete.status_code == 403


def test_attachments_change_only_while_draft_or_returned(researcher, researcher_client, draft):
    attachment_id = _upload(researcher_client, draft, "ethics.pdf", PDF).json()["id"]
    services.access_request_submit(user=researcher, request=draft)
    assert _upload(researcher_client, draft, "more.pdf", PDF).status_code == 409
    assert researcher_client.delete(f"{_url(draft)}{attachment_id}/").status_code == 409
    assert RequestAttachment.objects.count() == 1


def test_removing_an_attachment_removes_file_row_and_answer(
    researcher, researcher_client, draft, steward, publisher, django_capture_on_commit_callbacks
):
    services.application_form_publish(
        user=steward,
        publisher=publisher,
        questions=[
            {"key": "ethics", "label": "Ethics letter", "kind": "attachment", "required": True}
        ],
    )
    refused = _upload(researcher_client, draft, "ethics.pdf", PDF, question_key="nope")
    assert refused.status_code == 400 and "question_key" in refused.json()["error"]["fields"]
    body = _upload(researcher_client, draft, "ethics.pdf", PDF, question_key="ethics").json()
    draft.refresh_from_db()
    assert draft.answers == {"ethics": body["id"]}
    with django_capture_on_commit_callbacks(execute=True):
        response = researcher_client.delete(f"{_url(draft)}{body['id']}/")
    assert response.status_code == 204
    assert _nothing_stored()
    draft.refresh_from_db()
    assert draft.answers == {}
    assert draft.events.order_by("-position").first().action == AuditAction.ATTACHMENT_REMOVED
    # The required attachment question is now unanswered: submission says so.
    submit = researcher_client.post(f"/api/v1/access-requests/{draft.pk}/submit/", {}, "json")
    assert submit.status_code == 400
    assert list(submit.json()["error"]["fields"]) == ["answers.ethics"]


# --- the signed link ----------------------------------------------------------------------------


@pytest.fixture
def link(researcher_client, draft) -> str:
    return _upload(researcher_client, draft, "ethics.pdf", PDF).json()["download_url"]


def _with(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query.update(changes)
    return f"{parts.path}?" + "&".join(f"{k}={v}" for k, v in query.items())


def test_the_link_works_without_credentials(api_client, link):
    response = api_client.get(link)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF


@pytest.mark.parametrize(
    "changes",
    [
        {"signature": "AAAA"},
        {"expires": "9999999999"},
        {"user": "999999"},
        {"signature": ""},
        {"expires": "soon"},
        {"signature": "é"},
    ],
)
def test_a_tampered_link_is_refused(api_client, link, changes):
    response = api_client.get(_with(link, **changes))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_a_link_for_another_attachment_is_refused(api_client, researcher_client, draft, link):
    other = _upload(researcher_client, draft, "plan.pdf", PDF).json()
    forged = _with(link).replace(urlsplit(link).path, urlsplit(other["download_url"]).path)
    assert api_client.get(forged).status_code == 403


def test_an_expired_link_is_refused(api_client, link, monkeypatch):
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 3600)
    assert api_client.get(link).status_code == 410


def test_a_link_stops_when_its_holder_no_longer_sees_the_request(
    api_client, researcher, steward, steward_client, publisher, draft, researcher_client
):
    _upload(researcher_client, draft, "ethics.pdf", PDF)
    services.access_request_submit(user=researcher, request=draft)
    (item,) = steward_client.get(_url(draft)).json()["results"]
    assert api_client.get(item["download_url"]).status_code == 200
    publisher.stewards.remove(steward)
    assert api_client.get(item["download_url"]).status_code == 403
