"""Worker processes for large imports, and the chunks an import is read in.

One process validates against the database and writes, chunk by chunk and in file order;
on a large import, worker processes do the per-row work that needs no database ahead of
it: fingerprints, parsing, blind-index hashes, pinyin initials and the Fernet tokens of
the values the writer will seal (``sensitive.Ahead``). The writer stays the only one to
decide anything: it checks every row again in order (duplicates within the file, the
fingerprints of rows written by earlier chunks), parses itself any row the workers left
out, and encrypts itself any value whose token was not made ahead. Workers never touch
the database. A worker that fails or dies costs speed, not rows: its chunk is done by the
writer (which raises the same error on a bad row as it would alone), and after a dead
worker the rest of the import runs in one process."""

from __future__ import annotations

import gc
import json
import logging
import multiprocessing
import os
import signal
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, connections
from django.utils import translation

from yiyang.core import crypto
from yiyang.core.idnumber import IdNumberError, parse_citizen_id
from yiyang.core.permissions import Actor
from yiyang.elders.importing.rows import CommunityResolver, Parsed, _merged, parse_row
from yiyang.elders.models import Elder
from yiyang.elders.sensitive import Ahead, id_hash
from yiyang.elders.services import record_secrets
from yiyang.elders.tabular import RawRow


@contextmanager
def _few_collections() -> Iterator[None]:
    """Python's cycle collector runs every 700 new objects and, every so often, walks the
    whole heap: an import makes millions of short-lived objects (rows, instances, the
    workers' results) and spent about a tenth of its time there. During the import it
    runs every 50,000 (plain reference counting frees the rows as before)."""
    threshold = gc.get_threshold()
    gc.set_threshold(50_000, threshold[1], threshold[2])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)


PIPELINE_MIN_ROWS = 6000  # smaller imports (the web page's usual file, tests): one process


PIPELINE_MAX_WORKERS = 4


PIPELINE_WINDOW = 4  # chunks read and prepared ahead of the one being written


logger = logging.getLogger("yiyang.elders.importing")


def pipeline_workers(estimated_rows: int | None) -> int:
    """Worker processes for an import of about ``estimated_rows`` rows: none for a small
    file or where processes cannot be forked, else one per core but the writer's."""
    if (estimated_rows or 0) < PIPELINE_MIN_ROWS:
        return 0
    if "fork" not in multiprocessing.get_all_start_methods():
        return 0
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min((cores or 1) - 1, PIPELINE_MAX_WORKERS))


@dataclass
class _Work:
    """One chunk as the writer takes it."""

    rows: list[RawRow]
    last_row: int
    resumed: bool  # committed by an earlier run of the job
    keys: list[str | None]  # the ID number's blind index per row (None: no valid number)
    digests: list[str]  # the row fingerprint per row
    known: dict[str, tuple[str, str]]  # by key: (fingerprint of the last import, division)
    parsed: dict[int, Parsed] = field(default_factory=dict)  # by row number, parsed ahead
    ahead: Ahead | None = None


@dataclass
class _Pending:
    rows: list[RawRow]
    last_row: int
    resumed: bool
    marks: Future[tuple[list[str | None], list[str]]] | None = None
    known: dict[str, tuple[str, str]] | None = None
    keys: list[str | None] = field(default_factory=list)
    digests: list[str] = field(default_factory=list)
    parse: Future[tuple[list[Parsed], Ahead]] | None = None


def _fingerprints(rows: list[RawRow]) -> tuple[list[str | None], list[str]]:
    return [_quick_id_hash(raw) for raw in rows], [row_digest(raw) for raw in rows]


def _known_imports(keys: list[str | None]) -> dict[str, tuple[str, str]]:
    """The fingerprint of the row last imported into each registered elder, and where."""
    wanted = [key for key in keys if key is not None]
    if not wanted:
        return {}
    return {
        h: (digest, code)
        for h, digest, code in Elder.objects.filter(id_number_hash__in=wanted).values_list(
            "id_number_hash", "import_digest", "division_code"
        )
    }


def _same_as_imported(
    actor: Actor, key: str | None, digest: str, known: dict[str, tuple[str, str]]
) -> bool:
    stored = known.get(key) if key is not None else None
    return (
        stored is not None
        and stored[0] == digest
        and actor.scope.covers(division_code=stored[1], organisation_id=None)
    )


