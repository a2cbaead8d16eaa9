"""The device and elder an alert is raised for, built from the row the ingestion already
read for each message (a storm raises thousands at once: no reload)."""

from __future__ import annotations

import uuid

from yiyang.core.bulk import partial_instance
from yiyang.devices.models import Device
from yiyang.devices.services import DeviceRef
from yiyang.elders.models import Elder


def subject_from_ref(ref: DeviceRef) -> tuple[Device, Elder | None]:
    """The device and its elder (None when it has none) as model instances holding the
    row's columns; their other fields are deferred, read on access."""
    device = partial_instance(
        Device,
        {
            "id": ref.pk,
            "external_id": uuid.UUID(ref.external_id),
            "vendor": ref.vendor,
            "elder_id": ref.elder_id,
        },
    )
    if ref.elder_id is None:
        return device, None
    return device, partial_instance(
        Elder,
        {
            "id": ref.elder_id,
            "external_id": uuid.UUID(ref.elder_external_id),
            "name": ref.elder_name,
            "division_code": ref.elder_division_code,
            "lat": ref.elder_lat,
            "lng": ref.elder_lng,
        },
    )
