from django.urls import path

from yiyang.alerts.api.views import AlertViewSet, DeviceEventCallbackView, ElderThresholdsViewSet
from yiyang.core.api.routes import collection_routes

urlpatterns = [
    path("device-events/", DeviceEventCallbackView.as_view(), name="device-events"),
    *collection_routes(
        ("alerts", AlertViewSet, "alert"),
        ("alert-thresholds", ElderThresholdsViewSet, "alert-thresholds"),
    ),
]
