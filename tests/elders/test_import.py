"""Spreadsheet imports: `yiyang import-elders`, upsert by ID number, per-row errors."""

from __future__ import annotations

import datetime
import io
import json
import os
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from openpyxl import Workbook, load_workbook

from tests.conftest import World
from tests.factories import citizen_id, make_elder
from yiyang.core.models import AuditEvent
from yiyang.elders import importing
from yiyang.elders.choices import ImportStatus
from yiyang.elders.models import DuplicateCandidate, Elder, ElderContact
from yiyang.elders.sensitive import elder_health, elder_phones

HEADER = [
    "姓名",
    "身份证号码",
    "性别",
    "出生日期",
    "联系电话",
    "所属社区",
    "居住情况",
    "经济状况",
    "慢性病",
    "紧急联系人",
    "与老人关系",
    "紧急联系人电话",
]


def idn(seq: int, birth: str = "19400315", female: bool = True) -> str:
    return citizen_id("419102", birth, seq, female=female)


def good_rows(world: World, n: int = 3) -> list[list[Any]]:
    code = world.div["XA1a"].code
    return [
        [
            f"老人{i}",
            idn(i),
            "女",
            "1940-03-15",
            f"1380013800{i}",
            code,
            "独居",
            "低保",
            "高血压、糖尿病",
            f"子女{i}",
            "儿子",
            f"1390013900{i}",
        ]
        for i in range(n)
    ]


