"""Publishers' application forms: their questions (versioned like licences) and the answers
requests give to them.

A form's questions change only by publishing a new version; earlier versions stay, because each
request records the version it answered. Answers are checked here, one rule per kind, and every
refusal names its place (``questions.<n>.<field>``, ``answers.<key>``), so that the API and the
forms put it on the right field.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Iterable
from datetime import date
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction

from access.models import ApplicationForm, ApplicationFormVersion
from catalogue.models import Publisher
from catalogue.selectors import publishers_stewarded_by
from core.errors import ApplicationError, NotFoundError

# --- questions --------------------------------------------------------------------------------

QUESTION_KINDS = ("text", "long_text", "choice", "date", "boolean", "attachment")
QUESTION_FIELDS = {"key", "label", "kind", "required", "help_text", "choices", "order"}
MAX_QUESTIONS = 50
MAX_LABEL_LENGTH = 300
MAX_HELP_TEXT_LENGTH = 2000
MAX_CHOICES = 100
MAX_CHOICE_LENGTH = 200
MAX_FORM_NAME_LENGTH = 200
KEY_RE = re.compile(r"^[a-z0-9](?:[a-z0-9_-]{0,62}[a-z0-9])?$")

MAX_TEXT_ANSWER = 2000
MAX_LONG_TEXT_ANSWER = 20_000
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _has_control(value: str, allowed: str = "") -> bool:
    """Control characters (NUL, escapes) never belong in a form; PostgreSQL's jsonb refuses NUL."""
    return any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in value)


def _clean_question(raw: Any, place: str, errors: dict[str, list[str]]) -> dict[str, Any] | None:
    def error(field: str, message: str) -> None:
        errors.setdefault(f"{place}.{field}" if field else place, []).append(message)

    if not isinstance(raw, dict):
        error("", "Each question is an object with key, label and kind.")
        return None
    for unknown in sorted(set(raw) - QUESTION_FIELDS):
        error(unknown, f"Unknown field. Allowed: {', '.join(sorted(QUESTION_FIELDS))}.")
    key, label, kind = raw.get("key"), raw.get("label"), raw.get("kind")
    if not isinstance(key, str) or not KEY_RE.match(key):
        error("key", "A slug of 1 to 64 lower-case letters, digits, '-' or '_'.")
    if not isinstance(label, str) or not label.strip():
        error("label", "Required: the question as the researcher reads it.")
    elif len(label) > MAX_LABEL_LENGTH:
        error("label", f"At most {MAX_LABEL_LENGTH} characters.")
    elif _has_control(label):
        error("label", "Control characters and line breaks are not allowed.")
    if kind not in QUESTION_KINDS:
        error("kind", f"One of: {', '.join(QUESTION_KINDS)}.")
    required = raw.get("required", False)
    if not isinstance(required, bool):
        error("required", "true or false.")
    help_text = raw.get("help_text", "")
    if not isinstance(help_text, str):
        error("help_text", "A string.")
    elif len(help_text) > MAX_HELP_TEXT_LENGTH:
        error("help_text", f"At most {MAX_HELP_TEXT_LENGTH} characters.")
    elif _has_control(help_text, "\n\r\t"):
        error("help_text", "Control characters are not allowed.")
    order = raw.get("order", 0)
    if isinstance(order, bool) or not isinstance(order, int) or not -10_000 <= order <= 10_000:
        error("order", "A whole number between -10000 and 10000.")
    choices = raw.get("choices")
    if kind == "choice":
        if not isinstance(choices, list) or not choices:
            error("choices", "A choice question needs a list of choices.")
        elif len(choices) > MAX_CHOICES:
            error("choices", f"At most {MAX_CHOICES} choices.")
        elif not all(
            isinstance(c, str) and c.strip() and len(c) <= MAX_CHOICE_LENGTH and not _has_control(c)
            for c in choices
        ):
            error("choices", f"Each choice is a non-empty line of at most {MAX_CHOICE_LENGTH}.")
        elif len(set(choices)) != len(choices):
            error("choices", "Choices must differ from one another.")
    elif choices not in (None, []):
        error("choices", "Only choice questions have choices.")
    if any(name.startswith(place) for name in errors):
        return None
    return {
        "key": key,
        "label": label.strip(),
        "kind": kind,
        "required": required,
        "help_text": help_text.strip(),
        "choices": list(choices) if kind == "choice" else [],
        "order": order,
    }


def questions_clean(questions: Any) -> list[dict[str, Any]]:
    """The questions in their stored shape, ordered, or a 400 naming every bad field."""
    if not isinstance(questions, list):
        raise ApplicationError(
            "The questions are a list.", fields={"questions": ["A list of questions."]}
        )
    if len(questions) > MAX_QUESTIONS:
        raise ApplicationError(
            f"A form has at most {MAX_QUESTIONS} questions.",
            fields={"questions": [f"At most {MAX_QUESTIONS} questions; got {len(questions)}."]},
        )
    errors: dict[str, list[str]] = {}
    cleaned: list[tuple[int, dict[str, Any]]] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(questions):
        question = _clean_question(raw, f"questions.{index}", errors)
        if question is None:
            continue
        if question["key"] in seen:
            errors.setdefault(f"questions.{index}.key", []).append(
                f"The key '{question['key']}' is already used by question {seen[question['key']]}."
            )
            continue
        seen[question["key"]] = index
        cleaned.append((index, question))
    if errors:
        first = next(iter(errors))
        raise ApplicationError(f"Invalid questions: {first}: {errors[first][0]}", fields=errors)
    # Stable: questions with the same order keep the order they were given in.
    return [
        question for _, question in sorted(cleaned, key=lambda item: (item[1]["order"], item[0]))
    ]


