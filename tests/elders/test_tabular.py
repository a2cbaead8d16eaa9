"""Reading spreadsheets: formats, encodings, header detection, huge empty sheets."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from yiyang.elders.tabular import UnreadableFile, normalise_header, open_table

ID = "419102194003150014"


def xlsx(path: Path, rows: list[list[object]]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def read(path: Path) -> list[tuple[int, dict[str, object], frozenset[str]]]:
    with open_table(path) as table:
        return [(r.number, r.values, r.formulas) for r in table.rows]


def test_headers_in_chinese_or_english_with_notes_and_marks() -> None:
    assert normalise_header(" *姓名（必填） ") == normalise_header("姓名")
    assert normalise_header("出生日期(yyyy-mm-dd)") == normalise_header("出生日期")
    assert normalise_header("ID_Number") == normalise_header("id number")


def test_title_row_above_the_header_and_row_numbers(tmp_path: Path) -> None:
    path = xlsx(
        tmp_path / "a.xlsx",
        [
            ["某某社区老年人信息表"],
            ["name", "ID number", "Community", "备注"],
            ["甲", ID, "419102001001", "x"],
            [None, None, None, None],
            ["乙", ID, "社区", None],
        ],
    )
    with open_table(path) as table:
        assert table.header_row == 2
        assert table.unknown_headers == ["备注"]
        rows = [(r.number, r.values["name"]) for r in table.rows]
    assert rows == [(3, "甲"), (5, "乙")]  # the empty row 4 is skipped, numbering kept


def test_formula_cell_is_marked_and_has_no_value(tmp_path: Path) -> None:
    path = xlsx(
        tmp_path / "a.xlsx",
        [
            ["姓名", "身份证号码", "所属社区"],
            ['=CONCAT("a","b")', ID, "419102001001"],
        ],
    )
    ((number, values, formulas),) = read(path)
    assert (number, values["name"], formulas) == (2, None, frozenset({"name"}))


def test_missing_required_columns_named(tmp_path: Path) -> None:
    path = xlsx(tmp_path / "a.xlsx", [["姓名", "电话"], ["甲", "13800138000"]])
    with pytest.raises(UnreadableFile, match=r"公民身份号码 \(id_number\).*所属社区 \(community\)"):
        open_table(path)


def test_two_columns_with_one_meaning(tmp_path: Path) -> None:
    path = xlsx(tmp_path / "a.xlsx", [["姓名", "身份证号码", "身份证号", "社区"]])
    with pytest.raises(UnreadableFile, match="身份证号码 and 身份证号"):
        open_table(path)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.xlsx", os.urandom(10 * 1024 * 1024), "not an Excel workbook"),
        ("a.xlsx", b"", "empty"),
        ("a.xls", b"\xd0\xcf\x11\xe0", ".xls"),
        ("a.pdf", b"%PDF-1.4", "upload an .xlsx or .csv"),
        ("a.csv", b"\x00\x01\x02binary", "binary"),
        ("a.csv", "姓名,身份证号码,所属社区\n".encode("utf-16"), "binary"),
    ],
)
def test_unreadable_files(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(UnreadableFile, match=message):
        open_table(path)


def test_truncated_workbook(tmp_path: Path) -> None:
    good = xlsx(tmp_path / "good.xlsx", [["姓名", "身份证号码", "所属社区"], ["甲", ID, "1"]])
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(UnreadableFile):
        open_table(broken)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(f"姓名,身份证号码,所属社区\n张秀英,{ID},幸福社区\n".encode(encoding))
    assert read(path) == [
        (2, {"name": "张秀英", "id_number": ID, "community": "幸福社区"}, frozenset())
    ]


def test_csv_semicolons_and_short_rows(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text(f"姓名;身份证号码;所属社区;电话\n甲;{ID};社区\n", encoding="utf-8")
    ((_, values, _),) = read(path)
    assert values == {"name": "甲", "id_number": ID, "community": "社区", "phones": None}


def test_a_sheet_with_1048576_empty_rows(tmp_path: Path) -> None:
    """A sheet formatted down to Excel's last row: every <row> element exists, empty."""
    small = xlsx(
        tmp_path / "small.xlsx",
        [["姓名", "身份证号码", "所属社区"], ["甲", ID, "1"], ["乙", ID, "1"], ["丙", ID, "1"]],
    )
    path = tmp_path / "huge.xlsx"
    with zipfile.ZipFile(small) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                empty = "".join(f'<row r="{n}" s="1" customFormat="1"/>' for n in range(5, 1048577))
                text = text.replace("</sheetData>", empty + "</sheetData>")
                text = text.replace('<dimension ref="A1:C4"', '<dimension ref="A1:W1048576"')
                data = text.encode()
            out.writestr(item, data)
    rows = read(path)
    assert [number for number, _, _ in rows] == [2, 3, 4]
