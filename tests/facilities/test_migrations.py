"""The real migrations, run forward from a database that had organisations and their
history before the facility network existed: every facility-like organisation becomes a
facility of the right kind, status, beds and service area, and no organisation, link or
audit record changes."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.conftest import World
from yiyang.core.models import AuditEvent
from yiyang.facilities.models import Facility
from yiyang.organisations.models import Organisation

BEFORE = [("facilities", None), ("organisations", "0001_initial")]
ORGANISATION_COLUMNS = (
    "pk",
    "external_id",
    "name",
    "kind",
    "ownership",
    "status",
    "division_id",
    "operator_id",
    "total_beds",
    "created_at",
    "updated_at",
)


def _old_organisations(old_apps, world: World) -> dict[str, int]:
    """Facility-like organisations as the register held them then, with a history."""
    model = old_apps.get_model("organisations", "Organisation")
    d = world.div

    def make(name: str, kind: str, division: str, **values: object) -> int:
        organisation = model.objects.create(
            name=name, kind=kind, division_id=d[division].pk, **values
        )
        old_apps.get_model("core", "AuditEvent").objects.create(
            action="update",
            object_type="organisations.organisation",
            object_id=str(organisation.external_id),
            object_repr=name,
            division_code=d[division].code,
            changes={"phone": ["", "12345"]},
        )
        return int(organisation.pk)

    operator = world.org["operator"].pk
    return {
        "home": make("镇XB1敬老院", "care_institution", "XB1a", ownership="public", total_beds=40),
        "private": make("颐和院", "care_institution", "XA2a", ownership="private", total_beds=80),
        "day_care": make(
            "街XA1日间照料中心", "day_care_centre", "XA1", ownership="public", operator_id=operator
        ),
        "canteen": make("社区XA1b食堂", "elderly_canteen", "XA1b", status="pending"),
        "closed": make("社区XA2a站", "community_station", "XA2a", status="closed"),
        "suspended": make("社区XA1a站", "community_station", "XA1a", status="suspended"),
        "company": make("居家公司Z", "home_care_company", "XA1a", ownership="private"),
    }


@pytest.mark.django_db(transaction=True)
def test_the_migrations_keep_existing_organisations_and_their_history(world: World) -> None:
    executor = MigrationExecutor(connection)
    old_apps = executor.migrate(BEFORE).apps  # the schema with every other app applied
    made = _old_organisations(old_apps, world)
    organisations = list(Organisation.objects.order_by("pk").values_list(*ORGANISATION_COLUMNS))
    history = list(AuditEvent.objects.order_by("pk").values_list("pk", "object_id", "changes"))
    users = list(get_user_model().objects.order_by("pk").values_list("pk", "organisation_id"))

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert list(Organisation.objects.order_by("pk").values_list(*ORGANISATION_COLUMNS)) == (
        organisations
    )
    assert (
        list(AuditEvent.objects.order_by("pk").values_list("pk", "object_id", "changes")) == history
    )
    assert (
        list(get_user_model().objects.order_by("pk").values_list("pk", "organisation_id")) == users
    )
    facilities = {
        f.organisation_id: f
        for f in Facility.objects.select_related("organisation").prefetch_related("service_area")
    }
    assert {
        pk: (f.kind, f.status, f.beds) for pk, f in facilities.items() if pk in made.values()
    } == {
        made["home"]: ("rural_care_home", "open", 40),
        made["private"]: ("private_institution", "open", 80),
        made["day_care"]: ("day_care_centre", "open", None),
        made["canteen"]: ("elderly_canteen", "planned", None),
        made["closed"]: ("community_station", "closed", None),
        made["suspended"]: ("community_station", "suspended", None),
    }
    assert made["company"] not in facilities
    d = world.div
    day_care = facilities[made["day_care"]]
    # A street's centre serves every community of its street; a station its own.
    assert sorted(day_care.service_area.values_list("code", flat=True)) == sorted(
        [d["XA1a"].code, d["XA1b"].code]
    )
    assert day_care.organisation.operator_id == world.org["operator"].pk
    assert day_care.division_code == d["XA1"].code
    assert day_care.opened_on == day_care.organisation.created_at.date()
    assert facilities[made["canteen"]].opened_on is None
    assert list(facilities[made["closed"]].service_area.values_list("code", flat=True)) == [
        d["XA2a"].code
    ]
    # The world's own stations and institution were adopted too, and nothing else.
    kinds = set(Organisation.objects.filter(pk__in=facilities).values_list("kind", flat=True))
    assert kinds == {"care_institution", "community_station", "day_care_centre", "elderly_canteen"}
