from django.urls import path
from rest_framework.routers import SimpleRouter

from yiyang.facilities.api.views import (
    CoverageView,
    FacilityViewSet,
    ProjectViewSet,
    ScenarioViewSet,
)

router = SimpleRouter()
router.register("facilities", FacilityViewSet, basename="facility")
router.register("construction-projects", ProjectViewSet, basename="construction-project")
router.register("plan-scenarios", ScenarioViewSet, basename="plan-scenario")
urlpatterns = [path("coverage/", CoverageView.as_view(), name="coverage"), *router.urls]
