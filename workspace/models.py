"""The workspace's pages, as proxies of the catalogue and access tables: no table of its own.

Proxies give the workspace its own admin pages, names and templates (``admin/workspace/...``)
without touching the stewards' admin, which registers the real models.
"""

from __future__ import annotations

from access.models import AccessRequest, Grant
from catalogue.models import Dataset


class CatalogueDataset(Dataset):
    class Meta:
        proxy = True
        verbose_name = "dataset"
        verbose_name_plural = "Catalogue"


class MyRequest(AccessRequest):
    class Meta:
        proxy = True
        verbose_name = "access request"
        verbose_name_plural = "My requests"


class MyGrant(Grant):
    class Meta:
        proxy = True
        verbose_name = "grant"
        verbose_name_plural = "My grants"


class RequestToReview(AccessRequest):
    class Meta:
        proxy = True
        verbose_name = "request to review"
        verbose_name_plural = "Requests to review"
