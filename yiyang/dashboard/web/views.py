"""The dashboard (scoped, drill-down), its .xlsx exports, the boundaries the maps draw and
the command-centre screen."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, NamedTuple

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from yiyang.alerts.choices import Priority
from yiyang.core.downloads import PDF, XLSX, download_response
from yiyang.core.indicators import Indicator
from yiyang.core.models import Division
from yiyang.core.permissions import Actor, Permission, has_perm, request_actor, require_perm
from yiyang.core.selectors import division_ancestors
from yiyang.core.services import export_recorded
from yiyang.core.web.forms import error_text
from yiyang.dashboard import selectors
from yiyang.dashboard.web.tables import (
    STATUS_LABELS,
    TABLE_KEYS,
    Notes,
    Table,
    build_tables,
    number,
    workbook,
)
from yiyang.indicators.selectors import (
    Figure,
    dashboard_figures,
    indicator_catalogue,
    indicator_default_division,
    indicator_division_get,
)

LEVEL_BELOW = {"city": "district", "district": "street", "street": "community"}


def _division(request: HttpRequest, actor: Actor) -> Division:
    """The division asked for (``?division=`` code or id), else the top of the jurisdiction;
    an unknown one or one outside says so and shows the top."""
    key = request.GET.get("division", "").strip()
    if key:
        try:
            return indicator_division_get(actor=actor, key=key)
        except ValidationError as exc:
            messages.error(request, error_text(exc))
    return indicator_default_division(actor=actor)


def _indicator(request: HttpRequest, division: Division) -> tuple[Indicator | None, list[Any]]:
    """The indicator the ranking, the map and the trend show, and the choices: those
    computed at the level below (or at the division's own for a community)."""
    level = LEVEL_BELOW.get(division.level, division.level)
    choices = [i for i in indicator_catalogue() if level in i.levels and division.level in i.levels]
    code = request.GET.get("indicator", "")
    chosen = next((i for i in choices if i.code == code), None)
    if code and chosen is None:
        messages.error(request, _("There is no indicator “%(code)s” here.") % {"code": code})
    if chosen is None:
        chosen = next((i for i in choices if i.headline), choices[0] if choices else None)
    return chosen, choices


def _breadcrumbs(actor: Actor, division: Division) -> list[Division]:
    return [d for d in division_ancestors(division) if actor.scope.covers_division_code(d.code)]


class _Shown(NamedTuple):
    """What the dashboard shows for a request, decided once for the page and its export."""

    actor: Actor
    division: Division
    indicator: Indicator | None
    choices: list[Any]
    figures: list[Figure]
    tables: dict[str, Table]


def _shown(request: HttpRequest, permission: Permission, notes: Notes | None = None) -> _Shown:
    actor = request_actor(request)
    require_perm(actor, permission)
    division = _division(request, actor)
    indicator, choices = _indicator(request, division)
    figures, tables = build_tables(actor=actor, division=division, indicator=indicator, notes=notes)
    return _Shown(actor, division, indicator, choices, figures, tables)


@login_required
def dashboard_view(request: HttpRequest) -> HttpResponse:
    notes = Notes()
    actor, division, indicator, choices, figures, tables = _shown(
        request, Permission.VIEW_INDICATORS, notes
    )
    headline = [f for f in figures if f.indicator.headline]
    cards = [
        {
            "figure": f,
            "note": notes.of(f.indicator, f.division),
            "status_label": STATUS_LABELS[f.status] if f.status else "",
            "spark": [number(v) for _m, v in f.trend[-12:]] + [number(f.value.value)],
        }
        for f in headline
    ]
    chart_data: dict[str, Any] = {k: t.chart for k, t in tables.items() if t.chart}
    chart_data["boundariesUrl"] = (
        reverse("dashboard:boundaries") + f"?division={division.external_id}"
    )
    chart_data["drillUrl"] = reverse("dashboard:home") + (
        f"?indicator={indicator.code}&division=" if indicator else "?division="
    )
    context = {
        "division": division,
        "breadcrumbs": _breadcrumbs(actor, division),
        "children": list(division.children.order_by("code")),
        "indicator": indicator,
        "choices": choices,
        "cards": cards,
        "sparks": [card["spark"] for card in cards],
        "tables": tables,
        "chart_data": chart_data,
        "can_export": has_perm(actor, Permission.EXPORT_DATA),
        "can_see_alerts": has_perm(actor, Permission.VIEW_ALERTS),
        "report_url": _report_url(actor, division),
        "month": timezone.localdate().replace(day=1),
        "report_month": (timezone.localdate().replace(day=1) - timedelta(days=1)).strftime("%Y-%m"),
    }
    return render(request, "dashboard/dashboard.html", context)


def _report_url(actor: Actor, division: Division) -> str:
    return reverse("dashboard:report") if has_perm(actor, Permission.VIEW_INDICATORS) else ""


@login_required
def report_view(request: HttpRequest) -> HttpResponse:
    """The monthly report (``?month=YYYY-MM&format=pdf|xlsx&division=``) as a download; a
    bad month or format goes back to the dashboard with the reason."""
    from django.shortcuts import redirect

    from yiyang.indicators.report import report_build
    from yiyang.indicators.selectors import month_parse

    actor = request_actor(request)
    require_perm(actor, Permission.VIEW_INDICATORS)
    division = _division(request, actor)
    fmt = request.GET.get("format", "pdf")
    try:
        month = month_parse(request.GET.get("month", ""))
        content = report_build(actor=actor, month=month, division=division, fmt=fmt)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return redirect(reverse("dashboard:home") + f"?division={division.external_id}")
    content_type = {"pdf": PDF, "xlsx": XLSX}.get(fmt, "application/octet-stream")
    return download_response(content, f"report-{division.code}-{month:%Y-%m}.{fmt}", content_type)


@login_required
def export_view(request: HttpRequest) -> HttpResponse:
    """One dashboard table (``?table=``) or all of them as .xlsx."""
    actor, division, indicator, _choices, _figures, tables = _shown(request, Permission.EXPORT_DATA)
    key = request.GET.get("table", "")
    chosen = [tables[key]] if key in tables else [tables[k] for k in TABLE_KEYS if k in tables]
    export_recorded(
        actor=actor,
        permission=Permission.EXPORT_DATA,
        object_type="dashboard.table",
        count=sum(len(t.rows) for t in chosen),
        filters={
            "division": division.code,
            "table": key,
            "indicator": getattr(indicator, "code", ""),
        },
    )
    title = f"{division.name} · {timezone.localdate():%Y-%m-%d}"
    name = f"dashboard-{division.code}-{key or 'all'}.xlsx"
    return download_response(workbook(chosen, title=title), name, XLSX)


@login_required
def basemap_view(request: HttpRequest) -> JsonResponse:
    """The vector basemap of the actor's maps (outlines and roads) as GeoJSON. Every
    logged-in role gets an answer, empty when nothing is in scope, so no map breaks."""
    actor = request_actor(request)
    levels = [level for level in request.GET.get("levels", "").split(",") if level]
    response = JsonResponse(selectors.basemap_features(actor=actor, levels=levels or None))
    response["Cache-Control"] = "private, max-age=300"
    return response


@login_required
def boundaries_view(request: HttpRequest) -> JsonResponse:
    """A division's outline and its children's (``?division=``), for the choropleth."""
    actor = request_actor(request)
    require_perm(actor, Permission.VIEW_INDICATORS)
    try:
        division = indicator_division_get(actor=actor, key=request.GET.get("division", ""))
    except ValidationError as exc:
        return JsonResponse({"error": error_text(exc)}, status=400)
    response = JsonResponse(selectors.child_boundaries(division=division))
    response["Cache-Control"] = "private, max-age=300"
    return response


# --------------------------------------------------------------------------------------
# The command-centre screen (大屏)


def _screen_data(actor: Actor, division: Division) -> dict[str, Any]:
    codes = [i.code for i in indicator_catalogue() if i.headline]
    headline = dashboard_figures(actor=actor, division=division, codes=codes, trend_months=0)[:8]
    notes = Notes()
    alerts = (
        selectors.screen_alerts(actor=actor, division=division)
        if has_perm(actor, Permission.VIEW_ALERTS)
        else {"active": [], "recent": [], "recent_count": 0, "answered_60": 0, "answered": 0}
    )
    return {
        "now": timezone.localtime().strftime("%Y-%m-%d %H:%M:%S"),
        "division": division.name,
        "figures": [
            {
                "name": str(f.indicator.name),
                "value": f.value.display,
                "unit": f.indicator.unit_label,
                "target": "" if f.target is None else f"{f.target.normalize():f}",
                "status": f.status or "",
                "status_label": str(STATUS_LABELS[f.status]) if f.status else "",
                "note": notes.of(f.indicator, f.division),
            }
            for f in headline
        ],
        "visits": selectors.visits_today(division=division),
        "alerts": alerts,
        "facilities": selectors.screen_facilities(actor=actor, division=division),
        "centre": [float(division.centroid_lat or 0), float(division.centroid_lng or 0)],
    }


@login_required
@never_cache
def screen_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    require_perm(actor, Permission.VIEW_INDICATORS)
    division = _division(request, actor)
    data = _screen_data(actor, division)
    data["dataUrl"] = reverse("dashboard:screen-data") + f"?division={division.external_id}"
    data["streamUrl"] = reverse("alerts:stream") if has_perm(actor, Permission.VIEW_ALERTS) else ""
    words = [_("Target")]
    context = {"division": division, "data": data, "words": words, "priorities": Priority.choices}
    return render(request, "dashboard/screen.html", context)


@login_required
@never_cache
def screen_data_view(request: HttpRequest) -> JsonResponse:
    actor = request_actor(request)
    require_perm(actor, Permission.VIEW_INDICATORS)
    return JsonResponse(_screen_data(actor, _division(request, actor)))
