from rest_framework.routers import SimpleRouter

from yiyang.core.api.views import AuditEventViewSet, DivisionViewSet

router = SimpleRouter()
router.register("divisions", DivisionViewSet, basename="division")
router.register("audit-events", AuditEventViewSet, basename="audit-event")
urlpatterns = router.urls
