"""Each role's home page is its work: figures and a to-do list for officers, quick actions
and elders needing attention for community workers, today's board for provider managers,
today's visits for caregivers, the console for operators, the assessor's schedule, and the
linked elder's summary for families. Every link shown is one the role may open."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from yiyang.accounts.choices import ROLE_HELP
from yiyang.alerts.selectors import alert_queue
from yiyang.core.permissions import Permission, Role, has_perm, permissions_of, request_actor
from yiyang.core.selectors import audit_event_list, division_roots
from yiyang.dashboard import selectors
from yiyang.dashboard.web.tables import STATUS_LABELS, Notes
from yiyang.indicators.selectors import (
    dashboard_figures,
    indicator_catalogue,
    indicator_default_division,
    own_provider_figures,
)
from yiyang.organisations.selectors import organisation_list
from yiyang.supervision.selectors import rating_list
from yiyang.visits.selectors import caregiver_day, review_queue

OFFICERS = {Role.CITY_ADMIN, Role.DISTRICT_OFFICER, Role.STREET_OFFICER, Role.AUDITOR}


def _cards(actor: Any) -> list[dict[str, Any]]:
    from django.http import Http404

    try:
        division = indicator_default_division(actor=actor)
    except Http404:
        return []
    codes = [i.code for i in indicator_catalogue() if i.headline]
    figures = dashboard_figures(actor=actor, division=division, codes=codes, trend_months=0)[:8]
    notes = Notes()
    return [
        {
            "figure": f,
            "note": notes.of(f.indicator, f.division),
            "status_label": STATUS_LABELS[f.status] if f.status else "",
        }
        for f in figures
    ]


@login_required
def home_view(request: HttpRequest) -> HttpResponse:
    """Each role's start page: what that role works on, within its scope."""
    user: Any = request.user
    actor = request_actor(request)
    role = user.role
    context: dict[str, Any] = {
        "role_label": Role(role).label,
        "role_help": ROLE_HELP[role],
        "permissions": permissions_of(role),
        "perm": {p.name: has_perm(actor, p) for p in Permission},
        "today": timezone.localdate(),
    }
    if has_perm(actor, Permission.VIEW_INDICATORS) and role != Role.OPERATOR:
        context["cards"] = _cards(actor)
    if role in OFFICERS:
        context["todos"] = selectors.officer_todos(actor=actor)
    if role == Role.COMMUNITY_WORKER:
        context["attention"] = selectors.community_attention(actor=actor)
    if role == Role.PROVIDER_MANAGER:
        context["boards"] = selectors.provider_boards(actor=actor)
        if has_perm(actor, Permission.VIEW_PROVIDER_FIGURES):
            context["own_figures"] = own_provider_figures(actor=actor)
        if has_perm(actor, Permission.REVIEW_VISITS):
            context["review_count"] = review_queue(actor=actor).count()
    if role == Role.CAREGIVER:
        context["my_visits"] = caregiver_day(actor=actor, day=timezone.localdate())
    if role == Role.OPERATOR:
        queue = list(alert_queue(actor=actor)[:10])
        context["queue"] = queue
    if role == Role.ASSESSOR:
        context["schedule"] = selectors.assessor_schedule(actor=actor)
    if role == Role.FAMILY:
        context["family"] = selectors.family_summary(actor=actor)
    if role == Role.EVALUATOR:
        context["evaluations"] = list(rating_list(actor=actor, filters={"status": "scoring"})[:20])
    if has_perm(actor, Permission.VIEW_DIVISIONS):
        context["roots"] = list(division_roots(actor=actor))
    if user.organisation_id and has_perm(actor, Permission.VIEW_ORGANISATIONS):
        context["own_organisations"] = list(organisation_list(actor=actor)[:20])
    if has_perm(actor, Permission.VIEW_AUDIT_LOG):
        context["recent_events"] = list(audit_event_list(actor=actor)[:10])
    return render(request, "dashboard/home.html", context)
