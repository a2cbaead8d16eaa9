from yiyang.core.api.routes import collection_routes
from yiyang.devices.api.views import DeviceViewSet

urlpatterns = collection_routes(("devices", DeviceViewSet, "device"))
