"""Health data encrypted by its field (issue 19, item 7): visit notes, order notes, alert
texts, notification messages, breached vital signs, assessment totals, risk-event notes and
the vital signs in device payloads are Fernet tokens in the database and plain values in
the code; existing rows are encrypted by the migrations; key rotation covers them all; and
a search by value is refused instead of silently finding nothing."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import FieldError
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from tests.visits.conftest import Care
from tests.visits.conftest import care as care
from yiyang.core import crypto
from yiyang.core.crypto import seal_parts, unseal_parts
from yiyang.core.permissions import SystemActor
from yiyang.core.scoping import Scope
from yiyang.devices.models import DeviceEvent, event_data_stored
from yiyang.elders.services import field_keys_rotate
from yiyang.visits.models import Order, Visit


def stored(model: Any, column: str, pk: int) -> Any:
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        name = connection.ops.quote_name(column)
        cursor.execute(f"SELECT {name} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def test_visit_and_order_notes_are_tokens_at_rest(care: Care) -> None:
    order = care.order("JW03", note="老人听力不好，请多敲几次门。")
    visit = order.visits.get()
    Visit.objects.filter(pk=visit.pk).update(notes="已提醒老人按时服用降压药。")
    assert stored(Order, "note", order.pk).startswith("gAAAAA")
    assert stored(Visit, "notes", visit.pk).startswith("gAAAAA")
    visit.refresh_from_db()
    assert visit.notes == "已提醒老人按时服用降压药。"
    assert Visit.objects.filter(notes="").count() == 0  # empty stays searchable
    with pytest.raises(FieldError):
        list(Visit.objects.filter(notes__icontains="降压"))


def test_the_health_members_of_a_payload_are_sealed_together() -> None:
    data = {"heart_rate": 131, "spo2": 91, "battery": 80, "lat": 34.7}
    sealed = event_data_stored(data)
    assert sorted(sealed) == ["_sealed", "battery", "lat"]
    assert "131" not in sealed["_sealed"]
    assert unseal_parts(sealed) == data
    assert event_data_stored({"battery": 5}) == {"battery": 5}  # nothing to hide: unchanged
    assert seal_parts([1, 2], ["heart_rate"]) == [1, 2]


def test_existing_rows_are_encrypted_by_the_migration(care: Care) -> None:
    """The migration's step on the historical (plain) model: the plain value becomes a
    token that the current field reads back; a second run changes nothing."""
    visit = care.order("JW03").visits.get()
    table = connection.ops.quote_name(Visit._meta.db_table)
    with connection.cursor() as cursor:
        sql = f"UPDATE {table} SET notes = %s WHERE id = %s"  # noqa: S608
        cursor.execute(sql, ["老人头晕乏力", visit.pk])
    state = MigrationLoader(connection).project_state(("visits", "0002_flag_no_second_check_in"))
    historical = state.apps.get_model("visits", "Visit")
    crypto.migrate_encrypt(historical, ["notes"])
    token = stored(Visit, "notes", visit.pk)
    assert token.startswith("gAAAAA")
    crypto.migrate_encrypt(historical, ["notes"])  # re-run: already a token, left alone
    assert stored(Visit, "notes", visit.pk) == token
    visit.refresh_from_db()
    assert visit.notes == "老人头晕乏力"


def test_key_rotation_covers_the_encrypted_fields(care: Care, settings: Any) -> None:
    order = care.order("JW03", note="住六楼")
    visit = order.visits.get()
    Visit.objects.filter(pk=visit.pk).update(notes="发烧38.5℃")
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), old_key]
    counts = field_keys_rotate(actor=SystemActor(Scope(division_prefix=""), username="t"))
    assert counts["visits.visit"] == 1 and counts["visits.order"] == 1
    assert counts["devices.deviceevent"] == DeviceEvent.objects.count()
    settings.FIELD_ENCRYPTION_KEYS = settings.FIELD_ENCRYPTION_KEYS[:1]  # the old key is gone
    visit.refresh_from_db()
    order.refresh_from_db()
    assert (visit.notes, order.note) == ("发烧38.5℃", "住六楼")
