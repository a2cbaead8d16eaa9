"""One write path for an elder's record (issue 21, "Writes in two paths"): the single write
(forms, API) and the bulk import go through the same record step, ``record_apply``, and save
the same column list, ``RECORD_COLUMNS``; a column added to the elder and to the record
cannot be dropped by a re-import."""

from __future__ import annotations

import copy
import dataclasses
import datetime
from decimal import Decimal
from typing import Any

import pytest

from tests.conftest import World
from tests.factories import citizen_id
from yiyang.core.models import Division
from yiyang.elders import importing, services
from yiyang.elders.choices import (
    AbilityLevel,
    ChronicCondition,
    EconomicStatus,
    ElderStatus,
    InsuranceType,
    LivingArrangement,
    LocationSource,
    MaritalStatus,
)
from yiyang.elders.columns import COLUMNS
from yiyang.elders.importing.chunk import IMPORT_COLUMNS
from yiyang.elders.models import Elder
from yiyang.elders.services import RECORD_COLUMNS, Record, record_apply, record_of

# Columns of the elder that are not part of its record: written by other services (photo,
# duplicate review), by the import's fingerprint, or by the model itself.
NOT_FROM_RECORD = {
    "id",
    "external_id",
    "created_at",
    "updated_at",
    "import_digest",
    "duplicate_of",
    "photo",
}
# Importable columns of the elder itself (the contact_* columns go to its contacts).
IMPORTED = [key for key in COLUMNS if not key.startswith("contact_")]
# The import's key: a re-import of the same person cannot change them.
IDENTITY = {"id_number", "sex", "birth_date"}


def test_every_importable_column_is_a_field_of_the_record() -> None:
    fields = {f.name for f in dataclasses.fields(Record)}
    assert set(IMPORTED) <= fields
    assert set(services.RECORD_FIELDS) == fields


def test_every_elder_column_is_a_record_column_or_named_as_not_one() -> None:
    columns = {f.name for f in Elder._meta.concrete_fields}
    assert set(RECORD_COLUMNS) <= columns
    # A new column of the elder fails here until it is written by the record step (and so
    # listed in RECORD_COLUMNS) or named above as written elsewhere.
    assert columns - set(RECORD_COLUMNS) == NOT_FROM_RECORD


def test_the_import_updates_the_record_columns() -> None:
    assert set(RECORD_COLUMNS) <= set(IMPORT_COLUMNS)
    assert set(IMPORT_COLUMNS) - set(RECORD_COLUMNS) == {"import_digest", "updated_at"}


@pytest.mark.django_db
def test_the_record_step_writes_exactly_the_record_columns(world: World) -> None:
    record = Record(
        name="王秀英",
        id_number=citizen_id("419102", "19400315", 7, female=True),
        sex="female",
        birth_date=datetime.date(1940, 3, 15),
        ethnicity="01",
        phones=["13800138001"],
        community=world.div["XA1a"],
        address="建设路1号",
        lat=Decimal("34.780000"),
        lng=Decimal("113.680000"),
        location_source=LocationSource.ENTERED,
        living_arrangement=LivingArrangement.ALONE,
        marital_status=MaritalStatus.WIDOWED,
        economic_status=EconomicStatus.MINIMUM_LIVING,
        insurance_type=InsuranceType.RESIDENT,
        insurance_number="YB001",
        chronic_conditions=[ChronicCondition.DIABETES],
        disability_certificate="CJ001",
        family_doctor="张医生",
        ability_level=AbilityLevel.MILD,
        status=ElderStatus.DECEASED,
        status_changed_on=datetime.date(2024, 1, 2),
        deceased_on=datetime.date(2024, 1, 2),
    )
    elder = Elder()
    blank = copy.copy(elder)
    record_apply(elder, record)
    written = {
        f.name
        for f in Elder._meta.concrete_fields
        if getattr(elder, f.attname) != getattr(blank, f.attname)
    }
    assert written == set(RECORD_COLUMNS)


def _row(world: World, number: str, second: bool) -> dict[str, Any]:
    """A spreadsheet row for every importable column; ``second``: every value but the
    person's identity changed."""
    return {
        "name": "王秀兰" if second else "王秀英",
        "id_number": number,
        "sex": "女",
        "birth_date": "1940-03-15",
        "ethnicity": "02" if second else "01",
        "phones": "13800138002" if second else "13800138001",
        "community": world.div["XA1b" if second else "XA1a"].code,
        "address": "建设路2号" if second else "建设路1号",
        "lat": "34.790000" if second else "34.780000",
        "lng": "113.690000" if second else "113.680000",
        "living_arrangement": "with_children" if second else "alone",
        "marital_status": "married" if second else "widowed",
        "economic_status": "low_income" if second else "minimum_living",
        "disability_certificate": "CJ002" if second else "CJ001",
        "chronic_conditions": "I10-I15" if second else "E10-E14",
        "insurance_type": "employee" if second else "resident",
        "insurance_number": "YB002" if second else "YB001",
        "family_doctor": "李医生" if second else "张医生",
        "status": "deceased" if second else "active",
        "deceased_on": "2024-01-02" if second else None,
    }


def _expected(world: World, row: dict[str, Any]) -> dict[str, Any]:
    """The row's values as the record holds them."""
    return {
        "name": row["name"],
        "ethnicity": row["ethnicity"],
        "phones": [row["phones"]],
        "community": Division.objects.get(code=row["community"]),
        "address": row["address"],
        "lat": Decimal(row["lat"]),
        "lng": Decimal(row["lng"]),
        "living_arrangement": row["living_arrangement"],
        "marital_status": row["marital_status"],
        "economic_status": row["economic_status"],
        "disability_certificate": row["disability_certificate"],
        "chronic_conditions": [row["chronic_conditions"]],
        "insurance_type": row["insurance_type"],
        "insurance_number": row["insurance_number"],
        "family_doctor": row["family_doctor"],
        "status": row["status"],
        "deceased_on": (
            datetime.date.fromisoformat(row["deceased_on"]) if row["deceased_on"] else None
        ),
    }


@pytest.mark.django_db
def test_a_reimport_and_an_edit_both_write_every_importable_column(world: World) -> None:
    actor = world.user["city_admin"]
    number = citizen_id("419102", "19400315", 8, female=True)
    first, second = _row(world, number, False), _row(world, number, True)
    assert set(first) == set(IMPORTED)  # the test covers every importable column
    assert all(first[key] != second[key] for key in set(IMPORTED) - IDENTITY)

    counts = importing.import_rows(actor=actor, rows=importing.rows_from_dicts([first]))
    assert counts.created == 1
    counts = importing.import_rows(actor=actor, rows=importing.rows_from_dicts([second]))
    assert (counts.updated, counts.rejected) == (1, 0)

    # The bulk path: every changed column reached the database.
    elder = Elder.objects.select_related("community").get()
    stored = record_of(elder)
    for key, value in _expected(world, second).items():
        assert stored.get(key) == value, key
    assert (stored.id_number, stored.sex, stored.birth_date) == (
        number,
        "female",
        datetime.date(1940, 3, 15),
    )

    # The single path: an edit of every column, read back from the database too.
    edit = _expected(world, first) | {
        "id_number": citizen_id("419102", "19410520", 9),
        "sex": "male",
        "birth_date": datetime.date(1941, 5, 20),
    }
    assert set(edit) == set(IMPORTED)
    services.elder_update(actor=actor, elder=elder, **edit)
    stored = record_of(Elder.objects.select_related("community").get())
    for key, value in edit.items():
        assert stored.get(key) == value, key
