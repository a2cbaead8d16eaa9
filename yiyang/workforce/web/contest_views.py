"""Pages of skills contests (职业技能大赛): the city's contests, and a contest with its
events, entrants from providers, the judges' scores, ranks and awards."""

from __future__ import annotations

from functools import partial
from itertools import groupby
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from yiyang.core.permissions import Permission, has_perm, request_actor, require_perm
from yiyang.core.web.forms import apply_errors, error_text
from yiyang.core.web.saving import form_response
from yiyang.workforce import services
from yiyang.workforce.selectors import (
    actor_city,
    contest_entries,
    contest_get_for_actor,
    contest_list,
    current_staff,
)
from yiyang.workforce.web.forms import ContestEntryForm, ContestForm


@login_required
def contests_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    contests = contest_list(actor=actor)
    can_manage = has_perm(actor, Permission.MANAGE_TRAINING)
    form = ContestForm(request.POST if request.method == "POST" else None)

    def page() -> HttpResponse:
        context = {"contests": contests[:200], "form": form, "can_manage": can_manage}
        return render(request, "workforce/contests.html", context)

    if request.method == "POST":
        require_perm(actor, Permission.MANAGE_TRAINING)
        city = actor_city(actor)
        if city is not None:
            return form_response(
                request,
                form,
                partial(services.contest_create, actor=actor, city=city),
                None,
                denied=_("Contests are set up by the city."),
                done=lambda contest: redirect("workforce:contest", external_id=contest.external_id),
                again=page,
            )
    return page()


def _scores(request: HttpRequest, contest: Any) -> None:
    """The judges' scores of one event: ``score_<entry id>`` fields, awards one a line."""
    event = request.POST.get("event", "")
    scores = {
        key.removeprefix("score_"): str(value)
        for key, value in request.POST.items()
        if key.startswith("score_") and str(value).strip()
    }
    awards = [line.strip() for line in request.POST.get("awards", "").splitlines() if line.strip()]
    services.contest_scores_record(
        actor=request_actor(request), contest=contest, event=event, scores=scores, awards=awards
    )
    messages.success(request, _("Scores recorded."))


@login_required
def contest_view(request: HttpRequest, external_id: str) -> HttpResponse:
    actor = request_actor(request)
    contest = contest_get_for_actor(actor=actor, external_id=external_id)
    can_manage = has_perm(actor, Permission.MANAGE_TRAINING)
    people = current_staff(actor=actor) if can_manage else None
    form = ContestEntryForm(people=people, data=None)
    if request.method == "POST":
        require_perm(actor, Permission.MANAGE_TRAINING)
        try:
            if request.POST.get("form") == "scores":
                _scores(request, contest)
                return redirect(request.path)
            form = ContestEntryForm(people=people, data=request.POST)
            if form.is_valid():
                services.contest_entry_add(actor=actor, contest=contest, **form.cleaned_data)
                messages.success(request, _("Entered."))
                return redirect(request.path)
        except ValidationError as exc:
            apply_errors(form, exc)
            messages.error(request, error_text(exc))
        except PermissionDenied:
            messages.error(
                request, _("Only the city records the scores; a provider enters its own staff.")
            )
    events = [
        (event, list(rows))
        for event, rows in groupby(contest_entries(contest), key=lambda e: e.event)
    ]
    return render(
        request,
        "workforce/contest.html",
        {
            "contest": contest,
            "events": events,
            "form": form,
            "can_manage": can_manage,
        },
    )
