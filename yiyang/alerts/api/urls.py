from django.urls import path
from rest_framework.routers import SimpleRouter

from yiyang.alerts.api.views import AlertViewSet, DeviceEventCallbackView, ElderThresholdsViewSet

router = SimpleRouter()
router.register("alerts", AlertViewSet, basename="alert")
router.register("alert-thresholds", ElderThresholdsViewSet, basename="alert-thresholds")
urlpatterns = [
    path("device-events/", DeviceEventCallbackView.as_view(), name="device-events"),
    *router.urls,
]
