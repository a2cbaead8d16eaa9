from yiyang.core.api.routes import collection_routes
from yiyang.visits.api.views import OrderViewSet, VisitViewSet

urlpatterns = collection_routes(
    ("visits", VisitViewSet, "visit"),
    ("orders", OrderViewSet, "order"),
)
