"""The assessment form: one domain per screen."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from yiyang.assessments import scoring, services
from yiyang.assessments.choices import RiskEventKind
from yiyang.assessments.lifecycle import (
    AssessmentAction,
    assessment_action_refusal,
    assessment_actions,
)
from yiyang.assessments.models import Assessment
from yiyang.assessments.selectors import assessment_get_for_actor
from yiyang.assessments.web.forms import FactsForm
from yiyang.assessments.web.views import FACTS, SUMMARY, _pk, level_names
from yiyang.core.permissions import Permission, request_actor, require_perm


def _steps(definition: dict[str, Any]) -> list[dict[str, Any]]:
    steps = [
        {"key": d["code"], "title": d.get("title", d["code"]), "domain": d}
        for d in definition["domains"]
    ]
    if definition["engine"] == scoring.ENGINE_GBT42195:
        steps.append({"key": FACTS, "title": _("Change-rule facts"), "domain": None})
    steps.append({"key": SUMMARY, "title": _("Summary"), "domain": None})
    return steps


def _entry_assessment(request: HttpRequest, external_id: str) -> Assessment:
    """The assessment the actor enters answers for: they must be one of its assessors."""
    actor = request_actor(request)
    require_perm(actor, Permission.CONDUCT_ASSESSMENTS)
    assessment = assessment_get_for_actor(actor=actor, external_id=external_id)
    if _pk(actor) not in (assessment.assessor_id, assessment.second_assessor_id):
        raise PermissionDenied("not_an_assessor_of_this_assessment")
    return assessment


def _form_context(
    request: HttpRequest,
    assessment: Assessment,
    step_key: str | None,
    *,
    posted: dict[str, Any] | None = None,
    errors: dict[str, list[str]] | None = None,
    facts_form: FactsForm | None = None,
) -> dict[str, Any]:
    """The context of one screen; without ``step_key`` the screen to resume on (the first
    domain with an unanswered item, else the next screen after the domains)."""
    actor = request_actor(request)
    definition = services.instrument_definition(assessment.instrument)
    steps = _steps(definition)
    keys = [s["key"] for s in steps]
    revealed = services.assessment_answers_reveal(actor=actor, assessment=assessment)
    entry = revealed or services.Answers({}, False, [], {})
    saved = dict(entry.answers)
    if step_key is None:
        step_key = _resume_step(definition, saved, keys)
    if step_key not in keys:
        raise Http404
    index = keys.index(step_key)
    step = steps[index]
    errors = errors or {}
    posted = posted or {}
    item_count = sum(len(d["items"]) for d in definition["domains"])
    items = _step_items(step, posted, saved, errors)
    recorded = services.risk_events_30d(assessment.elder)
    if step_key == FACTS and facts_form is None:
        events = entry.risk_events_30d or recorded
        facts_form = FactsForm(initial=FactsForm.initial_from(entry.coma, entry.diagnoses, events))
    names = level_names(assessment.instrument)
    return {
        "a": assessment,
        "elder": assessment.elder,
        "definition": definition,
        "steps": steps,
        "step": step,
        "index": index,
        "previous": keys[index - 1] if index > 0 else None,
        "next": keys[index + 1] if index + 1 < len(keys) else None,
        "items": items,
        "facts_form": facts_form,
        "recorded_events": {
            str(RiskEventKind(k).label): v for k, v in recorded.items() if k in RiskEventKind.values
        },
        "summary_domains": _summary_domains(definition, saved, assessment),
        "other_errors": _other_errors(definition, errors, items, step_key),
        "answered": len(saved),
        "item_count": item_count,
        "total": assessment.total or 0,
        # The level only once every item is answered: unanswered items count 0.
        "level_name": names.get(assessment.final_level, "")
        if assessment.final_level is not None and len(saved) == item_count
        else "",
        "entry_json": _entry_json(assessment, entry, item_count, names),
        "editable": AssessmentAction.ENTER
        in assessment_actions(actor=actor, assessment=assessment),
    }


def _resume_step(definition: dict[str, Any], saved: dict[str, Any], keys: list[str]) -> str:
    """The first domain with an unanswered item, else the next screen after the domains."""
    return next(
        (
            d["code"]
            for d in definition["domains"]
            if any(i["code"] not in saved for i in d["items"])
        ),
        keys[len(definition["domains"])],
    )


def _step_items(
    step: dict[str, Any],
    posted: dict[str, Any],
    saved: dict[str, Any],
    errors: dict[str, list[str]],
) -> list[dict[str, Any]]:
    """The items of a domain's screen, each with its answer (posted, else saved)."""
    items = []
    if step["domain"] is not None:
        for item in step["domain"]["items"]:
            chosen = posted.get(item["code"], saved.get(item["code"]))
            items.append(
                {
                    "item": item,
                    "selected": str(chosen) if chosen is not None else "",
                    "errors": errors.get(item["code"], []),
                }
            )
    return items


