"""The district (or street) scorecard page and its CSV export."""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from yiyang.core.choices import DivisionLevel
from yiyang.core.indicators import EMPTY, IndicatorValue
from yiyang.core.permissions import Permission, request_actor
from yiyang.core.services import export_recorded
from yiyang.core.web.csv import csv_response
from yiyang.supervision.scorecard import LEVELS, scorecard_build, scorecard_table

MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def _month(request: HttpRequest) -> datetime.date:
    """The month asked for (YYYY-MM), or the running month with a message when the value
    is not a month or lies in the future."""
    this_month = timezone.localdate().replace(day=1)
    text = request.GET.get("month", "").strip()
    if not text:
        return this_month
    match = MONTH.match(text)
    try:
        month = datetime.date(int(match[1]), int(match[2]), 1) if match else None
    except ValueError:
        month = None
    if month is None or month > this_month:
        messages.error(request, _("Month: give a month as YYYY-MM, not later than this month."))
        return this_month
    return month


def _shown(value: IndicatorValue | None) -> str:
    return value.display if value is not None else EMPTY


@login_required
@require_GET
def scorecard_view(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    actor = request_actor(request)
    level = request.GET.get("level", DivisionLevel.DISTRICT)
    if level not in (DivisionLevel.DISTRICT, DivisionLevel.STREET):
        level = DivisionLevel.DISTRICT
    card = scorecard_build(actor=actor, month=_month(request), level=level)
    if request.GET.get("format") == "csv":
        header, rows = scorecard_table(card)
        export_recorded(
            actor=actor,
            permission=Permission.VIEW_SCORECARDS,
            object_type="supervision.scorecard",
            count=len(rows),
            filters=dict(request.GET.lists()),
        )
        return csv_response(f"scorecard-{card.month:%Y-%m}-{level}.csv", header, rows)
    codes = list(card.weighting.weights)
    figure_codes = [c for c in card.indicators if c not in codes]
    table: list[dict[str, Any]] = [
        {
            "rank": row.rank,
            "division": row.division,
            "score": row.score,
            "components": [_shown(row.components.get(c)) for c in codes],
            "figures": [_shown(row.figures.get(c)) for c in figure_codes],
            "levels": [row.levels.get(n, 0) for n in LEVELS],
            "history": row.history,
        }
        for row in card.rows
    ]
    return render(
        request,
        "supervision/scorecard.html",
        {
            "card": card,
            "rows": table,
            "components": [(card.indicators[c], card.weighting.weights[c]) for c in codes],
            "figures": [card.indicators[c] for c in figure_codes],
            "star_levels": LEVELS,
            "level_choices": [
                (DivisionLevel.DISTRICT, DivisionLevel.DISTRICT.label),
                (DivisionLevel.STREET, DivisionLevel.STREET.label),
            ],
        },
    )
