from __future__ import annotations

from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination


class BoundedPageNumberPagination(PageNumberPagination):
    """``page`` / ``page_size`` (at most 100): out-of-range values are errors, not silent caps."""

    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            raise ValidationError({"page_size": ["Must be a whole number."]}) from None
        if not 1 <= size <= self.max_page_size:
            raise ValidationError(
                {"page_size": [f"Must be between 1 and {self.max_page_size}; got {size}."]}
            )
        return size

    def paginate_queryset(self, queryset, request, view=None):
        raw_page = request.query_params.get(self.page_query_param, "1")
        if not raw_page.isdigit() or int(raw_page) < 1:
            raise ValidationError({"page": ["Must be a whole number of at least 1."]})
        try:
            return super().paginate_queryset(queryset, request, view)
        except NotFound:
            # DRF says only "Invalid page."; say which pages exist.
            last = self.django_paginator_class(queryset, self.get_page_size(request)).num_pages
            raise NotFound(f"Page {raw_page} is past the last page ({last}).") from None
