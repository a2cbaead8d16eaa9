"""The review of possible duplicates."""

from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from yiyang.core.permissions import Permission, request_actor, require_perm
from yiyang.core.web.saving import action_done
from yiyang.elders import services
from yiyang.elders.choices import DuplicateStatus
from yiyang.elders.selectors import duplicate_get_for_actor, duplicate_list
from yiyang.elders.web.forms import DuplicateReviewForm
from yiyang.elders.web.views import PAGE_SIZE


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
    page = Paginator(duplicate_list(actor=actor), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "elders/duplicates.html",
        {
            "page": page,
            "different": DuplicateStatus.DIFFERENT_PEOPLE,
            "same": DuplicateStatus.SAME_PERSON,
        },
    )
