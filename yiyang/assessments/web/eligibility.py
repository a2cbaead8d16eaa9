"""Pages for the eligibility rules."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from yiyang.assessments import services
from yiyang.assessments.models import EligibilityRule
from yiyang.assessments.selectors import (
    eligibility_rule_get,
    eligibility_rule_history,
    eligibility_rules,
)
from yiyang.assessments.web.forms import EligibilityRuleForm
from yiyang.assessments.web.views import _history_rows
from yiyang.core.models import AuditEvent
from yiyang.core.permissions import Permission, has_perm, request_actor, require_perm
from yiyang.core.web.lists import code_label
from yiyang.core.web.saving import edit_response
from yiyang.elders.choices import EconomicStatus


@login_required
def eligibility_list_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    require_perm(actor, Permission.VIEW_ASSESSMENTS)
    rules = [
        {
            "rule": rule,
            "statuses": "、".join(code_label(EconomicStatus, s) for s in rule.economic_statuses),
        }
        for rule in eligibility_rules()
    ]
    return render(
        request,
        "assessments/eligibility_list.html",
        {"rules": rules, "can_manage": has_perm(actor, Permission.MANAGE_ELIGIBILITY)},
    )


@login_required
def eligibility_detail_view(request: HttpRequest, external_id: str) -> HttpResponse:
    actor = request_actor(request)
    require_perm(actor, Permission.VIEW_ASSESSMENTS)
    rule = eligibility_rule_get(external_id=external_id)
    events: list[AuditEvent] = list(eligibility_rule_history(rule=rule))
    return render(
        request,
        "assessments/eligibility_detail.html",
        {
            "rule": rule,
            "statuses": "、".join(code_label(EconomicStatus, s) for s in rule.economic_statuses),
            "history": _history_rows(events),
            "can_manage": has_perm(actor, Permission.MANAGE_ELIGIBILITY),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def eligibility_edit_view(request: HttpRequest, external_id: str | None = None) -> HttpResponse:
    actor = request_actor(request)
    require_perm(actor, Permission.MANAGE_ELIGIBILITY)
    rule: EligibilityRule | None = (
        eligibility_rule_get(external_id=external_id) if external_id else None
    )
    initial: dict[str, Any] = {"is_active": True, "min_age": 60, "min_level": 0, "max_level": 4}
    if rule is not None:
        initial = {name: getattr(rule, name) for name in services.RULE_FIELDS}
    form = EligibilityRuleForm(request.POST or None, initial=initial)
    if rule is None:
        write = partial(services.eligibility_rule_create, actor=actor)
    else:
        write = partial(services.eligibility_rule_update, actor=actor, rule=rule)
    return edit_response(
        request,
        form,
        write,
        detail="assessments:eligibility-detail",
        template="assessments/eligibility_form.html",
        context={"rule": rule},
        refused_status=400,
    )
