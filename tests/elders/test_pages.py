"""The elder registry's pages: masking and the access log, jurisdiction, forms that never
500 on a service error, exports, contacts, consent, duplicates, imports, the access log."""

from __future__ import annotations

import datetime
import io
import itertools
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from tests.conftest import World, login
from tests.exporting import content, exported
from yiyang.core.idnumber import check_character
from yiyang.core.models import AuditEvent
from yiyang.elders import services
from yiyang.elders.choices import DuplicateStatus, ElderStatus, ImportStatus
from yiyang.elders.models import (
    AccessLog,
    Consent,
    DuplicateCandidate,
    Elder,
    ElderContact,
    ImportJob,
)
from yiyang.elders.sensitive import contact_phones, elder_health, elder_id_number, elder_phones

_sequence = itertools.count(1)


def id_number(community_code: str, birth: str = "19400315", *, female: bool = True) -> str:
    """A valid ID number registered in the community's county (first 6 digits)."""
    n = next(_sequence) % 500
    first_17 = f"{community_code[:6]}{birth}{n * 2 + (0 if female else 1):03d}"
    return first_17 + check_character(first_17)


def make(world: World, community: str = "XA1a", **values: Any) -> Elder:
    division = world.div[community]
    actor = world.user["admin_Y"] if community.startswith("Y") else world.user["city_admin"]
    values.setdefault("name", "王秀英")
    values.setdefault("id_number", id_number(division.code))
    values.setdefault("phones", ["13800138000"])
    return services.elder_create(actor=actor, community=division, **values)


def client_of(world: World, role: str, *, english: bool = False) -> Client:
    client = login(Client(), world.user[role])
    if english:
        client.cookies["django_language"] = "en"
    return client


