"""The decision-policy API: /api/v1/policies/ for the publishers' stewards.

Every lookup goes through the policies of the publishers the caller stewards, so another
publisher's policy answers 404. Inputs only parse; the service checks the rule as a whole and
answers every bad field at once (``conditions.<n>.<parameter>`` and so on).
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from access import selectors, services
from access.models import DecisionPolicy, PolicyEffect, PurposeCategory, RouteRole
from access.policy_conditions import condition_kinds
from catalogue import selectors as catalogue_selectors
from catalogue.models import Publisher
from core.api.pagination import BoundedPageNumberPagination
from core.api.params import reject_unknown_params
from core.api.schema import error_response, filter_parameters
from core.api.serializers import PartialInputMixin, StrictInputSerializer
from core.errors import NotFoundError
from core.partners import ACCESS_DECIDE

from .serializers import AccessRequestCreateInputSerializer

# --- input ----------------------------------------------------------------------------------


@extend_schema_field(
    {
        "type": "array",
        "maxItems": 20,
        "items": {
            "type": "object",
            "required": ["kind"],
            "properties": {"kind": {"type": "string"}},
            "additionalProperties": True,
        },
    }
)
class _ConditionsField(serializers.JSONField):
    """Parsed only: each kind checks its own parameters (access.policy_conditions)."""


def CONDITIONS_FIELD() -> _ConditionsField:
    return _ConditionsField(
        required=False,
        help_text="Conditions that must all hold, each {kind, parameters}: email_domain "
        "{domains}, affiliation {values}, research_organisation {values}, submitting_client "
        "{clients}, purpose_category {categories}, max_duration {days}, form_answer {key, value}, "
        "licence_accepted {licence, min_version?}, access_rights {values} (and the kinds an "
        "installation adds in ACCESS_POLICY_CONDITIONS). Empty: every request.",
    )


class _PolicyFieldsInput(StrictInputSerializer):
    name = serializers.CharField(max_length=200)
    priority = serializers.IntegerField(
        required=False,
        min_value=-10_000,
        max_value=10_000,
        help_text="Lower runs first (default 100); the first policy whose conditions hold decides.",
    )
    active = serializers.BooleanField(required=False)
    conditions = CONDITIONS_FIELD()
    effect = serializers.ChoiceField(choices=PolicyEffect.choices)
    validity_days = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        help_text="approve: the longest access it gives, at most the publisher's maximum (the "
        "requested duration when shorter; empty: the requested duration).",
    )
    route_to = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=254,
        help_text="route: the username or e-mail of the account the request goes to.",
    )
    route_role = serializers.ChoiceField(
        choices=RouteRole.choices,
        required=False,
        allow_blank=True,
        help_text="route: steward (assign to a steward of the publisher) or reviewer (invite "
        "the account to review).",
    )


class DecisionPolicyCreateInputSerializer(_PolicyFieldsInput):
    publisher = serializers.SlugField(max_length=100, help_text="A publisher you steward.")
    dataset = serializers.CharField(
        max_length=200,
        required=False,
        allow_null=True,
        help_text="Dataset UUID or slug of that publisher; absent: all its datasets (fixed).",
    )


class DecisionPolicyUpdateInputSerializer(PartialInputMixin, _PolicyFieldsInput):
    """PATCH: any of the fields; the result is the policy's next version."""


class EvaluatedOnBehalfOfSerializer(StrictInputSerializer):
    """``on_behalf_of`` as a draft may give it: only the e-mail is needed to evaluate."""

    email = serializers.EmailField()
    name = serializers.CharField(max_length=300, required=False, allow_blank=True)
    affiliation = serializers.CharField(max_length=300, required=False, allow_blank=True)
    orcid = serializers.CharField(max_length=40, required=False, allow_blank=True)


