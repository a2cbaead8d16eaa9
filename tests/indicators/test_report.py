from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.http import Http404
from openpyxl import load_workbook

from tests.conftest import World
from tests.indicators.conftest import elder
from yiyang.core.models import AuditEvent
from yiyang.core.permissions import Role
from yiyang.indicators.report import report_build
from yiyang.indicators.selectors import current_month, month_add


def test_pdf_embeds_the_chinese_font_and_is_audited(world: World) -> None:
    elder(world.div["XA1a"])
    content = report_build(
        actor=world.user[Role.CITY_ADMIN], month=current_month(), division=world.div["X"]
    )
    assert content.startswith(b"%PDF")
    # The font program travels inside the file (a TrueType subset), not a reference to a
    # font the reader must have.
    assert b"/FontFile2" in content and b"WenQuanYiMicroHei" in content
    event = AuditEvent.objects.get(action="export")
    assert event.division_code == world.div["X"].code


def test_xlsx_has_one_sheet_per_table_in_chinese(world: World) -> None:
    elder(world.div["XA1a"])
    content = report_build(
        actor=world.user[Role.DISTRICT_OFFICER],
        month=current_month(),
        division=world.div["XA"],
        fmt="xlsx",
    )
    book = load_workbook(io.BytesIO(content))
    assert len(book.sheetnames) == 4
    first = book[book.sheetnames[0]]
    assert "区XA" in first["A1"].value
    names = [row[0].value for row in first.iter_rows(min_row=5)]
    assert "登记老年人" in names
    ranking = book[book.sheetnames[2]]
    assert sorted(row[0].value for row in ranking.iter_rows(min_row=5)) == ["街XA1", "街XA2"]


def test_report_scope_and_bad_input(world: World, tmp_path: Path) -> None:
    with pytest.raises(Http404):
        report_build(
            actor=world.user[Role.STREET_OFFICER], month=current_month(), division=world.div["XA"]
        )
    future = month_add(current_month(), 1)
    with pytest.raises(CommandError, match=f"month: {future:%Y-%m}"):
        call_command(
            "monthly-report", "--month", f"{future:%Y-%m}", "--out", str(tmp_path / "r.pdf")
        )
    with pytest.raises(CommandError, match=r"division: .*999999"):
        call_command(
            "monthly-report",
            "--month",
            f"{current_month():%Y-%m}",
            "--division",
            "999999",
            "--out",
            str(tmp_path / "r.pdf"),
        )
    assert not (tmp_path / "r.pdf").exists()
    call_command(
        "monthly-report",
        "--month",
        f"{current_month():%Y-%m}",
        "--division",
        world.div["XA"].code,
        "--out",
        str(tmp_path / "r.xlsx"),
    )
    assert (tmp_path / "r.xlsx").stat().st_size > 1000
