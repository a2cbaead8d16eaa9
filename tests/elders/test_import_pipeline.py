"""Large imports with worker processes: the same result as one process, whatever happens to
a worker; tokens made ahead are never shared."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

from tests.conftest import World
from tests.elders.test_import import idn, write_xlsx
from yiyang.core import crypto
from yiyang.core.bulk import insert_rows
from yiyang.core.models import AuditEvent
from yiyang.elders import importing
from yiyang.elders.choices import ImportStatus
from yiyang.elders.models import DuplicateCandidate, Elder, ElderContact, ElderLookup
from yiyang.elders.sensitive import (
    Ahead,
    computed_ahead,
    contact_phones,
    elder_health,
    elder_id_number,
    elder_insurance_number,
    elder_phones,
    id_hash,
    pinyin_initials,
    seal,
    unseal,
)

pytestmark = pytest.mark.slow  # forks worker processes


def sample_rows(world: World) -> list[dict[str, Any]]:
    """Good rows, bad cells, a duplicate ID in a later chunk, a near-duplicate, shared
    phones (equal plaintexts) and an existing elder updated."""
    code = world.div["XA1a"].code
    rows = []
    for i in range(14):
        rows.append(
            {
                "name": f"老人{i}",
                "id_number": idn(i),
                "sex": "女",
                "birth_date": "1940-03-15",
                "phones": "13800138000" if i % 3 == 0 else f"138001380{i:02d}",
                "community": code,
                "living_arrangement": "独居",
                "economic_status": "低保",
                "chronic_conditions": "高血压",
                "insurance_number": f"41910{i:05d}",
                "contact_name": f"子女{i}",
                "contact_relation": "儿子",
                "contact_phone": "13900139000",
            }
        )
    rows[3]["id_number"] = "419102194003150071"  # wrong check character
    rows[5]["community"] = "不存在社区"
    rows[7]["phones"] = "12345"
    rows[11]["id_number"] = idn(1)  # the same person as row 3 of the file
    rows[12]["name"] = "老人0"  # same name and birth date as the first: to review
    return rows


def snapshot() -> dict[str, Any]:
    """What an import wrote, in clear (tokens differ from run to run)."""
    elders = {}
    for elder in Elder.objects.select_related("community").order_by("name", "pk"):
        contacts = [
            (c.name, c.relation, contact_phones(c), c.is_first_to_call, c.position)
            for c in ElderContact.objects.filter(elder=elder).order_by("position")
        ]
        lookups = sorted(ElderLookup.objects.filter(elder=elder).values_list("kind", "value_hash"))
        history = [
            (e.action, {k: v for k, v in e.changes.items() if k != "_sealed"}, e.division_code)
            for e in AuditEvent.objects.filter(object_id=str(elder.external_id)).order_by("id")
        ]
        elders[elder_id_number(elder)] = (
            elder.name,
            elder.name_initials,
            elder.id_number_hash,
            elder.id_number_masked,
            elder.sex,
            elder.birth_date,
            elder_phones(elder),
            elder.phones_masked,
            elder.community.code,
            elder.living_arrangement,
            elder.economic_status,
            elder_health(elder).as_dict(),
            elder_insurance_number(elder),
            elder.import_digest,
            elder.duplicate_key,
            contacts,
            lookups,
            history,
        )
    pairs = sorted(
        (elder_id_number(d.elder), elder_id_number(d.other))
        for d in DuplicateCandidate.objects.select_related("elder", "other")
    )
    return {"elders": elders, "duplicates": pairs}


def run_import(world: World, rows: list[dict[str, Any]], workers: int) -> dict[str, Any]:
    chunks: list[tuple[int, list[importing.RowError]]] = []

    def hook(counts: importing.Counts, last_row: int, errors: list[importing.RowError]) -> None:
        chunks.append((last_row, errors))

    counts = importing.import_rows(
        actor=world.user["city_admin"],
        rows=importing.rows_from_dicts(rows),
        on_chunk=hook,
        workers=workers,
    )
    return {"counts": counts, "chunks": chunks} | snapshot()


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importing, "CHUNK_ROWS", 3)


def both_ways(world: World, rows: list[dict[str, Any]], **patches: Any) -> tuple[Any, Any]:
    """The import in one process (rolled back), then with two workers."""
    with transaction.atomic():
        alone = run_import(world, rows, workers=0)
        transaction.set_rollback(True)
    assert not Elder.objects.exists()
    return alone, run_import(world, rows, workers=2)


def no_children_left() -> bool:
    return not multiprocessing.active_children()


def test_workers_give_the_same_elders_errors_history_and_duplicates(
    world: World, small_chunks: None, caplog: pytest.LogCaptureFixture
) -> None:
    rows = sample_rows(world)
    parsed_by_writer = {"rows": 0}
    real_parse = importing.parse_row

    def counted(*args: Any, **kwargs: Any) -> Any:
        parsed_by_writer["rows"] += 1
        return real_parse(*args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(importing, "parse_row", counted)  # the writer's own parsing
        alone, pooled = both_ways(world, rows)
    assert parsed_by_writer["rows"] == len(rows)  # alone; with workers, they parsed all
    assert "worker" not in caplog.text.replace("Import pipeline: 2 workers", "")
    assert pooled == alone
    assert alone["counts"].created == 10 and alone["counts"].rejected == 4
    assert alone["duplicates"] and len(alone["elders"]) == 10
    reasons = [e.reason for _, errors in alone["chunks"] for e in errors]
    assert any("same ID number as row 3" in r for r in reasons)
    assert no_children_left()

    # Re-importing with workers: unchanged; a changed row updates the same way.
    again = run_import(world, rows, workers=2)
    assert (again["counts"].unchanged, again["counts"].created) == (10, 0)
    rows[2]["living_arrangement"] = "与子女居住"
    rows[4]["phones"] = "13800138099"
    with transaction.atomic():
        alone = run_import(world, rows, workers=0)
        transaction.set_rollback(True)
    pooled = run_import(world, rows, workers=2)
    assert pooled == alone
    assert (pooled["counts"].updated, pooled["counts"].unchanged) == (2, 8)


def test_tokens_are_never_shared(world: World, small_chunks: None) -> None:
    run_import(world, sample_rows(world), workers=2)
    tokens = [
        t
        for row in Elder.objects.values_list(
            "id_number_ciphertext",
            "phones_ciphertext",
            "insurance_number_ciphertext",
            "health_ciphertext",
        )
        for t in row
        if t
    ] + [t for t in ElderContact.objects.values_list("phones_ciphertext", flat=True) if t]
    assert len(tokens) == len(set(tokens)) > 40
    # Equal plaintexts (the same phone, the same contact phone) got a token each.
    shared = list(ElderContact.objects.values_list("phones_ciphertext", flat=True))
    assert {tuple(unseal(t, [])) for t in shared} == {("13900139000",)}


def test_ahead_tokens_are_taken_once_then_sealed_afresh() -> None:
    ahead = Ahead()
    ahead.seal(["13800138000"])
    ahead.seal(["13800138000"])
    ahead.id_hash("419102194003150078")
    ahead.name("张三丰")
    made = list(ahead.tokens['["13800138000"]'])
    with computed_ahead(ahead):
        first, second, third = (seal(["13800138000"]) for _ in range(3))
        assert (
            id_hash("419102194003150078") == ahead.hashes[("elder.id_number", "419102194003150078")]
        )
        assert pinyin_initials("张三丰") == "ZSF"
    assert sorted([first, second]) == sorted(made)
    assert third not in made and len({first, second, third}) == 3
    assert all(crypto.decrypt(t) == '["13800138000"]' for t in (first, second, third))
    assert ahead.token_count() == 0
    assert seal(["13800138000"]) not in made  # outside the block nothing is taken


def _crash(rows: list[Any], today: Any = None) -> Any:
    os._exit(3)  # a worker killed (out of memory, a signal)


def _fail(rows: list[Any], today: Any = None) -> Any:
    raise ValueError("a bug in a worker")


def _query(rows: list[Any], today: Any = None) -> Any:
    Elder.objects.count()  # refused in a worker: they never touch the database


@pytest.mark.parametrize("broken", [_crash, _fail, _query])
def test_a_failing_worker_loses_nothing(
    world: World,
    small_chunks: None,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    broken: Any,
) -> None:
    rows = sample_rows(world)
    with transaction.atomic():
        alone = run_import(world, rows, workers=0)
        transaction.set_rollback(True)
    monkeypatch.setattr(importing, "_parse_ahead", broken)
    with caplog.at_level("WARNING", logger="yiyang.elders.importing"):
        pooled = run_import(world, rows, workers=2)
    assert pooled == alone
    assert "An import worker" in caplog.text
    assert no_children_left()


def test_a_writer_crash_with_workers_keeps_whole_chunks_and_resumes(
    world: World, tmp_path: Path, small_chunks: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = world.div["XA1a"].code
    rows = [[f"老人{i}", idn(i), "女", "1940-03-15", f"1380013800{i}", code] for i in range(8)]
    path = write_xlsx(
        tmp_path / "a.xlsx",
        rows,
        header=["姓名", "身份证号码", "性别", "出生日期", "联系电话", "所属社区"],
    )
    actor = world.user["city_admin"]
    job = importing.import_job_create(actor=actor, filename="a.xlsx", content=path.read_bytes())
    real = importing.import_chunk
    calls = {"n": 0}

    def crash_on_second(**kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("writer killed")
        return real(**kwargs)

    monkeypatch.setattr(importing, "import_chunk", crash_on_second)
    with pytest.raises(RuntimeError):
        importing.import_job_run(job=job, actor=actor, workers=2)
    assert no_children_left()  # the pool was shut down
    job.refresh_from_db()
    assert (job.status, job.resume_after_row, job.created_count) == (ImportStatus.RUNNING, 4, 3)
    assert Elder.objects.count() == 3  # the first chunk, whole; the second, not at all
    monkeypatch.setattr(importing, "import_chunk", real)
    job = importing.import_job_run(job=job, actor=actor, workers=2)
    assert (job.status, job.created_count, job.rejected_count) == (ImportStatus.DONE, 8, 0)
    assert Elder.objects.count() == 8


def test_large_files_get_workers_and_small_ones_do_not() -> None:
    assert importing.pipeline_workers(100) == 0
    assert importing.pipeline_workers(importing.PIPELINE_MIN_ROWS - 1) == 0
    assert 1 <= importing.pipeline_workers(100_000) <= importing.PIPELINE_MAX_WORKERS


@pytest.mark.django_db
def test_insert_rows_fills_defaults_and_timestamps(world: World) -> None:
    elder_rows = run_import(world, sample_rows(world)[:1], workers=0)["elders"]
    elder = Elder.objects.get()
    assert elder_rows
    written = insert_rows(
        AuditEvent,
        ("action", "object_id", "changes"),
        [("update", "x1", {"a": [1, "二"]}), ("update", "x2", {})],
    )
    assert written == 2
    events = list(AuditEvent.objects.filter(object_id__in=["x1", "x2"]).order_by("object_id"))
    assert [e.changes for e in events] == [{"a": [1, "二"]}, {}]
    assert events[0].external_id != events[1].external_id  # a callable default per row
    assert events[0].at == events[1].at is not None  # one instant for the batch
    assert events[0].actor_username == "" and events[0].ip_address is None
    contact = ElderContact.objects.get(elder=elder)
    assert (contact.is_active, contact.position, contact.is_first_to_call) == (True, 1, True)


@pytest.fixture(autouse=True)
def _no_stray_workers() -> Iterator[None]:
    yield
    assert no_children_left()
