from django.urls import path
from rest_framework.routers import SimpleRouter

from yiyang.alerts.api.views import AlertViewSet, DeviceEventCallbackView

router = SimpleRouter()
router.register("alerts", AlertViewSet, basename="alert")
urlpatterns = [
    path("device-events/", DeviceEventCallbackView.as_view(), name="device-events"),
    *router.urls,
]
