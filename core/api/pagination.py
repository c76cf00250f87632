from __future__ import annotations

from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination
from rest_framework.utils.urls import remove_query_param, replace_query_param

from core.api.params import whole_number

# No list reaches a hundred million rows; a page past it is refused without a query.
MAX_OFFSET = 100_000_000


class BoundedPageNumberPagination(PageNumberPagination):
    """``page`` / ``page_size`` (at most 100): out-of-range values are errors, not silent caps."""

    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        return whole_number(
            raw,
            name=self.page_size_query_param,
            minimum=1,
            maximum=self.max_page_size,
            message=f"A whole number between 1 and {self.max_page_size}.",
        )

    def get_page_number(self, request, paginator=None) -> int:
        raw = request.query_params.get(self.page_query_param, "1")
        page = whole_number(
            raw,
            name=self.page_query_param,
            minimum=1,
            maximum=10**18,
            message="A whole number of at least 1.",
        )
        if (page - 1) * self.get_page_size(request) > MAX_OFFSET:
            # Past any page a catalogue can have: refused before the database is asked to skip
            # that many rows.
            raise NotFound(f"Page {page} is past the last page.")
        return page

    def paginate_queryset(self, queryset, request, view=None):
        page_number = self.get_page_number(request)
        try:
            return super().paginate_queryset(queryset, request, view)
        except NotFound:
            # DRF says only "Invalid page."; say which pages exist.
            last = self.django_paginator_class(queryset, self.get_page_size(request)).num_pages
            raise NotFound(f"Page {page_number} is past the last page ({last}).") from None

    # --- the OpenAPI description (read by drf-spectacular) ----------------------------------

    def get_paginated_response_schema(self, schema: dict) -> dict:
        """The page object as get_paginated_response builds it: all four members, always."""
        paginated = super().get_paginated_response_schema(schema)
        paginated["required"] = ["count", "next", "previous", "results"]
        return paginated

    def get_schema_operation_parameters(self, view) -> list[dict]:
        """``page`` and ``page_size`` with the limits get_page_number and get_page_size enforce."""
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": "Page number, from 1; a page past the last one is a 404.",
                "schema": {"type": "integer", "minimum": 1, "default": 1},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Results per page, 1 to {self.max_page_size}.",
                "schema": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                    "default": self.page_size,
                },
            },
        ]


class SearchPagination(BoundedPageNumberPagination):
    """Page links for a search whose total comes with its facets, not from a COUNT query."""

    def page_window(self, request) -> tuple[int, int]:
        return self.get_page_number(request), self.get_page_size(request)

    def check_page_exists(self, page: int, size: int, total: int, *, exact: bool = True) -> None:
        last = max(1, -(-total // size))
        if page > last and not exact:
            raise NotFound(
                f"Page {page} is past the last page served ({last}): a search pages through its "
                f"first {total:,} results only. Add words or filters to narrow it."
            )
        if page > last:
            raise NotFound(f"Page {page} is past the last page ({last}).")

    def links(self, request, page: int, size: int, total: int) -> tuple[str | None, str | None]:
        url = request.build_absolute_uri()
        next_url = (
            replace_query_param(url, self.page_query_param, page + 1)
            if page * size < total
            else None
        )
        if page <= 1:
            previous_url = None
        elif page == 2:
            previous_url = remove_query_param(url, self.page_query_param)
        else:
            previous_url = replace_query_param(url, self.page_query_param, page - 1)
        return next_url, previous_url
