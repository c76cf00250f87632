"""Routes of the delivery API, included under /api/v1/ by config/api_urls.py."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import attachments, passports, views, webhooks

router = SimpleRouter()
router.lookup_value_regex = "[^/]+"
router.register("grants", views.GrantViewSet, basename="grant")
router.register("webhooks", webhooks.WebhookEndpointViewSet, basename="webhook")

urlpatterns = [
    path("me/passport/", passports.MyPassportView.as_view(), name="my-passport"),
    path("passports/<str:username>/", passports.UserPassportView.as_view(), name="user-passport"),
    # Public and stable: verifiers fetch the list a token's status claim points to.
    path("status-lists/<int:number>", passports.status_list_view, name="status-list"),
    path(
        "downloads/<uuid:grant_id>/<uuid:distribution_id>/",
        views.GrantDownloadView.as_view(),
        name="grant-download",
    ),
    path(
        "access-requests/<str:id>/attachments/",
        attachments.AttachmentListView.as_view(),
        name="access-request-attachments",
    ),
    path(
        "access-requests/<str:id>/attachments/<str:attachment_id>/",
        attachments.AttachmentDetailView.as_view(),
        name="access-request-attachment",
    ),
    path(
        "attachments/<uuid:attachment_id>/download/",
        attachments.AttachmentDownloadView.as_view(),
        name="attachment-download",
    ),
    *router.urls,
]