def _summary_domains(
    definition: dict[str, Any], saved: dict[str, Any], assessment: Assessment
) -> list[dict[str, Any]]:
    """Per domain: answered items, missing items and the running total."""
    summary_domains = []
    result = services.assessment_result(assessment)
    for domain in definition["domains"]:
        codes = [i["code"] for i in domain["items"]]
        summary_domains.append(
            {
                "code": domain["code"],
                "title": domain.get("title", ""),
                "max": domain.get("max"),
                "answered": sum(1 for c in codes if c in saved),
                "items": len(codes),
                "total": result.get("domain_totals", {}).get(domain["code"], 0),
                "missing": [c for c in codes if c not in saved],
            }
        )
    return summary_domains


def _other_errors(
    definition: dict[str, Any],
    errors: dict[str, list[str]],
    items: list[dict[str, Any]],
    step_key: str,
) -> list[dict[str, Any]]:
    """Errors of items (or facts) not on this screen, each with the screen it is on."""
    step_of_item = {i["code"]: d["code"] for d in definition["domains"] for i in d["items"]}
    return [
        {"code": code, "messages": msgs, "step": step_of_item.get(code, FACTS)}
        for code, msgs in errors.items()
        if not any(code == i["item"]["code"] for i in items)
        and not (step_key == FACTS and code in ("coma", "diagnoses", "risk_events_30d"))
    ]


def _entry_json(
    assessment: Assessment, entry: services.Answers, item_count: int, names: dict[int, str]
) -> dict[str, Any]:
    """What the form's script needs for the running score."""
    return {
        "instrument": assessment.instrument.code,
        "answers": dict(entry.answers),
        "coma": entry.coma,
        "diagnoses": entry.diagnoses,
        "risk_events_30d": entry.risk_events_30d,
        "items": item_count,
        "levels": {str(k): v for k, v in names.items()},
        "preview_url": reverse("assessment-preview"),
    }


def _posted_answers(request: HttpRequest, step: dict[str, Any]) -> dict[str, str]:
    if step["domain"] is None:
        return {}
    return {
        item["code"]: request.POST[item["code"]][:8]
        for item in step["domain"]["items"]
        if request.POST.get(item["code"], "").strip()
    }


def _error_dict(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {key: [str(m) for m in msgs] for key, msgs in exc.message_dict.items()}
    return {"__all__": [str(m) for m in exc.messages]}


@require_http_methods(["GET", "POST"])
@login_required
def assessment_form_view(request: HttpRequest, external_id: str) -> HttpResponse:
    actor = request_actor(request)
    assessment = _entry_assessment(request, external_id)
    refusal = assessment_action_refusal(
        actor=actor, assessment=assessment, action=AssessmentAction.ENTER
    )
    if refusal is not None and refusal.field == "status":
        messages.info(request, refusal.message)
        return redirect("assessments:detail", external_id=assessment.external_id)
    if refusal is not None:
        raise PermissionDenied(refusal.message)
    definition = services.instrument_definition(assessment.instrument)
    keys = [s["key"] for s in _steps(definition)]
    template = "assessments/assessment_form.html"
    if request.method == "GET":
        wanted = request.GET.get("step")
        return render(
            request,
            template,
            _form_context(request, assessment, wanted if wanted in keys else None),
        )
    step_key = request.POST.get("step", "")
    if step_key not in keys:
        step_key = keys[0]
    step = next(s for s in _steps(definition) if s["key"] == step_key)
    go = request.POST.get("go", "")
    values: dict[str, Any] = {}
    facts_form = None
    if step_key == FACTS:
        facts_form = FactsForm(request.POST)
        if not facts_form.is_valid():
            context = _form_context(request, assessment, step_key, facts_form=facts_form)
            return render(request, template, context, status=400)
        values = facts_form.values()
    else:
        answers = _posted_answers(request, step)
        if answers:
            values = {"answers": answers}
    try:
        if go == "submit":
            services.assessment_submit(actor=actor, assessment=assessment, values=values)
        elif values:
            services.assessment_save(actor=actor, assessment=assessment, values=values)
    except ValidationError as exc:
        errors = _error_dict(exc)
        if facts_form is not None:
            for key in ("coma", "diagnoses", "risk_events_30d"):
                for message in errors.get(key, []):
                    target = {"diagnoses": "diagnoses_free", "risk_events_30d": None}.get(key, key)
                    facts_form.add_error(target, message)
        context = _form_context(
            request,
            assessment,
            step_key,
            posted=values.get("answers"),
            errors=errors,
            facts_form=facts_form,
        )
        return render(request, template, context, status=400)
    if go == "submit":
        messages.success(request, _("The assessment was submitted for review."))
        return redirect("assessments:detail", external_id=assessment.external_id)
    target = go if go in keys else step_key
    url = reverse("assessments:form", kwargs={"external_id": assessment.external_id})
    return redirect(f"{url}?step={target}")
