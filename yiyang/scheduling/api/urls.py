from yiyang.core.api.routes import collection_routes
from yiyang.scheduling.api.views import PlanRunViewSet

urlpatterns = collection_routes(("plan-runs", PlanRunViewSet, "plan-run"))
