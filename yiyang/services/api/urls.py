from yiyang.core.api.routes import collection_routes
from yiyang.services.api.views import CaregiverViewSet, OfferingViewSet, ServiceItemViewSet

urlpatterns = collection_routes(
    ("service-items", ServiceItemViewSet, "service-item"),
    ("caregivers", CaregiverViewSet, "caregiver"),
    ("offerings", OfferingViewSet, "offering"),
)
