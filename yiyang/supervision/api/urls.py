from rest_framework.routers import SimpleRouter

from yiyang.supervision.api.views import (
    ComplaintViewSet,
    InspectionViewSet,
    RatingViewSet,
    RectificationViewSet,
)

router = SimpleRouter()
router.register("supervision/ratings", RatingViewSet, basename="rating")
router.register("supervision/complaints", ComplaintViewSet, basename="supervised-complaint")
router.register("supervision/inspections", InspectionViewSet, basename="inspection")
router.register("supervision/rectifications", RectificationViewSet, basename="rectification")
urlpatterns = router.urls
