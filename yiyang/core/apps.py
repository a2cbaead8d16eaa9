from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "yiyang.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        # Each app's ``indicators.py`` registers what it measures (yiyang.core.indicators).
        autodiscover_modules("indicators")
        # Each app's ``exports.py`` registers its background exports (yiyang.core.exports).
        autodiscover_modules("exports")
