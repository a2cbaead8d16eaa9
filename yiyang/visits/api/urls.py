from rest_framework.routers import SimpleRouter

from yiyang.visits.api.views import OrderViewSet, VisitViewSet

router = SimpleRouter()
router.register("visits", VisitViewSet, basename="visit")
router.register("orders", OrderViewSet, basename="order")
urlpatterns = router.urls
