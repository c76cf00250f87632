"""Routes of the access API, included in the ``api`` namespace under /api/v1/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import policies, views

router = SimpleRouter()
router.register("access-requests", views.AccessRequestViewSet, basename="access-request")
router.register("policies", policies.DecisionPolicyViewSet, basename="policy")

urlpatterns = [
    path(
        "publishers/<slug:slug>/application-form/",
        views.PublisherApplicationFormView.as_view(),
        name="publisher-application-form",
    ),
    *router.urls,
]
