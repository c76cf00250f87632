"""Catalogue endpoints: parse input, call one service or selector, shape the output."""

from __future__ import annotations

from django.conf import settings
from django.http import FileResponse, HttpRequest
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalogue import selectors, services
from catalogue.models import AccessRights, Dataset
from catalogue.search import MAX_QUERY_LENGTH
from core.api.pagination import BoundedPageNumberPagination, SearchPagination
from core.api.params import reject_unknown_params
from core.api.parsers import FormParser
from core.api.schema import error_response, filter_parameters, pagination_parameters
from core.api.uploads import limit_upload
from core.errors import NotFoundError
from core.partners import ANY_PARTNER_SCOPE, CATALOGUE_WRITE

from .filters import DatasetFilterSet
from .serializers import (
    DatasetDetailOutputSerializer,
    DatasetInputSerializer,
    DatasetListOutputSerializer,
    DatasetSearchOutputSerializer,
    DatasetWithdrawInputSerializer,
    DataSpaceOutputSerializer,
    DistributionOutputSerializer,
    DistributionUploadInputSerializer,
    LicenceOutputSerializer,
    PublisherOutputSerializer,
)

LIST_PARAMS = set(DatasetFilterSet.base_filters) | {"page", "page_size"}
WHOLE_CATALOGUE_PARAMS = {"ordering", "page", "page_size"}

# Partner tokens (accounts.permissions): reading the catalogue, open to anyone, is open to every
# scope; writing needs catalogue:write, and then only for the client's publishers (selectors).
ANY_SCOPE = ANY_PARTNER_SCOPE


ID_OR_SLUG = OpenApiParameter(
    "id_or_slug", OpenApiTypes.STR, OpenApiParameter.PATH, description="Dataset UUID or slug."
)


