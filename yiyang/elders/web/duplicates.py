"""The review of possible duplicates."""

from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from yiyang.core.permissions import Permission, request_actor, require_perm
from yiyang.core.web.lists import list_response
from yiyang.core.web.saving import action_done
from yiyang.elders import services
from yiyang.elders.choices import DuplicateStatus
from yiyang.elders.selectors import duplicate_get_for_actor, duplicate_list
from yiyang.elders.web.forms import DuplicateReviewForm


@require_http_methods(["GET", "POST"])
@login_required
def duplicate_list_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    require_perm(actor, Permission.REVIEW_DUPLICATES)
    if request.method == "POST":
        form = DuplicateReviewForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose a pair and a decision."))
        else:
            candidate = duplicate_get_for_actor(
                actor=actor, external_id=form.cleaned_data["candidate"]
            )
            review = partial(
                services.duplicate_review,
                actor=actor,
                candidate=candidate,
                status=form.cleaned_data["status"],
                note=form.cleaned_data["note"],
            )
            action_done(request, review, _("Saved."))
        return redirect("elders:duplicates")
    return list_response(
        request,
        "elders/duplicates.html",
        duplicate_list(actor=actor),
        {
            "different": DuplicateStatus.DIFFERENT_PEOPLE,
            "same": DuplicateStatus.SAME_PERSON,
        },
    )
