"""Input and output shapes of the access-request API. Output shapes are the public contract.

Inputs only parse: the rules (purpose length, duration bounds, licence acceptance, distributions
of the dataset) belong to the services, which answer in the same error shape. Where a rule is a
plain limit, the input declares it too, from the service's constant, so that the OpenAPI schema
states it.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from access import selectors
from access.models import AccessRequest, PurposeCategory, Recommendation, RequestState
from access.services import (
    MAX_COMMENT_LENGTH,
    MAX_PURPOSE_LENGTH,
    MIN_PURPOSE_LENGTH,
    QUESTION_KINDS,
)
from catalogue import selectors as catalogue_selectors
from catalogue.models import Dataset
from core.api.serializers import PartialInputMixin, StrictInputSerializer
from core.errors import NotFoundError

# A partner system, as requests and events name it; inline, not a $ref: OpenAPI 3.0 cannot make
# a referenced object nullable.
PARTNER_CLIENT_REF_SCHEMA = {
    "type": "object",
    "nullable": True,
    "required": ["id", "name"],
    "properties": {"id": {"type": "string", "format": "uuid"}, "name": {"type": "string"}},
}


# --- input ----------------------------------------------------------------------------------


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {"oneOf": [{"type": "string"}, {"type": "boolean"}]},
    }
)
class _AnswersField(serializers.JSONField):
    """Parsed only: the service checks each answer against the publisher's form."""


def ANSWERS_FIELD() -> _AnswersField:
    return _AnswersField(
        required=False,
        help_text="Answers to the publisher's application form: question key -> answer (text, "
        "yyyy-mm-dd date, chosen choice, true/false, or an attachment id of this request). "
        "Required questions must be answered on submission; on an edit, null removes an answer.",
    )


class _EditableFieldsInput(StrictInputSerializer):
    # The service's limits, so that the schema states them and they cannot drift apart; the
    # messages are the service's too. (It also asks for five words, which no schema can say.)
    purpose = serializers.CharField(
        min_length=MIN_PURPOSE_LENGTH,
        max_length=MAX_PURPOSE_LENGTH,
        error_messages={
            "min_length": f"At least {MIN_PURPOSE_LENGTH} characters and five words.",
            "max_length": f"At most {MAX_PURPOSE_LENGTH} characters.",
        },
        help_text="Purpose of use: at least one full sentence (five words).",
    )
    purpose_category = serializers.ChoiceField(
        choices=PurposeCategory.choices,
        required=False,
        allow_blank=True,
        help_text="What the data will be used for (optional; decision policies may use it).",
    )
    project_title = serializers.CharField(max_length=300, required=False, allow_blank=True)
    affiliation = serializers.CharField(max_length=300, required=False, allow_blank=True)
    duration_days = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="Requested access period in days, at most the publisher's maximum "
        "(default 90, or the maximum if lower).",
    )
    distributions = serializers.ListField(
        child=serializers.UUIDField(),
        required=False,
        max_length=500,
        help_text="Distribution ids of the dataset; empty or absent means all of them.",
    )
    answers = ANSWERS_FIELD()


class OnBehalfOfInputSerializer(StrictInputSerializer):
    """The researcher a partner client (scope access:request) submits the request for."""

    email = serializers.EmailField(
        max_length=254,
        help_text="The researcher's account is the one with this verified address; otherwise "
        "a new account is made, which the researcher claims by e-mail.",
    )
    name = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    affiliation = serializers.CharField(
        max_length=300,
        help_text="Must be the client's research organisation when the client is bound to one.",
    )
    orcid = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        default="",
        help_text="ORCID iD, 0000-0000-0000-000X (checked with its check character).",
    )


class AccessRequestCreateInputSerializer(_EditableFieldsInput):
    dataset = serializers.CharField(max_length=200, help_text="Dataset UUID or slug.")
    on_behalf_of = OnBehalfOfInputSerializer(
        required=False,
        help_text="Partner clients only (scope access:request): the researcher the request is "
        "for. A person sending it gets 403.",
    )
    accept_licence = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Must be true: you accept the current version of the dataset's licence.",
    )
    licence_version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="The licence version you read; refused if it is no longer the current one.",
    )
    draft = serializers.BooleanField(
        required=False, default=False, help_text="Keep the request as a draft (submit it later)."
    )

    def validate_dataset(self, value: str) -> Dataset:
        """An unknown dataset is bad input (400 on the field), not a 404."""
        try:
            return catalogue_selectors.dataset_get(
                id_or_slug=value, queryset=Dataset.objects.select_related("publisher", "licence")
            )
        except NotFoundError:
            raise serializers.ValidationError(f"Unknown dataset '{value}'.") from None


