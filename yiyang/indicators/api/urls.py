from yiyang.core.api.routes import collection_routes
from yiyang.indicators.api.views import IndicatorTargetViewSet, IndicatorViewSet

urlpatterns = collection_routes(
    ("indicators", IndicatorViewSet, "indicator"),
    ("indicator-targets", IndicatorTargetViewSet, "indicator-target"),
)
