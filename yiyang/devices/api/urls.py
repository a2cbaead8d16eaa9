from rest_framework.routers import SimpleRouter

from yiyang.devices.api.views import DeviceViewSet

router = SimpleRouter()
router.register("devices", DeviceViewSet, basename="device")
urlpatterns = router.urls