def write_xlsx(path: Path, rows: list[list[Any]], header: list[str] = HEADER) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def write_csv(path: Path, rows: list[list[Any]], encoding: str = "utf-8-sig") -> Path:
    lines = [",".join(HEADER)] + [",".join(str(v) for v in row) for row in rows]
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def run(path: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    out, err = io.StringIO(), io.StringIO()
    code = 0
    try:
        call_command(
            "import-elders",
            str(path),
            "--no-progress",
            "--language",
            "en",
            *args,
            stdout=out,
            stderr=err,
        )
    except SystemExit as exc:
        code = int(exc.code or 0)
    lines = [line for line in out.getvalue().splitlines() if line.startswith("{")]
    return code, (json.loads(lines[-1]) if lines else {}), err.getvalue()


def test_import_creates_elders_with_contacts_and_history(world: World, tmp_path: Path) -> None:
    code, summary, _ = run(write_xlsx(tmp_path / "a.xlsx", good_rows(world)))
    assert code == 0
    assert (summary["created"], summary["rejected"], summary["status"]) == (3, 0, "done")
    elder = Elder.objects.get(name="老人1")
    assert elder.living_arrangement == "alone" and elder.economic_status == "minimum_living"
    assert elder_phones(elder) == ["13800138001"]
    assert elder_health(elder).chronic_conditions == ["E10-E14", "I10-I15"]
    contact = ElderContact.objects.get(elder=elder)
    assert (contact.name, contact.relation, contact.is_first_to_call) == ("子女1", "child", True)
    assert AuditEvent.objects.filter(object_id=str(elder.external_id), action="create").count() == 1


def test_reimport_changes_nothing_and_a_changed_row_updates(world: World, tmp_path: Path) -> None:
    rows = good_rows(world)
    path = write_xlsx(tmp_path / "a.xlsx", rows)
    run(path)
    before = {e.pk: e.updated_at for e in Elder.objects.all()}
    events = AuditEvent.objects.count()
    code, summary, _ = run(path)
    assert code == 0 and (summary["created"], summary["updated"], summary["unchanged"]) == (0, 0, 3)
    assert {e.pk: e.updated_at for e in Elder.objects.all()} == before
    assert AuditEvent.objects.count() == events + 1  # only the import itself is audited
    rows[1][6] = "与子女居住"
    code, summary, _ = run(write_xlsx(tmp_path / "b.xlsx", rows))
    assert (summary["updated"], summary["unchanged"]) == (1, 2)
    assert Elder.objects.get(name="老人1").living_arrangement == "with_children"


def test_empty_cells_never_erase_and_missing_optional_columns_are_kept(
    world: World, tmp_path: Path
) -> None:
    run(write_xlsx(tmp_path / "a.xlsx", good_rows(world, 1)))
    code = world.div["XA1a"].code
    partial = write_xlsx(
        tmp_path / "b.xlsx",
        [["老人0", idn(0), code, ""]],
        header=["姓名", "身份证号码", "所属社区", "联系电话"],
    )
    result, summary, _ = run(partial)
    assert result == 0 and summary["unchanged"] == 1
    assert elder_phones(Elder.objects.get()) == ["13800138000"]


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        (1, "419102194003150071", "check character"),
        (1, "419102214003150078", "future"),
        (2, "男", "The ID number says Female"),
        (3, "1941-03-15", "The ID number says born on 1940-03-15"),
        (4, "12345", "11-digit mobile"),
        (5, "不存在社区", "No community named 不存在社区"),
        (6, "住在月球", "Unknown value"),
        (0, None, "required"),
    ],
)
def test_bad_cells_reject_the_row_with_the_reason_and_keep_the_rest(
    world: World, tmp_path: Path, column: int, value: Any, reason: str
) -> None:
    rows = good_rows(world)
    rows[1][column] = value
    report = tmp_path / "report.xlsx"
    code, summary, _ = run(write_xlsx(tmp_path / "a.xlsx", rows), "--report", str(report))
    assert code == 1
    assert (summary["created"], summary["rejected"]) == (2, 1)
    assert not Elder.objects.filter(name="老人1").exists()
    sheet = load_workbook(report).active
    assert sheet is not None
    found = [list(r) for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert len(found) >= 1 and found[0][0] == 3  # the sheet row (header is row 1)
    assert found[0][1] == HEADER[column]
    assert any(reason in str(r[3]) for r in found), found


def test_excel_date_serials_and_text_dates_and_phone_formats(world: World, tmp_path: Path) -> None:
    rows = good_rows(world, 4)
    rows[0][3] = datetime.datetime(1940, 3, 15)  # a real date cell
    rows[1][3] = 14685  # the Excel serial of 1940-03-15
    rows[2][3] = "1940年3月15日"
    rows[3][3] = "1940/3/15"
    rows[0][4] = "+86 138 0013 8000"
    rows[1][4] = "138-0013-8001、0371-65432100"
    code, summary, err = run(write_xlsx(tmp_path / "a.xlsx", rows))
    assert code == 0, err
    assert summary["created"] == 4
    assert elder_phones(Elder.objects.get(name="老人1")) == ["13800138001", "037165432100"]


def test_duplicate_rows_in_one_file(world: World, tmp_path: Path) -> None:
    rows = good_rows(world)
    rows.append(list(rows[0]))
    code, summary, err = run(write_xlsx(tmp_path / "a.xlsx", rows))
    assert code == 1 and (summary["created"], summary["rejected"]) == (3, 1)
    assert "The same ID number as row 2 of this file." in err


def test_near_duplicates_in_a_file_go_to_review(world: World, tmp_path: Path) -> None:
    rows = good_rows(world, 2)
    rows[1][0] = rows[0][0]  # same name and birth date, different ID
    code, summary, _ = run(write_xlsx(tmp_path / "a.xlsx", rows))
    assert code == 0 and summary["possible_duplicates"] == 1
    assert DuplicateCandidate.objects.count() == 1


def test_gbk_csv_without_bom(world: World, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", good_rows(world), encoding="gbk")
    code, summary, _ = run(path)
    assert code == 0 and summary["created"] == 3
    assert Elder.objects.filter(name="老人2").exists()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig"])
def test_utf8_csv_with_and_without_bom(world: World, tmp_path: Path, encoding: str) -> None:
    code, summary, _ = run(write_csv(tmp_path / "a.csv", good_rows(world), encoding=encoding))
    assert code == 0 and summary["created"] == 3


def test_formula_cell_rejects_its_row(world: World, tmp_path: Path) -> None:
    rows = good_rows(world)
    rows[2][0] = '=CONCATENATE("老","人")'
    code, summary, err = run(write_xlsx(tmp_path / "a.xlsx", rows))
    assert code == 1 and summary["rejected"] == 1
    assert "formula" in err


def test_missing_required_columns_is_unreadable(world: World, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "a.xlsx", [["老人", "13800138000"]], header=["姓名", "联系电话"])
    code, summary, err = run(path)
    assert code == 2 and summary["status"] == "failed"
    assert "身份证" in err or "id_number" in err
    assert Elder.objects.count() == 0


def test_binary_renamed_xlsx_is_unreadable(world: World, tmp_path: Path) -> None:
    path = tmp_path / "big.xlsx"
    path.write_bytes(os.urandom(10 * 1024 * 1024))
    code, summary, _ = run(path)
    assert code == 2 and summary["status"] == "failed"
    assert Elder.objects.count() == 0


def test_missing_file_and_wrong_extension_exit_2(world: World, tmp_path: Path) -> None:
    assert run(tmp_path / "nope.xlsx")[0] == 2
    other = tmp_path / "a.xls"
    other.write_bytes(b"whatever")
    assert run(other)[0] == 2


def test_extra_columns_are_ignored_with_a_warning(world: World, tmp_path: Path) -> None:
    rows = [row + ["备注内容"] for row in good_rows(world)]
    code, summary, _ = run(write_xlsx(tmp_path / "a.xlsx", rows, header=HEADER + ["备注"]))
    assert code == 0 and summary["created"] == 3
    assert any("备注" in w for w in summary["warnings"])


def test_dry_run_counts_and_writes_nothing(world: World, tmp_path: Path) -> None:
    rows = good_rows(world)
    rows[2][1] = "419102194003150071"
    code, summary, _ = run(write_xlsx(tmp_path / "a.xlsx", rows), "--dry-run")
    assert code == 1 and (summary["created"], summary["rejected"]) == (2, 1)
    assert summary["dry_run"] is True
    assert Elder.objects.count() == 0 and ElderContact.objects.count() == 0
    assert not AuditEvent.objects.filter(object_type="elders.elder").exists()


def test_user_scope_applies_to_imports(world: World, tmp_path: Path) -> None:
    make_elder(world.user["city_admin"], world.div["XA2a"], id_number=idn(0))
    rows = good_rows(world)
    rows[1][5] = world.div["XA2a"].code  # outside the community worker's community
    code, summary, err = run(write_xlsx(tmp_path / "a.xlsx", rows), "--user", "community_worker")
    assert code == 1
    # Row 2 updates an elder registered elsewhere; row 3 names another community.
    assert (summary["created"], summary["rejected"]) == (1, 2)
    assert "outside your jurisdiction" in err


def test_resume_after_a_crash_continues_after_the_last_committed_chunk(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importing, "CHUNK_ROWS", 2)
    path = write_xlsx(tmp_path / "a.xlsx", good_rows(world, 5))
    actor = world.user["city_admin"]
    job = importing.import_job_create(actor=actor, filename="a.xlsx", content=path.read_bytes())
    real = importing.import_chunk
    calls = {"n": 0}

    def crash_on_second(**kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("worker killed")
        return real(**kwargs)

    monkeypatch.setattr(importing, "import_chunk", crash_on_second)
    with pytest.raises(RuntimeError):
        importing.import_job_run(job=job, actor=actor)
    job.refresh_from_db()
    assert (job.status, job.resume_after_row, job.created_count) == (ImportStatus.RUNNING, 3, 2)
    assert Elder.objects.count() == 2  # the first chunk committed, the second rolled back
    monkeypatch.setattr(importing, "import_chunk", real)
    job = importing.import_job_run(job=job, actor=actor)
    assert (job.status, job.created_count, job.processed_rows) == (ImportStatus.DONE, 5, 5)
    assert Elder.objects.count() == 5
    assert not job.file  # the uploaded data is deleted once imported


def test_reimporting_an_old_file_keeps_a_later_edit(world: World, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "a.xlsx", good_rows(world))
    run(path)
    from yiyang.elders.services import elder_update

    elder = Elder.objects.get(name="老人1")
    elder_update(actor=world.user["community_worker"], elder=elder, living_arrangement="other")
    code, summary, _ = run(path)  # the file did not change since it was imported
    assert code == 0 and summary["unchanged"] == 3
    assert Elder.objects.get(name="老人1").living_arrangement == "other"


def test_reimport_by_someone_outside_the_jurisdiction_is_rejected(
    world: World, tmp_path: Path
) -> None:
    path = write_xlsx(tmp_path / "a.xlsx", good_rows(world))
    run(path)
    code, summary, _ = run(path, "--user", "worker_ya1a")
    assert code == 1 and (summary["unchanged"], summary["rejected"]) == (0, 3)


def test_cli_resumes_a_stalled_job(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importing, "CHUNK_ROWS", 2)
    path = write_xlsx(tmp_path / "a.xlsx", good_rows(world, 3))
    actor = world.user["city_admin"]
    job = importing.import_job_create(actor=actor, filename="a.xlsx", content=path.read_bytes())
    real = importing.import_chunk
    calls = {"n": 0}

    def crash_on_second(**kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("worker killed")
        return real(**kwargs)

    monkeypatch.setattr(importing, "import_chunk", crash_on_second)
    with pytest.raises(RuntimeError):
        importing.import_job_run(job=job, actor=actor)
    monkeypatch.setattr(importing, "import_chunk", real)
    out = io.StringIO()
    call_command(
        "import-elders",
        "--resume",
        str(job.external_id),
        "--no-progress",
        "--language",
        "en",
        stdout=out,
        stderr=io.StringIO(),
    )
    job.refresh_from_db()
    assert (job.status, job.created_count) == (ImportStatus.DONE, 3)
    assert run(tmp_path / "x.xlsx", "--resume", str(job.external_id))[0] == 2  # finished now