class AccessRequestUpdateInputSerializer(PartialInputMixin, _EditableFieldsInput):
    """PATCH: any of the editable fields, while the request is a draft or returned."""


class AccessRequestSubmitInputSerializer(StrictInputSerializer):
    accept_licence = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Needed when the licence text changed since it was accepted.",
    )
    licence_version = serializers.IntegerField(required=False, min_value=1)
    answers = ANSWERS_FIELD()


class AccessRequestApproveInputSerializer(StrictInputSerializer):
    comment = serializers.CharField(max_length=10_000, required=False, allow_blank=True, default="")
    valid_until = serializers.DateTimeField(
        required=False,
        help_text="When the access ends (ISO 8601). Default: the requested duration, capped by "
        "the publisher's maximum.",
    )


class AccessRequestRejectInputSerializer(StrictInputSerializer):
    reason = serializers.CharField(max_length=10_000, allow_blank=True)


class AccessRequestReturnInputSerializer(StrictInputSerializer):
    comment = serializers.CharField(
        max_length=10_000, allow_blank=True, help_text="What the researcher should change."
    )


class AccessRequestWithdrawInputSerializer(StrictInputSerializer):
    comment = serializers.CharField(max_length=10_000, required=False, allow_blank=True, default="")


class AccessRequestRevokeInputSerializer(StrictInputSerializer):
    reason = serializers.CharField(max_length=10_000, allow_blank=True)


class ReviewerInviteInputSerializer(StrictInputSerializer):
    email = serializers.EmailField(
        required=False, help_text="The reviewer's account e-mail (or give user)."
    )
    user = serializers.IntegerField(
        required=False, min_value=1, help_text="The reviewer's account id (or give email)."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("email" in attrs) == ("user" in attrs):
            raise serializers.ValidationError("Give the reviewer's email or user id, not both.")
        return attrs


class ReviewInputSerializer(StrictInputSerializer):
    recommendation = serializers.ChoiceField(choices=Recommendation.choices)
    comment = serializers.CharField(
        max_length=MAX_COMMENT_LENGTH, required=False, allow_blank=True, default=""
    )


class CommentInputSerializer(StrictInputSerializer):
    comment = serializers.CharField(max_length=MAX_COMMENT_LENGTH, allow_blank=True)


class AccessRequestRenewInputSerializer(StrictInputSerializer):
    accept_licence = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Must be true: you accept the current version of the dataset's licence.",
    )
    licence_version = serializers.IntegerField(required=False, min_value=1)
    purpose = serializers.CharField(
        required=False,
        min_length=MIN_PURPOSE_LENGTH,
        max_length=MAX_PURPOSE_LENGTH,
        help_text="Default: the purpose of the request renewed.",
    )
    duration_days = serializers.IntegerField(
        required=False, min_value=1, help_text="Default: the duration of the request renewed."
    )


class GrantRelinquishInputSerializer(StrictInputSerializer):
    comment = serializers.CharField(max_length=10_000, required=False, allow_blank=True, default="")


# --- output ---------------------------------------------------------------------------------


class ReviewOutputSerializer(serializers.Serializer):
    reviewer = serializers.CharField(source="reviewer.username")
    recommendation = serializers.ChoiceField(choices=Recommendation.choices)
    comment = serializers.CharField()
    created = serializers.DateTimeField()


class ReviewInvitationOutputSerializer(serializers.Serializer):
    reviewer = serializers.CharField(source="reviewer.username")
    reviewer_email = serializers.EmailField(source="reviewer.email")
    invited_by = serializers.CharField(
        source="invited_by.username",
        allow_null=True,
        help_text="Null when a decision policy routed the request to the reviewer.",
    )
    created = serializers.DateTimeField()


class CommentOutputSerializer(serializers.Serializer):
    author = serializers.CharField(source="actor.username", allow_null=True)
    comment = serializers.CharField()
    created = serializers.DateTimeField()


class AccessRequestDatasetSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    slug = serializers.SlugField()
    title = serializers.CharField()
    publisher = serializers.SlugField(source="publisher.slug")


class LicenceAcceptanceSerializer(serializers.Serializer):
    licence = serializers.CharField(source="licence_version.licence.identifier")
    version = serializers.IntegerField(source="licence_version.version")
    accepted_at = serializers.DateTimeField(source="licence_accepted_at")


class AccessRequestGrantSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    state = serializers.CharField()
    expires_at = serializers.DateTimeField()
    url = serializers.URLField(help_text="The grant, with its token and download links.")


class QuestionSerializer(serializers.Serializer):
    key = serializers.SlugField()
    label = serializers.CharField()
    kind = serializers.ChoiceField(choices=QUESTION_KINDS)
    required = serializers.BooleanField()
    help_text = serializers.CharField()
    choices = serializers.ListField(child=serializers.CharField())
    order = serializers.IntegerField()


class ApplicationFormVersionSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="form_id", help_text="The form (same for all versions).")
    name = serializers.CharField(source="form.name")
    version = serializers.IntegerField()
    questions = QuestionSerializer(many=True)
    created = serializers.DateTimeField()


class RequestFormSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="form_id")
    version = serializers.IntegerField()
    questions = QuestionSerializer(many=True)


class AccessRequestOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    url = serializers.SerializerMethodField()
    state = serializers.ChoiceField(choices=RequestState.choices)
    dataset = AccessRequestDatasetSerializer()
    requester = serializers.CharField(source="requester.username")
    purpose = serializers.CharField()
    purpose_category = serializers.ChoiceField(
        choices=[("", "Not given"), *PurposeCategory.choices],
        help_text="What the data will be used for; empty when not given.",
    )
    project_title = serializers.CharField()
    affiliation = serializers.CharField()
    duration_days = serializers.IntegerField()
    whole_dataset = serializers.BooleanField(
        help_text="True when the request asks for every distribution of the dataset."
    )
    distributions = serializers.SerializerMethodField(
        help_text="The distributions chosen (empty when asking for the whole dataset)."
    )
    approved_distributions = serializers.SerializerMethodField(
        help_text="The distributions the approval covers, fixed when it was approved (empty "
        "before approval); the grant opens exactly these while they exist."
    )
    licence_acceptance = LicenceAcceptanceSerializer(source="*")
    created = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    deadline = serializers.DateTimeField(
        allow_null=True, help_text="When the stewards should have decided."
    )
    decided_at = serializers.DateTimeField(allow_null=True)
    decided_by = serializers.CharField(
        source="decided_by.username",
        allow_null=True,
        help_text="Null when undecided or decided by a decision policy (the decision_reason and "
        "the approval event name the policy and its version).",
    )
    assigned_to = serializers.SerializerMethodField(
        help_text="The steward a decision policy assigned the request to (any steward may still "
        "decide); null when none, and always for the requester."
    )
    decision_reason = serializers.CharField(
        help_text="The approval comment, rejection reason or return comment."
    )
    valid_until = serializers.DateTimeField(
        allow_null=True, help_text="When the approved access ends."
    )
    grant = serializers.SerializerMethodField()
    form = serializers.SerializerMethodField(
        help_text="The publisher's form version the answers were checked against (null when "
        "the publisher asks nothing)."
    )
    answers = serializers.DictField(help_text="Question key -> answer.")
    requester_orcid = serializers.CharField(
        help_text="The researcher's ORCID iD, when the partner that submitted it gave one."
    )
    submitted_by_client = serializers.SerializerMethodField(
        help_text="The partner system that submitted the request for the researcher (null "
        "when the researcher did)."
    )

    @extend_schema_field(PARTNER_CLIENT_REF_SCHEMA)
    def get_submitted_by_client(self, request: AccessRequest) -> dict | None:
        client = request.submitted_by_client
        return {"id": client.pk, "name": client.name} if client else None

    # Inline, not a $ref: OpenAPI 3.0 cannot make a referenced object nullable.
    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "required": ["id", "version", "questions"],
            "properties": {
                "id": {"type": "integer"},
                "version": {"type": "integer"},
                "questions": {
                    "type": "array",
                    "items": {"$ref": "#/components/schemas/Question"},
                },
            },
        }
    )
    def get_form(self, request: AccessRequest) -> dict | None:
        version = request.form_version
        return RequestFormSerializer(version).data if version is not None else None

    renewal_of = serializers.UUIDField(
        source="renews_id",
        allow_null=True,
        help_text="The approved request this one renews (its grant works until the decision).",
    )
    reviews = serializers.SerializerMethodField(
        help_text="Invited reviewers' recommendations, oldest first, for stewards and reviewers "
        "in the request's own answer (its detail and actions); null for the requester, from "
        "whom reviews are hidden (as in REMS), and in lists (see .../reviews/)."
    )

    @extend_schema_field(ReviewOutputSerializer(many=True, allow_null=True))
    def get_reviews(self, request: AccessRequest) -> list[dict] | None:
        http_request = self.context.get("request")
        # Not in lists: a list keeps a constant number of queries whatever its page size.
        if not self.context.get("with_reviews") or http_request is None:
            return None
        if not selectors.sees_reviews(user=http_request.user, request=request):
            return None
        reviews = selectors.access_request_reviews(user=http_request.user, request=request)
        return ReviewOutputSerializer(reviews, many=True).data

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_assigned_to(self, request: AccessRequest) -> str | None:
        http_request = self.context.get("request")
        if request.assigned_to is None or http_request is None:
            return None
        if request.requester_id == http_request.user.pk:
            return None  # internal to the publisher, as the reviewers are
        return request.assigned_to.get_username()

    @extend_schema_field(serializers.URLField())
    def get_url(self, request: AccessRequest) -> str:
        path = reverse("api:access-request-detail", kwargs={"id": str(request.pk)})
        http_request = self.context.get("request")
        return http_request.build_absolute_uri(path) if http_request else path

    @extend_schema_field(serializers.ListField(child=serializers.UUIDField()))
    def get_distributions(self, request: AccessRequest) -> list[str]:
        # .all() uses the prefetch of the visible queryset: no query per row.
        return sorted(str(d.pk) for d in request.distributions.all())

    @extend_schema_field(serializers.ListField(child=serializers.UUIDField()))
    def get_approved_distributions(self, request: AccessRequest) -> list[str]:
        return sorted(str(d.pk) for d in request.approved_distributions.all())

    @extend_schema_field(AccessRequestGrantSerializer(allow_null=True))
    def get_grant(self, request: AccessRequest) -> dict | None:
        """The grant once a worker provisioned it (seconds after approval); null before."""
        grant = getattr(request, "grant", None)
        if grant is None:
            return None
        path = reverse("api:grant-detail", kwargs={"pk": str(grant.pk)})
        http_request = self.context.get("request")
        return AccessRequestGrantSerializer(
            {
                "id": grant.pk,
                "state": grant.state,
                "expires_at": grant.expires_at,
                "url": http_request.build_absolute_uri(path) if http_request else path,
            }
        ).data