class DatasetViewSet(viewsets.ViewSet):
    """Search and read the catalogue; stewards register and edit their publishers' datasets."""

    permission_classes = [IsAuthenticatedOrReadOnly]
    lookup_url_kwarg = "id_or_slug"
    required_scopes = {
        "list": ANY_SCOPE,
        "retrieve": ANY_SCOPE,
        "create": (CATALOGUE_WRITE,),
        "partial_update": (CATALOGUE_WRITE,),
        "destroy": (CATALOGUE_WRITE,),
    }

    @extend_schema(
        parameters=[
            *filter_parameters(
                DatasetFilterSet, schemas={"q": {"type": "string", "maxLength": MAX_QUERY_LENGTH}}
            ),
            *pagination_parameters(SearchPagination),
        ],
        responses={
            200: DatasetSearchOutputSerializer,
            400: error_response(
                "Bad input: an unknown parameter or value (error.fields), or a query the search "
                "cannot read (error.code invalid_query)."
            ),
            503: error_response(
                "The search ran past the installation's time limit and was stopped "
                "(error.code search_timeout, error.timeout_ms); nothing is wrong with the query. "
                "Narrow it or retry later."
            ),
        },
    )
    def list(self, request: Request) -> Response:
        reject_unknown_params(request, LIST_PARAMS)
        pagination = SearchPagination()
        page, size = pagination.page_window(request)
        filterset = DatasetFilterSet(request.query_params, queryset=Dataset.objects.listed())
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        params = filterset.form.cleaned_data
        result = selectors.dataset_search(
            matches=filterset.qs,
            q=params.get("q"),
            ordering=params.get("ordering"),
            offset=(page - 1) * size,
            limit=size,
            # No words and no filter (an ordering and the page aside): every listed dataset.
            whole_catalogue=set(request.query_params) <= WHOLE_CATALOGUE_PARAMS,
        )
        reach = result.pages_reach
        pagination.check_page_exists(
            page, size, reach, exact=result.count_exact and reach == result.total
        )
        next_url, previous_url = pagination.links(request, page, size, reach)
        rows = selectors.datasets_by_ids(result.page_ids)
        return Response(
            {
                "count": result.total,
                "count_exact": result.count_exact,
                "next": next_url,
                "previous": previous_url,
                "results": DatasetListOutputSerializer(
                    rows, many=True, context={"request": request}
                ).data,
                "facets": result.facets,
                "facets_exact": result.facets_exact,
            }
        )

    @extend_schema(parameters=[ID_OR_SLUG], responses=DatasetDetailOutputSerializer)
    def retrieve(self, request: Request, id_or_slug: str) -> Response:
        dataset = selectors.dataset_get(id_or_slug=id_or_slug)
        return Response(DatasetDetailOutputSerializer(dataset, context={"request": request}).data)

    @extend_schema(
        request=DatasetInputSerializer,
        responses={
            201: DatasetDetailOutputSerializer,
            403: error_response("You are not a steward of the publisher."),
            409: error_response("A dataset with this slug already exists."),
        },
    )
    def create(self, request: Request) -> Response:
        serializer = DatasetInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data["themes"] = tuple(data.get("themes", ()))
        data["keywords"] = tuple(data.get("keywords", ()))
        data["languages"] = tuple(data.get("languages", ()))
        dataset = services.dataset_create(user=request.user, data=services.DatasetData(**data))
        return self._detail_response(request, dataset, status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[ID_OR_SLUG],
        request=DatasetInputSerializer,
        responses={
            200: DatasetDetailOutputSerializer,
            403: error_response("Moving the dataset to a publisher you do not steward."),
            404: error_response("No such dataset among those of the publishers you steward."),
            409: error_response("A dataset with this slug already exists."),
        },
    )
    def partial_update(self, request: Request, id_or_slug: str) -> Response:
        dataset = self._editable(request, id_or_slug)
        serializer = DatasetInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        dataset = services.dataset_update(
            user=request.user, dataset=dataset, changes=dict(serializer.validated_data)
        )
        return self._detail_response(request, dataset, status.HTTP_200_OK)

    @extend_schema(
        parameters=[ID_OR_SLUG],
        responses={
            204: None,
            404: error_response("No such dataset among those of the publishers you steward."),
            409: error_response(
                "The dataset has access requests (counted in error.access_requests): it is kept."
            ),
        },
    )
    def destroy(self, request: Request, id_or_slug: str) -> Response:
        dataset = self._editable(request, id_or_slug)
        services.dataset_delete(user=request.user, dataset=dataset)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        parameters=[ID_OR_SLUG],
        request=DatasetWithdrawInputSerializer,
        responses={
            200: DatasetDetailOutputSerializer,
            404: error_response("No such dataset among those of the publishers you steward."),
        },
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, id_or_slug: str) -> Response:
        """Take the dataset out of the catalogue (no longer listed, exported or requestable)
        without deleting it: its requests, grants and history stay. Idempotent."""
        dataset = self._editable(request, id_or_slug)
        serializer = DatasetWithdrawInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        dataset = services.dataset_withdraw(
            user=request.user, dataset=dataset, reason=serializer.validated_data["reason"]
        )
        return self._detail_response(request, dataset, status.HTTP_200_OK)

    @extend_schema(
        parameters=[ID_OR_SLUG],
        request=None,
        responses={
            200: DatasetDetailOutputSerializer,
            404: error_response("No such dataset among those of the publishers you steward."),
        },
    )
    @action(detail=True, methods=["post"])
    def reinstate(self, request: Request, id_or_slug: str) -> Response:
        """Put a withdrawn dataset back in the catalogue. Idempotent."""
        dataset = self._editable(request, id_or_slug)
        dataset = services.dataset_reinstate(user=request.user, dataset=dataset)
        return self._detail_response(request, dataset, status.HTTP_200_OK)

    def _editable(self, request: Request, id_or_slug: str) -> Dataset:
        # Another publisher's dataset is not found for writing, as the guide asks.
        return selectors.dataset_get(
            id_or_slug=id_or_slug,
            queryset=Dataset.objects.filter(
                publisher__in=selectors.publishers_stewarded_by(
                    user=request.user, scope=CATALOGUE_WRITE
                )
            ),
        )

    def _detail_response(self, request: Request, dataset: Dataset, code: int) -> Response:
        fresh = selectors.dataset_get(id_or_slug=str(dataset.pk))
        return Response(
            DatasetDetailOutputSerializer(fresh, context={"request": request}).data, status=code
        )