class PolicyEvaluateInputSerializer(AccessRequestCreateInputSerializer):
    """The body of POST /api/v1/access-requests/, and who would submit it."""

    dataset = serializers.CharField(
        max_length=200,
        required=False,
        help_text="Dataset UUID or slug; default: the policy's dataset.",
    )
    on_behalf_of = EvaluatedOnBehalfOfSerializer(
        required=False,
        help_text="The researcher a partner system submits for (their e-mail counts as "
        "vouched for); absent: you are the requester.",
    )
    submitted_by_client = serializers.UUIDField(
        required=False, help_text="The partner client that would submit it (its id)."
    )


# --- output ---------------------------------------------------------------------------------


class PolicyVersionOutputSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    name = serializers.CharField()
    priority = serializers.IntegerField()
    active = serializers.BooleanField()
    conditions = serializers.ListField(child=serializers.DictField())
    effect = serializers.ChoiceField(choices=PolicyEffect.choices)
    validity_days = serializers.IntegerField(allow_null=True)
    route_to = serializers.CharField(source="route_to.username", allow_null=True)
    route_role = serializers.CharField()
    created = serializers.DateTimeField()
    created_by = serializers.CharField(source="created_by.username", allow_null=True)


class DecisionPolicyOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    publisher = serializers.SlugField(source="publisher.slug")
    dataset = serializers.SlugField(
        source="dataset.slug", allow_null=True, help_text="Null: every dataset of the publisher."
    )
    version = serializers.IntegerField(source="current.version")
    name = serializers.CharField(source="current.name")
    priority = serializers.IntegerField(source="current.priority")
    active = serializers.BooleanField(source="current.active")
    conditions = serializers.ListField(child=serializers.DictField(), source="current.conditions")
    effect = serializers.ChoiceField(choices=PolicyEffect.choices, source="current.effect")
    validity_days = serializers.IntegerField(source="current.validity_days", allow_null=True)
    route_to = serializers.CharField(source="current.route_to.username", allow_null=True)
    route_role = serializers.CharField(source="current.route_role")
    created = serializers.DateTimeField()
    modified = serializers.DateTimeField(source="current.created")
    modified_by = serializers.CharField(source="current.created_by.username", allow_null=True)


class ConditionOutcomeSerializer(serializers.Serializer):
    condition = serializers.DictField(help_text="The condition as stored: kind and parameters.")
    held = serializers.BooleanField()
    detail = serializers.CharField()


class PolicyEvaluationOutputSerializer(serializers.Serializer):
    policy = serializers.UUIDField(source="policy.pk")
    version = serializers.IntegerField(source="version.version")
    dataset = serializers.SlugField(source="dataset.slug")
    covers_dataset = serializers.BooleanField(
        help_text="Whether the policy is tried at all for this dataset."
    )
    active = serializers.BooleanField(source="version.active")
    matched = serializers.BooleanField(source="outcome.matched", help_text="Every condition held.")
    conditions = serializers.SerializerMethodField()
    effect = serializers.ChoiceField(choices=PolicyEffect.choices, source="version.effect")
    would = serializers.ChoiceField(
        choices=["approve", "route", "nothing"],
        help_text="What this policy would do to the request if it were tried.",
    )
    validity_days = serializers.IntegerField(
        allow_null=True, help_text="approve: the days of access it would give."
    )
    decided_by = serializers.SerializerMethodField(
        help_text="The policy that would decide on submission, trying every policy in order "
        "(built-in ones first); null: the stewards would decide."
    )
    message = serializers.CharField()

    @extend_schema_field(ConditionOutcomeSerializer(many=True))
    def get_conditions(self, evaluation: services.PolicyEvaluation) -> list[dict]:
        return evaluation.outcome.conditions_json()

    # Inline, not a $ref: OpenAPI 3.0 cannot make a referenced object nullable.
    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "required": ["policy", "builtin", "name", "version", "effect"],
            "properties": {
                "policy": {"type": "string", "format": "uuid", "nullable": True},
                "builtin": {"type": "string", "nullable": True},
                "name": {"type": "string"},
                "version": {"type": "integer"},
                "effect": {"type": "string", "enum": PolicyEffect.values},
            },
        }
    )
    def get_decided_by(self, evaluation: services.PolicyEvaluation) -> dict | None:
        outcome = evaluation.decided_by
        if outcome is None:
            return None
        rule = outcome.rule
        version = rule.policy_version
        return {
            "policy": version.policy_id if version else None,
            "builtin": rule.builtin.key if rule.builtin else None,
            "name": rule.name,
            "version": version.version if version else rule.builtin.version,
            "effect": rule.effect,
        }


class ConditionKindSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()
    parameters = serializers.DictField(child=serializers.CharField())


class ChoiceSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()


class PolicyVocabularySerializer(serializers.Serializer):
    kinds = ConditionKindSerializer(many=True)
    purpose_categories = ChoiceSerializer(many=True)
    effects = ChoiceSerializer(many=True)
    route_roles = ChoiceSerializer(many=True)


# --- views ----------------------------------------------------------------------------------


class DecisionPolicyFilterSet(django_filters.FilterSet):
    publisher = django_filters.ModelChoiceFilter(
        queryset=Publisher.objects.all(), to_field_name="slug", help_text="Publisher slug."
    )
    dataset = django_filters.CharFilter(
        method="filter_dataset", help_text="Dataset UUID or slug: its own and publisher-wide."
    )
    active = django_filters.BooleanFilter(field_name="current__active")
    effect = django_filters.ChoiceFilter(field_name="current__effect", choices=PolicyEffect.choices)

    class Meta:
        model = DecisionPolicy
        fields: list[str] = []

    def filter_dataset(self, queryset, name: str, value: str):
        try:
            dataset = catalogue_selectors.dataset_get(id_or_slug=value)
        except NotFoundError:
            raise ValidationError({"dataset": [f"Unknown dataset '{value}'."]}) from None
        return queryset.filter(
            Q(dataset=dataset) | Q(dataset__isnull=True, publisher_id=dataset.publisher_id)
        )


POLICY_ID = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH)
LIST_PARAMS = set(DecisionPolicyFilterSet.base_filters) | {"page", "page_size"}
NOT_FOUND = error_response("No policy with this id of a publisher you steward.")


