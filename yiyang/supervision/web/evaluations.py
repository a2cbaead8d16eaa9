"""Third-party evaluation of purchased services: the list (officers make the year's
tasks and assign evaluators), and the evaluation page where the assigned evaluator scores
each section against the sample drawn from the platform."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yiyang.accounts.models import User
from yiyang.core.lookups import get_or_404
from yiyang.core.permissions import Permission, Role, has_perm, request_actor
from yiyang.core.web.lists import list_response
from yiyang.supervision import selectors, services
from yiyang.supervision.choices import EvaluationStatus


def _error(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@login_required
def evaluation_list_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    evaluations = selectors.evaluation_queryset(actor=actor).order_by("-year", "provider__name")
    return list_response(
        request,
        "supervision/evaluation_list.html",
        evaluations,
        {
            "can_generate": has_perm(actor, Permission.ASSIGN_EVALUATORS),
            "year": timezone.localdate().year,
        },
    )


@require_POST
@login_required
def evaluation_generate_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    year = request.POST.get("year", "")
    try:
        made = services.evaluation_tasks_generate(
            actor=actor, year=int(year) if year.isdigit() else 0
        )
    except ValidationError as error:
        _error(request, error)
    else:
        messages.success(request, _("%(n)d evaluation tasks made.") % {"n": len(made)})
    return redirect("supervision:evaluations")


@login_required
def evaluation_detail_view(request: HttpRequest, external_id: str) -> HttpResponse:
    actor = request_actor(request)
    evaluation = selectors.evaluation_get_for_actor(actor=actor, external_id=external_id)
    sections = evaluation.template.sections
    if request.method == "POST":
        try:
            if request.POST.get("step") == "assign":
                evaluator = get_or_404(
                    User.objects.filter(role=Role.EVALUATOR),
                    external_id=request.POST.get("evaluator"),
                )
                services.evaluation_assign(actor=actor, evaluation=evaluation, evaluator=evaluator)
            else:
                scores = {
                    s["code"]: {
                        "points": request.POST.get(f"points_{s['code']}", ""),
                        "note": request.POST.get(f"note_{s['code']}", ""),
                    }
                    for s in sections
                }
                services.evaluation_score(actor=actor, evaluation=evaluation, scores=scores)
        except ValidationError as error:
            _error(request, error)
        else:
            messages.success(request, _("Saved."))
        return redirect("supervision:evaluation", external_id=evaluation.external_id)
    samples = selectors.evaluation_sample_visits(evaluation)
    rows = [
        (
            s,
            samples.get(s["code"], []),
            evaluation.scores.get(s["code"]),
            evaluation.notes.get(s["code"], ""),
        )
        for s in sections
    ]
    evaluators = []
    if has_perm(actor, Permission.ASSIGN_EVALUATORS) and evaluation.status == "open":
        evaluators = [
            u
            for u in User.objects.filter(role=Role.EVALUATOR, is_active=True).select_related(
                "division"
            )
            if u.division is not None
            and evaluation.division_code.startswith(u.division.code_prefix)
        ]
    return render(
        request,
        "supervision/evaluation_detail.html",
        {
            "evaluation": evaluation,
            "rows": rows,
            "history": selectors.evaluation_history(actor=actor, evaluation=evaluation),
            "evaluators": evaluators,
            "can_score": evaluation.status == EvaluationStatus.OPEN
            and evaluation.evaluator_id == actor.pk
            and has_perm(actor, Permission.SCORE_RATINGS),
        },
    )
