from yiyang.assessments.api.views import (
    AssessmentViewSet,
    EligibilityRuleViewSet,
    EntitlementViewSet,
    RiskEventViewSet,
)
from yiyang.core.api.routes import collection_routes

urlpatterns = collection_routes(
    ("assessments", AssessmentViewSet, "assessment"),
    ("risk-events", RiskEventViewSet, "risk-event"),
    ("eligibility-rules", EligibilityRuleViewSet, "eligibility-rule"),
    ("entitlements", EntitlementViewSet, "entitlement"),
)
