"""Pages of the assessments app: lists, the assessment's page with its workflow actions,
the form an assessor fills on a tablet or phone (one domain per screen), the Annex C
report (page and PDF), the elder's assessment page and the eligibility rules.

Views parse input and call the services and selectors; scope and permission are theirs.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import TextChoices
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from yiyang.assessments import scoring, services
from yiyang.assessments.choices import (
    EDITABLE_STATUSES,
    AssessmentReason,
    AssessmentStatus,
    DeclaredRelation,
    EntitlementKind,
    EntitlementUnit,
    RequestedVia,
    RiskEventKind,
)
from yiyang.assessments.filtersets import AssessmentFilterSet
from yiyang.assessments.models import Assessment, EligibilityRule
from yiyang.assessments.selectors import (
    assessment_get_for_actor,
    assessment_history,
    assessment_list,
    assessments_due,
    assessor_get,
    assessors_for,
    elder_assessments,
    elder_level_trend,
    eligibility_rule_get,
    eligibility_rule_history,
    eligibility_rules,
    risk_events_of,
)
from yiyang.assessments.web.forms import (
    DeclarationForm,
    EligibilityRuleForm,
    FactsForm,
    ReasonForm,
    RequestForm,
    RiskEventForm,
    ScheduleForm,
)
from yiyang.core.models import AuditEvent
from yiyang.core.permissions import Actor, Permission, has_perm, request_actor, require_perm
from yiyang.core.selectors import division_filter_choices
from yiyang.core.web.forms import apply_errors
from yiyang.elders.choices import AbilityLevel, EconomicStatus
from yiyang.elders.models import Elder
from yiyang.elders.selectors import elder_get_for_actor

PAGE_SIZE = 50
FACTS = "facts"
SUMMARY = "summary"
REPORT_STATUSES = (AssessmentStatus.SUBMITTED, AssessmentStatus.FINAL, AssessmentStatus.SUPERSEDED)
SCHEDULABLE = (AssessmentStatus.REQUESTED, AssessmentStatus.SCHEDULED)
CANCELLABLE = (
    AssessmentStatus.REQUESTED,
    AssessmentStatus.SCHEDULED,
    AssessmentStatus.IN_PROGRESS,
    AssessmentStatus.RETURNED,
)
HISTORY_LABELS: dict[str, Any] = {
    "status": gettext_lazy("Status"),
    "reason": gettext_lazy("Reason"),
    "requested_via": gettext_lazy("Requested by"),
    "assessor": gettext_lazy("Assessor"),
    "second_assessor": gettext_lazy("Second assessor"),
    "scheduled_at": gettext_lazy("Scheduled for"),
    "place": gettext_lazy("Place"),
    "answered_items": gettext_lazy("Items answered"),
    "answers": gettext_lazy("Answers"),
    "total": gettext_lazy("Total score"),
    "final_level": gettext_lazy("Final level"),
    "valid_until": gettext_lazy("Valid until"),
    "superseded_by": gettext_lazy("Superseded by"),
    "name": gettext_lazy("Name"),
    "entitlement": gettext_lazy("Entitlement"),
    "amount_yuan": gettext_lazy("Amount (yuan)"),
    "unit": gettext_lazy("Unit"),
    "min_level": gettext_lazy("Lowest level"),
    "max_level": gettext_lazy("Highest level"),
    "economic_statuses": gettext_lazy("Economic statuses"),
    "min_age": gettext_lazy("Minimum age"),
    "valid_from": gettext_lazy("Valid from"),
    "valid_to": gettext_lazy("Valid to"),
    "is_active": gettext_lazy("In force"),
}
HISTORY_CHOICES: dict[str, type[TextChoices]] = {
    "status": AssessmentStatus,
    "entitlement": EntitlementKind,
    "unit": EntitlementUnit,
    "requested_via": RequestedVia,
}
PEOPLE_KEYS = ("assessor", "second_assessor")


def _label(choices: type[TextChoices], value: Any) -> str:
    return str(choices(value).label) if value in choices.values else str(value)


def _clean_filters(query: QueryDict) -> QueryDict:
    """The list filters without empty values (an "All" option submits an empty one)."""
    cleaned = QueryDict(mutable=True)
    for key, values in query.lists():
        kept = [v for v in values if v.strip()]
        if kept and key not in ("page", "mine"):
            cleaned.setlist(key, kept)
    return cleaned


def _error_text(exc: ValidationError) -> str:
    return " ".join(str(m) for m in exc.messages)


def _pk(actor: Actor) -> Any:
    return getattr(actor, "pk", None)


def level_names(instrument: Any) -> dict[int, str]:
    """Level number to its name in the instrument's words (Barthel: the configured bands)."""
    definition = instrument.definition
    names = scoring.level_names(definition)
    if not names:
        scheme = definition.get("band_schemes", {}).get(
            services.rules_from_settings().barthel_band_scheme
        )
        names = {int(b["level"]): b["name"] for b in (scheme or {}).get("bands", [])}
    return names


