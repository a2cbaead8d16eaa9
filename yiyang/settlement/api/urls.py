from yiyang.core.api.routes import collection_routes
from yiyang.settlement.api.attachments import ContractDocumentViewSet
from yiyang.settlement.api.views import (
    BudgetLineViewSet,
    ContractViewSet,
    LineViewSet,
    ReleaseViewSet,
    RiskScoreViewSet,
    StatementViewSet,
)

urlpatterns = collection_routes(
    ("budget-lines", BudgetLineViewSet, "budget-line"),
    ("contracts", ContractViewSet, "contract"),
    ("contract-documents", ContractDocumentViewSet, "contract-document"),
    ("statements", StatementViewSet, "statement"),
    ("statement-lines", LineViewSet, "statement-line"),
    ("payment-releases", ReleaseViewSet, "payment-release"),
    ("risk-scores", RiskScoreViewSet, "risk-score"),
)