def _split_unchanged(
    actor: Actor, work: _Work, seen: dict[str, int]
) -> tuple[int, list[tuple[RawRow, str]]]:
    """Rows identical to the last import of the same elder (in the actor's jurisdiction):
    counted as unchanged at once. The others go through the whole path, with their digest.
    An edit made on a page since that import is kept: the file did not change."""
    unchanged = 0
    rest: list[tuple[RawRow, str]] = []
    for raw, key, digest in zip(work.rows, work.keys, work.digests, strict=True):
        if (
            key is not None
            and key not in seen
            and _same_as_imported(actor, key, digest, work.known)
        ):
            seen[key] = raw.number
            unchanged += 1
        else:
            rest.append((raw, digest))
    return unchanged, rest


# The worker's state, set in each worker process when it starts.
_WORKER: dict[str, Any] = {}


# Database connections a worker inherited from the writer by fork: never used there, and
# never closed either (closing one would end the writer's PostgreSQL session); a worker
# ends with os._exit, which closes nothing.
_INHERITED: list[Any] = []


class WorkerDatabaseError(RuntimeError):
    """An import worker tried to use the database (it must not: the writer alone does)."""


def _no_database(*args: Any, **kwargs: Any) -> None:
    raise WorkerDatabaseError("import workers do not use the database")


def _worker_start(
    communities: CommunityResolver, labels: dict[str, str] | None, language: str | None
) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the writer stops the workers
    for conn in connections.all(initialized_only=True):
        if conn.connection is not None:
            _INHERITED.append(conn.connection)
            conn.connection = None
    for conn in connections.all():
        conn.connect = _no_database  # type: ignore[method-assign]
    if language:
        translation.activate(language)  # error messages in the writer's language
    _WORKER.update(communities=communities, labels=labels)


def _parse_ahead(rows: list[RawRow]) -> tuple[list[Parsed], Ahead]:
    """In a worker: parse rows, and make what writing them as new elders will need."""
    communities: CommunityResolver = _WORKER["communities"]
    ahead = Ahead()
    parsed_rows = []
    for raw in rows:
        parsed = parse_row(raw, communities=communities, labels=_WORKER["labels"])
        if not parsed.errors:
            _prepare_ahead(parsed, ahead)
        community = parsed.values.get("community")
        if community is not None:
            parsed.values["community"] = community.code  # the writer has its own Division
        parsed_rows.append(parsed)
    return parsed_rows, ahead


def _prepare_ahead(parsed: Parsed, ahead: Ahead) -> None:
    record = _merged(None, parsed.values)  # what a new elder's record holds
    ahead.id_hash(record.id_number)
    ahead.name(record.name)
    for value in record_secrets(record):
        ahead.seal(value)
    phones = list(record.phones)
    if parsed.contact is not None and "name" in parsed.contact:
        ahead.seal(parsed.contact["phone"])
        phones += parsed.contact["phone"]
    for phone in dict.fromkeys(phones):
        ahead.phone_hash(phone)