def page(client: Client, url: str, **params: Any) -> str:
    response = client.get(url, params)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def text_of(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*>(.*?)<', html, re.S)
    assert found is not None, element_id
    return found.group(1).strip()


def profile_url(elder: Elder) -> str:
    return f"/elders/{elder.external_id}/"


# --------------------------------------------------------------------------------------------
# List


def test_list_shows_masked_id_and_phone_only(world: World) -> None:
    elder = make(world, living_arrangement="alone")
    number = elder_id_number(elder)
    html = page(client_of(world, "community_worker"), "/elders/")
    assert elder.id_number_masked in html
    assert "138****8000" in html
    assert number not in html and "13800138000" not in html
    assert profile_url(elder) in html
    assert AccessLog.objects.count() == 0


def test_list_filters_and_search(world: World) -> None:
    alone = make(world, name="李独居", living_arrangement="alone")
    other = make(world, name="赵同住", living_arrangement="with_children")
    client = client_of(world, "community_worker")
    html = page(client, "/elders/", tag="living_alone", status="", age_band="")
    assert profile_url(alone) in html and profile_url(other) not in html
    html = page(client, "/elders/", q="ZTZ")
    assert profile_url(other) in html and profile_url(alone) not in html
    html = page(client, "/elders/", q=elder_id_number(alone))
    assert profile_url(alone) in html and profile_url(other) not in html


def test_list_buttons_follow_permissions(world: World) -> None:
    make(world)
    worker = page(client_of(world, "community_worker"), "/elders/")
    assert "/elders/new/" in worker and "/elders/import/" in worker
    assert "/elders/export/" not in worker and "/elders/access-log/" not in worker
    assert text_of(worker, "open-duplicates") == "0"
    auditor = page(client_of(world, "auditor"), "/elders/", tag="very_old")
    assert "/elders/new/" not in auditor and "/elders/import/" not in auditor
    assert "/elders/export/?tag=very_old" in auditor and "/elders/access-log/" in auditor


def test_list_queries_do_not_grow_with_rows(
    world: World, django_assert_max_num_queries: Any
) -> None:
    client = client_of(world, "city_admin")
    make(world)
    page(client, "/elders/")  # warm the session
    with CaptureQueriesContext(connection) as few:
        page(client, "/elders/")
    for index in range(30):
        make(
            world,
            community=("XA1a", "XA1b", "XA2a", "XB1a")[index % 4],
            name=f"老人{index}",
            living_arrangement="alone" if index % 2 else "spouse_only",
            economic_status="minimum_living" if index % 3 else "none",
        )
    # Session, user, two-factor device, scope, count, page, divisions, open duplicates and
    # the session's save: nothing per row.
    with django_assert_max_num_queries(12) as many:
        html = page(client, "/elders/")
    assert len(many) == len(few)
    assert html.count('class="badge tag"') >= 30


def test_nav_shows_elders_to_roles_that_may_view_them(world: World) -> None:
    assert 'href="/elders/"' in page(client_of(world, "community_worker"), "/")
    assert 'href="/elders/"' not in page(client_of(world, "family"), "/")


# --------------------------------------------------------------------------------------------
# Profile: what each role sees, and the access log


def test_profile_for_a_community_worker_is_unmasked_and_logged_once(world: World) -> None:
    elder = make(world, chronic_conditions=["I10-I15"], family_doctor="刘医生")
    number = elder_id_number(elder)
    html = page(client_of(world, "community_worker"), profile_url(elder))
    assert text_of(html, "id-number") == number
    assert text_of(html, "phones") == "13800138000"
    assert "刘医生" in html
    log = AccessLog.objects.get()
    assert log.action == "view"
    assert log.actor_username == "community_worker" and log.actor_role == "community_worker"
    assert log.fields == ["id_number", "phones", "health"]
    assert log.elder_count == 1
    assert list(log.entries.values_list("elder_id", "division_code")) == [
        (elder.pk, elder.division_code)
    ]


def test_profile_for_an_auditor_is_masked_and_not_logged(world: World) -> None:
    elder = make(world, chronic_conditions=["I10-I15"], family_doctor="刘医生")
    html = page(client_of(world, "auditor"), profile_url(elder))
    assert text_of(html, "id-number") == elder.id_number_masked
    assert text_of(html, "phones") == "138****8000"
    assert elder_id_number(elder) not in html and "13800138000" not in html
    assert "刘医生" not in html
    assert AccessLog.objects.count() == 0


def test_profile_of_a_city_admin_hides_health(world: World) -> None:
    elder = make(world, chronic_conditions=["I10-I15"], family_doctor="刘医生")
    html = page(client_of(world, "city_admin", english=True), profile_url(elder))
    assert "Hidden for your role." in html and "刘医生" not in html
    assert AccessLog.objects.get().fields == ["id_number", "phones"]


@pytest.mark.parametrize("community", ["YA1a", "XA2a"])
@pytest.mark.parametrize("suffix", ["", "edit/", "history/", "contacts/new/", "consents/new/"])
def test_out_of_scope_elders_are_404(world: World, community: str, suffix: str) -> None:
    elder = make(world, community=community)
    response = client_of(world, "community_worker").get(profile_url(elder) + suffix)
    assert response.status_code == 404
    assert AccessLog.objects.count() == 0


def test_malformed_and_unknown_ids_are_404(world: World) -> None:
    client = client_of(world, "community_worker")
    assert client.get("/elders/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert client.get("/elders/not-a-uuid/").status_code == 404


def test_roles_without_the_permission_get_403(world: World) -> None:
    elder = make(world)
    family = client_of(world, "family")
    assert family.get("/elders/").status_code == 403
    auditor = client_of(world, "auditor")
    for url in (
        f"{profile_url(elder)}edit/",
        "/elders/new/",
        "/elders/import/",
        "/elders/duplicates/",
        f"{profile_url(elder)}contacts/new/",
    ):
        assert auditor.get(url).status_code == 403, url
    worker = client_of(world, "community_worker")
    assert worker.post("/elders/export/").status_code == 403
    assert worker.get("/elders/access-log/").status_code == 403


def test_profile_shows_a_duplicate_and_the_record_it_duplicates(world: World) -> None:
    older = make(world, name="陈重复")
    newer = make(world, name="陈重复")
    candidate = DuplicateCandidate.objects.get()
    services.duplicate_review(
        actor=world.user["city_admin"], candidate=candidate, status=DuplicateStatus.SAME_PERSON
    )
    html = page(client_of(world, "community_worker"), profile_url(newer))
    assert profile_url(older) in text_of_block(html, "duplicate-of")


def text_of_block(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}".*?</p>', html, re.S)
    assert found is not None, element_id
    return found.group(0)


# --------------------------------------------------------------------------------------------
# Create and edit


def form_values(elder: Elder | None = None, **changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": "王秀英",
        "id_number": "",
        "sex": "",
        "birth_date": "",
        "ethnicity": "01",
        "phones": "",
        "community": "",
        "address": "",
        "lat": "",
        "lng": "",
        "living_arrangement": "",
        "marital_status": "",
        "economic_status": "none",
        "insurance_type": "",
        "insurance_number": "",
        "disability_certificate": "",
        "family_doctor": "",
        "status": "active",
        "deceased_on": "",
    }
    if elder is not None:
        values |= {
            "name": elder.name,
            "id_number": elder_id_number(elder),
            "sex": elder.sex,
            "birth_date": elder.birth_date.isoformat(),
            "ethnicity": elder.ethnicity,
            "phones": ", ".join(elder_phones(elder)),
            "community": elder.community_id,
            "address": elder.address,
            "living_arrangement": elder.living_arrangement,
            "economic_status": elder.economic_status,
            "status": elder.status,
        }
        health = elder_health(elder)
        values["chronic_conditions"] = health.chronic_conditions
        values["family_doctor"] = health.family_doctor
    return values | changes


def test_create_through_the_form(world: World) -> None:
    client = client_of(world, "community_worker")
    assert 'name="chronic_conditions"' in page(client, "/elders/new/")
    number = id_number(world.div["XA1a"].code, "19380102", female=False)
    response = client.post(
        "/elders/new/",
        form_values(
            name="周新",
            id_number=number,
            community=world.div["XA1a"].pk,
            phones="138 0013 8001，13900139001",
            chronic_conditions=["E10-E14"],
            living_arrangement="alone",
        ),
    )
    elder = Elder.objects.get(name="周新")
    assert response.status_code == 302 and response["Location"] == profile_url(elder)
    assert (elder.sex, elder.birth_date) == ("male", datetime.date(1938, 1, 2))
    assert elder_phones(elder) == ["13800138001", "13900139001"]
    assert elder_health(elder).chronic_conditions == ["E10-E14"]


def test_create_offers_only_communities_in_scope(world: World) -> None:
    html = page(client_of(world, "street_officer"), "/elders/new/")
    found = re.search(r'<select name="community".*?</select>', html, re.S)
    assert found is not None
    html = found.group(0)
    assert f'value="{world.div["XA1a"].pk}"' in html
    assert f'value="{world.div["XA1b"].pk}"' in html
    assert f'value="{world.div["XA2a"].pk}"' not in html
    assert f'value="{world.div["YA1a"].pk}"' not in html


def test_edit_with_a_wrong_check_character_shows_the_error_and_writes_nothing(
    world: World,
) -> None:
    elder = make(world)
    number = elder_id_number(elder)
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    client = client_of(world, "community_worker", english=True)
    events = AuditEvent.objects.filter(object_id=str(elder.external_id)).count()
    response = client.post(f"{profile_url(elder)}edit/", form_values(elder, id_number=wrong))
    assert response.status_code == 200
    html = response.content.decode()
    assert "The check character is" in html and "a digit is wrong" in html
    elder.refresh_from_db()
    assert elder_id_number(elder) == number
    assert AuditEvent.objects.filter(object_id=str(elder.external_id)).count() == events


def test_edit_prefills_and_logs_then_saves_only_changes(world: World) -> None:
    elder = make(world, address="旧路1号", chronic_conditions=["I10-I15"])
    client = client_of(world, "community_worker")
    html = page(client, f"{profile_url(elder)}edit/")
    assert f'value="{elder_id_number(elder)}"' in html
    assert AccessLog.objects.get().fields == ["id_number", "phones", "health"]
    response = client.post(f"{profile_url(elder)}edit/", form_values(elder, address="新路2号"))
    assert response.status_code == 302 and response["Location"] == profile_url(elder)
    elder.refresh_from_db()
    assert elder.address == "新路2号"
    event = AuditEvent.objects.filter(object_id=str(elder.external_id)).first()
    assert event is not None and set(event.changes) == {"address"}


def test_edit_by_a_role_that_cannot_see_health_keeps_the_health_fields(world: World) -> None:
    elder = make(world, chronic_conditions=["I10-I15"], family_doctor="刘医生")
    client = client_of(world, "city_admin")
    html = page(client, f"{profile_url(elder)}edit/")
    assert 'name="chronic_conditions"' not in html and "刘医生" not in html
    values = form_values(elder, living_arrangement="alone")
    for hidden in ("chronic_conditions", "family_doctor", "disability_certificate"):
        values.pop(hidden)
    assert client.post(f"{profile_url(elder)}edit/", values).status_code == 302
    elder.refresh_from_db()
    assert elder.living_arrangement == "alone"
    health = elder_health(elder)
    assert (health.chronic_conditions, health.family_doctor) == (["I10-I15"], "刘医生")


def test_edit_a_corrected_id_number_carries_its_birth_date(world: World) -> None:
    elder = make(world)
    fixed = id_number(world.div["XA1a"].code, "19410420")
    client = client_of(world, "community_worker")
    assert (
        client.post(f"{profile_url(elder)}edit/", form_values(elder, id_number=fixed)).status_code
        == 302
    )
    elder.refresh_from_db()
    assert elder.birth_date == datetime.date(1941, 4, 20)


def test_a_deceased_elder_needs_a_date_of_death_and_no_500(world: World) -> None:
    elder = make(world)
    client = client_of(world, "community_worker", english=True)
    response = client.post(f"{profile_url(elder)}edit/", form_values(elder, status="deceased"))
    assert response.status_code == 200
    assert "Give the date of death." in response.content.decode()
    elder.refresh_from_db()
    assert elder.status == ElderStatus.ACTIVE
    today = timezone.localdate().isoformat()
    client.post(
        f"{profile_url(elder)}edit/", form_values(elder, status="deceased", deceased_on=today)
    )
    elder.refresh_from_db()
    assert (elder.status, elder.deceased_on) == ("deceased", timezone.localdate())


def test_history_lists_changes_without_sealed_values(world: World) -> None:
    elder = make(world, address="旧路1号")
    services.elder_update(actor=world.user["city_admin"], elder=elder, address="新路2号")
    html = page(client_of(world, "community_worker"), f"{profile_url(elder)}history/")
    assert "旧路1号 → 新路2号" in html
    assert "_sealed" not in html and elder_id_number(elder) not in html
    assert elder.id_number_masked in html


# --------------------------------------------------------------------------------------------
# Contacts and consent


def test_contact_add_edit_and_remove(world: World) -> None:
    elder = make(world)
    client = client_of(world, "community_worker")
    response = client.post(
        f"{profile_url(elder)}contacts/new/",
        {
            "name": "王子",
            "relation": "child",
            "phones": "13900139000, 0371-65432100",
            "is_first_to_call": "on",
        },
    )
    assert response.status_code == 302
    contact = ElderContact.objects.get(elder=elder)
    assert contact.is_first_to_call and contact.relation == "child"
    assert contact_phones(contact) == ["13900139000", "037165432100"]
    html = page(client, profile_url(elder))
    assert "13900139000" in html and 'class="first-to-call"' in html
    second = client.post(
        f"{profile_url(elder)}contacts/new/",
        {"name": "邻居李", "relation": "neighbour", "phones": "13700137000"},
    )
    assert second.status_code == 302
    neighbour = ElderContact.objects.get(name="邻居李")
    assert not neighbour.is_first_to_call
    edit_url = f"{profile_url(elder)}contacts/{neighbour.external_id}/edit/"
    assert "13700137000" in page(client, edit_url)
    assert (
        client.post(
            edit_url, {"name": "邻居李四", "relation": "neighbour", "phones": "13700137000"}
        ).status_code
        == 302
    )
    neighbour.refresh_from_db()
    assert neighbour.name == "邻居李四"
    remove_url = f"{profile_url(elder)}contacts/{contact.external_id}/remove/"
    assert client.get(remove_url).status_code == 405
    assert client.post(remove_url).status_code == 302
    contact.refresh_from_db()
    neighbour.refresh_from_db()
    assert not contact.is_active and neighbour.is_first_to_call


def test_contact_without_a_phone_shows_the_error(world: World) -> None:
    elder = make(world)
    client = client_of(world, "community_worker", english=True)
    response = client.post(
        f"{profile_url(elder)}contacts/new/", {"name": "王子", "relation": "child", "phones": ""}
    )
    assert response.status_code == 200
    assert "Give at least one phone number for the contact." in response.content.decode()
    assert ElderContact.objects.count() == 0


def test_consent_record_and_withdraw(world: World) -> None:
    elder = make(world)
    client = client_of(world, "community_worker", english=True)
    form_page = page(client, f"{profile_url(elder)}consents/new/")
    assert f'value="{timezone.localdate().isoformat()}"' in form_page
    response = client.post(
        f"{profile_url(elder)}consents/new/",
        {
            "purpose": "health_with_doctors",
            "recipient": "社区卫生服务中心",
            "given_by": "guardian",
            "guardian_name": "",
            "given_on": timezone.localdate().isoformat(),
            "evidence": "",
        },
    )
    assert response.status_code == 200
    assert "Give the guardian&#x27;s name." in response.content.decode()
    response = client.post(
        f"{profile_url(elder)}consents/new/",
        {
            "purpose": "health_with_doctors",
            "recipient": "社区卫生服务中心",
            "given_by": "elder",
            "given_on": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 302
    consent = Consent.objects.get(elder=elder)
    assert consent.recorded_by_username == "community_worker"
    assert "社区卫生服务中心" in page(client, profile_url(elder))
    withdraw_url = f"{profile_url(elder)}consents/{consent.external_id}/withdraw/"
    assert client.post(withdraw_url, {"reason": "家属要求"}).status_code == 302
    consent.refresh_from_db()
    assert consent.withdrawn_on == timezone.localdate()
    assert consent.withdrawal_reason == "家属要求"
    again = client.post(withdraw_url, {"reason": "x"}, follow=True)
    assert again.status_code == 200
    assert "This consent was already withdrawn." in again.content.decode()


# --------------------------------------------------------------------------------------------
# Possible duplicates


def test_duplicate_review_same_person(world: World) -> None:
    older = make(world, name="陈重复", address="甲路1号")
    newer = make(world, name="陈重复", address="甲路1号")
    candidate = DuplicateCandidate.objects.get()
    client = client_of(world, "community_worker")
    assert text_of(page(client, "/elders/"), "open-duplicates") == "1"
    html = page(client, "/elders/duplicates/")
    assert older.id_number_masked in html and newer.id_number_masked in html
    assert elder_id_number(older) not in html
    response = client.post(
        "/elders/duplicates/",
        {"candidate": str(candidate.external_id), "status": "same_person", "note": "同一人"},
    )
    assert response.status_code == 302
    candidate.refresh_from_db()
    newer.refresh_from_db()
    assert (candidate.status, candidate.note) == ("same_person", "同一人")
    assert newer.status == ElderStatus.DUPLICATE and newer.duplicate_of_id == older.pk
    assert profile_url(newer) not in page(client, "/elders/")
    assert str(candidate.external_id) not in page(client, "/elders/duplicates/")


def test_duplicate_review_different_people_and_twice(world: World) -> None:
    make(world, name="陈重复")
    make(world, name="陈重复")
    candidate = DuplicateCandidate.objects.get()
    client = client_of(world, "street_officer", english=True)
    data = {"candidate": str(candidate.external_id), "status": "different_people"}
    assert client.post("/elders/duplicates/", data).status_code == 302
    candidate.refresh_from_db()
    assert candidate.status == DuplicateStatus.DIFFERENT_PEOPLE
    assert Elder.objects.filter(status=ElderStatus.DUPLICATE).count() == 0
    again = client.post("/elders/duplicates/", data, follow=True)
    assert again.status_code == 200
    assert "This pair was already reviewed." in again.content.decode()
    outsider = client_of(world, "worker_YA1a")
    assert outsider.post("/elders/duplicates/", data).status_code == 404


# --------------------------------------------------------------------------------------------
# Imports


def csv_upload(world: World, name: str = "elders.csv") -> SimpleUploadedFile:
    """Three rows: two good ones (community by code and by name), one with a wrong check
    character."""
    code = world.div["XA1a"].code
    good = id_number(code)
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    lines = [
        "姓名,身份证号码,所属社区,联系电话,居住情况",
        f"导入甲,{good},{code},13800138011,独居",
        f"导入乙,{id_number(code, '19450607', female=False)},社区XA1a,13800138012,与子女同住",
        f"导入丙,{bad},{code},13800138013,独居",
    ]
    return SimpleUploadedFile(name, ("\n".join(lines) + "\n").encode("utf-8"), "text/csv")


def test_import_upload_runs_the_job_and_shows_the_counts(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_of(world, "community_worker")
    form = page(client, "/elders/import/")
    assert 'id="import-form"' in form and 'name="dry_run"' in form
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/elders/import/", {"file": csv_upload(world)})
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/elders/imports/{job.external_id}/"
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    html = page(client, response["Location"])
    counts = {
        key: text_of(html, f"count-{key}")
        for key in ("processed", "created", "updated", "unchanged", "rejected", "duplicates")
    }
    assert counts == {
        "processed": "3",
        "created": "2",
        "updated": "0",
        "unchanged": "0",
        "rejected": "1",
        "duplicates": "0",
    }
    assert re.search(r'id="import-status"[^>]*data-status="done"', html)
    assert 'value="100"' in html and "hx-get" not in html
    assert f'href="/elders/imports/{job.external_id}/report.xlsx"' in html
    assert 'id="error-report"' in html and 'id="rejected-rows"' in html
    assert Elder.objects.filter(name__in=["导入甲", "导入乙"]).count() == 2
    fragment = page(client, f"/elders/imports/{job.external_id}/progress/")
    assert "<html" not in fragment and "hx-get" not in fragment
    report = client.get(f"/elders/imports/{job.external_id}/report.xlsx")
    assert report.status_code == 200
    sheet = load_workbook(io.BytesIO(report.content)).active
    assert sheet is not None and sheet.max_row >= 2
    assert job.filename in page(client, "/elders/import/")
    # Another user's import is not theirs to see.
    other = client_of(world, "street_officer")
    assert other.get(f"/elders/imports/{job.external_id}/").status_code == 404


def test_import_job_page_polls_while_the_job_waits(world: World) -> None:
    client = client_of(world, "community_worker")
    # Without running the on-commit callbacks, the job stays pending.
    response = client.post("/elders/import/", {"file": csv_upload(world), "dry_run": "on"})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and job.status == ImportStatus.PENDING and job.dry_run
    html = page(client, response["Location"])
    assert f'hx-get="/elders/imports/{job.external_id}/progress/"' in html
    assert 'hx-trigger="every 1s"' in html and 'hx-swap="outerHTML"' in html
    assert re.search(r'id="import-status"[^>]*data-status="pending"', html)
    assert text_of(html, "count-created") == "0"
    assert 'id="error-report"' not in html
    fragment = page(client, f"/elders/imports/{job.external_id}/progress/")
    assert 'hx-trigger="every 1s"' in fragment and "<html" not in fragment


def test_import_refuses_a_wrong_file_type(world: World) -> None:
    client = client_of(world, "community_worker", english=True)
    upload = SimpleUploadedFile("elders.pdf", b"%PDF-1.4", "application/pdf")
    response = client.post("/elders/import/", {"file": upload})
    assert response.status_code == 200
    assert "Upload an .xlsx or .csv file." in response.content.decode()
    assert ImportJob.objects.count() == 0


# --------------------------------------------------------------------------------------------
# Export


def export_rows(response: Any) -> list[tuple[Any, ...]]:
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(content(response)), read_only=True).worksheets[0]
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


def test_export_by_a_district_officer_holds_only_their_district(world: World) -> None:
    inside = make(world, community="XA2a", name="区内", address="=1+2")
    make(world, community="XB1a", name="区外")
    make(world, community="YA1a", name="城外")
    response = exported(client_of(world, "district_officer"), "/elders/export/")
    rows = export_rows(response)
    assert rows[0][:4] == ("姓名", "公民身份号码", "性别", "出生日期")
    assert [row[0] for row in rows[1:]] == ["区内"]
    assert rows[1][1] == elder_id_number(inside)
    assert rows[1][5] == "13800138000"
    assert rows[1][7] == "'=1+2"
    log = AccessLog.objects.get()
    assert (log.action, log.elder_count, log.fields) == ("export", 1, ["id_number", "phones"])
    export = AuditEvent.objects.get(action="export")
    assert export.changes["count"] == 1


def test_export_follows_the_filters_and_masks_for_auditors(world: World) -> None:
    alone = make(world, name="独居者", living_arrangement="alone")
    make(world, name="同住者", living_arrangement="with_children")
    rows = export_rows(
        exported(client_of(world, "auditor"), "/elders/export/", {"tag": "living_alone"})
    )
    assert [row[0] for row in rows[1:]] == ["独居者"]
    assert rows[1][1] == alone.id_number_masked and rows[1][5] == "138****8000"
    assert AccessLog.objects.count() == 0
    assert AuditEvent.objects.filter(action="export").count() == 1


# --------------------------------------------------------------------------------------------
# Access log


def test_access_log_page_and_export(world: World) -> None:
    elder = make(world)
    page(client_of(world, "community_worker"), profile_url(elder))
    client = client_of(world, "auditor")
    html = page(client, "/elders/access-log/")
    assert "community_worker" in html and profile_url(elder) in html
    assert page(client, "/elders/access-log/", username="nobody").count(profile_url(elder)) == 0
    html = page(client, "/elders/access-log/", elder=str(elder.external_id), field="phones")
    assert profile_url(elder) in html
    response = client.get("/elders/access-log/export.csv")
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "community_worker" in body and "id_number phones" in body
    assert AuditEvent.objects.filter(action="export").count() == 1
