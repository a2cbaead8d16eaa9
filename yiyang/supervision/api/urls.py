from django.urls import path

from yiyang.core.api.routes import collection_routes
from yiyang.supervision.api.views import (
    ComplaintViewSet,
    InspectionViewSet,
    LegacyComplaintRedirect,
    RatingViewSet,
    RectificationViewSet,
    ServiceEvaluationViewSet,
)

legacy = LegacyComplaintRedirect.as_view()
urlpatterns = [
    *collection_routes(
        ("ratings", RatingViewSet, "rating"),
        ("complaints", ComplaintViewSet, "supervised-complaint"),
        ("inspections", InspectionViewSet, "inspection"),
        ("rectifications", RectificationViewSet, "rectification"),
        ("evaluations", ServiceEvaluationViewSet, "service-evaluation"),
        prefix="supervision/",
    ),
    # The family-page complaints' old addresses (visits app, retired): redirects.
    path("complaints/", legacy),
    path("complaints/<uuid:legacy>/", legacy),
    path("complaints/<uuid:legacy>/answer/", legacy, {"answer": True}),
    path("visits/<uuid:visit>/complain/", legacy),
]
