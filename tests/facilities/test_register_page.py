"""Registering a facility on a page: the organisation becomes a facility with its kind
(chosen or taken from the organisation), status, dates and capacity; errors by field;
nothing written on a refusal; scoped."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from tests.conftest import World
from tests.factories import OrganisationFactory
from yiyang.core.choices import AuditAction
from yiyang.core.models import AuditEvent
from yiyang.facilities.models import Facility
from yiyang.organisations.choices import OrganisationKind as K

URL = reverse("facilities:register")


def test_register_with_the_kind_taken_from_the_organisation(world: World, client_for: Any) -> None:
    canteen = OrganisationFactory(
        name="幸福食堂", kind=K.ELDERLY_CANTEEN, division=world.div["XA1a"]
    )
    client = client_for("district_officer")
    page = client.get(URL).content.decode()
    assert "幸福食堂" in page
    assert world.org["home_YA"].name not in page  # another city's organisation
    response = client.post(
        URL,
        {
            "organisation": canteen.pk,
            "status": "open",
            "meals_per_day": "120",
            "opening_hours": "10:30-13:00",
        },
    )
    facility = Facility.objects.get(organisation=canteen)
    assert response.status_code == 302
    assert response["Location"] == reverse("facilities:detail", args=[facility.external_id])
    assert (facility.kind, facility.status, facility.meals_per_day) == (
        "elderly_canteen",
        "open",
        120,
    )
    assert [d.code for d in facility.service_area.all()] == [world.div["XA1a"].code]
    assert AuditEvent.objects.filter(
        action=AuditAction.CREATE, object_id=str(facility.external_id)
    ).exists()
    # Registered once: it is no longer offered.
    assert "幸福食堂" not in client.get(URL).content.decode()


def test_errors_by_field_and_nothing_written(world: World, client_for: Any) -> None:
    station = OrganisationFactory(name="新站", kind=K.COMMUNITY_STATION, division=world.div["XA1a"])
    client = client_for("district_officer")
    response = client.post(
        URL,
        {
            "organisation": station.pk,
            "kind": "community_station",
            "status": "planned",
            "planned_on": "2026-12-01",
            "opened_on": "2026-11-01",
            "beds": "-3",
        },
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert 'class="field field-beds has-error"' in text
    assert not Facility.objects.filter(organisation=station).exists()
    # The service's own checks (dates in order) come back on the form too.
    response = client.post(
        URL,
        {
            "organisation": station.pk,
            "kind": "community_station",
            "status": "open",
            "planned_on": "2026-12-01",
            "opened_on": "2026-11-01",
        },
    )
    text = response.content.decode()
    assert response.status_code == 400
    assert "has-error" in text or 'class="form-errors"' in text
    assert not Facility.objects.filter(organisation=station).exists()
    # An organisation outside the jurisdiction is not a choice at all.
    outside = client.post(URL, {"organisation": world.org["home_YA"].pk, "status": "open"})
    assert outside.status_code == 400 and not Facility.objects.exists()


def test_only_managers_register(world: World, client_for: Any) -> None:
    assert client_for("family").get(URL).status_code == 403
    assert client_for("caregiver").post(URL, {}).status_code == 403
    listing = client_for("district_officer").get(reverse("facilities:list")).content.decode()
    assert URL in listing
