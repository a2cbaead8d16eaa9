from rest_framework.routers import SimpleRouter

from yiyang.elders.api.views import AccessLogViewSet, ElderViewSet, ImportJobViewSet

router = SimpleRouter()
router.register("elders", ElderViewSet, basename="elder")
router.register("elder-imports", ImportJobViewSet, basename="elder-import")
router.register("access-log", AccessLogViewSet, basename="access-log")
urlpatterns = router.urls
