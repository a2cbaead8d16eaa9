from rest_framework.routers import SimpleRouter

from yiyang.services.api.views import CaregiverViewSet, OfferingViewSet, ServiceItemViewSet

router = SimpleRouter()
router.register("service-items", ServiceItemViewSet, basename="service-item")
router.register("caregivers", CaregiverViewSet, basename="caregiver")
router.register("offerings", OfferingViewSet, basename="offering")
urlpatterns = router.urls