class AccessEventOutputSerializer(serializers.Serializer):
    position = serializers.IntegerField(help_text="Place in the installation-wide audit chain.")
    action = serializers.CharField()
    actor = serializers.CharField(
        source="actor.username", allow_null=True, help_text="Null for actions of the system."
    )
    actor_client = serializers.SerializerMethodField(
        help_text="The partner system that acted through its service user (null for people "
        "and the system)."
    )
    from_state = serializers.CharField()
    to_state = serializers.CharField()
    comment = serializers.CharField()
    created = serializers.DateTimeField()
    hash = serializers.CharField(
        help_text="SHA-256 over the event and the previous event's hash (hex)."
    )
    policy = serializers.SerializerMethodField(
        help_text="The decision policy that took this action (approved, assigned, invited a "
        "reviewer), with its version; null for actions of people."
    )

    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "required": ["id", "builtin", "name", "version", "effect"],
            "properties": {
                "id": {"type": "string", "format": "uuid", "nullable": True},
                "builtin": {"type": "string", "nullable": True},
                "name": {"type": "string"},
                "version": {"type": "integer"},
                "effect": {"type": "string", "enum": ["approve", "route"]},
            },
        }
    )
    def get_policy(self, event) -> dict | None:
        decision = getattr(event, "policy_decision", None)
        if decision is None:
            return None
        version = decision.policy_version
        if version is not None:
            return {"id": str(version.policy_id), "builtin": None, "name": version.name,
                    "version": version.version, "effect": decision.effect}  # fmt: skip
        return {"id": None, "builtin": decision.builtin, "name": decision.builtin,
                "version": decision.builtin_version, "effect": decision.effect}  # fmt: skip

    @extend_schema_field(PARTNER_CLIENT_REF_SCHEMA)
    def get_actor_client(self, event) -> dict | None:
        if event.actor_client_id is None:
            return None
        return {"id": event.actor_client_id, "name": event.actor_client_name}


class ApplicationFormInputSerializer(StrictInputSerializer):
    """PUT: the questions of the new version (checked field by field by the service)."""

    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    questions = serializers.JSONField(
        help_text="A list of questions: key (slug), label, kind (text, long_text, choice, date, "
        "boolean, attachment), required, help_text, choices (choice only), order."
    )
