"""Device registry pages: the list, one device (bindings, recent events), rejections."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from yiyang.core.permissions import request_actor
from yiyang.devices.choices import DeviceKind, DeviceStatus
from yiyang.devices.selectors import (
    device_bindings,
    device_get_for_actor,
    device_list,
    device_recent_events,
    gateway_status,
    rejection_list,
)

PAGE_SIZE = 50


@login_required
def device_list_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    devices = device_list(actor=actor, filters=request.GET)
    page = Paginator(devices, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "devices/device_list.html", {
        "page": page, "kinds": DeviceKind.choices, "statuses": DeviceStatus.choices,
        "ingestion": gateway_status(),
    })  # fmt: skip


@login_required
def device_detail_view(request: HttpRequest, external_id: str) -> HttpResponse:
    device = device_get_for_actor(actor=request_actor(request), external_id=external_id)
    return render(request, "devices/device_detail.html", {
        "device": device, "bindings": device_bindings(device=device),
        "events": device_recent_events(device=device, limit=50),
    })  # fmt: skip


@login_required
def rejection_list_view(request: HttpRequest) -> HttpResponse:
    rows = rejection_list(actor=request_actor(request))
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "devices/rejections.html", {"page": page})
