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


def test_every_column_that_looks_sealed_is_declared() -> None:
    """Key rotation and the at-rest test find sealed columns by introspection
    (crypto.sealed_columns): a ciphertext column must be declared to be found."""
    from django.apps import apps

    undeclared = [
        f"{model._meta.label_lower}.{f.name}"
        for model in apps.get_models()
        for f in model._meta.concrete_fields
        if (f.name.endswith("_ciphertext") or "sealed" in f.name)
        and f.name not in crypto.sealed_columns(model)
    ]
    assert undeclared == []


def test_key_rotation_covers_the_sealed_columns_the_demo_does_not_fill(
    world: Any, settings: Any
) -> None:
    """The columns tests/security/test_at_rest.py cannot check after a demo build (the demo
    writes none of them): one row each, rotated, read with the new key alone."""
    from django.utils import timezone

    from tests.security.test_at_rest import NOT_BUILT_BY_THE_DEMO
    from tests.settlement.conftest import make_books
    from yiyang.alerts.models import ContactEmail
    from yiyang.assessments.models import CareRiskEvent
    from yiyang.devices.ingest.rejections import seal_raw
    from yiyang.devices.models import RejectedMessage
    from yiyang.elders.models import ImportJob
    from yiyang.elders.sensitive import seal, unseal
    from yiyang.elders.services import contact_add
    from yiyang.meals.models import ElderDiet
    from yiyang.settlement.models import ContractDocument
    from yiyang.settlement.services import contract_document_add
    from yiyang.workforce.models import Person

    books = make_books(world)
    officer = world.user["district_officer"]
    pdf = b"%PDF-1.7\n1 0 obj<<>>endobj\n%%EOF\n"
    contract_document_add(actor=officer, contract=books.contract, name="a.pdf", data=pdf)
    RejectedMessage.objects.create(
        device_key="w-1",
        reason="malformed",
        via="mqtt",
        received_at=timezone.now(),
        raw_sealed=seal_raw(b'{"heart_rate": 151'),
    )
    ImportJob.objects.create(filename="a.xlsx", errors_ciphertext=seal([[2, "phone", "x"]]))
    Person.objects.create(
        city=world.div["X"], name="李四", id_number_ciphertext=crypto.encrypt("1")
    )
    elder = next(iter(books.elders.values()))
    contact = contact_add(
        actor=world.user["city_admin"],
        elder=elder,
        name="王强",
        relation="child",
        phones=["13800000001"],
    )
    ContactEmail.objects.create(
        contact=contact, email_ciphertext=crypto.encrypt("w@example.cn"), email_masked="w***"
    )
    CareRiskEvent.objects.create(
        elder=elder,
        division_code=elder.division_code,
        kind="fall",
        occurred_on=timezone.localdate(),
        note="夜里摔倒",
    )
    ElderDiet.objects.create(elder=elder, allergies_ciphertext=crypto.encrypt("花生"))
    made = {
        "settlement_contractdocument.data",
        "devices_rejectedmessage.raw_sealed",
        "elders_importjob.errors_ciphertext",
        "workforce_person.id_number_ciphertext",
        "alerts_contactemail.email_ciphertext",
        "assessments_careriskevent.note",
        "meals_elderdiet.allergies_ciphertext",
    }
    assert made == NOT_BUILT_BY_THE_DEMO
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), old_key]
    counts = field_keys_rotate(actor=SystemActor(Scope(division_prefix=""), username="t"))
    assert counts["settlement.contractdocument"] == 1
    assert counts["devices.rejectedmessage"] == counts["workforce.person"] == 1
    assert counts["imports"] == 1 and counts["alerts.contactemail"] == 1
    settings.FIELD_ENCRYPTION_KEYS = settings.FIELD_ENCRYPTION_KEYS[:1]  # the old key is gone
    assert crypto.decrypt_bytes(bytes(ContractDocument.objects.get().data)) == pdf
    raw = RejectedMessage.objects.get().raw_sealed.encode("ascii")
    assert crypto.decrypt_bytes(raw) == b'{"heart_rate": 151'
    assert unseal(ImportJob.objects.get().errors_ciphertext, None) == [[2, "phone", "x"]]
    assert crypto.decrypt(Person.objects.get().id_number_ciphertext) == "1"
    assert crypto.decrypt(ContactEmail.objects.get().email_ciphertext) == "w@example.cn"
    assert CareRiskEvent.objects.get().note == "夜里摔倒"
    assert crypto.decrypt(ElderDiet.objects.get().allergies_ciphertext) == "花生"


def test_key_rotation_reencrypts_the_sealed_part_of_audit_records(
    care: Care, settings: Any
) -> None:
    """Health data in an audit record's changes is sealed (an alert's detail, an elder's
    health fields); rotation re-encrypts that part and leaves the record otherwise as it was."""
    from yiyang.core.models import AuditEvent

    event = AuditEvent.objects.create(
        action="create", changes=seal_parts({"kind": "sos", "detail": "头晕"}, ["detail"])
    )
    before = AuditEvent.objects.get(pk=event.pk).changes
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), old_key]
    counts = field_keys_rotate(actor=SystemActor(Scope(division_prefix=""), username="t"))
    assert counts["core.auditevent"] >= 1
    settings.FIELD_ENCRYPTION_KEYS = settings.FIELD_ENCRYPTION_KEYS[:1]
    after = AuditEvent.objects.get(pk=event.pk).changes
    assert after["kind"] == before["kind"] == "sos"
    assert after["_sealed"] != before["_sealed"]
    assert unseal_parts(after) == {"kind": "sos", "detail": "头晕"}
