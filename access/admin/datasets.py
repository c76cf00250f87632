"""The catalogue's dataset pages, extended with "Request access".

The catalogue knows nothing of access requests; the access app re-registers the dataset admin
with a column linking to its request form (the change page's button comes from the template
``admin/catalogue/dataset/change_form.html`` that this app ships).
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from catalogue.admin import DatasetAdmin
from catalogue.models import Dataset


class DatasetWithAccessAdmin(DatasetAdmin):
    def get_list_display(self, request: HttpRequest) -> list[str]:
        list_display = list(super().get_list_display(request))
        if request.user.has_perm("access.add_accessrequest"):
            list_display.append("request_access_link")
        return list_display

    @admin.display(description="")
    def request_access_link(self, dataset: Dataset) -> str:
        url = reverse("admin:access_accessrequest_new", args=[dataset.pk])
        return format_html('<a href="{}" class="request-access-link">Request access</a>', url)


admin.site.unregister(Dataset)
admin.site.register(Dataset, DatasetWithAccessAdmin)
