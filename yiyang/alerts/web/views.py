"""The operator console (live through server-sent events), one alert's panel with one-click
actions, the supervisor's statistics and the notification outbox."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from django import db
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from yiyang.alerts import bus, services
from yiyang.alerts.choices import (
    CALL_SCRIPTS,
    DEFAULT_SCRIPT,
    OPERATOR_ACTIONS,
    OPERATOR_OUTCOMES,
    TECHNICAL_SCRIPT,
    THRESHOLD_LABELS,
    ActionKind,
    ActionResult,
    AlertStatus,
    Outcome,
    Priority,
)
from yiyang.alerts.lifecycle import AlertStep, alert_steps
from yiyang.alerts.models import Alert
from yiyang.alerts.selectors import (
    alert_actions,
    alert_changes_after,
    alert_get_for_actor,
    alert_list,
    alert_queue,
    alert_stats,
    elder_contact_emails,
    elder_contact_for_settings,
    elder_for_alert_settings,
    elder_thresholds,
    elder_thresholds_history,
    notification_list,
)
from yiyang.alerts.web.forms import ContactEmailForm, ThresholdsForm
from yiyang.core import display
from yiyang.core.permissions import Permission, has_perm, request_actor, require_perm
from yiyang.core.web.forms import apply_errors
from yiyang.core.web.lists import list_response
from yiyang.core.web.saving import action_done
from yiyang.devices.selectors import device_recent_events, elder_devices, gateway_status
from yiyang.elders.choices import ChronicCondition
from yiyang.elders.services import elder_reveal

STREAM_SECONDS = 55  # then the browser reconnects (EventSource), resuming after the last id


def _queue_context(request: HttpRequest) -> dict[str, Any]:
    actor = request_actor(request)
    queue = list(alert_queue(actor=actor)[:200])
    return {
        "queue": queue,
        "open_count": sum(1 for a in queue if a.status == AlertStatus.OPEN),
        "critical_open": [
            str(a.external_id)
            for a in queue
            if a.status == AlertStatus.OPEN and a.priority == Priority.CRITICAL
        ],
        "ingestion": gateway_status(),
        "now": timezone.now(),
    }


@login_required
@never_cache
def console_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    require_perm(actor, Permission.VIEW_ALERTS)
    context = _queue_context(request)
    context["last_change_id"] = bus.latest_change_id()
    selected = request.GET.get("alert")
    if selected:
        context.update(
            _panel_context(request, alert_get_for_actor(actor=actor, external_id=selected))
        )
    return render(request, "alerts/console.html", context)


@login_required
@never_cache
def queue_view(request: HttpRequest) -> HttpResponse:
    require_perm(request_actor(request), Permission.VIEW_ALERTS)
    return render(request, "alerts/_queue.html", _queue_context(request))


def _age(birth_date: Any) -> int:
    today = timezone.localdate()
    return (
        today.year
        - birth_date.year
        - ((today.month, today.day) < (birth_date.month, birth_date.day))
    )


def _panel_context(request: HttpRequest, alert: Alert) -> dict[str, Any]:
    actor = request_actor(request)
    elder = alert.elder
    steps = alert_steps(actor=actor, alert=alert)
    revealed = elder_reveal(actor=actor, elder=elder)  # logged in the access log
    conditions = []
    if revealed.health is not None:
        labels = dict(ChronicCondition.choices)
        conditions = [str(labels.get(c, c)) for c in revealed.health.chronic_conditions]
    contacts = [
        {
            "contact": c,
            "phones": "、".join(revealed.contact_phones.get(c.pk, [])) or c.phones_masked,
        }
        for c in elder.contacts.filter(is_active=True)
    ]
    script = CALL_SCRIPTS.get(alert.kind) or (
        TECHNICAL_SCRIPT if alert.priority == Priority.TECHNICAL else DEFAULT_SCRIPT
    )
    devices = list(elder_devices(elder=elder))
    events = device_recent_events(device=alert.device) if alert.device else []
    return {
        "alert": alert,
        "elder": elder,
        "elder_age": _age(elder.birth_date),
        "phones": "、".join(revealed.phones) or elder.phones_masked,
        "health": revealed.health,
        "conditions": conditions,
        "contacts": contacts,
        "script": script,
        "actions": list(alert_actions(alert=alert)),
        "devices": devices,
        "events": events,
        "can_handle": AlertStep.RESOLVE in steps,
        "can_acknowledge": AlertStep.ACKNOWLEDGE in steps,
        "can_review": AlertStep.REVIEW in steps,
        "action_kinds": [k for k in OPERATOR_ACTIONS if k not in (ActionKind.CALLED_CONTACT,)],
        "results": ActionResult.choices,
        "outcomes": [(o.value, o.label) for o in OPERATOR_OUTCOMES],
        "map_points": _map_points(alert, devices, events),
    }


def _map_points(alert: Alert, devices: list[Any], events: list[Any]) -> dict[str, Any]:
    """What the panel's map shows: the elder's home, where the alarm was raised (the alert
    device's latest event with a position) and where the elder's devices were last."""
    elder = alert.elder
    home = None
    if elder.lat is not None and elder.lng is not None:
        home = {"lat": float(elder.lat), "lng": float(elder.lng), "label": elder.address}
    alarm = None
    for event in events:  # newest first
        lat, lng = event.data.get("lat"), event.data.get("lng")
        if lat is not None and lng is not None and event.occurred_at <= alert.last_event_at:
            alarm = {
                "lat": float(lat),
                "lng": float(lng),
                "label": str(event.get_type_display()),
                "seen": timezone.localtime(event.occurred_at).strftime("%m-%d %H:%M:%S"),
            }
            break
    if alert.device is not None and all(d.pk != alert.device_id for d in devices):
        devices = [*devices, alert.device]  # unbound since: still where the alarm came from
    located = []
    for device in devices:
        if device.last_lat is None or device.last_lng is None:
            continue
        located.append(
            {
                "lat": float(device.last_lat),
                "lng": float(device.last_lng),
                "label": f"{device.get_kind_display()} {device.serial}",
                "seen": timezone.localtime(device.last_seen_at).strftime("%m-%d %H:%M")
                if device.last_seen_at
                else "",
                "alerting": alert.device_id == device.pk,
            }
        )
    return {"home": home, "alarm": alarm, "devices": located}


@login_required
@never_cache
def panel_view(request: HttpRequest, external_id: str) -> HttpResponse:
    alert = alert_get_for_actor(actor=request_actor(request), external_id=external_id)
    return render(request, "alerts/_panel.html", _panel_context(request, alert))


def _back(alert: Alert) -> HttpResponse:
    return redirect(f"{reverse('alerts:console')}?alert={alert.external_id}")


def _run(request: HttpRequest, alert: Alert, action: Any, done: str) -> HttpResponse:
    try:
        action()
    except ValidationError as error:
        for problems in error.message_dict.values():  # the message names the field itself
            messages.error(request, " ".join(problems))
    except PermissionDenied:
        messages.error(request, _("Your role does not allow this."))
    else:
        messages.success(request, done)
    return _back(alert)


def _step(
    request: HttpRequest, external_id: str, service: Callable[..., Any], done: str, **values: Any
) -> HttpResponse:
    """One of the panel's buttons: the service takes the step on the alert (with the posted
    ``values``), the console shows the alert again."""
    actor = request_actor(request)
    alert = alert_get_for_actor(actor=actor, external_id=external_id)
    return _run(request, alert, partial(service, alert=alert, actor=actor, **values), done)


@login_required
@require_POST
def acknowledge_view(request: HttpRequest, external_id: str) -> HttpResponse:
    return _step(request, external_id, services.alert_acknowledge, _("Acknowledged."))


@login_required
@require_POST
def action_view(request: HttpRequest, external_id: str) -> HttpResponse:
    actor = request_actor(request)
    alert = alert_get_for_actor(actor=actor, external_id=external_id)
    contact = None
    if request.POST.get("contact"):
        try:
            contact_id = uuid.UUID(request.POST["contact"])
        except ValueError:
            messages.error(request, _("Choose one of the elder's contacts."))
            return _back(alert)
        contact = alert.elder.contacts.filter(external_id=contact_id, is_active=True).first()

    def log() -> None:
        services.alert_action_log(
            alert=alert,
            actor=actor,
            kind=request.POST.get("kind", ""),
            result=request.POST.get("result", ""),
            contact=contact,
            note=request.POST.get("note", ""),
        )

    return _run(request, alert, log, _("Logged."))


@login_required
@require_POST
def resolve_view(request: HttpRequest, external_id: str) -> HttpResponse:
    return _step(
        request,
        external_id,
        services.alert_resolve,
        _("Resolved."),
        outcome=request.POST.get("outcome", ""),
        note=request.POST.get("note", ""),
    )


@login_required
@require_POST
def review_view(request: HttpRequest, external_id: str) -> HttpResponse:
    return _step(
        request,
        external_id,
        services.alert_review,
        _("Reviewed."),
        note=request.POST.get("note", ""),
    )


@login_required
@never_cache
def stream_view(request: HttpRequest) -> StreamingHttpResponse:
    """Server-sent events: ``change`` for every alert change in the user's scope (the page
    then reloads its queue), ``status`` every two seconds with the ingestion health."""
    actor = request_actor(request)
    require_perm(actor, Permission.VIEW_ALERTS)
    try:
        after = int(request.headers.get("Last-Event-ID") or request.GET.get("after") or -1)
    except ValueError:
        after = -1
    if after < 0:
        after = bus.latest_change_id()

    def events() -> Iterator[str]:
        last, last_status = after, 0.0
        yield "retry: 1000\n\n"
        try:
            for _tick in bus.wait_for_changes(deadline=time.monotonic() + STREAM_SECONDS):
                for change in alert_changes_after(actor=actor, after_id=last):
                    last = change["id"]
                    yield f"id: {last}\nevent: change\ndata: {json.dumps(change)}\n\n"
                if time.monotonic() - last_status >= 2:
                    last_status = time.monotonic()
                    status = {"degraded": gateway_status()["degraded"]}
                    yield f"event: status\ndata: {json.dumps(status)}\n\n"
        finally:
            db.close_old_connections()

    response = StreamingHttpResponse(events(), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


@login_required
def stats_view(request: HttpRequest) -> HttpResponse:
    stats = alert_stats(actor=request_actor(request))
    return render(request, "alerts/stats.html", {"stats": stats})


@login_required
def history_view(request: HttpRequest) -> HttpResponse:
    alerts = alert_list(actor=request_actor(request), filters=request.GET).order_by(
        "-raised_at", "-id"
    )
    return list_response(
        request,
        "alerts/history.html",
        alerts,
        {
            "statuses": AlertStatus.choices,
            "outcomes": Outcome.choices,
        },
    )


# The words for the registered notification channels (alerts/channels.py).
CHANNEL_LABELS = {
    "outbox": gettext_lazy("In-app message"),
    "log": gettext_lazy("Log only"),
    "email": gettext_lazy("E-mail"),
    "sms": gettext_lazy("Text message"),
}


@login_required
def outbox_view(request: HttpRequest) -> HttpResponse:
    notifications = notification_list(actor=request_actor(request), filters=request.GET)
    return list_response(request, "alerts/outbox.html", notifications, {"channels": CHANNEL_LABELS})


# --------------------------------------------------------------------------------------------
# An elder's alert settings: thresholds and the contacts' notification e-mail


def _threshold_history(actor: Any, elder: Any) -> list[dict[str, Any]]:
    rows = []
    for event in elder_thresholds_history(actor=actor, elder=elder)[:50]:
        changes = []
        for name, change in event.changes.items():
            old, new = change if isinstance(change, list) and len(change) == 2 else (None, change)
            changes.append(
                {
                    "label": THRESHOLD_LABELS.get(name, (name, ""))[0],
                    "old": _("default") if old is None else old,
                    "new": _("default") if new is None else new,
                }
            )
        rows.append({"event": event, "changes": changes})
    return rows


@require_http_methods(["GET", "POST"])
@login_required
def elder_settings_view(request: HttpRequest, external_id: str) -> HttpResponse:
    """The thresholds the rules use for this elder (city default or the elder's own),
    who changed them, and the contacts' e-mail addresses for notifications."""
    actor = request_actor(request)
    elder = elder_for_alert_settings(actor=actor, external_id=external_id)
    rows = elder_thresholds(actor=actor, elder=elder)
    form = ThresholdsForm(request.POST or None, rows=rows)
    if request.method == "POST":
        require_perm(actor, Permission.SET_ALERT_THRESHOLDS)
        values: dict[str, Any] | None = None
        if request.POST.get("reset"):
            values = {row.name: None for row in rows if row.override is not None}
        elif form.is_valid():
            values = {name: form.cleaned_data[name] for name in form.changed_data}
        if values is not None:
            try:
                services.elder_alert_settings_set(actor=actor, elder=elder, **values)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("Saved."))
                return redirect("alerts:elder_settings", external_id=elder.external_id)
    return render(
        request,
        "alerts/elder_settings.html",
        {
            "elder": elder,
            "rows": rows,
            "form": form,
            "can_set": has_perm(actor, Permission.SET_ALERT_THRESHOLDS),
            "history": _threshold_history(actor, elder),
            "contacts": elder_contact_emails(actor=actor, elder=elder),
            "can_edit_contacts": has_perm(actor, Permission.MANAGE_ELDERS),
            "devices": list(elder_devices(elder=elder)),
        },
    )


@require_POST
@login_required
def contact_email_view(request: HttpRequest, external_id: str, contact_id: str) -> HttpResponse:
    actor = request_actor(request)
    elder = elder_for_alert_settings(actor=actor, external_id=external_id)
    contact = elder_contact_for_settings(elder=elder, external_id=contact_id)
    form = ContactEmailForm(request.POST)

    def set_email() -> Any:
        if not form.is_valid():
            raise ValidationError({"email": _("Enter a valid e-mail address.")})
        return services.contact_email_set(
            actor=actor, contact=contact, email=form.cleaned_data["email"]
        )

    action_done(
        request,
        set_email,
        _("Saved."),
        wording=lambda error: [f"{contact.name}{display.colon()}{p}" for p in error.messages],
    )
    return redirect("alerts:elder_settings", external_id=elder.external_id)