def _history_value(key: str, value: Any, people: dict[str, str]) -> str:
    if value in (None, "", [], {}):
        return "—"
    if key in PEOPLE_KEYS:
        return people.get(str(value), str(value))
    if key == "scheduled_at" and isinstance(value, str):
        try:
            moment = datetime.datetime.fromisoformat(value)
        except ValueError:
            return value
        return (
            timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
            if timezone.is_aware(moment)
            else value
        )
    if key in HISTORY_CHOICES and isinstance(value, str):
        return _label(HISTORY_CHOICES[key], value)
    if key == "reason" and isinstance(value, str) and value in AssessmentReason.values:
        return _label(AssessmentReason, value)
    if key == "economic_statuses" and isinstance(value, list):
        return "、".join(_label(EconomicStatus, v) for v in value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _history_rows(events: Any) -> list[dict[str, Any]]:
    """Events with their changes as (label, old, new); assessors are named (history keeps
    their external ids)."""
    events = list(events)
    people: dict[str, str] = {}
    for event in events:
        for key in PEOPLE_KEYS:
            change = (event.changes or {}).get(key)
            for value in change if isinstance(change, list) else [change]:
                if value and str(value) not in people:
                    user = assessor_get(external_id=str(value))
                    people[str(value)] = str(user) if user is not None else str(value)
    rows = []
    for event in events:
        changes = []
        for key, change in (event.changes or {}).items():
            if key.startswith("_"):
                continue
            old, new = change if isinstance(change, list) and len(change) == 2 else (None, change)
            changes.append(
                {
                    "label": HISTORY_LABELS.get(key, key),
                    "old": _history_value(key, old, people) if old is not None else "",
                    "new": _history_value(key, new, people),
                }
            )
        rows.append({"event": event, "changes": changes})
    return rows


# --------------------------------------------------------------------------------------------
# Lists


@login_required
def assessment_list_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    filters = _clean_filters(request.GET)
    mine = request.GET.get("mine") == "1"
    if mine:
        filters["assessor"] = getattr(request.user, "username", "")
    assessments = assessment_list(actor=actor, filters=filters)
    page = Paginator(assessments, PAGE_SIZE).get_page(request.GET.get("page"))
    divisions = division_filter_choices(actor=actor)
    names: dict[int, dict[int, str]] = {}
    rows = []
    for assessment in page.object_list:
        if assessment.instrument_id not in names:
            names[assessment.instrument_id] = level_names(assessment.instrument)
        level = assessment.final_level
        rows.append(
            {
                "a": assessment,
                "level": names[assessment.instrument_id].get(level, "")
                if level is not None
                else "",
            }
        )
    return render(
        request,
        "assessments/assessment_list.html",
        {
            "page": page,
            "rows": rows,
            "filterset": AssessmentFilterSet(filters),
            "divisions": divisions,
            "statuses": filters.getlist("status"),
            "mine": mine,
            "is_assessor": has_perm(actor, Permission.CONDUCT_ASSESSMENTS),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def assessment_due_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    if request.method == "POST":
        try:
            count = services.due_assessments_request(actor=actor)
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(
                request, _("%(count)s re-assessments were requested.") % {"count": count}
            )
        return redirect("assessments:due")
    today = timezone.localdate()
    page = Paginator(assessments_due(actor=actor, today=today), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [
        {"a": a, "overdue": a.valid_until is not None and a.valid_until < today}
        for a in page.object_list
    ]
    can_request = has_perm(actor, Permission.REQUEST_ASSESSMENTS)
    return render(
        request,
        "assessments/assessment_due.html",
        {"page": page, "rows": rows, "can_request": can_request},
    )


# --------------------------------------------------------------------------------------------
# One assessment: its page and workflow actions


def _result_rows(
    assessment: Assessment, definition: dict[str, Any], result: dict[str, Any]
) -> dict[str, Any]:
    """The stored result (as the reader may see it) laid out for the page and the report:
    domains with totals and maxima, levels with names, applied rules."""
    names = level_names(assessment.instrument)
    totals = result.get("domain_totals", {})
    domains = [
        {
            "code": d["code"],
            "title": d.get("title", ""),
            "max": d.get("max"),
            "total": totals.get(d["code"]),
        }
        for d in definition["domains"]
    ]
    prelim = assessment.preliminary_level
    final = assessment.final_level
    return {
        "domains": domains,
        "total": assessment.total,
        "max_total": definition.get("max_total"),
        "preliminary_level": prelim,
        "preliminary_name": names.get(prelim, "") if prelim is not None else "",
        "final_level": final,
        "final_name": names.get(final, "") if final is not None else "",
        "applied_rules": result.get("applied_rules", []),
        "band": result.get("band", ""),
        "has_result": bool(result),
    }


def _answer_rows(definition: dict[str, Any], answers: services.Answers) -> list[dict[str, Any]]:
    rows = []
    for domain in definition["domains"]:
        for item in domain["items"]:
            points = answers.answers.get(item["code"])
            text = next((o["text"] for o in item["options"] if o["points"] == points), "")
            rows.append({"item": item, "points": points, "text": text, "domain": domain["code"]})
    return rows


def _detail_context(request: HttpRequest, assessment: Assessment, **forms: Any) -> dict[str, Any]:
    actor = request_actor(request)
    pk = _pk(actor)
    status = assessment.status
    is_assessor = pk is not None and pk in (assessment.assessor_id, assessment.second_assessor_id)
    can_schedule = has_perm(actor, Permission.SCHEDULE_ASSESSMENTS) and status in SCHEDULABLE
    can_review = (
        has_perm(actor, Permission.REVIEW_ASSESSMENTS)
        and status == AssessmentStatus.SUBMITTED
        and pk != assessment.assessor_id
    )
    definition = services.instrument_definition(assessment.instrument)
    health = services.assessment_health_reveal(actor=actor, assessment=assessment)
    answers = health.answers
    schedule_form = forms.get("schedule_form")
    if can_schedule and schedule_form is None:
        initial: dict[str, Any] = {"place": assessment.place or _("The elder's home")}
        if assessment.assessor is not None:
            initial["assessor"] = str(assessment.assessor.external_id)
        if assessment.second_assessor is not None:
            initial["second_assessor"] = str(assessment.second_assessor.external_id)
        if assessment.scheduled_at is not None:
            initial["scheduled_at"] = timezone.localtime(assessment.scheduled_at)
        else:  # a suggestion: tomorrow at nine
            tomorrow = timezone.localdate() + datetime.timedelta(days=1)
            initial["scheduled_at"] = datetime.datetime.combine(tomorrow, datetime.time(9, 0))
        schedule_form = ScheduleForm(
            initial=initial, assessors=assessors_for(elder=assessment.elder)
        )
    return {
        "a": assessment,
        "elder": assessment.elder,
        "definition": definition,
        "result": _result_rows(assessment, definition, health.result),
        "answers": answers,
        "answer_rows": _answer_rows(definition, answers) if answers is not None else [],
        "history": _history_rows(assessment_history(assessment=assessment)),
        "can_enter": is_assessor
        and has_perm(actor, Permission.CONDUCT_ASSESSMENTS)
        and status in EDITABLE_STATUSES,
        "can_schedule": can_schedule,
        "can_review": can_review,
        "can_cancel": has_perm(actor, Permission.SCHEDULE_ASSESSMENTS) and status in CANCELLABLE,
        "has_report": status in REPORT_STATUSES,
        "schedule_form": schedule_form,
        "return_form": forms.get("return_form") or ReasonForm(prefix="return"),
        "cancel_form": forms.get("cancel_form") or ReasonForm(prefix="cancel"),
        "finalise_errors": forms.get("finalise_errors", []),
    }


@login_required
def assessment_detail_view(request: HttpRequest, external_id: str) -> HttpResponse:
    assessment = assessment_get_for_actor(actor=request_actor(request), external_id=external_id)
    return render(
        request, "assessments/assessment_detail.html", _detail_context(request, assessment)
    )


@require_POST
@login_required
def assessment_schedule_view(request: HttpRequest, external_id: str) -> HttpResponse:
    actor = request_actor(request)
    require_perm(actor, Permission.SCHEDULE_ASSESSMENTS)
    assessment = assessment_get_for_actor(actor=actor, external_id=external_id)
    form = ScheduleForm(request.POST, assessors=assessors_for(elder=assessment.elder))
    if form.is_valid():
        data = form.cleaned_data
        assessor = assessor_get(external_id=data["assessor"])
        second = (
            assessor_get(external_id=data["second_assessor"]) if data["second_assessor"] else None
        )
        try:
            services.assessment_schedule(
                actor=actor,
                assessment=assessment,
                assessor=assessor,
                second_assessor=second,
                scheduled_at=data["scheduled_at"],
                place=data["place"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The assessment is scheduled."))
            return redirect("assessments:detail", external_id=assessment.external_id)
    context = _detail_context(request, assessment, schedule_form=form)
    return render(request, "assessments/assessment_detail.html", context, status=400)


def _reason_action(request: HttpRequest, external_id: str, action: str) -> HttpResponse:
    actor = request_actor(request)
    assessment = assessment_get_for_actor(actor=actor, external_id=external_id)
    form = ReasonForm(request.POST, prefix=action)
    if form.is_valid():
        try:
            if action == "return":
                services.assessment_return(
                    actor=actor, assessment=assessment, reason=form.cleaned_data["reason"]
                )
                messages.success(request, _("The assessment was returned to its assessor."))
            else:
                services.assessment_cancel(
                    actor=actor, assessment=assessment, reason=form.cleaned_data["reason"]
                )
                messages.success(request, _("The assessment was cancelled."))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("assessments:detail", external_id=assessment.external_id)
    context = _detail_context(request, assessment, **{f"{action}_form": form})
    return render(request, "assessments/assessment_detail.html", context, status=400)


@require_POST
@login_required
def assessment_return_view(request: HttpRequest, external_id: str) -> HttpResponse:
    require_perm(request_actor(request), Permission.REVIEW_ASSESSMENTS)
    return _reason_action(request, external_id, "return")


@require_POST
@login_required
def assessment_cancel_view(request: HttpRequest, external_id: str) -> HttpResponse:
    require_perm(request_actor(request), Permission.SCHEDULE_ASSESSMENTS)
    return _reason_action(request, external_id, "cancel")


@require_POST
@login_required
def assessment_finalise_view(request: HttpRequest, external_id: str) -> HttpResponse:
    actor = request_actor(request)
    require_perm(actor, Permission.REVIEW_ASSESSMENTS)
    assessment = assessment_get_for_actor(actor=actor, external_id=external_id)
    try:
        services.assessment_finalise(actor=actor, assessment=assessment)
    except ValidationError as exc:
        context = _detail_context(request, assessment, finalise_errors=exc.messages)
        return render(request, "assessments/assessment_detail.html", context, status=400)
    messages.success(request, _("The assessment is final; the elder's level follows it."))
    return redirect("assessments:detail", external_id=assessment.external_id)


# --------------------------------------------------------------------------------------------
# The assessment form: one domain per screen


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
        step_key = next(
            (
                d["code"]
                for d in definition["domains"]
                if any(i["code"] not in saved for i in d["items"])
            ),
            keys[len(definition["domains"])],
        )
    if step_key not in keys:
        raise Http404
    index = keys.index(step_key)
    step = steps[index]
    errors = errors or {}
    posted = posted or {}
    item_count = sum(len(d["items"]) for d in definition["domains"])
    step_of_item = {i["code"]: d["code"] for d in definition["domains"] for i in d["items"]}
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
    recorded = services.risk_events_30d(assessment.elder)
    if step_key == FACTS and facts_form is None:
        events = entry.risk_events_30d or recorded
        facts_form = FactsForm(initial=FactsForm.initial_from(entry.coma, entry.diagnoses, events))
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
    other_errors = [
        {"code": code, "messages": msgs, "step": step_of_item.get(code, FACTS)}
        for code, msgs in errors.items()
        if not any(code == i["item"]["code"] for i in items)
        and not (step_key == FACTS and code in ("coma", "diagnoses", "risk_events_30d"))
    ]
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
        "summary_domains": summary_domains,
        "other_errors": other_errors,
        "answered": len(saved),
        "item_count": item_count,
        "total": assessment.total or 0,
        # The level only once every item is answered: unanswered items count 0.
        "level_name": names.get(assessment.final_level, "")
        if assessment.final_level is not None and len(saved) == item_count
        else "",
        "entry_json": {
            "instrument": assessment.instrument.code,
            "answers": saved,
            "coma": entry.coma,
            "diagnoses": entry.diagnoses,
            "risk_events_30d": entry.risk_events_30d,
            "items": item_count,
            "levels": {str(k): v for k, v in names.items()},
            "preview_url": reverse("assessment-preview"),
        },
        "editable": assessment.status in EDITABLE_STATUSES,
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
    if assessment.status not in EDITABLE_STATUSES:
        messages.info(request, _("This assessment can no longer be changed."))
        return redirect("assessments:detail", external_id=assessment.external_id)
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


# --------------------------------------------------------------------------------------------
# The report (GB/T 42195-2022 Annex C)


def _report_context(request: HttpRequest, external_id: str) -> dict[str, Any]:
    actor = request_actor(request)
    assessment = assessment_get_for_actor(actor=actor, external_id=external_id)
    if assessment.status not in REPORT_STATUSES:
        raise Http404
    definition = services.instrument_definition(assessment.instrument)
    health = services.assessment_health_reveal(actor=actor, assessment=assessment)
    answers = health.answers
    return {
        "a": assessment,
        "elder": assessment.elder,
        "definition": definition,
        "result": _result_rows(assessment, definition, health.result),
        "answers": answers,
        "answer_rows": _answer_rows(definition, answers) if answers is not None else [],
        "reviewer": assessment.finalised_by,
        "date": timezone.localtime(
            assessment.finalised_at or assessment.submitted_at or timezone.now()
        ),
        "is_gbt": definition["engine"] == scoring.ENGINE_GBT42195,
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
    response = HttpResponse(report_pdf(context), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="assessment-{context["a"].external_id}.pdf"'
    )
    return response


# --------------------------------------------------------------------------------------------
# The elder's assessment page


TREND_WIDTH, TREND_LEFT, TREND_TOP, TREND_STEP, TREND_BOTTOM = 520, 170, 16, 36, 34


def trend_chart(
    trend: list[dict[str, Any]], names: dict[int, str], today: datetime.date
) -> dict[str, Any]:
    """The levels over time as an SVG step chart: one horizontal step per final
    assessment, from its date to the next one (the last runs to today)."""
    points = [
        t for t in trend if t.get("finalised_at") is not None and t.get("final_level") is not None
    ]
    levels = [
        {"y": TREND_TOP + n * TREND_STEP, "level": n, "name": names.get(n, str(n))}
        for n in range(5)
    ]
    if not points:
        return {"points": [], "levels": levels, "path": ""}
    days = [timezone.localtime(p["finalised_at"]).date() for p in points]
    start, end = days[0], max(today, days[-1])
    span = max((end - start).days, 1)
    plot = TREND_WIDTH - TREND_LEFT - 16

    def x(day: datetime.date) -> float:
        return round(TREND_LEFT + plot * (day - start).days / span, 1)

    def y(level: int) -> int:
        return TREND_TOP + int(level) * TREND_STEP

    path = []
    marks = []
    for index, (point, day) in enumerate(zip(points, days, strict=True)):
        level = int(point["final_level"])
        until = days[index + 1] if index + 1 < len(points) else end
        path.append(f"V {y(level)}" if index else f"M {x(day)} {y(level)}")
        # The last step runs to the right edge: the level holds until today.
        path.append(f"H {x(until) if index + 1 < len(points) else TREND_LEFT + plot}")
        marks.append(
            {
                "x": x(day),
                "y": y(level),
                "date": day,
                "level": level,
                "name": names.get(level, str(level)),
                "total": point.get("total"),
                "id": point["external_id"],
            }
        )
    return {
        "points": marks,
        "levels": levels,
        "path": " ".join(path),
        "start": start,
        "end": end,
        "end_x": x(end),
    }


def _elder_context(request: HttpRequest, elder: Elder, **forms: Any) -> dict[str, Any]:
    actor = request_actor(request)
    today = timezone.localdate()
    names = {n: str(level.label) for n, level in enumerate(AbilityLevel)}
    trend = elder_level_trend(actor=actor, elder=elder)
    can_request = has_perm(actor, Permission.REQUEST_ASSESSMENTS)
    return {
        "elder": elder,
        "level": services.elder_level(elder),
        "trend": trend_chart(trend, names, today),
        "chart": {
            "width": TREND_WIDTH,
            "height": TREND_TOP + 4 * TREND_STEP + TREND_BOTTOM,
            "left": TREND_LEFT,
        },
        "entitlements": services.entitlements_for(elder=elder, today=today),
        "assessments": list(elder_assessments(actor=actor, elder=elder)[:20]),
        "risk_events": list(risk_events_of(actor=actor, elder=elder)[:10]),
        "can_request": can_request,
        "can_declare": has_perm(actor, Permission.CONDUCT_ASSESSMENTS),
        "request_form": forms.get("request_form") or RequestForm(),
        "risk_form": forms.get("risk_form") or RiskEventForm(initial={"occurred_on": today}),
        "declaration_form": forms.get("declaration_form") or DeclarationForm(),
    }


def _elder_for(request: HttpRequest, external_id: str) -> Elder:
    actor = request_actor(request)
    require_perm(actor, Permission.VIEW_ASSESSMENTS)
    return elder_get_for_actor(actor=actor, external_id=external_id)


@login_required
def elder_assessments_view(request: HttpRequest, external_id: str) -> HttpResponse:
    elder = _elder_for(request, external_id)
    return render(request, "assessments/elder_assessments.html", _elder_context(request, elder))


def _elder_page(request: HttpRequest, elder: Elder) -> HttpResponse:
    return redirect("assessments:elder", external_id=elder.external_id)


@require_POST
@login_required
def elder_request_view(request: HttpRequest, external_id: str) -> HttpResponse:
    actor = request_actor(request)
    require_perm(actor, Permission.REQUEST_ASSESSMENTS)
    elder = _elder_for(request, external_id)
    form = RequestForm(request.POST)
    if form.is_valid():
        try:
            assessment = services.assessment_request(
                actor=actor,
                elder=elder,
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The assessment was requested."))
            return redirect("assessments:detail", external_id=assessment.external_id)
    context = _elder_context(request, elder, request_form=form)
    return render(request, "assessments/elder_assessments.html", context, status=400)


@require_POST
@login_required
def elder_risk_event_view(request: HttpRequest, external_id: str) -> HttpResponse:
    actor = request_actor(request)
    require_perm(actor, Permission.REQUEST_ASSESSMENTS)
    elder = _elder_for(request, external_id)
    form = RiskEventForm(request.POST)
    if form.is_valid():
        kind = form.cleaned_data["kind"]
        try:
            services.risk_event_record(
                actor=actor,
                elder=elder,
                kind=kind,
                occurred_on=form.cleaned_data["occurred_on"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The event was recorded."))
            proposal = services.reassessment_after(elder=elder, kind=kind)
            if proposal is not None:
                if proposal == services.REASSESSMENT_REQUESTED:
                    messages.warning(
                        request,
                        _(
                            "After a fall or a hospital stay an immediate re-assessment is "
                            "proposed: it has been requested."
                        ),
                    )
                else:
                    messages.warning(
                        request,
                        _(
                            "After a fall or a hospital stay an assessment is advisable: "
                            "request one below."
                        ),
                    )
            return _elder_page(request, elder)
    context = _elder_context(request, elder, risk_form=form)
    return render(request, "assessments/elder_assessments.html", context, status=400)


@require_POST
@login_required
def elder_declaration_view(request: HttpRequest, external_id: str) -> HttpResponse:
    actor = request_actor(request)
    require_perm(actor, Permission.CONDUCT_ASSESSMENTS)
    elder = _elder_for(request, external_id)
    form = DeclarationForm(request.POST)
    if form.is_valid():
        try:
            services.declaration_record(
                actor=actor, elder=elder, relation=form.cleaned_data["relation"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("Your relation (%(relation)s) is recorded: you will not assess this elder.")
                % {"relation": DeclaredRelation(form.cleaned_data["relation"]).label},
            )
            return _elder_page(request, elder)
    context = _elder_context(request, elder, declaration_form=form)
    return render(request, "assessments/elder_assessments.html", context, status=400)


# --------------------------------------------------------------------------------------------
# Eligibility rules


@login_required
def eligibility_list_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    require_perm(actor, Permission.VIEW_ASSESSMENTS)
    rules = [
        {
            "rule": rule,
            "statuses": "、".join(_label(EconomicStatus, s) for s in rule.economic_statuses),
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
            "statuses": "、".join(_label(EconomicStatus, s) for s in rule.economic_statuses),
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
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        try:
            if rule is None:
                rule = services.eligibility_rule_create(actor=actor, **values)
            else:
                rule = services.eligibility_rule_update(actor=actor, rule=rule, **values)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("assessments:eligibility-detail", external_id=rule.external_id)
    return render(
        request,
        "assessments/eligibility_form.html",
        {"form": form, "rule": rule},
        status=400 if request.method == "POST" else 200,
    )