class DecisionPolicyViewSet(viewsets.ViewSet):
    """Publishers' decision policies. A steward sees and changes those of the publishers they
    steward; every change is a new version (``.../versions/``); DELETE takes a policy out of
    use for good, keeping its versions for the decisions they made."""

    permission_classes = [IsAuthenticated]
    pagination_class = BoundedPageNumberPagination
    lookup_url_kwarg = "id"
    lookup_value_regex = "[^/]+"
    # Partner clients (accounts): the scopes that open each action to a client token.
    required_scopes = {
        "list": ("access:decide",),
        "retrieve": ("access:decide",),
        "versions": ("access:decide",),
        "kinds": ("access:decide",),
        "create": ("access:decide",),
        "partial_update": ("access:decide",),
        "destroy": ("access:decide",),
        "evaluate": ("access:decide",),
    }

    def _get(self, request: Request, id: str) -> DecisionPolicy:
        return selectors.decision_policy_get(user=request.user, policy_id=id)

    def _page(self, request: Request, queryset, serializer_class) -> Response:
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(serializer_class(page, many=True).data)

    def _input(self, serializer_class, request: Request) -> dict[str, Any]:
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    @extend_schema(
        parameters=filter_parameters(DecisionPolicyFilterSet),
        responses=DecisionPolicyOutputSerializer(many=True),
    )
    def list(self, request: Request) -> Response:
        reject_unknown_params(request, LIST_PARAMS)
        filterset = DecisionPolicyFilterSet(
            request.query_params,
            queryset=selectors.decision_policies_visible_to(user=request.user),
            request=request,
        )
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        return self._page(request, filterset.qs, DecisionPolicyOutputSerializer)

    @extend_schema(
        request=DecisionPolicyCreateInputSerializer,
        responses={
            201: DecisionPolicyOutputSerializer,
            404: error_response("No publisher with this slug that you steward."),
        },
    )
    def create(self, request: Request) -> Response:
        data = self._input(DecisionPolicyCreateInputSerializer, request)
        slug = data.pop("publisher")
        publisher = (
            catalogue_selectors.publishers_stewarded_by(user=request.user, scope=ACCESS_DECIDE)
            .filter(slug=slug)
            .first()
        )
        if publisher is None:
            raise NotFoundError(f"No publisher '{slug}' that you steward.")
        dataset_ref = data.pop("dataset", None)
        dataset = None
        if dataset_ref:
            try:
                dataset = catalogue_selectors.dataset_get(id_or_slug=dataset_ref)
            except NotFoundError:
                raise ValidationError({"dataset": [f"Unknown dataset '{dataset_ref}'."]}) from None
        policy = services.decision_policy_create(
            user=request.user, publisher=publisher, dataset=dataset, **data
        )
        response = Response(
            DecisionPolicyOutputSerializer(self._get(request, policy.pk)).data,
            status=status.HTTP_201_CREATED,
        )
        response["Location"] = request.build_absolute_uri(f"{request.path}{policy.pk}/")
        return response

    @extend_schema(
        parameters=[POLICY_ID], responses={200: DecisionPolicyOutputSerializer, 404: NOT_FOUND}
    )
    def retrieve(self, request: Request, id: str) -> Response:
        return Response(DecisionPolicyOutputSerializer(self._get(request, id)).data)

    @extend_schema(
        parameters=[POLICY_ID],
        request=DecisionPolicyUpdateInputSerializer,
        responses={200: DecisionPolicyOutputSerializer, 404: NOT_FOUND},
    )
    def partial_update(self, request: Request, id: str) -> Response:
        policy = self._get(request, id)
        changes = self._input(DecisionPolicyUpdateInputSerializer, request)
        services.decision_policy_update(user=request.user, policy=policy, changes=changes)
        return Response(DecisionPolicyOutputSerializer(self._get(request, id)).data)

    @extend_schema(parameters=[POLICY_ID], responses={204: None, 404: NOT_FOUND})
    def destroy(self, request: Request, id: str) -> Response:
        services.decision_policy_archive(user=request.user, policy=self._get(request, id))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Every version of the policy, newest first",
        parameters=[POLICY_ID],
        responses={200: PolicyVersionOutputSerializer(many=True), 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get"])
    def versions(self, request: Request, id: str) -> Response:
        reject_unknown_params(request, {"page", "page_size"})
        policy = self._get(request, id)
        return self._page(
            request,
            selectors.decision_policy_versions(policy=policy),
            PolicyVersionOutputSerializer,
        )

    @extend_schema(
        summary="Try the policy on a draft request body: which conditions hold, what would happen",
        parameters=[POLICY_ID],
        request=PolicyEvaluateInputSerializer,
        responses={200: PolicyEvaluationOutputSerializer, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["post"])
    def evaluate(self, request: Request, id: str) -> Response:
        """Nothing is written: no request, event, e-mail or grant."""
        policy = self._get(request, id)
        data = self._input(PolicyEvaluateInputSerializer, request)
        evaluation = services.decision_policy_evaluate(user=request.user, policy=policy, **data)
        return Response(PolicyEvaluationOutputSerializer(evaluation).data)

    @extend_schema(
        summary="What policies are made of here: the condition kinds this installation knows "
        "(with their parameters), the purpose categories, effects and route roles",
        responses={
            200: PolicyVocabularySerializer,
            400: error_response("An unknown query parameter."),
        },
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def kinds(self, request: Request) -> Response:
        reject_unknown_params(request, set())

        def choices(enum) -> list[dict[str, str]]:
            return [{"value": value, "label": label} for value, label in enum.choices]

        vocabulary = {
            "kinds": [
                {"kind": cls.kind, "label": cls.label, "parameters": dict(cls.parameters)}
                for cls in condition_kinds().values()
            ],
            "purpose_categories": choices(PurposeCategory),
            "effects": choices(PolicyEffect),
            "route_roles": choices(RouteRole),
        }
        return Response(PolicyVocabularySerializer(vocabulary).data)
