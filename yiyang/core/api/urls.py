from yiyang.core.api.routes import collection_routes
from yiyang.core.api.views import AuditEventViewSet, DivisionViewSet

urlpatterns = collection_routes(
    ("divisions", DivisionViewSet, "division"),
    ("audit-events", AuditEventViewSet, "audit-event"),
)