class _Pipeline:
    """The chunks of an import, in order, each with its fingerprints and the fingerprints
    of the last import of its ID numbers; with workers, also parsed and prepared ahead."""

    def __init__(
        self,
        chunks: Iterator[list[RawRow]],
        *,
        actor: Actor,
        communities: CommunityResolver,
        labels: dict[str, str] | None,
        resume_after: int,
        workers: int,
    ) -> None:
        self.chunks = chunks
        self.actor = actor
        self.communities = communities
        self.resume_after = resume_after
        self.workers = workers
        self.waited = 0.0  # seconds the writer waited for the workers
        self.executor: ProcessPoolExecutor | None = None
        if workers > 0:
            # Fork with no open connection (the workers must not share it); one inside a
            # transaction (a test's) cannot be closed and is left alone by the workers.
            for conn in connections.all(initialized_only=True):
                if not conn.in_atomic_block:
                    conn.close()
            self.executor = ProcessPoolExecutor(
                max_workers=workers,
                mp_context=multiprocessing.get_context("fork"),
                initializer=_worker_start,
                initargs=(communities, labels, translation.get_language()),
            )
            self._submit(int)  # fork now, before the writer opens a connection again

    def __enter__(self) -> _Pipeline:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
            self.executor = None
        if self.workers:
            logger.info(
                "Import pipeline: %d workers; the writer waited %.1f s for them.",
                self.workers,
                self.waited,
                extra={"waited_s": self.waited},
            )

    def _submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any] | None:
        if self.executor is None:
            return None
        try:
            return self.executor.submit(fn, *args)
        except BrokenProcessPool:
            self._broken()
            return None

    def _broken(self) -> None:
        logger.warning("An import worker process died; the import goes on in one process.")
        if self.executor is not None:
            self.executor.shutdown(wait=False, cancel_futures=True)
            self.executor = None

    def _result(self, future: Future[Any] | None) -> Any:
        """A worker's result, or None when there is none (the writer then does the work)."""
        if future is None:
            return None
        begin = time.monotonic()
        try:
            return future.result()
        except BrokenProcessPool:
            self._broken()
        except Exception:  # done again by the writer, which raises it then if it is the data's
            logger.warning("An import worker failed on a chunk; the writer does it again.")
        finally:
            self.waited += time.monotonic() - begin
        return None

    def __iter__(self) -> Iterator[_Work]:
        window = PIPELINE_WINDOW if self.executor is not None else 1
        pending: deque[_Pending] = deque()
        more = True
        while True:
            while more and len(pending) < window:
                chunk = next(self.chunks, None)
                if chunk is None:
                    more = False
                    break
                pending.append(self._start(chunk))
            if not pending:
                return
            for entry in pending:  # hand every chunk whose fingerprints are in to parsing
                ready = entry.marks is not None and entry.marks.done()
                if ready and entry.known is None and not entry.resumed:
                    self._start_parsing(entry)
            yield self._finish(pending.popleft())

    def _start(self, chunk: list[RawRow]) -> _Pending:
        resumed = chunk[-1].number <= self.resume_after
        rows = chunk if resumed else [raw for raw in chunk if raw.number > self.resume_after]
        entry = _Pending(rows=rows, last_row=chunk[-1].number, resumed=resumed)
        entry.marks = self._submit(_fingerprints, rows)
        return entry

    def _marks(self, entry: _Pending) -> None:
        if not entry.keys and entry.rows:
            found = self._result(entry.marks)
            entry.keys, entry.digests = found if found is not None else _fingerprints(entry.rows)

    def _start_parsing(self, entry: _Pending) -> None:
        """The last import's fingerprints of the chunk's ID numbers, then its parsing (in a
        worker) of the rows that differ. Read ahead of the earlier chunks' writes: the
        writer checks again against what those wrote (``seen``), and parses itself."""
        self._marks(entry)
        entry.known = _known_imports(entry.keys)
        if self.executor is None:
            return
        todo = [
            raw
            for raw, key, digest in zip(entry.rows, entry.keys, entry.digests, strict=True)
            if not _same_as_imported(self.actor, key, digest, entry.known)
        ]
        if todo:
            from yiyang.elders import importing  # looked up there: a test may replace it

            entry.parse = self._submit(importing._parse_ahead, todo)

    def _finish(self, entry: _Pending) -> _Work:
        if entry.resumed:
            self._marks(entry)
            return _Work(entry.rows, entry.last_row, True, entry.keys, entry.digests, {})
        if entry.known is None:
            self._start_parsing(entry)
        assert entry.known is not None
        work = _Work(entry.rows, entry.last_row, False, entry.keys, entry.digests, entry.known)
        found = self._result(entry.parse)
        if found is not None:
            parsed_rows, work.ahead = found
            for parsed in parsed_rows:
                code = parsed.values.get("community")
                if code is not None:
                    parsed.values["community"] = self.communities.by_code[code]
                work.parsed[parsed.row] = parsed
        return work


def _bulk_cache() -> None:
    """On SQLite, room for an import's pages on this connection. The indexes an import fills
    have random keys (keyed hashes, UUIDs): each chunk dirties a page per row and index.
    The default 2 MB cache then reads them back from the file, and the default checkpoint
    (every 1,000 WAL pages, at each commit) copies them all into the database again for
    every chunk: a 100,000-row import spent a fifth of its time committing. Checkpointing
    every 64 MB of WAL instead lets the chunks in between share their pages."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -65536")  # KiB: 64 MiB
            cursor.execute("PRAGMA wal_autocheckpoint = 16384")  # pages of 4 KiB: 64 MiB


def row_digest(raw: RawRow) -> str:
    """A keyed fingerprint of a row's cells: the same row imported again is recognised
    without parsing, validating or decrypting anything."""
    cells = sorted((key, "" if v is None else str(v)) for key, v in raw.values.items())
    text = json.dumps([cells, sorted(raw.formulas)], ensure_ascii=False)
    return crypto.blind_index(text, purpose="elder.import_row")[:32]


def _quick_id_hash(raw: RawRow) -> str | None:
    value = raw.values.get("id_number")
    if value is None or isinstance(value, float):
        return None
    try:
        return id_hash(parse_citizen_id(str(value)).number)
    except IdNumberError:
        return None


def _chunks(rows: Iterable[RawRow], size: int) -> Iterator[list[RawRow]]:
    chunk: list[RawRow] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
