"""Routes of the access API, included in the ``api`` namespace under /api/v1/."""

from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("access-requests", views.AccessRequestViewSet, basename="access-request")

urlpatterns = router.urls
