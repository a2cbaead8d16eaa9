from rest_framework.routers import SimpleRouter

from yiyang.indicators.api.views import IndicatorTargetViewSet, IndicatorViewSet

router = SimpleRouter()
router.register("indicators", IndicatorViewSet, basename="indicator")
router.register("indicator-targets", IndicatorTargetViewSet, basename="indicator-target")
urlpatterns = router.urls