@transaction.atomic
def application_form_publish(
    *,
    user: AbstractBaseUser | None,
    publisher: Publisher,
    questions: Any,
    name: str | None = None,
    form: ApplicationForm | None = None,
) -> ApplicationFormVersion:
    """Publish questions as the new version of ``form`` (default: the publisher's active form,
    created if there is none). Questions equal to the current version's publish nothing and
    return it. Only the publisher's stewards (or a superuser, or the system) publish."""
    if user is not None and not publishers_stewarded_by(user=user).filter(pk=publisher.pk).exists():
        raise NotFoundError(f"No publisher '{publisher.slug}' that you steward.")
    cleaned = questions_clean(questions)
    name = " ".join((name or "").split())
    if len(name) > MAX_FORM_NAME_LENGTH or _has_control(name):
        raise ApplicationError(
            "The form's name is too long.",
            fields={"name": [f"At most {MAX_FORM_NAME_LENGTH} characters, one line."]},
        )
    if form is None:
        form = ApplicationForm.objects.filter(publisher=publisher, active=True).first()
    if form is None:
        try:
            with transaction.atomic():
                form = ApplicationForm.objects.create(
                    publisher=publisher, name=name or "Application form", active=True
                )
        except IntegrityError:  # a concurrent publication created it first
            form = ApplicationForm.objects.get(publisher=publisher, active=True)
    elif form.publisher_id != publisher.pk:
        raise NotFoundError("No such form of this publisher.")
    form = ApplicationForm.objects.select_for_update().get(pk=form.pk)
    if name and name != form.name:
        form.name = name
        form.save(update_fields=["name"])
    current = form.current_version
    if current is not None and current.questions == cleaned:
        return current
    return ApplicationFormVersion.objects.create(
        form=form,
        version=(current.version + 1) if current else 1,
        questions=cleaned,
        created_by=user if user is not None and user.is_authenticated else None,
    )


def application_form_current(*, publisher: Publisher | int) -> ApplicationFormVersion | None:
    """The version requests for the publisher's datasets answer now: the current version of
    its active form, or None when it asks nothing."""
    publisher_id = getattr(publisher, "pk", publisher)
    form = (
        ApplicationForm.objects.filter(publisher_id=publisher_id, active=True)
        .prefetch_related("versions")
        .first()
    )
    return form.current_version if form else None


# --- answers ----------------------------------------------------------------------------------


def _clean_answer(
    question: dict[str, Any], value: Any, attachment_ids: set[str]
) -> tuple[Any, str]:
    """The value to store and '' or the reason it is refused."""
    kind = question["kind"]
    if kind in ("text", "long_text", "choice", "date", "attachment") and not isinstance(value, str):
        return None, "A string is expected."
    if kind == "text":
        value = value.strip()
        if len(value) > MAX_TEXT_ANSWER:
            return None, f"At most {MAX_TEXT_ANSWER} characters."
        if _has_control(value, "\t"):
            return None, "One line, without control characters."
    elif kind == "long_text":
        value = value.strip()
        if len(value) > MAX_LONG_TEXT_ANSWER:
            return None, f"At most {MAX_LONG_TEXT_ANSWER} characters."
        if _has_control(value, "\n\r\t"):
            return None, "Control characters are not allowed."
    elif kind == "choice":
        if value not in question["choices"]:
            return None, f"One of: {', '.join(question['choices'])}."
    elif kind == "date":
        try:
            if not DATE_RE.match(value):
                raise ValueError
            date.fromisoformat(value)
        except ValueError:
            return None, "A date written yyyy-mm-dd."
    elif kind == "boolean":
        if not isinstance(value, bool):
            return None, "true or false."
    elif kind == "attachment":
        try:
            value = str(uuid.UUID(value))
        except ValueError:
            return None, "The id of an attachment of this request."
        if value not in attachment_ids:
            return None, "No attachment with this id on this request."
    return value, ""


def answers_clean(
    *,
    version: ApplicationFormVersion | None,
    answers: Any,
    attachment_ids: Iterable[str] = (),
    complete: bool,
) -> dict[str, Any]:
    """The answers as stored: each checked against its question, empty ones left out. With
    ``complete`` (at submission) every required question must be answered. Refusals name
    ``answers.<key>``."""
    if answers is None:
        answers = {}
    if not isinstance(answers, dict):
        raise ApplicationError(
            "The answers are an object: question key -> answer.",
            fields={"answers": ["An object mapping question keys to answers."]},
        )
    questions = {q["key"]: q for q in (version.questions if version else [])}
    attachment_ids = {str(a) for a in attachment_ids}
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for key, value in answers.items():
        question = questions.get(key)
        if question is None:
            errors[f"answers.{key}"] = ["No such question in the publisher's current form."]
            continue
        if value is None or value == "":
            continue
        value, problem = _clean_answer(question, value, attachment_ids)
        if problem:
            errors[f"answers.{key}"] = [problem]
        elif value != "":
            cleaned[key] = value
    if complete:
        for key, question in questions.items():
            if question["required"] and key not in cleaned and f"answers.{key}" not in errors:
                errors[f"answers.{key}"] = ["This question must be answered."]
    if errors:
        first = next(iter(errors))
        raise ApplicationError(
            f"Some answers do not fit the form: {first}: {errors[first][0]}", fields=errors
        )
    return cleaned
