from rest_framework.routers import SimpleRouter

from yiyang.assessments.api.views import (
    AssessmentViewSet,
    EligibilityRuleViewSet,
    EntitlementViewSet,
    RiskEventViewSet,
)

router = SimpleRouter()
router.register("assessments", AssessmentViewSet, basename="assessment")
router.register("risk-events", RiskEventViewSet, basename="risk-event")
router.register("eligibility-rules", EligibilityRuleViewSet, basename="eligibility-rule")
router.register("entitlements", EntitlementViewSet, basename="entitlement")
urlpatterns = router.urls
