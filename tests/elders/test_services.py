"""The elder record: validation, encryption at rest, history, duplicates, contacts,
consent, the access log and key rotation."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import World
from tests.factories import citizen_id, make_elder
from yiyang.core.models import AuditEvent
from yiyang.elders import services
from yiyang.elders.choices import DuplicateStatus, ElderStatus, LivingArrangement
from yiyang.elders.models import AccessLog, DuplicateCandidate, Elder, ElderContact
from yiyang.elders.selectors import elder_history, elder_list
from yiyang.elders.sensitive import elder_health, elder_id_number, elder_phones


def admin(world: World) -> Any:
    return world.user["city_admin"]


def test_create_derives_sex_and_birth_date_and_encrypts(world: World) -> None:
    number = citizen_id("419102", "19400315", 7, female=True)
    elder = services.elder_create(
        actor=admin(world),
        name="王秀英",
        id_number=number,
        community=world.div["XA1a"],
        phones=["+86 138-0013-8000"],
        chronic_conditions=["I10-I15", "E10-E14"],
    )
    elder.refresh_from_db()
    assert (elder.sex, elder.birth_date) == ("female", datetime.date(1940, 3, 15))
    assert elder.name_initials == "WXY"
    assert elder.id_number_masked == number[:6] + "********" + number[-4:]
    assert elder.phones_masked == "138****8000"
    assert number not in elder.id_number_ciphertext
    assert elder_id_number(elder) == number
    assert elder_phones(elder) == ["13800138000"]
    assert elder_health(elder).chronic_conditions == ["E10-E14", "I10-I15"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM elders_elder WHERE id = %s", [elder.pk])
        stored = " ".join(str(v) for v in cursor.fetchone())
    # Quoted codes: a quote never occurs in Fernet's base64, so a random
    # ciphertext cannot contain them by chance.
    assert number not in stored and "13800138000" not in stored and '"I10-I15"' not in stored


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("419102194003150071", "check character"),
        ("419102214003150078", "future"),
        ("419102189003150078", "before 1900"),
        ("4191021940031500", "18 characters"),
        ("", "Give the ID number"),
    ],
)
def test_bad_id_numbers_are_refused_and_nothing_written(
    world: World, raw: str, message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        services.elder_create(
            actor=admin(world), name="李四", id_number=raw, community=world.div["XA1a"]
        )
    assert message in caught.value.message_dict["id_number"][0]
    assert Elder.objects.count() == 0
    assert AuditEvent.objects.filter(object_type="elders.elder").count() == 0


def test_full_width_digits_inner_spaces_and_lower_case_x_are_normalised(world: World) -> None:
    number = next(
        citizen_id("419102", "19400315", n)
        for n in range(400)
        if citizen_id("419102", "19400315", n).endswith("X")
    )
    messy = " ".join([number[:6], number[6:14], number[14:].lower()])
    messy = messy.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    elder = services.elder_create(
        actor=admin(world), name="赵六", id_number=messy, community=world.div["XA1a"]
    )
    assert elder_id_number(elder) == number


def test_legacy_15_digit_number_is_upgraded(world: World) -> None:
    number18 = citizen_id("419102", "19400315", 3)
    legacy = number18[:6] + number18[8:17]
    elder = services.elder_create(
        actor=admin(world), name="孙七", id_number=legacy, community=world.div["XA1a"]
    )
    assert elder_id_number(elder) == number18


def test_given_sex_and_birth_date_must_match_the_id(world: World) -> None:
    number = citizen_id("419102", "19400315", 7, female=True)
    with pytest.raises(ValidationError) as caught:
        services.elder_create(
            actor=admin(world),
            name="周八",
            id_number=number,
            community=world.div["XA1a"],
            sex="male",
            birth_date=datetime.date(1941, 3, 15),
        )
    errors = caught.value.message_dict
    assert errors["sex"] == ["The ID number says Female, the record says Male."]
    assert errors["birth_date"] == [
        "The ID number says born on 1940-03-15, the record says 1941-03-15."
    ]


def test_same_id_is_the_same_person(world: World) -> None:
    number = citizen_id("419102", "19400315", 9)
    make_elder(admin(world), world.div["XA1a"], id_number=number)
    with pytest.raises(ValidationError) as caught:
        make_elder(admin(world), world.div["XA1b"], id_number=number, name="别人")
    assert caught.value.message_dict["id_number"] == [
        "An elder with this ID number is already registered."
    ]


def test_community_outside_jurisdiction_is_refused(world: World) -> None:
    worker = world.user["community_worker"]  # community XA1a
    with pytest.raises(ValidationError) as caught:
        make_elder(worker, world.div["XA2a"])
    assert caught.value.message_dict["community"] == [
        "This community lies outside your jurisdiction."
    ]


def test_deceased_needs_a_date_not_in_the_future(world: World) -> None:
    elder = make_elder(admin(world), world.div["XA1a"])
    with pytest.raises(ValidationError) as caught:
        services.elder_update(actor=admin(world), elder=elder, status=ElderStatus.DECEASED)
    assert caught.value.message_dict["deceased_on"] == ["Give the date of death."]
    updated = services.elder_update(
        actor=admin(world),
        elder=elder,
        status=ElderStatus.DECEASED,
        deceased_on=datetime.date(2026, 1, 5),
    )
    assert updated.status == ElderStatus.DECEASED
    assert updated.status_changed_on is not None


def test_history_keeps_who_when_before_and_after_masked(world: World) -> None:
    elder = make_elder(admin(world), world.div["XA1a"], phones=["13800138000"])
    worker = world.user["community_worker"]
    services.elder_update(
        actor=worker,
        elder=elder,
        living_arrangement=LivingArrangement.ALONE,
        phones=["13900139000"],
    )
    events = list(elder_history(actor=worker, elder=elder))
    assert [e.action for e in events] == ["update", "create"]
    latest = events[0]
    assert latest.actor_username == "community_worker"
    assert latest.changes["living_arrangement"] == ["", "alone"]
    assert latest.changes["phones"] == ["138****8000", "139****9000"]
    assert "13900139000" not in str(latest.changes)  # the full values are sealed
    assert latest.changes["_sealed"]


def test_update_without_change_writes_no_history(world: World) -> None:
    elder = make_elder(admin(world), world.div["XA1a"], address="幸福路1号")
    services.elder_update(actor=admin(world), elder=elder, address="幸福路1号")
    assert AuditEvent.objects.filter(object_id=str(elder.external_id)).count() == 1


def test_near_duplicate_goes_to_review_and_is_never_merged(world: World) -> None:
    first = make_elder(admin(world), world.div["XA1a"], name="刘桂英", birth="19380101")
    second = make_elder(admin(world), world.div["XA1a"], name="刘桂英", birth="19380101")
    make_elder(admin(world), world.div["XA1b"], name="刘桂英", birth="19380101")  # elsewhere
    pairs = list(DuplicateCandidate.objects.values_list("elder_id", "other_id", "status"))
    assert pairs == [(second.pk, first.pk, DuplicateStatus.OPEN)]
    assert Elder.objects.filter(status=ElderStatus.ACTIVE).count() == 3
    candidate = DuplicateCandidate.objects.get()
    services.duplicate_review(
        actor=world.user["community_worker"],
        candidate=candidate,
        status=DuplicateStatus.SAME_PERSON,
        note="同一人，身份证录入错误",
    )
    second.refresh_from_db()
    assert (second.status, second.duplicate_of_id) == (ElderStatus.DUPLICATE, first.pk)
    listed = elder_list(actor=admin(world), filters={})
    assert second not in listed and first in listed
    with pytest.raises(ValidationError):
        services.duplicate_review(
            actor=admin(world), candidate=candidate, status=DuplicateStatus.DIFFERENT_PEOPLE
        )


def test_contacts_one_first_to_call(world: World) -> None:
    elder = make_elder(admin(world), world.div["XA1a"])
    worker = world.user["community_worker"]
    son = services.contact_add(
        actor=worker, elder=elder, name="王强", relation="child", phones=["13800000001"]
    )
    daughter = services.contact_add(
        actor=worker,
        elder=elder,
        name="王芳",
        relation="child",
        phones=["13800000002"],
        is_first_to_call=True,
    )
    son.refresh_from_db()
    assert (son.is_first_to_call, daughter.is_first_to_call) == (False, True)
    services.contact_remove(actor=worker, contact=daughter)
    son.refresh_from_db()
    assert son.is_first_to_call is True
    assert ElderContact.objects.filter(elder=elder).count() == 2  # kept, inactive
    with pytest.raises(ValidationError) as caught:
        services.contact_add(actor=worker, elder=elder, name="", relation="x", phones=["12"])
    assert set(caught.value.message_dict) == {"name", "relation", "phones"}
    # The call centre finds the elder by the son's phone.
    assert list(elder_list(actor=world.user["operator"], filters={"q": "138-0000-0001"})) == [elder]


def test_consent_recorded_and_withdrawn(world: World) -> None:
    elder = make_elder(admin(world), world.div["XA1a"])
    worker = world.user["community_worker"]
    consent = services.consent_record(
        actor=worker,
        elder=elder,
        purpose="health_with_providers",
        given_by="guardian",
        guardian_name="王强",
        given_on=datetime.date(2026, 11, 1),
        recipient="居家公司P",
    )
    assert consent.recorded_by == worker and consent.is_active
    services.consent_withdraw(actor=worker, consent=consent, reason="不再需要")
    consent.refresh_from_db()
    assert consent.withdrawn_on is not None and consent.withdrawn_by == worker
    with pytest.raises(ValidationError):
        services.consent_withdraw(actor=worker, consent=consent)
    with pytest.raises(ValidationError) as caught:
        services.consent_record(
            actor=worker,
            elder=elder,
            purpose="health_with_providers",
            given_by="guardian",
            given_on=datetime.date(2026, 11, 1),
        )
    assert caught.value.message_dict == {"guardian_name": ["Give the guardian's name."]}


def test_reveal_logs_exactly_the_fields_the_role_may_see(world: World) -> None:
    elder = make_elder(
        admin(world), world.div["XA1a"], phones=["13800138000"], chronic_conditions=["I25"]
    )
    worker = world.user["community_worker"]
    revealed = services.elder_reveal(actor=worker, elder=elder)
    assert revealed.id_number == elder_id_number(elder)
    assert revealed.health is not None and revealed.health.chronic_conditions == ["I25"]
    log = AccessLog.objects.get()
    assert (log.actor_username, log.action, log.fields) == (
        "community_worker",
        "view",
        ["id_number", "phones", "health"],
    )
    assert list(log.elders.all()) == [elder]
    operator = services.elder_reveal(actor=world.user["operator"], elder=elder)
    assert operator.id_number == elder.id_number_masked  # operators see phones, not IDs
    assert AccessLog.objects.first().fields == ["phones", "health"]  # type: ignore[union-attr]
    auditor = services.elder_reveal(actor=world.user["auditor"], elder=elder)
    assert auditor.fields == [] and AccessLog.objects.count() == 2


def test_reveal_outside_jurisdiction_is_refused(world: World) -> None:
    elder = make_elder(admin(world), world.div["XA2a"])
    with pytest.raises(ValidationError):
        services.elder_reveal(actor=world.user["community_worker"], elder=elder)
    assert AccessLog.objects.count() == 0


def test_search_by_name_initials_id_and_phone(world: World) -> None:
    number = citizen_id("419102", "19400315", 21)
    elder = make_elder(
        admin(world), world.div["XA1a"], name="张三丰", id_number=number, phones=["13712345678"]
    )
    make_elder(admin(world), world.div["XA1a"], name="李四")
    actor = world.user["street_officer"]
    for q in ("三丰", "zsf", "ZS", number, number.lower(), "+86 137 1234 5678", "137-1234-5678"):
        assert list(elder_list(actor=actor, filters={"q": q})) == [elder], q
    for q in (number[:-1], "1371234567", "wxy"):
        assert list(elder_list(actor=actor, filters={"q": q})) == [], q


def test_search_by_part_of_a_name_of_any_length(world: World) -> None:
    # On PostgreSQL two or more characters go through the index of two-character pieces.
    elder = make_elder(admin(world), world.div["XA1a"], name="王秀英")
    make_elder(admin(world), world.div["XA1a"], name="秀王英")
    make_elder(admin(world), world.div["XA1a"], name="王")
    actor = world.user["street_officer"]
    for q in ("秀英", "王秀", "王秀英", " 秀英 "):
        assert list(elder_list(actor=actor, filters={"q": q})) == [elder], q
    for q in ("英秀", "英王", "王秀英子"):
        assert list(elder_list(actor=actor, filters={"q": q})) == [], q
    assert len(elder_list(actor=actor, filters={"q": "王"})) == 3
    assert len(elder_list(actor=actor, filters={"q": "英"})) == 2


def test_tags_and_age_bands_filter(world: World) -> None:
    today = datetime.date.today()
    old = make_elder(
        admin(world),
        world.div["XA1a"],
        birth=f"{today.year - 85}0101",
        living_arrangement="alone",
        economic_status="minimum_living",
    )
    young = make_elder(admin(world), world.div["XA1a"], birth=f"{today.year - 65}0101")
    actor = admin(world)

    def names(filters: dict[str, Any]) -> list[int]:
        return [e.pk for e in elder_list(actor=actor, filters=filters)]

    assert names({"tag": ["very_old"]}) == [old.pk]
    assert names({"tag": ["very_old", "living_alone", "minimum_living"]}) == [old.pk]
    # Empty-nest includes those living alone (空巢 in ordinary usage).
    assert names({"tag": ["empty_nest"]}) == [old.pk]
    assert names({"tag": ["disabled"]}) == names({"tag": ["semi_disabled"]}) == []
    assert names({"age_band": ["60-69"]}) == [young.pk]
    assert sorted(names({"age_band": ["60-69", "80-89"]})) == sorted([young.pk, old.pk])


def test_key_rotation_reencrypts_everything(world: World, settings: Any) -> None:
    elder = make_elder(admin(world), world.div["XA1a"], phones=["13800138000"])
    services.contact_add(
        actor=admin(world), elder=elder, name="王强", relation="child", phones=["13800000001"]
    )
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    counts = services.field_keys_rotate(actor=admin(world))
    assert (counts["elders"], counts["contacts"], counts["imports"]) == (1, 1, 0)
    # Every other app's sealed columns are covered too (models listing SEALED_FIELDS).
    assert {"assessments.assessment", "services.caregiver"} <= set(counts)
    # The elder's audit record seals its personal fields: that part is re-encrypted too.
    assert counts["core.auditevent"] >= 1
    assert all(
        n == 0 for k, n in counts.items() if k not in ("elders", "contacts", "core.auditevent")
    )
    settings.FIELD_ENCRYPTION_KEYS = [new_key]  # the old key is gone
    elder.refresh_from_db()
    assert elder_phones(elder) == ["13800138000"]
    assert services.elder_reveal(actor=admin(world), elder=elder).phones == ["13800138000"]
    contact = ElderContact.objects.get()
    from yiyang.elders.sensitive import contact_phones

    assert contact_phones(contact) == ["13800000001"]


def test_rehash_after_hash_key_change_keeps_lookup_working(world: World, settings: Any) -> None:
    number = citizen_id("419102", "19400315", 31)
    elder = make_elder(admin(world), world.div["XA1a"], id_number=number, phones=["13800138000"])
    settings.FIELD_HASH_KEY = "a-new-hash-key"
    assert list(elder_list(actor=admin(world), filters={"q": number})) == []
    services.field_keys_rotate(actor=admin(world), rehash=True)
    assert list(elder_list(actor=admin(world), filters={"q": number})) == [elder]
    assert list(elder_list(actor=admin(world), filters={"q": "13800138000"})) == [elder]


def test_list_query_count_does_not_grow(world: World) -> None:
    for _ in range(5):
        make_elder(admin(world), world.div["XA1a"])
    with CaptureQueriesContext(connection) as few:
        list(elder_list(actor=admin(world), filters={"tag": ["very_old"]}))
    for _ in range(20):
        make_elder(admin(world), world.div["XA1a"])
    with CaptureQueriesContext(connection) as many:
        list(elder_list(actor=admin(world), filters={"tag": ["very_old"]}))
    assert len(many) == len(few) == 1
