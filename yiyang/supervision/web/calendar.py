"""The working-day calendar page: the year's public holidays on weekdays and weekend days
worked (调休) that the complaint and rectification deadlines count on; the city edits it."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from yiyang.core.permissions import Permission, has_perm, request_actor
from yiyang.supervision import selectors, services
from yiyang.supervision.choices import DayKind
from yiyang.supervision.web.views import _run


def _year(request: HttpRequest) -> int:
    text = request.GET.get("year", "")
    this_year = timezone.localdate().year
    return int(text) if text.isdigit() and 2000 <= int(text) <= this_year + 2 else this_year


def _date(text: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(text.strip())
    except ValueError:
        return None


def _post(request: HttpRequest) -> int:
    actor = request_actor(request)
    day = _date(request.POST.get("date", ""))
    if day is None:
        messages.error(request, _("Date: give the date as YYYY-MM-DD."))
        return timezone.localdate().year
    if request.POST.get("step") == "remove":
        _run(
            request,
            lambda: services.calendar_day_remove(actor=actor, day=day),
            _("The day follows the Monday-to-Friday rule again."),
        )
    else:
        _run(
            request,
            lambda: services.calendar_day_set(
                actor=actor,
                day=day,
                kind=request.POST.get("kind", ""),
                name=request.POST.get("name", ""),
                uncertain=bool(request.POST.get("uncertain")),
            ),
            _("The calendar is saved; deadlines given from now on follow it."),
        )
    return day.year


@login_required
def calendar_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    if request.method == "POST":
        year = _post(request)
        return redirect(f"{request.path}?year={year}")
    year = _year(request)
    return render(
        request,
        "supervision/calendar.html",
        {
            "year": year,
            "days": selectors.calendar_days(actor=actor, year=year),
            "kinds": DayKind.choices,
            "can_edit": has_perm(actor, Permission.MANAGE_CALENDAR),
        },
    )
