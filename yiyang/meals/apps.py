from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MealsConfig(AppConfig):
    name = "yiyang.meals"
    label = "meals"
    verbose_name = _("Meal assistance")
