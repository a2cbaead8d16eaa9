from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SettlementConfig(AppConfig):
    name = "yiyang.settlement"
    label = "settlement"
    verbose_name = _("Government-purchased services")

    def ready(self) -> None:
        from yiyang.settlement.selectors import allowance_cover_problem
        from yiyang.visits.services.orders import ALLOWANCE_COVER_CHECKS

        if allowance_cover_problem not in ALLOWANCE_COVER_CHECKS:
            ALLOWANCE_COVER_CHECKS.append(allowance_cover_problem)
