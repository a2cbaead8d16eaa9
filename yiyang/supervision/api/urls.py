from django.urls import path
from rest_framework.routers import SimpleRouter

from yiyang.supervision.api.views import (
    ComplaintViewSet,
    InspectionViewSet,
    LegacyComplaintRedirect,
    RatingViewSet,
    RectificationViewSet,
    ServiceEvaluationViewSet,
)

router = SimpleRouter()
router.register("supervision/ratings", RatingViewSet, basename="rating")
router.register("supervision/complaints", ComplaintViewSet, basename="supervised-complaint")
router.register("supervision/inspections", InspectionViewSet, basename="inspection")
router.register("supervision/rectifications", RectificationViewSet, basename="rectification")
router.register("supervision/evaluations", ServiceEvaluationViewSet, basename="service-evaluation")
legacy = LegacyComplaintRedirect.as_view()
urlpatterns = [
    *router.urls,
    # The family-page complaints' old addresses (visits app, retired): redirects.
    path("complaints/", legacy),
    path("complaints/<uuid:legacy>/", legacy),
    path("complaints/<uuid:legacy>/answer/", legacy, {"answer": True}),
    path("visits/<uuid:visit>/complain/", legacy),
]
