from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SettlementConfig(AppConfig):
    name = "yiyang.settlement"
    label = "settlement"
    verbose_name = _("Government-purchased services")
