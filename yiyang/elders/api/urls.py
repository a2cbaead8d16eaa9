from django.urls import path

from yiyang.core.api.routes import collection_routes
from yiyang.elders.api.photos import ElderPhotoView
from yiyang.elders.api.views import AccessLogViewSet, ElderViewSet, ImportJobViewSet

urlpatterns = [
    path("elders/<uuid:id>/photo/", ElderPhotoView.as_view(), name="elder-photo"),
    *collection_routes(
        ("elders", ElderViewSet, "elder"),
        ("elder-imports", ImportJobViewSet, "elder-import"),
        ("access-log", AccessLogViewSet, "access-log"),
    ),
]
