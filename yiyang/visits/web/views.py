"""Pages of home care: the caregiver's phone pages (the day, one visit with one-tap check-in
and check-out through the API and an offline queue), the provider's dispatch board, the
review queue, the elder's care, the family page, and orders.

Views parse input and call the selectors and services; scope and permission are theirs.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yiyang.core.permissions import Permission, has_perm, request_actor, require_perm
from yiyang.core.web.forms import apply_errors
from yiyang.core.web.lists import page_of
from yiyang.core.web.saving import action_done, form_response
from yiyang.elders.selectors import elder_get_for_actor, home_unlocated_reason
from yiyang.visits import lifecycle, selectors, services
from yiyang.visits.choices import (
    FlagCode,
    OrderStatus,
    VisitOutcome,
)
from yiyang.visits.models import Visit
from yiyang.visits.web.door import door_context
from yiyang.visits.web.forms import (
    AssignForm,
    CorrectForm,
    RateForm,
    ReasonForm,
    ReviewForm,
)

F = TypeVar("F", bound=forms.BaseForm)


def _day(request: HttpRequest) -> datetime.date:
    """The day asked for; today when none is given or it is not a real date (2026-02-30)."""
    try:
        return parse_date(request.GET.get("date") or "") or timezone.localdate()
    except ValueError:
        return timezone.localdate()


def _phone_texts() -> dict[str, str]:
    """The messages the phone page's script shows, in the page's language."""
    return {
        "queued": _(
            "No connection: the action is kept on this phone and will be sent with its "
            "original time when the connection returns."
        ),
        "synced": _("The waiting actions were sent."),
        "sending": _("Sending…"),
        "done": _("Done."),
        "failed": _("The server refused the action."),
        "locating": _("Finding your location…"),
        "no_location": _("The phone's location is not available: allow location and try again."),
        "flagged": _("Recorded, with a flag for review:"),
        "explain": _("Explanation"),
        "uploading": _("Sending the photo…"),
        "photo_added": _("Photo added."),
        "photo": _("Photo"),
        "log_in": _("Log in again: the waiting actions are kept on this phone and sent then."),
        "photo_offline": _("A photo needs a connection: add it again when you are online."),
    }


def _flag_label(code: str) -> str:
    return str(FlagCode(code).label) if code in FlagCode.values else code


# --------------------------------------------------------------------------------------------
# The caregiver's phone pages


@login_required
def my_day_view(request: HttpRequest) -> HttpResponse:
    day = _day(request)
    visits = selectors.caregiver_day(actor=request_actor(request), day=day)
    return render(
        request,
        "visits/my_day.html",
        {
            "day": day,
            "visits": visits,
            "previous": day - datetime.timedelta(days=1),
            "next": day + datetime.timedelta(days=1),
            "is_today": day == timezone.localdate(),
            "texts": _phone_texts(),
        },
    )


def _visit_page(
    request: HttpRequest,
    visit: Visit,
    *,
    cancel_form: ReasonForm | None = None,
    correct_form: CorrectForm | None = None,
    status: int = 200,
) -> HttpResponse:
    actor = request_actor(request)
    performer = has_perm(actor, Permission.PERFORM_VISITS)
    allowed = lifecycle.visit_actions(actor=actor, visit=visit)
    part = lifecycle.performer_of(actor, visit)
    presence = lifecycle.second_presence_of(visit)
    flags = [
        {"flag": f, "label": _flag_label(f.code)}
        for f in visit.flags.all()  # prefetched
    ]
    can_cancel = lifecycle.VisitAction.CANCEL in allowed
    can_correct = lifecycle.VisitAction.CORRECT in allowed
    if can_correct and correct_form is None:
        correct_form = CorrectForm(
            initial={
                "check_in_at": _local_input(visit.check_in_at or visit.window_start),
                "check_out_at": _local_input(
                    visit.check_out_at
                    or (visit.check_in_at or visit.window_start)
                    + datetime.timedelta(minutes=visit.standard_minutes)
                ),
            }
        )
    return render(
        request,
        "visits/visit.html",
        {
            "visit": visit,
            "flags": flags,
            "photos": list(visit.photos.all()),
            "checklist": [
                {"task": t, "done": t in (visit.tasks_done or [])} for t in visit.item.checklist
            ],
            "outcomes": VisitOutcome.choices,
            "texts": _phone_texts(),
            "performer": performer,
            "second": part.second,
            "second_in": presence.get(lifecycle.SECOND_CHECK_IN),
            "second_out": presence.get(lifecycle.SECOND_CHECK_OUT),
            "can_set_off": lifecycle.VisitAction.SET_OFF in allowed,
            "can_check_in": lifecycle.VisitAction.CHECK_IN in allowed,
            "can_check_out": lifecycle.VisitAction.CHECK_OUT in allowed,
            "checked_in": visit.check_in_at is not None or part.second,
            "can_photo": lifecycle.VisitAction.PHOTO in allowed,
            "minutes": selectors.visit_minutes(visit),
            **door_context(request, visit),
            "can_cancel": can_cancel,
            "cancel_form": cancel_form or (ReasonForm() if can_cancel else None),
            "can_correct": can_correct,
            "correct_form": correct_form if can_correct else None,
            "history": (selectors.visit_history(actor=actor, visit=visit) if not performer else []),
        },
        status=status,
    )


def _local_input(value: datetime.datetime) -> str:
    """A time as a ``datetime-local`` input shows it (the server's time zone)."""
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


@login_required
def visit_view(request: HttpRequest, external_id: str) -> HttpResponse:
    actor = request_actor(request)
    return _visit_page(request, selectors.visit_get_for_page(actor=actor, external_id=external_id))


def _visit_form_response(
    request: HttpRequest,
    visit: Visit,
    key: str,
    form: F,
    write: Callable[..., Any],
    success: str,
) -> HttpResponse:
    """A form of the visit's page posted: saved, or the page again with the form (as
    ``key``) showing why not. A role that may not act on the visit gets 404, as on a visit it
    may not see."""

    shown: dict[str, Any] = {key: form}

    def hidden_write(**values: Any) -> Any:
        try:
            return write(**values)
        except PermissionDenied:
            raise Http404 from None

    return form_response(
        request,
        form,
        hidden_write,
        success,
        done=lambda _saved: redirect("visits:detail", external_id=visit.external_id),
        again=lambda: _visit_page(request, visit, **shown, status=400),
    )


@require_POST
@login_required
def visit_cancel_view(request: HttpRequest, external_id: str) -> HttpResponse:
    """Cancel one visit of an order (the rest of the order stays)."""
    actor = request_actor(request)
    visit = selectors.visit_get_for_page(actor=actor, external_id=external_id)
    return _visit_form_response(
        request,
        visit,
        "cancel_form",
        ReasonForm(request.POST),
        partial(services.visit_cancel, actor=actor, visit=visit),
        _("The visit was cancelled."),
    )


@require_POST
@login_required
def visit_correct_view(request: HttpRequest, external_id: str) -> HttpResponse:
    """A manager corrects a visit's check-in and check-out times, with an attestation; the
    visit is flagged ``edited`` for review and the history keeps the times before."""
    actor = request_actor(request)
    visit = selectors.visit_get_for_page(actor=actor, external_id=external_id)
    return _visit_form_response(
        request,
        visit,
        "correct_form",
        CorrectForm(request.POST),
        partial(services.visit_correct, actor=actor, visit=visit),
        _("The record was corrected and awaits review."),
    )


def _assign_context(request: HttpRequest, visit: Visit, form: AssignForm | None) -> dict[str, Any]:
    candidates = selectors.dispatch_candidates(actor=request_actor(request), visit=visit)
    located = visit.elder.lat is not None and visit.elder.lng is not None
    return {
        "visit": visit,
        "candidates": candidates,
        "unlocated": "" if located else home_unlocated_reason(visit.elder),
        "form": form or AssignForm(caregivers=[c.caregiver for c in candidates]),
        "start": timezone.localtime(visit.window_start),
        "end": timezone.localtime(visit.window_end),
    }


@login_required
def assign_view(request: HttpRequest, external_id: str) -> HttpResponse:
    """Assign caregiver(s) to a visit: the platform's suggestions first, the others with the
    reasons they may not take it."""
    actor = request_actor(request)
    require_perm(actor, Permission.DISPATCH_VISITS)
    visit = selectors.visit_get_for_actor(actor=actor, external_id=external_id)
    if request.method != "POST":
        return render(request, "visits/assign.html", _assign_context(request, visit, None))
    chosen_ids = request.POST.getlist("caregivers")
    caregivers = selectors.visit_caregivers_get(actor=actor, visit=visit, external_ids=chosen_ids)
    form = AssignForm(request.POST, caregivers=caregivers or [])
    if caregivers is None:
        form.add_error("caregivers", _("Choose caregivers of this provider."))
    elif form.is_valid():
        try:
            services.visit_assign(actor=actor, visit=visit, caregivers=caregivers)
        except ValidationError as exc:
            # The refusal's reasons, without the machine codes the API also answers with.
            shown = {k: v for k, v in exc.message_dict.items() if k != "codes"}
            apply_errors(form, ValidationError(shown) if shown else exc)
        else:
            messages.success(
                request,
                _("Assigned: %(names)s.") % {"names": "、".join(c.name for c in caregivers)},
            )
            return redirect(f"/visits/board/?date={visit.date.isoformat()}")
    context = _assign_context(request, visit, form)
    return render(request, "visits/assign.html", context, status=400)


# --------------------------------------------------------------------------------------------
# Review of flagged visits


def _review_context(request: HttpRequest, forms: dict[int, ReviewForm] | None = None) -> Any:
    page = page_of(request, selectors.review_queue(actor=request_actor(request)))
    rows = []
    for visit in page.object_list:
        rows.append(
            {
                "visit": visit,
                "minutes": selectors.visit_minutes(visit),
                "flags": [{"flag": f, "label": _flag_label(f.code)} for f in visit.flags.all()],
                "form": (forms or {}).get(visit.pk) or ReviewForm(prefix=str(visit.external_id)),
            }
        )
    return {"page": page, "rows": rows}


@login_required
def review_queue_view(request: HttpRequest) -> HttpResponse:
    return render(request, "visits/review_queue.html", _review_context(request))


@require_POST
@login_required
def review_view(request: HttpRequest, external_id: str) -> HttpResponse:
    actor = request_actor(request)
    require_perm(actor, Permission.REVIEW_VISITS)
    visit = selectors.visit_get_for_actor(actor=actor, external_id=external_id)
    form = ReviewForm(request.POST, prefix=str(visit.external_id))
    message = _("The review of %(elder)s's visit on %(date)s is recorded.")
    return form_response(
        request,
        form,
        partial(services.visit_review, actor=actor, visit=visit),
        lambda _saved: message % {"elder": visit.elder.name, "date": visit.date.isoformat()},
        done=lambda _saved: redirect("visits:review-queue"),
        again=lambda: render(
            request,
            "visits/review_queue.html",
            _review_context(request, {visit.pk: form}),
            status=400,
        ),
    )


# --------------------------------------------------------------------------------------------
# The elder's care


@login_required
def elder_care_view(request: HttpRequest, external_id: str) -> HttpResponse:
    actor = request_actor(request)
    elder = elder_get_for_actor(actor=actor, external_id=external_id)
    care = selectors.elder_care(actor=actor, elder=elder)
    return render(
        request,
        "visits/elder_care.html",
        {
            "elder": elder,
            "orders": care["orders"],
            "upcoming": care["upcoming"],
            "past": [{"visit": v, "minutes": selectors.visit_minutes(v)} for v in care["past"]],
            "can_order": has_perm(actor, Permission.PLACE_ORDERS),
        },
    )


# --------------------------------------------------------------------------------------------
# The family page


def _family_context(request: HttpRequest) -> dict[str, Any]:
    return {
        "elders": selectors.family_care(actor=request_actor(request)),
        "stars": [5, 4, 3, 2, 1],
    }


@login_required
def family_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    require_perm(actor, Permission.RATE_VISITS)
    return render(request, "visits/family.html", _family_context(request))


def _family_visit(request: HttpRequest, external_id: str) -> tuple[Any, Visit]:
    actor = request_actor(request)
    require_perm(actor, Permission.RATE_VISITS)
    return actor, selectors.visit_get_for_actor(actor=actor, external_id=external_id)


@require_POST
@login_required
def family_rate_view(request: HttpRequest, external_id: str) -> HttpResponse:
    actor, visit = _family_visit(request, external_id)
    form = RateForm(request.POST)
    if form.is_valid():
        rate = partial(services.visit_rate, actor=actor, visit=visit, **form.cleaned_data)
        action_done(request, rate, _("Thank you: your rating is recorded."))
    else:
        messages.error(request, _("Choose 1 to 5 stars."))
    return redirect("family:home")


@require_POST
@login_required
def family_complain_view(request: HttpRequest, external_id: str) -> HttpResponse:
    """The family page's old complaint address: complaints now go to the city's register
    (supervision); the form is passed on as it is (308 keeps the POST and its body)."""
    url = reverse("supervision:family-complain", kwargs={"external_id": external_id})
    return redirect(url, permanent=True, preserve_request=True)


# --------------------------------------------------------------------------------------------
# Orders and care plans


@login_required
def order_list_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    filters = {"status": request.GET.get("status", ""), "elder": request.GET.get("elder", "")}
    if filters["elder"] and not selectors.is_uuid(filters["elder"]):
        filters["elder"] = ""
    page = page_of(request, selectors.order_list(actor=actor, filters=filters))
    return render(
        request,
        "visits/order_list.html",
        {"page": page, "statuses": OrderStatus.choices, "filters": filters},
    )


def _order_page(
    request: HttpRequest, order: Any, form: ReasonForm | None, status: int = 200
) -> Any:
    actor = request_actor(request)
    return render(
        request,
        "visits/order_detail.html",
        {
            "order": order,
            "visits": selectors.order_visits(actor=actor, order=order),
            "form": form or ReasonForm(),
            "can_cancel": lifecycle.OrderAction.CANCEL
            in lifecycle.order_actions(actor=actor, order=order),
        },
        status=status,
    )


@login_required
def order_detail_view(request: HttpRequest, external_id: str) -> HttpResponse:
    order = selectors.order_get_for_actor(actor=request_actor(request), external_id=external_id)
    return _order_page(request, order, None)


@require_POST
@login_required
def order_cancel_view(request: HttpRequest, external_id: str) -> HttpResponse:
    actor = request_actor(request)
    order = selectors.order_get_for_actor(actor=actor, external_id=external_id)
    form = ReasonForm(request.POST)
    return form_response(
        request,
        form,
        partial(services.order_cancel, actor=actor, order=order),
        _("The order was cancelled."),
        done=lambda _saved: redirect("visits:order-detail", external_id=order.external_id),
        again=lambda: _order_page(request, order, form, status=400),
    )