class DistributionListView(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly]
    parser_classes = [MultiPartParser, FormParser]
    required_scopes = {"get": ANY_SCOPE, "post": (CATALOGUE_WRITE,)}

    @extend_schema(
        parameters=[ID_OR_SLUG],
        responses={
            200: DistributionOutputSerializer(many=True),
            404: error_response("No such dataset."),
        },
    )
    def get(self, request: Request, id_or_slug: str) -> Response:
        dataset = selectors.dataset_get(id_or_slug=id_or_slug)
        data = DistributionOutputSerializer(
            dataset.distributions.all(), many=True, context={"request": request}
        ).data
        return Response(data)

    @extend_schema(
        parameters=[ID_OR_SLUG],
        request={"multipart/form-data": DistributionUploadInputSerializer},
        responses={
            201: DistributionOutputSerializer,
            400: error_response(
                "Bad input (error.fields), or the bytes do not match the declared checksum "
                "(error.code checksum_mismatch): nothing is stored."
            ),
            404: error_response("No such dataset among those of the publishers you steward."),
            409: error_response("The dataset already has a file with this identifier."),
            413: error_response("The file is larger than the installation accepts."),
        },
    )
    def post(self, request: Request, id_or_slug: str) -> Response:
        dataset = selectors.dataset_get(
            id_or_slug=id_or_slug,
            queryset=Dataset.objects.filter(
                publisher__in=selectors.publishers_stewarded_by(
                    user=request.user, scope=CATALOGUE_WRITE
                )
            ).select_related("publisher"),
        )
        limit_upload(request._request, limit=settings.MAX_DISTRIBUTION_UPLOAD_BYTES)
        serializer = DistributionUploadInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        distribution = services.distribution_add_file(
            user=request.user,
            dataset=dataset,
            upload=data["file"],
            title=data.get("title", ""),
            format=data.get("format", ""),
            description=data.get("description", ""),
            media_type=data.get("media_type", ""),
            declared_checksum=data.get("checksum") or None,
            identifier=data.get("identifier", ""),
        )
        return Response(
            DistributionOutputSerializer(distribution, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class DistributionDetailView(APIView):
    """One distribution; its publisher's stewards remove it (its file goes with it, and every
    approval and grant that covered it stops covering it)."""

    permission_classes = [IsAuthenticatedOrReadOnly]
    required_scopes = {"get": ANY_SCOPE, "delete": (CATALOGUE_WRITE,)}

    @extend_schema(parameters=[ID_OR_SLUG], responses=DistributionOutputSerializer)
    def get(self, request: Request, id_or_slug: str, distribution_id: str) -> Response:
        dataset = selectors.dataset_get(id_or_slug=id_or_slug)
        distribution = _distribution_of(dataset, distribution_id)
        return Response(
            DistributionOutputSerializer(distribution, context={"request": request}).data
        )

    @extend_schema(parameters=[ID_OR_SLUG], responses={204: None})
    def delete(self, request: Request, id_or_slug: str, distribution_id: str) -> Response:
        # Another publisher's dataset is not found for writing, as for datasets.
        dataset = selectors.dataset_get(
            id_or_slug=id_or_slug,
            queryset=Dataset.objects.filter(
                publisher__in=selectors.publishers_stewarded_by(
                    user=request.user, scope=CATALOGUE_WRITE
                )
            ),
        )
        services.distribution_delete(
            user=request.user, distribution=_distribution_of(dataset, distribution_id)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


def _distribution_of(dataset: Dataset, distribution_id: str):
    distribution = dataset.distributions.filter(pk=distribution_id).first()
    if distribution is None:
        raise NotFoundError(f"No distribution {distribution_id} in the dataset '{dataset.slug}'.")
    return distribution


class PublicDistributionDownloadView(APIView):
    """The bytes of a PUBLIC dataset's file. Restricted and non-public data answer 404 here."""

    permission_classes = [AllowAny]
    required_scopes = {"get": ANY_SCOPE}

    @extend_schema(
        parameters=[ID_OR_SLUG],
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            404: error_response("No such PUBLIC dataset, or no file with this id in it."),
        },
    )
    def get(self, request: HttpRequest, id_or_slug: str, distribution_id: str) -> FileResponse:
        dataset = selectors.dataset_get(
            id_or_slug=id_or_slug,
            queryset=Dataset.objects.filter(access_rights=AccessRights.PUBLIC),
        )
        distribution = dataset.distributions.filter(pk=distribution_id).exclude(file="").first()
        if distribution is None:
            raise NotFoundError("No downloadable file with this id in this dataset.")
        response = FileResponse(
            distribution.file.open("rb"),
            as_attachment=True,
            filename=distribution.file.name.rsplit("/", 1)[-1],
            content_type=distribution.media_type or "application/octet-stream",
        )
        response["ETag"] = f'"{distribution.sha256}"'
        return response


class LicenceListView(APIView):
    permission_classes = [AllowAny]
    pagination_class = BoundedPageNumberPagination
    required_scopes = {"get": ANY_SCOPE}

    @extend_schema(responses=LicenceOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        return _paginated(request, selectors.licence_list(), LicenceOutputSerializer, self)


class DataSpaceListView(APIView):
    permission_classes = [AllowAny]
    pagination_class = BoundedPageNumberPagination
    required_scopes = {"get": ANY_SCOPE}

    @extend_schema(responses=DataSpaceOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        return _paginated(request, selectors.data_space_list(), DataSpaceOutputSerializer, self)


class PublisherListView(APIView):
    permission_classes = [AllowAny]
    pagination_class = BoundedPageNumberPagination
    required_scopes = {"get": ANY_SCOPE}

    @extend_schema(responses=PublisherOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        return _paginated(request, selectors.publisher_list(), PublisherOutputSerializer, self)


def _paginated(request: Request, queryset, serializer_class, view) -> Response:
    """One page of a reference list. The view's ``pagination_class`` is also what tells the
    OpenAPI schema that the answer is a page object, not a bare array."""
    reject_unknown_params(request, {"page", "page_size"})
    paginator = view.pagination_class()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)
