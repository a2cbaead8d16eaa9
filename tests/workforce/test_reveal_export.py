"""A caregiver's full ID number (POST, allowed roles, audited) and the roster export
(.xlsx with the import's headers, formula-safe cells, audited)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.test import Client
from openpyxl import load_workbook

from tests.conftest import login, token_for
from tests.exporting import content, exported
from tests.visits.conftest import Care
from tests.workforce.conftest import person_id, roster_file
from yiyang.core.models import AuditEvent
from yiyang.core.permissions import Role
from yiyang.workforce.models import Person
from yiyang.workforce.services import roster_import

pytestmark = pytest.mark.django_db


def _imported(roster: Care, tmp_path: Path) -> Person:
    path = roster_file(
        tmp_path,
        [
            [
                "孟护理",
                person_id(41),
                "",
                "大专",
                "三级",
                "2022-03-01",
                "",
                "",
                "ZS41",
                "2031-06-30",
                "",
            ],
        ],
    )
    roster_import(actor=roster.manager, path=path, provider=roster.provider)
    return Person.objects.get(name="孟护理")


def test_the_full_id_number_is_shown_on_post_and_audited(roster: Care, tmp_path: Path) -> None:
    person = _imported(roster, tmp_path)
    admin = login(Client(), roster.world.user[Role.CITY_ADMIN])
    page = f"/workforce/people/{person.external_id}/"

    before = admin.get(page).content.decode()
    by_get = admin.get(f"{page}id-number/")
    shown = admin.post(f"{page}id-number/")

    assert person_id(41) not in before and 'id="reveal-form"' in before
    assert by_get.status_code == 405
    assert shown.status_code == 200 and person_id(41) in shown.content.decode()
    assert shown["Cache-Control"] == "no-store"
    event = AuditEvent.objects.get(action="view_sealed", object_type="workforce.person")
    assert (event.actor_username, event.object_id, event.changes) == (
        "city_admin",
        str(person.external_id),
        {"fields": ["id_number"]},
    )


@pytest.mark.parametrize(
    ("who", "status"),
    [("manager", 403), (Role.AUDITOR, 403), (Role.DISTRICT_OFFICER, 200), ("admin_Y", 404)],
)
def test_who_may_see_the_full_id_number(
    roster: Care, tmp_path: Path, who: str, status: int
) -> None:
    person = _imported(roster, tmp_path)
    user = roster.manager if who == "manager" else roster.world.user[who]
    page = login(Client(), user)
    api = Client(HTTP_AUTHORIZATION=f"Token {token_for(user)}")

    by_page = page.post(f"/workforce/people/{person.external_id}/id-number/")
    by_api = api.post(f"/api/v1/workforce/people/{person.external_id}/id-number/")

    assert (by_page.status_code, by_api.status_code) == (status, status)
    if status == 200:
        assert by_api.json() == {"id_number": person_id(41)}
    else:
        assert person_id(41) not in by_page.content.decode() + by_api.content.decode()
    assert AuditEvent.objects.filter(action="view_sealed").count() == (2 if status == 200 else 0)


def _sheet(response) -> list[tuple]:  # type: ignore[no-untyped-def]
    data = content(response)
    return list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))


def test_the_roster_export(roster: Care, tmp_path: Path) -> None:
    _imported(roster, tmp_path)
    Person.objects.filter(name="王护理").update(name='=HYPERLINK("http://x.example","a")')
    admin = login(Client(), roster.world.user[Role.CITY_ADMIN])
    auditor = login(Client(), roster.world.user[Role.AUDITOR])

    full = _sheet(exported(admin, "/workforce/export/?skill_level=3"))
    everyone = _sheet(exported(admin, "/workforce/export/"))
    masked = _sheet(exported(auditor, "/workforce/export/?skill_level=3"))
    provider = _sheet(exported(login(Client(), roster.manager), "/workforce/export/"))
    family = exported(login(Client(), roster.world.user[Role.FAMILY]), "/workforce/export/")

    assert full[0][:5] == ("姓名", "身份证号", "性别", "学历", "技能等级")
    assert len(full) == 2
    row = dict(zip(full[0], full[1], strict=True))
    assert (row["姓名"], row["身份证号"], row["证书编号"], row["所属机构"]) == (
        "孟护理",
        person_id(41),
        "ZS41",
        roster.provider.licence_number or roster.provider.name,
    )
    assert str(row["离职日期"] or "") == ""
    assert masked[1][1] == person_id(41)[:6] + "********" + person_id(41)[-4:]
    assert '\'=HYPERLINK("http://x.example","a")' in [r[0] for r in everyone]
    assert sorted(r[0] for r in provider[1:]) == sorted(r[0] for r in everyone[1:])
    assert person_id(41) not in [r[1] for r in provider]  # masked for a provider
    assert family.status_code == 403
    exports = AuditEvent.objects.filter(action="export", object_type="workforce.employment")
    assert [
        (e.actor_username, e.changes["count"], e.changes["fields"]) for e in exports.order_by("id")
    ] == [
        ("city_admin", 1, ["id_number"]),
        ("city_admin", 4, ["id_number"]),
        ("auditor", 1, []),
        ("manager_p", 4, []),
    ]


def test_an_exported_roster_imports_again(roster: Care, tmp_path: Path) -> None:
    _imported(roster, tmp_path)
    admin = roster.world.user[Role.CITY_ADMIN]
    response = exported(login(Client(), admin), "/workforce/export/?skill_level=3")
    path = tmp_path / "export.xlsx"
    path.write_bytes(content(response))

    again = roster_import(actor=admin, path=path)

    assert (again.rows, again.updated, again.rejected) == (1, 1, 0)
