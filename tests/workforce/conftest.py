"""The home-care world of tests/visits, with its caregivers adopted into the roster, and a
helper writing roster files."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from tests.factories import citizen_id
from tests.visits.conftest import Care, care
from yiyang.workforce.services import person_adopt_caregivers

HEADER = [
    "姓名",
    "身份证号",
    "性别",
    "学历",
    "技能等级",
    "入职日期",
    "离职日期",
    "离职原因",
    "证书编号",
    "证书有效期",
    "所属机构",
]


def person_id(seq: int, *, birth: str = "19800101", female: bool = True) -> str:
    return citizen_id("410102", birth, seq, female=female)


def roster_file(tmp_path: Path, rows: list[list[Any]], name: str = "roster.csv") -> Path:
    path = tmp_path / name
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


@pytest.fixture
def roster(care: Care) -> Care:
    person_adopt_caregivers()
    return care


__all__ = ["care", "person_id", "roster", "roster_file"]
