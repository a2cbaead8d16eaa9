from django.urls import path
from rest_framework.routers import SimpleRouter

from yiyang.elders.api.photos import ElderPhotoView
from yiyang.elders.api.views import AccessLogViewSet, ElderViewSet, ImportJobViewSet

router = SimpleRouter()
router.register("elders", ElderViewSet, basename="elder")
router.register("elder-imports", ImportJobViewSet, basename="elder-import")
router.register("access-log", AccessLogViewSet, basename="access-log")
urlpatterns = [
    path("elders/<uuid:id>/photo/", ElderPhotoView.as_view(), name="elder-photo"),
    *router.urls,
]
