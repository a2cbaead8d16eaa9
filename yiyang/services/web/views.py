"""Pages of the service list and the caregivers: the city's catalogue by category, the
caregivers of the providers in the actor's scope with their certificates' expiry.

Views parse input and call the selectors; scope and permission are theirs.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yiyang.core.permissions import request_actor
from yiyang.core.web.lists import page_of
from yiyang.services.choices import CaregiverStatus, Language, Skill
from yiyang.services.selectors import caregiver_get_for_actor, caregiver_list, service_items

EXPIRING_DAYS = 60
WEEKDAY_NAMES = [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]


def _labels(choices: Any, values: list[str]) -> str:
    labels = dict(choices.choices)
    return "、".join(str(labels.get(v, v)) for v in values or [])


@login_required
def service_list_view(request: HttpRequest) -> HttpResponse:
    items = service_items(actor=request_actor(request))
    groups: dict[str, dict[str, Any]] = {}
    for item in items:
        group = groups.setdefault(
            item.category, {"label": item.get_category_display(), "items": []}
        )
        group["items"].append(item)
    return render(request, "services/service_list.html", {"groups": list(groups.values())})


def _certificate_rows(certificates: Any, today: datetime.date) -> list[dict[str, Any]]:
    soon = today + datetime.timedelta(days=EXPIRING_DAYS)
    return [
        {
            "certificate": c,
            "expired": c.expires_on is not None and c.expires_on < today,
            "expiring": c.expires_on is not None and today <= c.expires_on <= soon,
        }
        for c in certificates
    ]


@login_required
def caregiver_list_view(request: HttpRequest) -> HttpResponse:
    filters = {"q": request.GET.get("q", "").strip(), "status": request.GET.get("status", "")}
    caregivers = caregiver_list(actor=request_actor(request), filters=filters)
    page = page_of(request, caregivers.prefetch_related("certificates"))
    today = timezone.localdate()
    rows = [
        {
            "caregiver": c,
            "skills": _labels(Skill, c.skills),
            "certificates": _certificate_rows(c.certificates.all(), today),
        }
        for c in page.object_list
    ]
    return render(
        request,
        "services/caregiver_list.html",
        {"page": page, "rows": rows, "filters": filters, "statuses": CaregiverStatus.choices},
    )


@login_required
def caregiver_detail_view(request: HttpRequest, external_id: str) -> HttpResponse:
    actor = request_actor(request)
    caregiver = caregiver_get_for_actor(actor=actor, external_id=external_id)
    today = timezone.localdate()
    return render(
        request,
        "services/caregiver_detail.html",
        {
            "caregiver": caregiver,
            "skills": _labels(Skill, caregiver.skills),
            "languages": _labels(Language, caregiver.languages),
            "certificates": _certificate_rows(caregiver.certificates.all(), today),
            "work_days": "、".join(
                str(day) for i, day in enumerate(WEEKDAY_NAMES) if i in (caregiver.work_days or [])
            ),
        },
    )
