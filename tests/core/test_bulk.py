"""The fast insert path used by imports: the rows read back exactly as the ORM wrote them."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

import pytest

from yiyang.core.bulk import bulk_insert, update_rows
from yiyang.core.models import AuditEvent, Division


@pytest.mark.django_db
def test_rows_read_back_with_their_values_timestamps_and_keys() -> None:
    city = Division(code="419100000000", name="城", level="city", centroid_lat=Decimal("34.5"))
    district = Division(code="419101000000", name="区", level="district", is_urban=False)
    bulk_insert([city, district], set_pks=True)

    assert city.pk is not None and district.pk is not None
    stored = Division.objects.get(pk=district.pk)
    assert (stored.code, stored.name, stored.level, stored.is_urban) == (
        "419101000000",
        "区",
        "district",
        False,
    )
    assert stored.external_id == district.external_id
    assert (stored.created_at, stored.updated_at) == (district.created_at, district.updated_at)
    assert city.created_at == district.created_at  # one instant for the batch
    assert Division.objects.get(pk=city.pk).centroid_lat == Decimal("34.500000")
    assert not city._state.adding

    # A foreign key set from an object saved since is written (as bulk_create does).
    street = Division(code="419101001000", name="街道", level="street", parent=district)
    event = AuditEvent(action="create", object_id=str(uuid.uuid4()), changes={"a": [1, "二"]})
    bulk_insert([street], set_pks=True)
    bulk_insert([event])
    assert Division.objects.get(pk=street.pk).parent_id == district.pk
    assert AuditEvent.objects.get(object_id=event.object_id).changes == {"a": [1, "二"]}


@pytest.mark.django_db
def test_ignore_conflicts_skips_existing_rows() -> None:
    bulk_insert([Division(code="419100000000", name="城", level="city")])
    bulk_insert(
        [
            Division(code="419100000000", name="重复", level="city"),
            Division(code="419200000000", name="另一城", level="city"),
        ],
        ignore_conflicts=True,
    )
    assert list(Division.objects.order_by("code").values_list("code", "name")) == [
        ("419100000000", "城"),
        ("419200000000", "另一城"),
    ]


@pytest.mark.django_db
def test_ignore_conflicts_with_keys_sets_them_on_the_rows_written_only() -> None:
    """The path a storm's alerts take (on PostgreSQL: COPY into a staging table, then one
    INSERT ... SELECT ... RETURNING): the skipped row keeps no key; a second call in the
    same session starts from an empty staging table."""
    bulk_insert([Division(code="419100000000", name="城", level="city")])
    duplicate = Division(code="419100000000", name="重复", level="city")
    fresh = Division(code="419200000000", name="另一城", level="city")
    bulk_insert([duplicate, fresh], ignore_conflicts=True, set_pks=True)
    assert duplicate.pk is None
    assert Division.objects.get(pk=fresh.pk).name == "另一城"
    third = Division(code="419300000000", name="第三城", level="city")
    bulk_insert([third], ignore_conflicts=True, set_pks=True)
    assert third.pk is not None
    assert Division.objects.count() == 3


@pytest.mark.django_db
def test_update_rows_writes_each_objects_own_values_and_times() -> None:
    # Given two stored divisions changed in memory, each with its own time.
    city = Division.objects.create(code="419100000000", name="城", level="city")
    district = Division.objects.create(code="419101000000", name="区", level="district")
    city.name, city.centroid_lat = "新城", Decimal("34.5")
    district.name, district.is_urban = "新区", False
    city.updated_at = datetime.datetime(2026, 1, 2, 3, 4, tzinfo=datetime.UTC)
    # When their fields are updated together.
    # (a field named twice is written once: PostgreSQL refuses a column set twice)
    fields = ["name", "centroid_lat", "is_urban", "updated_at", "name"]
    written = update_rows([city, district], fields)
    # Then each row holds its object's values, its time unstamped.
    assert written == 2
    rows = Division.objects.order_by("code").values_list(
        "name", "centroid_lat", "is_urban", "updated_at"
    )
    assert list(rows) == [
        ("新城", Decimal("34.500000"), True, city.updated_at),
        ("新区", None, False, district.updated_at),
    ]
