from django.urls import path

from yiyang.core.api.routes import collection_routes
from yiyang.facilities.api.views import (
    CoverageView,
    FacilityViewSet,
    ProjectViewSet,
    ScenarioViewSet,
)

urlpatterns = [
    path("coverage/", CoverageView.as_view(), name="coverage"),
    *collection_routes(
        ("facilities", FacilityViewSet, "facility"),
        ("construction-projects", ProjectViewSet, "construction-project"),
        ("plan-scenarios", ScenarioViewSet, "plan-scenario"),
    ),
]
