"""The assessment report (GB/T 42195-2022 Annex C), as a page and as a PDF."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from yiyang.assessments import scoring
from yiyang.assessments.selectors import assessment_get_for_actor
from yiyang.assessments.web.detail import result_context
from yiyang.assessments.web.views import REPORT_STATUSES
from yiyang.core.downloads import PDF, download_response
from yiyang.core.permissions import request_actor


def _report_context(request: HttpRequest, external_id: str) -> dict[str, Any]:
    actor = request_actor(request)
    assessment = assessment_get_for_actor(actor=actor, external_id=external_id)
    if assessment.status not in REPORT_STATUSES:
        raise Http404
    context = result_context(actor, assessment)
    return {
        **context,
        "reviewer": assessment.finalised_by,
        "date": timezone.localtime(
            assessment.finalised_at or assessment.submitted_at or timezone.now()
        ),
        "is_gbt": context["definition"]["engine"] == scoring.ENGINE_GBT42195,
    }


@login_required
def assessment_report_view(request: HttpRequest, external_id: str) -> HttpResponse:
    return render(
        request, "assessments/assessment_report.html", _report_context(request, external_id)
    )


@login_required
def assessment_report_pdf_view(request: HttpRequest, external_id: str) -> HttpResponse:
    from yiyang.assessments.web.pdf import report_pdf

    context = _report_context(request, external_id)
    name = f"assessment-{context['a'].external_id}.pdf"
    return download_response(report_pdf(context), name, PDF, inline=True)
