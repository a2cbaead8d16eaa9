from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EldersConfig(AppConfig):
    name = "yiyang.elders"
    label = "elders"
    verbose_name = _("Elders")

    def ready(self) -> None:
        from yiyang.core.scoping import register_linked_elders
        from yiyang.elders.selectors import family_elder_ids

        register_linked_elders(family_elder_ids)
