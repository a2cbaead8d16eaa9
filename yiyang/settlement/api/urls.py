from rest_framework.routers import SimpleRouter

from yiyang.settlement.api.attachments import ContractDocumentViewSet
from yiyang.settlement.api.views import (
    BudgetLineViewSet,
    ContractViewSet,
    LineViewSet,
    ReleaseViewSet,
    RiskScoreViewSet,
    StatementViewSet,
)

router = SimpleRouter()
router.register("budget-lines", BudgetLineViewSet, basename="budget-line")
router.register("contracts", ContractViewSet, basename="contract")
router.register("contract-documents", ContractDocumentViewSet, basename="contract-document")
router.register("statements", StatementViewSet, basename="statement")
router.register("statement-lines", LineViewSet, basename="statement-line")
router.register("payment-releases", ReleaseViewSet, basename="payment-release")
router.register("risk-scores", RiskScoreViewSet, basename="risk-score")
urlpatterns = router.urls
