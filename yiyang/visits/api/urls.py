from rest_framework.routers import SimpleRouter

from yiyang.visits.api.views import ComplaintViewSet, OrderViewSet, VisitViewSet

router = SimpleRouter()
router.register("visits", VisitViewSet, basename="visit")
router.register("orders", OrderViewSet, basename="order")
router.register("complaints", ComplaintViewSet, basename="complaint")
urlpatterns = router.urls
