"""The 12345 import: all rows or none, each bad row named."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import World
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
