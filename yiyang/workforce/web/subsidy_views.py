"""Pages of post subsidies: the city's rules (added and changed by the city), a month's
entitlements with their reasons, and the monthly evaluation."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from yiyang.core.permissions import Permission, has_perm, request_actor, require_perm
from yiyang.core.web.saving import form_saved
from yiyang.workforce import services
from yiyang.workforce.rules import rule_conditions
from yiyang.workforce.selectors import (
    actor_city,
    subsidy_list,
    subsidy_list_shown,
    subsidy_rule_get_for_actor,
    subsidy_rule_list,
    subsidy_total,
)
from yiyang.workforce.services.subsidies import RULE_EDITABLE
from yiyang.workforce.web.forms import SubsidyRuleForm


def _month(value: str | None) -> datetime.date:
    try:
        return datetime.datetime.strptime(str(value or ""), "%Y-%m").date()
    except ValueError:
        return timezone.localdate().replace(day=1)


def _save_rule(request: HttpRequest, form: SubsidyRuleForm, rule: Any = None) -> bool:
    actor = request_actor(request)

    def save(**values: Any) -> Any:
        city = actor_city(actor)
        if city is None:
            raise ValidationError(_("Your login is not attached to a city."))
        return services.subsidy_rule_save(actor=actor, city=city, rule=rule, **values)

    return form_saved(request, form, save, _("Subsidy rule saved."))


def _evaluate(request: HttpRequest, month: datetime.date) -> None:
    actor = request_actor(request)
    city = actor_city(actor)
    if city is None:
        messages.error(request, _("Your login is not attached to a city."))
        return
    new = services.subsidies_evaluate(actor=actor, city=city, month=month)
    messages.success(
        request,
        _("%(count)d new entitlements for %(month)s.")
        % {"count": len(new), "month": f"{month:%Y-%m}"},
    )


@login_required
def subsidies_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    rules = list(subsidy_rule_list(actor=actor))
    for rule in rules:
        rule.conditions_text = rule_conditions(
            min_skill_level=rule.min_skill_level,
            qualification=rule.qualification,
            min_years_in_sector=rule.min_years_in_sector,
            rural_only=rule.rural_only,
        )
    can_manage = has_perm(actor, Permission.MANAGE_WORKFORCE_SUBSIDIES)
    month = _month(request.POST.get("month") or request.GET.get("month"))
    form = SubsidyRuleForm(initial={"valid_from": month, "is_active": True})
    if request.method == "POST":
        require_perm(actor, Permission.MANAGE_WORKFORCE_SUBSIDIES)
        if request.POST.get("form") == "evaluate":
            _evaluate(request, month)
            return redirect(f"{reverse('workforce:subsidies')}?month={month:%Y-%m}")
        form = SubsidyRuleForm(request.POST)
        if _save_rule(request, form):
            return redirect(request.path)
    return render(
        request,
        "workforce/subsidies.html",
        {
            "rules": rules,
            "form": form,
            "can_manage": can_manage,
            "month": month,
            "entitlements": subsidy_list_shown(actor=actor, month=month),
            "total": subsidy_total(subsidy_list(actor=actor, month=month)),
        },
    )


@login_required
def subsidy_rule_view(request: HttpRequest, external_id: str) -> HttpResponse:
    """One rule, changed by the city (a rule that would pay someone twice is refused)."""
    actor = request_actor(request)
    rule = subsidy_rule_get_for_actor(actor=actor, external_id=external_id)
    require_perm(actor, Permission.MANAGE_WORKFORCE_SUBSIDIES)
    if request.method == "POST":
        form = SubsidyRuleForm(request.POST)
        if _save_rule(request, form, rule):
            return redirect(reverse("workforce:subsidies"))
    else:
        form = SubsidyRuleForm(initial={name: getattr(rule, name) for name in RULE_EDITABLE})
    return render(request, "workforce/subsidy_rule.html", {"rule": rule, "form": form})
