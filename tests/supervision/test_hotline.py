"""The 12345 import: all rows or none, each bad row named."""

from __future__ import annotations

import datetime
from pathlib import Path

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from tests.conftest import World, login
from yiyang.core.permissions import Role
from yiyang.supervision.models import Complaint
from yiyang.supervision.services.hotline import hotline_import

HEADER = "工单编号,受理时间,被投诉单位,诉求内容,投诉类别\n"


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "12345.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def test_a_clean_file_is_imported(world: World, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "GD1,2025-03-03 09:30,院XA1a,护理员迟到,服务质量\n"
        "GD2,2025/03/04 10:00,站_XA1b,收费不透明,收费\n",
    )
    report = hotline_import(actor=world.user[Role.OPERATOR], path=path)
    assert (report.rows, report.imported, report.errors) == (2, 2, [])
    assert sorted(Complaint.objects.values_list("work_order", "channel", "category")) == [
        ("GD1", "hotline_12345", "service_quality"),
        ("GD2", "hotline_12345", "charges"),
    ]


def test_bad_rows_refuse_the_whole_file(world: World, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "GD1,2025-03-03 09:30,院XA1a,迟到,\n"
        "GD1,2025-03-03 09:31,院XA1a,重复,\n"
        "GD3,2099-01-01 00:00,院XA1a,未来,\n"
        "GD4,2025-03-03,不存在的单位,未知,\n"
        "GD5,2025-03-03,站_YA1a,辖区外,\n",
    )
    report = hotline_import(actor=world.user[Role.OPERATOR], path=path)
    assert [(row, column) for row, column, _reason in report.errors] == [
        (3, "work_order"),
        (4, "received_at"),
        (5, "organisation"),
        (6, "organisation"),
    ]
    assert report.imported == 0 and not Complaint.objects.exists()


def workbook(tmp_path: Path, rows: list[list[object]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER.strip().split(","))
    for row in rows:
        sheet.append(row)
    path = tmp_path / "12345.xlsx"
    book.save(path)
    return path


def test_an_excel_export_with_date_cells_is_imported(world: World, tmp_path: Path) -> None:
    path = workbook(
        tmp_path,
        [
            ["GD7", datetime.datetime(2025, 3, 3, 9, 30), "院XA1a", "夜间无人值守", "安全"],
            ["GD8", "2025-03-04 10:00", "站_XA1b", "饭菜偏咸", None],
        ],
    )
    report = hotline_import(actor=world.user[Role.OPERATOR], path=path)
    assert (report.rows, report.imported, report.errors) == (2, 2, [])
    complaint = Complaint.objects.get(work_order="GD7")
    assert (complaint.category, complaint.channel) == ("safety", "hotline_12345")
    assert timezone.localtime(complaint.received_at).isoformat() == "2025-03-03T09:30:00+08:00"
    assert Complaint.objects.get(work_order="GD8").category == "other"


def test_the_page_imports_a_workbook_or_reports_every_bad_row(world: World, tmp_path: Path) -> None:
    operator = login(Client(), world.user[Role.OPERATOR])
    assert (
        "/supervision/complaints/import/"
        in operator.get("/supervision/complaints/").content.decode()
    )
    bad = workbook(
        tmp_path,
        [
            ["GD1", datetime.datetime(2025, 3, 3, 9, 30), "院XA1a", "迟到", None],
            ["GD1", datetime.datetime(2099, 1, 1), "不存在的单位", "重复", None],
        ],
    )
    with bad.open("rb") as handle:
        html = operator.post("/supervision/complaints/import/", {"file": handle}).content.decode()
    assert 'id="hotline-report"' in html and not Complaint.objects.exists()
    for reason in ("该工单编号在文件中重复出现", "日期晚于今天", "您的辖区内没有该名称的服务机构"):
        assert reason in html, reason
    good = workbook(
        tmp_path, [["GD1", datetime.datetime(2025, 3, 3, 9, 30), "院XA1a", "迟到", None]]
    )
    with good.open("rb") as handle:
        response = operator.post("/supervision/complaints/import/", {"file": handle}, follow=True)
    assert "hotline-report" not in response.content.decode()
    assert list(Complaint.objects.values_list("work_order", flat=True)) == ["GD1"]
    unreadable = SimpleUploadedFile("12345.xls", b"old excel")
    html = operator.post("/supervision/complaints/import/", {"file": unreadable}).content.decode()
    assert ".xlsx" in html and Complaint.objects.count() == 1
    evaluator = login(Client(), world.user[Role.EVALUATOR])
    assert evaluator.get("/supervision/complaints/import/").status_code == 403
