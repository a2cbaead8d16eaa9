from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicesConfig(AppConfig):
    name = "yiyang.services"
    label = "services"
    verbose_name = _("Service list and caregivers")

    def ready(self) -> None:
        from yiyang.core.scoping import register_served_areas
        from yiyang.services.selectors import served_area_prefixes

        register_served_areas(served_area_prefixes)
