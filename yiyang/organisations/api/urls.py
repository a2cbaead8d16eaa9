from yiyang.core.api.routes import collection_routes
from yiyang.organisations.api.views import OrganisationViewSet

urlpatterns = collection_routes(("organisations", OrganisationViewSet, "organisation"))
