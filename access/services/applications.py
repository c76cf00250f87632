"""A whole application in one step, as a web form sends it: the request's fields, the answers to
the publisher's questions and the documents for its attachment questions, then submission.

Either all of it is kept or none of it: a refused document, a missing answer or a licence that
changed leaves no request, no attachment row and no file on disk.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile

from access.models import AccessRequest
from catalogue.models import Dataset
from core.errors import ApplicationError

from .attachments import attachment_add, attachment_storage
from .audit import audited_atomic
from .requests import access_request_create, access_request_submit, access_request_update

T = TypeVar("T")


def _all_or_nothing(work: Callable[[list[str]], T]) -> T:
    """Run ``work`` in one transaction; the files it stored (names appended to the list it is
    given) are removed again when the transaction does not commit."""
    stored: list[str] = []
    try:
        with audited_atomic():
            return work(stored)
    except BaseException:
        for name in stored:
            attachment_storage().delete(name)
        raise


def _attach(
    *, user: AbstractBaseUser, request: AccessRequest, uploads: Mapping[str, UploadedFile],
    stored: list[str],
) -> None:  # fmt: skip
    for key, upload in uploads.items():
        try:
            attachment = attachment_add(user=user, request=request, upload=upload, question_key=key)
        except ApplicationError as exc:
            # The document answers a question: its refusal belongs to that question's field.
            exc.fields = {f"answers.{key}": [exc.message]}
            raise
        stored.append(attachment.file.name)


def access_request_apply(
    *,
    requester: AbstractBaseUser,
    dataset: Dataset,
    uploads: Mapping[str, UploadedFile] | None = None,
    submit: bool = True,
    **fields: Any,
) -> AccessRequest:
    """Create a request with its answers and documents, and submit it (unless ``submit`` is
    false). ``fields`` are those of ``access_request_create``; ``uploads`` maps an attachment
    question's key to its file."""

    def work(stored: list[str]) -> AccessRequest:
        request = access_request_create(
            requester=requester, dataset=dataset, submit=False, **fields
        )
        _attach(user=requester, request=request, uploads=uploads or {}, stored=stored)
        if submit:
            access_request_submit(user=requester, request=request)
            request.refresh_from_db()
        return request

    return _all_or_nothing(work)


def access_request_revise(
    *,
    user: AbstractBaseUser,
    request: AccessRequest,
    changes: dict[str, Any],
    uploads: Mapping[str, UploadedFile] | None = None,
    submit: bool = False,
    accept_licence: bool | None = None,
    licence_version: int | None = None,
) -> AccessRequest:
    """Change a draft or returned request (fields, answers, documents) and optionally submit it
    again, all in one transaction."""

    def work(stored: list[str]) -> AccessRequest:
        revised = request
        if changes:
            revised = access_request_update(user=user, request=revised, changes=changes)
        _attach(user=user, request=revised, uploads=uploads or {}, stored=stored)
        if submit:
            revised = access_request_submit(
                user=user,
                request=revised,
                accept_licence=accept_licence,
                licence_version=licence_version,
            )
        return revised

    return _all_or_nothing(work)
