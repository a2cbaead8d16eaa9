from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class MealsConfig(AppConfig):
    name = "yiyang.meals"
    label = "meals"
    verbose_name = _("Meal assistance")

    def ready(self) -> None:
        # Cache invalidation only (no domain logic): the counter's copy of the rules.
        from yiyang.assessments.models import EligibilityRule
        from yiyang.meals.services.subsidy import forget_rules

        for signal in (post_save, post_delete):
            signal.connect(forget_rules, sender=EligibilityRule, dispatch_uid="meals-rules")
