from rest_framework.routers import SimpleRouter

from yiyang.scheduling.api.views import PlanRunViewSet

router = SimpleRouter()
router.register("plan-runs", PlanRunViewSet, basename="plan-run")
urlpatterns = router.urls
