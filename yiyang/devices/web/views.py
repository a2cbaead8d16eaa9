"""Device registry pages: the list, one device (bindings, history, recent events),
registering and correcting a device, binding it to an elder, unbinding and rebinding it,
and the rejected messages."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from yiyang.core import display
from yiyang.core.permissions import Permission, has_perm, request_actor, require_perm
from yiyang.core.web.forms import apply_errors, changed_values, error_messages
from yiyang.core.web.lists import list_response
from yiyang.core.web.saving import action_done, edit_response
from yiyang.devices import services
from yiyang.devices.choices import DeviceKind, DeviceStatus
from yiyang.devices.selectors import (
    device_bindings,
    device_communities,
    device_get_for_actor,
    device_history,
    device_list,
    device_recent_events,
    elder_for_binding,
    elders_to_bind,
    gateway_status,
    rejected_messages_of,
    rejection_get,
    rejection_list,
)
from yiyang.devices.web.forms import BindForm, DeviceForm, UnbindForm

# How the registry's audit entries name their fields on the history table.
HISTORY_LABELS: dict[str, Any] = {
    "kind": DeviceForm.base_fields["kind"].label,
    "vendor": DeviceForm.base_fields["vendor"].label,
    "model": DeviceForm.base_fields["model"].label,
    "serial": DeviceForm.base_fields["serial"].label,
    "imei": DeviceForm.base_fields["imei"].label,
    "sim_iccid": DeviceForm.base_fields["sim_iccid"].label,
    "firmware": DeviceForm.base_fields["firmware"].label,
    "installed_on": DeviceForm.base_fields["installed_on"].label,
    "heartbeat_interval_seconds": DeviceForm.base_fields["heartbeat_interval_seconds"].label,
    "community": gettext_lazy("Community"),
    "elder": gettext_lazy("Elder"),
    "home_address": gettext_lazy("Home address"),
    "reason": gettext_lazy("Reason"),
}


@login_required
def device_list_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    devices = device_list(actor=actor, filters=request.GET)
    return list_response(
        request,
        "devices/device_list.html",
        devices,
        {
            "kinds": DeviceKind.choices,
            "statuses": DeviceStatus.choices,
            "ingestion": gateway_status(),
            "can_manage": has_perm(actor, Permission.MANAGE_DEVICES),
        },
    )


def _history_value(key: str, value: Any) -> str:
    if key == "kind" and isinstance(value, str):
        return display.choice_label(DeviceKind, value)
    return display.display_value(value)


def _history_rows(actor: Any, device: Any) -> list[dict[str, Any]]:
    rows = []
    for event in device_history(actor=actor, device=device)[:100]:
        changes = []
        for key, change in event.changes.items():
            old, new = change if isinstance(change, list) and len(change) == 2 else (None, change)
            changes.append(
                {
                    "label": HISTORY_LABELS.get(key) or display.EMPTY,
                    "old": _history_value(key, old),
                    "new": _history_value(key, new),
                    "is_change": isinstance(change, list),
                }
            )
        rows.append({"event": event, "changes": changes})
    return rows


@login_required
def device_detail_view(request: HttpRequest, external_id: str) -> HttpResponse:
    actor = request_actor(request)
    device = device_get_for_actor(actor=actor, external_id=external_id)
    return render(
        request,
        "devices/device_detail.html",
        {
            "device": device,
            "bindings": device_bindings(device=device),
            "history": _history_rows(actor, device),
            "events": device_recent_events(device=device, limit=50),
            "can_manage": has_perm(actor, Permission.MANAGE_DEVICES),
            "unbind_form": UnbindForm(),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def device_create_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    require_perm(actor, Permission.MANAGE_DEVICES)
    form = DeviceForm(request.POST or None, communities=device_communities(actor=actor))
    return edit_response(
        request,
        form,
        partial(services.device_register, actor=actor),
        success=_("The device is registered."),
        detail="devices:detail",
        template="devices/device_form.html",
        context={"device": None},
    )


@require_http_methods(["GET", "POST"])
@login_required
def device_edit_view(request: HttpRequest, external_id: str) -> HttpResponse:
    actor = request_actor(request)
    require_perm(actor, Permission.MANAGE_DEVICES)
    device = device_get_for_actor(actor=actor, external_id=external_id)
    initial = {name: getattr(device, name) for name in services.REGISTRY_FIELDS}
    form = DeviceForm(request.POST or None, initial=initial)
    return edit_response(
        request,
        form,
        partial(services.device_update, actor=actor, device=device),
        values=changed_values,
        detail="devices:detail",
        template="devices/device_form.html",
        context={"device": device},
    )


@require_http_methods(["GET", "POST"])
@login_required
def device_bind_view(request: HttpRequest, external_id: str) -> HttpResponse:
    """Find the elder (search in the jurisdiction), then bind, or move the device to them."""
    actor = request_actor(request)
    require_perm(actor, Permission.MANAGE_DEVICES)
    device = device_get_for_actor(actor=actor, external_id=external_id)
    query = request.GET.get("q", "").strip()
    form = BindForm(request.POST or None)
    chosen = None
    if request.method == "POST" and form.is_valid():
        chosen = elder_for_binding(actor=actor, external_id=form.cleaned_data["elder"])
        try:
            if chosen is None:
                raise ValidationError({"elder": _("No elder with this id in your jurisdiction.")})
            if device.elder_id is None:
                services.device_bind(
                    actor=actor,
                    device=device,
                    elder=chosen,
                    home_address=form.cleaned_data["home_address"],
                )
            else:
                services.device_rebind(
                    actor=actor,
                    device=device,
                    elder=chosen,
                    home_address=form.cleaned_data["home_address"],
                    reason=form.cleaned_data["reason"],
                )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The device is bound to %(name)s.") % {"name": chosen.name})
            return redirect("devices:detail", external_id=device.external_id)
    elif request.method == "GET" and request.GET.get("elder"):
        chosen = elder_for_binding(actor=actor, external_id=request.GET["elder"])
    return render(
        request,
        "devices/device_bind.html",
        {
            "device": device,
            "form": form,
            "query": query,
            "chosen": chosen,
            "elders": elders_to_bind(actor=actor, query=query) if query else [],
        },
    )


@require_POST
@login_required
def device_unbind_view(request: HttpRequest, external_id: str) -> HttpResponse:
    actor = request_actor(request)
    device = device_get_for_actor(actor=actor, external_id=external_id)
    form = UnbindForm(request.POST)
    if not form.is_valid():
        for problems in form.errors.values():
            for problem in problems:
                messages.error(request, f"{_('Reason')}{display.colon()}{problem}")
        return redirect("devices:detail", external_id=device.external_id)
    unbind = partial(
        services.device_unbind, actor=actor, device=device, reason=form.cleaned_data["reason"]
    )
    action_done(
        request, unbind, _("The device is unbound and back in stock."), wording=error_messages
    )
    return redirect("devices:detail", external_id=device.external_id)


@login_required
def rejection_list_view(request: HttpRequest) -> HttpResponse:
    rows = rejection_list(actor=request_actor(request))
    return list_response(request, "devices/rejections.html", rows)


@login_required
@require_http_methods(["GET", "POST"])
def rejection_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    """One device's rejected messages of one reason: when, why, and (on request, audited)
    the raw bytes as received."""
    actor = request_actor(request)
    rejection = rejection_get(actor=actor, pk=pk)
    rows = rejected_messages_of(rejection)
    revealed = None
    if request.method == "POST":
        revealed = services.rejected_raw_reveal(actor=actor, rejection=rejection, messages=rows)
    context = {
        "rejection": rejection,
        "rows": revealed or [{"message": m} for m in rows],
        "revealed": revealed is not None,
        "can_reveal": has_perm(actor, Permission.MANAGE_DEVICES),
    }
    return render(request, "devices/rejection_detail.html", context)
