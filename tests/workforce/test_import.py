"""Roster imports: the error report, one person per ID number, conflicts, re-imports."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from tests.factories import UserFactory
from tests.visits.conftest import Care
from tests.workforce.conftest import person_id, roster_file
from yiyang.core.permissions import Role
from yiyang.services.models import Caregiver, Certificate
from yiyang.workforce.models import Employment, Person, RosterConflict
from yiyang.workforce.selectors import roster_conflicts
from yiyang.workforce.services import roster_import

pytestmark = pytest.mark.django_db


def _good(seq: int, name: str = "陈护理", **extra: str) -> list[str]:
    row = [name, person_id(seq), "", "高中", "四级", "2024-03-01", "", "", "", "", ""]
    for index, key in enumerate(
        [
            "name",
            "id",
            "sex",
            "edu",
            "level",
            "hired",
            "left",
            "reason",
            "cert",
            "expires",
            "employer",
        ]
    ):
        if key in extra:
            row[index] = extra[key]
    return row


def test_import_writes_valid_rows_and_reports_each_bad_one(roster: Care, tmp_path: Path) -> None:
    wrong_check = person_id(9)[:-1] + ("0" if person_id(9)[-1] != "0" else "1")
    path = roster_file(
        tmp_path,
        [
            _good(1, cert="ZS001", expires="2027-01-01"),
            _good(2, name="错号", id=wrong_check),
            _good(3, name="早走", hired="2024-05-01", left="2024-04-01", reason="家庭原因"),
            _good(4, name="怪级", level="六级"),
            _good(5, name="外人", employer="居家公司YA"),
        ],
    )

    result = roster_import(actor=roster.manager, path=path, provider=roster.provider)

    assert (result.rows, result.created, result.rejected, result.exit_code) == (5, 1, 4, 1)
    reasons = {(e.row, e.column): e.reason for e in result.errors}
    assert set(reasons) == {(3, "身份证号"), (4, "离职日期"), (5, "技能等级"), (6, "所属机构")}
    assert "check character" in reasons[(3, "身份证号")]
    assert "before the hire date" in reasons[(4, "离职日期")]
    person = Person.objects.get(name="陈护理")
    assert (person.skill_level, person.education, person.sex) == ("4", "senior", "female")
    assert person.id_number_masked == person_id(1)[:6] + "********" + person_id(1)[-4:]
    assert person_id(1) not in person.id_number_ciphertext
    employment = person.employments.get()
    assert employment.caregiver.provider == roster.provider
    assert Certificate.objects.get(caregiver=employment.caregiver).number == "ZS001"
    sheet = load_workbook(io.BytesIO(result.report_xlsx())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Row", "Column", "Value", "Reason")
    assert [r[0] for r in rows[1:5]] == [3, 4, 5, 6]


def test_dry_run_and_all_or_nothing_write_nothing(roster: Care, tmp_path: Path) -> None:
    path = roster_file(tmp_path, [_good(1), _good(2, name="怪级", level="六级")])
    before = (Person.objects.count(), Caregiver.objects.count())

    dry = roster_import(actor=roster.manager, path=path, provider=roster.provider, dry_run=True)
    strict = roster_import(
        actor=roster.manager, path=path, provider=roster.provider, all_or_nothing=True
    )

    assert (dry.created, dry.rejected, dry.written) == (1, 1, False)
    assert (strict.rejected, strict.written) == (1, False)
    assert (Person.objects.count(), Caregiver.objects.count()) == before


def test_reimport_updates_and_a_leave_stops_dispatch(roster: Care, tmp_path: Path) -> None:
    roster_import(
        actor=roster.manager, path=roster_file(tmp_path, [_good(1)]), provider=roster.provider
    )
    again = roster_import(
        actor=roster.manager,
        provider=roster.provider,
        path=roster_file(tmp_path, [_good(1, left="2025-06-30", reason="薪酬")], "again.csv"),
    )

    assert (again.created, again.updated, again.rejected) == (0, 1, 0)
    employment = Employment.objects.get(person__name="陈护理")
    assert (employment.left_on.isoformat(), employment.leave_reason) == ("2025-06-30", "pay")
    assert employment.caregiver.status == "left"


def test_person_on_two_rosters_is_reported_to_both(roster: Care, world, tmp_path: Path) -> None:
    roster_import(
        actor=roster.manager, path=roster_file(tmp_path, [_good(1)]), provider=roster.provider
    )
    other = world.org["station_XA1a"]
    other_manager = UserFactory(username="m_other", role=Role.PROVIDER_MANAGER, organisation=other)

    result = roster_import(
        actor=other_manager, path=roster_file(tmp_path, [_good(1)], "b.csv"), provider=other
    )

    assert (result.rejected, result.conflicts) == (1, 1)
    assert "居家公司P" in result.errors[0].reason
    assert Employment.objects.filter(person__name="陈护理").count() == 1
    conflict = RosterConflict.objects.get()
    assert list(roster_conflicts(actor=roster.manager)) == [conflict]
    assert list(roster_conflicts(actor=other_manager)) == [conflict]


def test_caregiver_registered_before_the_roster_gets_the_id(roster: Care, tmp_path: Path) -> None:
    wang = roster.caregivers["wang"]
    path = roster_file(tmp_path, [_good(7, name="王护理", hired="2020-01-01")])

    result = roster_import(actor=roster.manager, path=path, provider=roster.provider)

    assert (result.created, result.updated) == (0, 1)
    employment = Employment.objects.get(caregiver=wang)
    assert employment.person.id_number_masked.endswith(person_id(7)[-4:])
    assert employment.hired_on.isoformat() == "2020-01-01"


def test_command_exit_codes(roster: Care, tmp_path: Path) -> None:
    good = roster_file(tmp_path, [_good(1, employer="居家公司P")])
    bad = roster_file(tmp_path, [_good(2, level="六级", employer="居家公司P")], "bad.csv")
    unreadable = tmp_path / "x.pdf"
    unreadable.write_bytes(b"%PDF")
    report = tmp_path / "report.xlsx"

    call_command("import-caregivers", str(good), stdout=io.StringIO())
    with pytest.raises(SystemExit) as rejected:
        call_command(
            "import-caregivers",
            str(bad),
            "--report",
            str(report),
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
    with pytest.raises(SystemExit) as failed:
        call_command("import-caregivers", str(unreadable), stderr=io.StringIO())

    assert (rejected.value.code, failed.value.code) == (1, 2)
    assert report.exists()
    assert Person.objects.filter(name="陈护理").count() == 1
