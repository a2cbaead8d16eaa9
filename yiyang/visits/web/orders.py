"""The order form: it shows the price and the elder's entitlement and computes the payer
split itself (live through ``orders/split/``, or with the "work out the cost" button without
JavaScript); an officer may change the split, with a reason."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from yiyang.core.permissions import Permission, has_perm, request_actor, require_perm
from yiyang.core.web.forms import apply_errors
from yiyang.services.selectors import offering_for
from yiyang.visits import dispatch_facts, selectors, services
from yiyang.visits.dispatching import order_warning
from yiyang.visits.services.payers import SplitProposal, payer_split_proposal
from yiyang.visits.web.forms import SPLIT_FIELDS, OrderForm

PREVIEW_MAX_DAYS = 92


def split_preview(elder: Any, data: dict[str, Any]) -> SplitProposal | None:
    """The split the order would get, from the parts of the form already filled in."""
    provider, item = data.get("provider"), data.get("item")
    if provider is None or item is None:
        return None
    offering = offering_for(provider=provider, item=item)
    if offering is None:
        return None
    starts_on = data.get("starts_on") or timezone.localdate() + datetime.timedelta(days=1)
    ends_on = data.get("ends_on") or starts_on
    ends_on = min(max(ends_on, starts_on), starts_on + datetime.timedelta(days=PREVIEW_MAX_DAYS))
    weekdays = [int(d) for d in data.get("weekdays") or []]
    dates = services.plan_dates(starts_on=starts_on, ends_on=ends_on, weekdays=weekdays)
    return payer_split_proposal(
        elder=elder,
        item=item,
        price=offering.price,
        dates=dates or [starts_on],
        provider=provider,
    )


def _for_role(actor: Any, form: OrderForm) -> OrderForm:
    """Only a family member says how they are related to the elder."""
    if actor.role != "family":
        del form.fields["relation"]
    return form


def _form(request: HttpRequest, actor: Any, elder: Any, data: Any = None) -> OrderForm:
    choices = selectors.order_form_choices(actor=actor, elder=elder)
    can_override = has_perm(actor, Permission.OVERRIDE_PAYER_SPLIT)
    if data is not None:
        return _for_role(actor, OrderForm(data, can_override=can_override, **choices))
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    initial: dict[str, Any] = {
        "starts_on": tomorrow,
        "window_start": "09:00",
        "window_end": "11:00",
    }
    providers = list(choices["providers"][:2])
    if len(providers) == 1:  # the only possible provider is chosen already
        initial["provider"] = providers[0].pk
    return _for_role(actor, OrderForm(initial=initial, can_override=can_override, **choices))


def _cleaned(form: OrderForm) -> dict[str, Any]:
    """What the form holds that is valid so far (for the preview of an unfinished form)."""
    if form.is_bound:
        form.is_valid()
        return dict(getattr(form, "cleaned_data", {}))
    data: dict[str, Any] = {}
    for name in ("provider", "item"):
        value = form.initial.get(name)
        if value is not None:
            data[name] = form.fields[name].queryset.filter(pk=value).first()  # type: ignore[attr-defined]
    data["starts_on"] = form.initial.get("starts_on")
    return data


def _page(request: HttpRequest, elder: Any, form: OrderForm, status: int = 200) -> HttpResponse:
    context = {
        "elder": elder,
        "form": form,
        "split": split_preview(elder, _cleaned(form)),
        "split_fields": SPLIT_FIELDS,
    }
    return render(request, "visits/order_form.html", context, status=status)


@login_required
def order_split_view(request: HttpRequest) -> HttpResponse:
    """The computed split for the form's current values: a fragment of the order page for
    htmx, JSON otherwise (price, entitlement and the three shares)."""
    actor = request_actor(request)
    require_perm(actor, Permission.PLACE_ORDERS)
    elder = selectors.order_elder_get(actor=actor, external_id=request.GET.get("elder") or "")
    split = split_preview(elder, _cleaned(_form(request, actor, elder, request.GET)))
    if request.headers.get("HX-Request"):
        return render(request, "visits/_split_figures.html", {"split": split})
    return JsonResponse({"split": split.as_dict() if split else None})


def _place(request: HttpRequest, actor: Any, elder: Any, form: OrderForm) -> Any:
    data = form.cleaned_data
    shares = {name: data.get(name) for name in SPLIT_FIELDS}
    try:
        order = services.order_place(
            actor=actor,
            elder=elder,
            provider=data["provider"],
            item=data["item"],
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
            weekdays=[int(d) for d in data["weekdays"]],
            window_start=data["window_start"],
            window_end=data["window_end"],
            allowance_yuan=shares["allowance_yuan"],
            ltc_yuan=shares["ltc_yuan"],
            self_pay_yuan=shares["self_pay_yuan"],
            split_reason=shares["split_reason"] or "",
            relation=data.get("relation") or "",
            note=data["note"],
        )
    except ValidationError as exc:
        apply_errors(form, exc)
        return None
    messages.success(
        request, _("The order is placed: %(count)d visit(s).") % {"count": order.visits.count()}
    )
    unstaffed = dispatch_facts.order_unstaffed_days(order)
    if unstaffed:
        messages.warning(request, order_warning(order, unstaffed)["message"])
    return redirect("visits:order-detail", external_id=order.external_id)


@login_required
def order_create_view(request: HttpRequest) -> HttpResponse:
    """Place an order or a care plan for an elder (``?elder=<id>``, from the elder's page)."""
    actor = request_actor(request)
    require_perm(actor, Permission.PLACE_ORDERS)
    elder_id = request.GET.get("elder") or request.POST.get("elder") or ""
    if not elder_id:
        messages.info(request, _("Open the elder's care page and place the order from there."))
        return redirect("family:home" if actor.role == "family" else "elders:list")
    elder = selectors.order_elder_get(actor=actor, external_id=elder_id)
    if request.method != "POST":
        return _page(request, elder, _form(request, actor, elder))
    form = _form(request, actor, elder, request.POST)
    if "preview" in request.POST:  # "work out the cost" without JavaScript
        return _page(request, elder, form)
    if form.is_valid():
        placed = _place(request, actor, elder, form)
        if placed is not None:
            return placed
    return _page(request, elder, form, status=400)
