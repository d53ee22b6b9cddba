"""Load files into the system of record: one file = one atomic batch.

`ingest_file` reads a file in chunks, maps and normalises each row, and writes source rows, events,
person records, their objects and quarantined rows with bulk inserts, all in one transaction: a
failure anywhere leaves no half batch. Rows already loaded (same source and record id) are counted
and skipped, so loading the same file twice adds nothing.
"""

from __future__ import annotations

import gc
import hashlib
import json
import multiprocessing
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from multiprocessing.connection import Connection
from operator import itemgetter
from pathlib import Path
from typing import Any, cast

from sqlalchemy import JSON, Date, Engine, Table, case, func, insert, select, text
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from joindots.audit import Action, record_access
from joindots.errors import Conflict, IngestError, JoindotsError
from joindots.ingest import readers
from joindots.ingest.mapping import Mapping, load_mapping
from joindots.ingest.readers import Row, open_table
from joindots.ingest.rows import MappedRow, Outcome, Quarantined, RowMapper, map_chunk
from joindots.store.base import utcnow
from joindots.store.db import session_scope
from joindots.store.schema import Event, LoadBatch, PersonRecord, Quarantine, RecordObject, SourceRow

SOURCE_ROW = cast(Table, SourceRow.__table__)
EVENT = cast(Table, Event.__table__)
PERSON_RECORD = cast(Table, PersonRecord.__table__)
RECORD_OBJECT = cast(Table, RecordObject.__table__)
QUARANTINE = cast(Table, Quarantine.__table__)
Progress = Callable[[str, int], None]  # (file name, rows read so far)
Original = Row | str  # a row's values, or the same encoded as JSON (by a worker process)
SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".parquet")
CHANGED_IDS_KEPT = 100  # record ids of changed rows named in a report (all are counted)


@dataclass
class LoadReport:
    source: str
    file_name: str
    batch_id: int | None = None
    status: str = (
        "loaded"  # 'loaded'; 'unchanged' (every row already there); 'failed', 'skipped' (ingest_dir)
    )
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_already_loaded: int = 0
    person_records: int = 0
    events: int = 0
    objects: int = 0
    quarantined_by_reason: dict[str, int] = field(default_factory=dict)
    values: dict[str, int] = field(default_factory=dict)  # normalisation: changed / dropped values
    missing_optional_columns: list[str] = field(default_factory=list)
    # rows whose record id was loaded before but whose values differ now (not loaded: see the docs)
    rows_changed_since_loaded: int = 0
    changed_record_ids: list[str] = field(default_factory=list)  # the first CHANGED_IDS_KEPT
    error: str | None = None  # why a file failed or was skipped (ingest_dir)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# Person columns the normalisers fill with short fixed forms (codes, 'AB1 2CD', a Role) that
# always fit: not measured row by row.
FIXED_FORM = frozenset({"role", "sex", "postcode", "ethnicity", "ic_code", "nationality"})


@lru_cache
def _lengths(table: Table, skip: frozenset[str] = frozenset()) -> tuple[tuple[str, int], ...]:
    lengths = {c.name: getattr(c.type, "length", None) for c in table.columns if c.name not in skip}
    return tuple((name, length) for name, length in lengths.items() if length)


def _fit(
    table: Table, row: dict[str, Any], counts: Counter[str], skip: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """Cut strings to the column's length (PostgreSQL enforces it), counting every cut."""
    for name, length in _lengths(table, skip):
        value = row.get(name)
        if value.__class__ is str and len(value) > length:
            row[name] = value[:length]
            counts[f"{name}_truncated"] += 1
    return row


_encode_json = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps(v, **kw) builds one per call


def _same(text: str) -> str:
    return text


def _converter(column_type: Any, dialect: str) -> Callable[[Any], Any] | None:
    """How a Python value goes to the driver for a column type, where the driver needs help. Our
    JSON columns hold objects (a row's original values), so a str there is one already encoded
    as JSON (by the worker process)."""
    if isinstance(column_type, JSON):
        if dialect == "postgresql":
            from psycopg.types.json import Json

            return lambda v: Json(v, dumps=_same) if v.__class__ is str else Json(v)
        return lambda v: v if v.__class__ is str else _encode_json(v)
    if isinstance(column_type, Date) and dialect == "sqlite":
        return lambda v: None if v is None else v.isoformat()  # SQLAlchemy's SQLite date form
    return None


def _insert_sql(conn: Any, table: Table, columns: list[str]) -> str:
    quote = conn.dialect.identifier_preparer.quote
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    return (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "
        f"VALUES ({', '.join([mark] * len(columns))})"
    )


def bulk_insert(
    session: Session, table: Table, rows: list[dict[str, Any]], constants: dict[str, Any] | None = None
) -> None:
    """executemany straight to the driver: SQLAlchemy's per-row parameter processing costs more
    than the insert itself at ingest volumes. Every dict in `rows` has the same keys, and
    `constants` (the batch id, the source) are the same for every row; table and column names come
    from our own metadata and are quoted by the dialect. Values the driver cannot take (dates on
    SQLite, JSON) are converted in the dicts themselves."""
    if not rows:
        return
    constants = constants or {}
    conn = session.connection()
    dialect = conn.dialect
    if dialect.name not in {"sqlite", "postgresql"}:
        session.execute(insert(table), [row | constants for row in rows])
        return
    columns = list(rows[0])
    for name in columns:
        if conv := _converter(table.c[name].type, dialect.name):
            for row in rows:
                value = row[name]
                if value is not None:
                    row[name] = conv(value)
    take = itemgetter(*columns)
    fixed = tuple(constants.values())
    if len(columns) == 1:
        params: list[Any] = [(take(row), *fixed) for row in rows]
    else:
        params = [take(row) + fixed for row in rows] if fixed else [take(row) for row in rows]
    insert_tuples(session, table, [*columns, *constants], params)


def insert_tuples(session: Session, table: Table, columns: list[str], params: list[tuple[Any, ...]]) -> None:
    """executemany of ready parameter tuples (in `columns` order, already in the driver's forms);
    on PostgreSQL, COPY (psycopg's cursor.copy), in the same transaction."""
    if not params:
        return
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        conn.exec_driver_sql(_insert_sql(conn, table, columns), params)
        return
    import psycopg

    quote = conn.dialect.identifier_preparer.quote
    sql = f"COPY {quote(table.name)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    dbapi = conn.connection.dbapi_connection
    assert isinstance(dbapi, psycopg.Connection)
    try:
        with dbapi.cursor() as cursor, cursor.copy(sql) as copy:
            for row in params:
                copy.write_row(row)
    except psycopg.IntegrityError as exc:  # as executemany's would be: the load's Conflict
        raise IntegrityError(sql, None, exc) from exc
    except psycopg.DataError as exc:  # a value the server refuses: the load's IngestError
        raise DataError(sql, None, exc) from exc


class _Ids:
    """Ids for new rows, taken before inserting. PostgreSQL: from the table's sequence, so loads in
    parallel never collide. SQLite: after the highest id, safe because the batch already holds
    SQLite's single write lock (its load_batch row is written first) until it commits."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.dialect = session.get_bind().dialect.name
        self.next: dict[str, int] = {}

    def take(self, table: Table, n: int) -> list[int] | None:
        if self.dialect == "postgresql":
            sql = text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)")
            return list(self.session.scalars(sql, {"t": table.name, "n": n}))
        if self.dialect != "sqlite":
            return None
        if table.name not in self.next:
            self.next[table.name] = (self.session.scalar(select(func.max(table.c.id))) or 0) + 1
        start = self.next[table.name]
        self.next[table.name] = start + n
        return list(range(start, start + n))


@dataclass
class _State:
    """What the batch knows while it loads. Record ids and event refs already written are looked up
    chunk by chunk (memory stays bounded however big the file); quarantined keys are few."""

    batch_id: int
    quarantined_keys: set[tuple[str, str]]
    reasons: Counter[str] = field(default_factory=Counter)
    values: Counter[str] = field(default_factory=Counter)


class _Batch:
    """One file's load inside one session (one transaction)."""

    def __init__(self, session: Session, mapping: Mapping, state: _State, report: LoadReport) -> None:
        self.session = session
        self.mapping = mapping
        self.mapper = RowMapper(mapping)
        self.state = state
        self.report = report
        self.ids = _Ids(session)

    def _quarantine(
        self, out: list[dict[str, Any]], number: int, row: Original, rid: str | None, code: str, reason: str
    ) -> None:
        key = (rid or _content_key(json.loads(row) if isinstance(row, str) else row), code)
        if key in self.state.quarantined_keys:  # the same fault, quarantined by an earlier load
            self.report.rows_already_loaded += 1
            return
        self.state.quarantined_keys.add(key)
        self.state.reasons[code] += 1
        self.report.rows_quarantined += 1
        out.append(
            {"batch_id": self.state.batch_id, "source": self.mapping.source, "row_number": number,
             "source_record_id": rid, "reason_code": code, "reason": reason, "original": row}
        )  # fmt: skip

    def _lookup(self, column: Any, keys: list[str], *wanted: Any) -> list[Any]:
        """Rows of (key, *wanted) for the keys this source already has, 1,000 keys per query."""
        found: list[Any] = []
        for start in range(0, len(keys), 1000):
            part = keys[start : start + 1000]
            stmt = select(column, *wanted).where(column.in_(part))
            found.extend(self.session.execute(stmt.where(column.table.c.source == self.mapping.source)))
        return found

    def _record_ids(
        self,
        chunk: list[tuple[int, Original]],
        outcomes: list[tuple[str | None, Outcome]] | None,
        quarantine: list[dict[str, Any]],
    ) -> list[tuple[int, Original, str, Outcome | None]]:
        """The chunk's rows with a usable record id (and the worker's outcome); the rest quarantined."""
        rows: list[tuple[int, Original, str, Outcome | None]] = []
        if outcomes is None:
            for number, values in cast(list[tuple[int, Row]], chunk):
                try:
                    rows.append((number, values, self.mapper.record_id(values), None))
                except Quarantined as q:
                    self._quarantine(quarantine, number, values, None, q.code, q.reason)
            return rows
        for (number, original), (rid, outcome) in zip(chunk, outcomes, strict=True):
            if rid is None:
                assert isinstance(outcome, tuple)
                self._quarantine(quarantine, number, original, None, *outcome)
            else:
                rows.append((number, original, rid, outcome))
        return rows

    def load_chunk(
        self, chunk: list[tuple[int, Original]], outcomes: list[tuple[str | None, Outcome]] | None = None
    ) -> None:
        """Load one chunk of rows. `outcomes` (each row's record id and mapping, made by a worker
        process) saves mapping the rows here; without them rows are mapped as they are needed."""
        quarantine: list[dict[str, Any]] = []
        mapped: list[tuple[int, Original, MappedRow]] = []
        counts: list[str] = []
        self.report.rows_read += len(chunk)
        self.mapper.known_refs.clear()  # events of earlier chunks are found in the database
        rows = self._record_ids(chunk, outcomes, quarantine)
        written = dict(
            self._lookup(SOURCE_ROW.c.source_record_id, [r[2] for r in rows], SOURCE_ROW.c.batch_id)
        )
        seen: set[str] = set()
        refs: set[str] = set()  # events mapped in full by this chunk's loaded rows
        batch_id = self.state.batch_id
        earlier: list[tuple[str, Original]] = []
        for number, row, rid, outcome in rows:
            if written and written.get(rid, batch_id) != batch_id:
                self.report.rows_already_loaded += 1
                earlier.append((rid, row))
                continue
            if rid in seen or rid in written:
                reason = f"record id {rid!r} appears earlier in this file"
                self._quarantine(quarantine, number, row, rid, "duplicate_record_id", reason)
                continue
            result = self.mapper.outcome(cast(Row, row), rid) if outcome is None else outcome
            if isinstance(result, tuple):
                self._quarantine(quarantine, number, row, rid, *result)
                continue
            seen.add(rid)
            mapped.append((number, row, result))
            counts.extend(result.counts)
            if result.event is not None:
                ref = result.event["ref"]
                if ref in refs:  # an earlier row of the chunk carries the event and its counts
                    result.event = {"ref": ref}
                else:
                    refs.add(ref)
                    counts.extend(result.event_counts)
        self.state.values.update(counts)
        if earlier:
            self._compare(earlier)
        if quarantine:
            bulk_insert(self.session, QUARANTINE, quarantine)
        if mapped:
            self._write(mapped)

    def _compare(self, earlier: list[tuple[str, Original]]) -> None:
        """Count (and name) rows loaded before whose values differ now: a corrected re-export is
        not loaded over the first one, but it is never passed over silently either."""
        loaded = dict(
            self._lookup(SOURCE_ROW.c.source_record_id, [rid for rid, _ in earlier], SOURCE_ROW.c.original)
        )
        for rid, row in earlier:
            before = loaded.get(rid)
            now = json.loads(row) if isinstance(row, str) else row
            if isinstance(before, str):
                before = json.loads(before)
            if before is not None and dict(now) != before:
                self.report.rows_changed_since_loaded += 1
                if len(self.report.changed_record_ids) < CHANGED_IDS_KEPT:
                    self.report.changed_record_ids.append(rid)

    def _insert_returning(
        self, table: Table, rows: list[dict[str, Any]], constants: dict[str, Any]
    ) -> list[int]:
        """Insert rows and return their ids in order: ids taken up front where the database allows
        (plain executemany is far faster than RETURNING), else INSERT ... RETURNING."""
        ids = self.ids.take(table, len(rows))
        if ids is None:
            result = self.session.execute(
                insert(table).returning(table.c.id, sort_by_parameter_order=True),
                [row | constants for row in rows],
            )
            return list(result.scalars())
        for row, id_ in zip(rows, ids, strict=True):
            row["id"] = id_
        bulk_insert(self.session, table, rows, constants)
        return ids

    def _write(self, mapped: list[tuple[int, Original, MappedRow]]) -> None:
        constants = {"batch_id": self.state.batch_id, "source": self.mapping.source}
        source_rows = [
            {"source_record_id": m.record_id, "row_number": n, "original": row} for n, row, m in mapped
        ]
        row_ids = self._insert_returning(SOURCE_ROW, source_rows, constants)
        event_ids = self._write_events([m for _, _, m in mapped])
        persons: list[dict[str, Any]] = []
        objects: list[list[tuple[str, str]]] = []
        counts = self.state.values
        for row_id, (_, _, m) in zip(row_ids, mapped, strict=True):
            event_id = event_ids.get(m.event["ref"]) if m.event else None
            for person in m.persons:
                objects.append(person.pop("objects"))
                person["source_row_id"] = row_id
                person["event_id"] = event_id
                persons.append(_fit(PERSON_RECORD, person, counts, FIXED_FORM))
        person_ids = self._insert_returning(PERSON_RECORD, persons, constants) if persons else []
        object_rows = [
            (pid, kind, value)
            for pid, found in zip(person_ids, objects, strict=True)
            for kind, value in found
        ]
        if object_rows:
            if self.ids.dialect in {"sqlite", "postgresql"}:
                insert_tuples(self.session, RECORD_OBJECT, ["person_record_id", "kind", "value"], object_rows)
            else:
                rows = [{"person_record_id": p, "kind": k, "value": v} for p, k, v in object_rows]
                bulk_insert(self.session, RECORD_OBJECT, rows)
        self.report.rows_loaded += len(mapped)
        self.report.person_records += len(persons)
        self.report.objects += len(object_rows)

    def _write_events(self, mapped: list[MappedRow]) -> dict[str, int]:
        """Event id per ref for the chunk: events written before are reused, new ones inserted."""
        refs = list(dict.fromkeys(m.event["ref"] for m in mapped if m.event))
        event_ids: dict[str, int] = dict(self._lookup(EVENT.c.ref, refs, EVENT.c.id))
        new: dict[str, dict[str, Any]] = {}
        for m in mapped:
            if m.event and m.event["ref"] not in event_ids and m.event["ref"] not in new:
                new[m.event["ref"]] = _fit(EVENT, dict(m.event), self.state.values)
        if new:
            constants = {"batch_id": self.state.batch_id, "source": self.mapping.source}
            ids = self._insert_returning(EVENT, list(new.values()), constants)
            event_ids.update(zip(new, ids, strict=True))
            self.report.events += len(new)
        return event_ids


def _check_columns(path: Path, mapping: Mapping, table: readers.Table) -> list[str]:
    """The file's header against the mapping: IngestError for a missing required column or a column
    the mapping reads that the header names twice; else the missing optional columns."""
    missing, optional = _required_columns(mapping, table.columns)
    if missing:
        raise IngestError(f"{path.name} lacks required column(s) {missing}; it has {table.columns}")
    twice = sorted(set(table.duplicates) & mapping.columns_used())
    if twice:
        counts = ", ".join(f"{name!r} {table.duplicates[name]} times" for name in twice)
        raise IngestError(
            f"{path.name} names column(s) the mapping reads more than once ({counts}), so which one is "
            "meant is unclear; rename them in the file (a later copy can then be mapped as NAME__2)"
        )
    return optional


def _refuse_other_source(session: Session, path: Path, mapping: Mapping, file_sha: str) -> None:
    """The very same file (by its SHA-256) loaded before under another source is refused: one
    agency's records would be counted as two agencies'."""
    other = session.execute(
        select(LoadBatch.source, LoadBatch.id)
        .where(LoadBatch.file_sha256 == file_sha, LoadBatch.source != mapping.source)
        .limit(1)
    ).first()
    if other is not None:
        raise IngestError(
            f"{path.name} was loaded before as source {other[0]!r} (batch {other[1]}); loading it "
            f"again as {mapping.source!r} would count the same records twice. Use --force if that "
            "is really meant"
        )


def _required_columns(mapping: Mapping, columns: list[str]) -> tuple[list[str], list[str]]:
    """(missing required columns, missing optional columns) for a file's header."""
    have = set(columns)
    required = set(mapping.required_columns)
    if mapping.record_id.column:
        required.add(mapping.record_id.column)
    missing = sorted(required - have)
    optional = sorted(mapping.columns_used() - required - have)
    return missing, optional


def _content_key(row: Row) -> str:
    """What identifies a row that has no record id: its values."""
    body = json.dumps(row, sort_keys=True, ensure_ascii=False)
    return "row:" + hashlib.sha256(body.encode("utf-8")).hexdigest()


def _start(session: Session, mapping: Mapping, path: Path, file_sha: str) -> _State:
    batch = LoadBatch(
        source=mapping.source,
        file_name=path.name,
        file_sha256=file_sha,
        mapping_sha256=hashlib.sha256(mapping.model_dump_json().encode()).hexdigest(),
        status="loading",
    )
    session.add(batch)
    session.flush()
    src = mapping.source
    return _State(
        batch_id=batch.id,
        quarantined_keys={
            (rid or _content_key(original), code)
            for rid, code, original in session.execute(
                select(
                    Quarantine.source_record_id,
                    Quarantine.reason_code,
                    # the original values matter only for rows without an id (few)
                    case((Quarantine.source_record_id.is_(None), Quarantine.original), else_=None),
                ).where(Quarantine.source == src)
            )
        },
    )


def _finish(session: Session, state: _State, report: LoadReport, actor: str) -> None:
    report.quarantined_by_reason = dict(sorted(state.reasons.items()))
    report.values = dict(sorted(state.values.items()))
    batch = session.get(LoadBatch, state.batch_id)
    assert batch is not None
    batch.status = "loaded"
    batch.finished_at = utcnow()
    batch.rows_read, batch.rows_loaded = report.rows_read, report.rows_loaded
    batch.rows_quarantined, batch.rows_already_loaded = report.rows_quarantined, report.rows_already_loaded
    batch.report = {k: v for k, v in report.as_dict().items() if k not in {"batch_id", "seconds"}}
    record_access(
        session,
        actor=actor,
        action=Action.COLLECTION,
        subject=f"load_batch:{state.batch_id}",
        justification=f"ingest of {report.file_name} from {report.source}",
        details={"rows_loaded": report.rows_loaded, "person_records": report.person_records,
                 "rows_quarantined": report.rows_quarantined},
    )  # fmt: skip


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Pause Python's cycle collector while a batch loads: it rescans every live row object each
    few hundred allocations (a fifth of the load time) and a load makes no reference cycles, so
    reference counting frees everything as before. Restored afterwards, even on error."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class _Unchanged(Exception):
    """Nothing new in the file: roll the empty batch back."""


def ingest_file(
    engine: Engine,
    path: str | Path,
    mapping: Mapping | str | Path,
    actor: str = "cli",
    progress: Progress | None = None,
    chunk_rows: int = 5000,
    parallel: bool | None = None,
    force: bool = False,
) -> LoadReport:
    """Load one file by its mapping, atomically. Raises IngestError (nothing written) for a file that
    cannot be loaded at all: missing, empty, undecodable, lacking required columns, naming a column
    the mapping reads twice, or (unless `force`) loaded before under another source.

    `parallel`: read and map the rows in a second process while this one writes (None: for files
    of PARALLEL_BYTES or more, where the machine has two cores and can fork)."""
    path = Path(path)
    mapping = mapping if isinstance(mapping, Mapping) else load_mapping(mapping)
    started = time.perf_counter()
    table = open_table(path, mapping.reader, chunk_rows)
    try:
        optional = _check_columns(path, mapping, table)
    except IngestError:
        table.close()
        raise
    report = LoadReport(mapping.source, path.name, missing_optional_columns=optional)
    file_sha = _sha256(path)
    try:
        with (
            _no_cycle_collection(),
            _chunks(path, mapping, table, chunk_rows, parallel) as chunks,
            session_scope(engine) as session,
        ):
            if not force:
                _refuse_other_source(session, path, mapping, file_sha)
            state = _start(session, mapping, path, file_sha)
            batch = _Batch(session, mapping, state, report)
            for chunk, outcomes in chunks:
                batch.load_chunk(chunk, outcomes)
                if progress:
                    progress(path.name, report.rows_read)
            if report.rows_read == 0:
                raise IngestError(f"{path.name} has a header but no rows")
            if report.rows_loaded == 0 and report.rows_quarantined == 0:
                raise _Unchanged
            _finish(session, state, report, actor)
            report.batch_id = state.batch_id
    except _Unchanged:
        report.status = "unchanged"
    except IntegrityError as exc:
        raise Conflict(
            f"{path.name}: another load of {mapping.source} wrote the same records; retry"
        ) from exc
    except DataError as exc:
        reason = str(exc.orig or exc).strip().splitlines()[0]
        raise IngestError(
            f"{path.name}: the database refused a value ({reason}); nothing was loaded. Find the value "
            "in the file (a control character, an impossible date) and correct it or export again"
        ) from exc
    report.seconds = round(time.perf_counter() - started, 3)
    return report


# -- reading and mapping in a second process ------------------------------------------------------

PARALLEL_BYTES = 256 << 10  # files from 256 KiB are read and mapped by a worker process
Chunks = Iterator[tuple[list[tuple[int, Original]], list[tuple[str | None, Outcome]] | None]]


def _can_fork() -> bool:
    """Workers are forked (a copy of this process, started at once) on Linux only. Another thread
    of this process (a progress bar's, a test timer's) may hold a lock when it forks; the worker
    takes none of those: it prints nothing, logs nothing, and leaves by os._exit."""
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


@contextmanager
def _chunks(
    path: Path, mapping: Mapping, table: readers.Table, chunk_rows: int, parallel: bool | None
) -> Iterator[Chunks]:
    """The file's chunks, each with its rows' outcomes when a worker process mapped them."""
    if parallel is None:
        parallel = path.stat().st_size >= PARALLEL_BYTES and (os.cpu_count() or 1) > 1
    if not parallel or not _can_fork():
        yield ((cast(list[tuple[int, Original]], chunk), None) for chunk in table.chunks)
        return
    table.close()  # the worker reads the file itself, with what was detected here
    spec = mapping.reader.model_copy(
        update={"encoding": table.encoding or mapping.reader.encoding,
                "delimiter": table.delimiter or mapping.reader.delimiter}
    )  # fmt: skip
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    worker = context.Process(
        target=_map_in_worker, args=(path, mapping, spec, chunk_rows, send, receive), daemon=True
    )
    worker.start()
    send.close()
    try:
        yield _received(path, receive)
    finally:
        receive.close()  # a worker still sending stops (broken pipe)
        worker.join(timeout=5)
        if worker.is_alive():
            worker.kill()
            worker.join()


def _received(path: Path, receive: Connection) -> Chunks:
    while True:
        try:
            kind, chunk, outcomes = receive.recv()
        except EOFError:
            raise IngestError(f"{path.name}: the process reading the file stopped unexpectedly") from None
        if kind == "end":
            return
        if kind == "error":
            raise IngestError(chunk)
        if kind == "crash":
            raise RuntimeError(f"{path.name}: reading failed: {chunk}")
        yield chunk, outcomes


def _map_in_worker(
    path: Path,
    mapping: Mapping,
    spec: readers.ReaderSpec,
    chunk_rows: int,
    send: Connection,
    parent_end: Connection,
) -> None:
    """The worker: read the file and map every row (pure work, no database), chunk by chunk."""
    parent_end.close()  # the fork's copy: once the loading process closes its end, sending fails
    try:
        table = open_table(path, spec, chunk_rows)
        mapper = RowMapper(mapping, share_events=False)
        for chunk in table.chunks:
            encoded = [(number, _encode_json(row)) for number, row in chunk]  # as source_row keeps it
            send.send(("chunk", encoded, map_chunk(mapper, chunk)))
        send.send(("end", None, None))
    except (BrokenPipeError, ConnectionResetError):
        pass  # the load stopped
    except IngestError as exc:
        send.send(("error", str(exc), None))
    except Exception as exc:  # anything else reaches the loading process as a plain error
        send.send(("crash", f"{type(exc).__name__}: {exc}", None))
    finally:
        send.close()
        os._exit(0)  # nothing of the parent's (stdio buffers, atexit handlers) runs here


class PartialLoad(IngestError):
    """Some files of a folder failed (the others were loaded, each in its own batch)."""

    def __init__(self, message: str, reports: list[LoadReport]) -> None:
        super().__init__(message)
        self.reports = reports


def _skip_reason(file: Path) -> str | None:
    """Why a file in sources/ is not loaded, or None."""
    if not file.is_file():
        return "not a file"
    suffix = file.suffix.lower()
    if suffix == ".xls":
        return "old Excel (.xls) is not read: save it as .xlsx"
    if suffix not in SUFFIXES:
        return f"not a kind of file joindots reads ({suffix or 'no suffix'}; reads {', '.join(SUFFIXES)})"
    return None


def source_files(world_dir: Path) -> list[tuple[Path, Path]]:
    """(source file, its mapping) for every file of world_dir/sources that can be loaded."""
    return [(f, m) for f, m, skip in source_entries(world_dir) if skip is None and m is not None]


def source_entries(world_dir: Path) -> list[tuple[Path, Path | None, str | None]]:
    """(source file, its mapping, why it is skipped) for every entry of world_dir/sources: a file
    is loaded by mappings/<its stem>.yaml; the mapping is None where there is none."""
    sources, mappings = world_dir / "sources", world_dir / "mappings"
    if not sources.is_dir() or not mappings.is_dir():
        raise IngestError(f"{world_dir} needs sources/ and mappings/ folders")
    found: list[tuple[Path, Path | None, str | None]] = []
    for file in sorted(sources.iterdir()):
        mapping = mappings / f"{file.stem}.yaml"
        found.append((file, mapping if mapping.is_file() else None, _skip_reason(file)))
    if not any(skip is None for _, _, skip in found):
        raise IngestError(f"no source files in {sources}")
    return found


def _one_file(
    engine: Engine, file: Path, mapping: Path | None, skip: str | None, actor: str, progress: Progress | None
) -> LoadReport:
    if skip is not None:
        return LoadReport("", file.name, status="skipped", error=skip)
    if mapping is None:
        expected = file.parent.parent / "mappings" / f"{file.stem}.yaml"
        return LoadReport(
            "", file.name, status="failed", error=f"no mapping for {file.name}: expected {expected}"
        )
    try:
        return ingest_file(engine, file, mapping, actor, progress)
    except JoindotsError as exc:
        return LoadReport(file.stem, file.name, status="failed", error=str(exc))


def ingest_dir(
    engine: Engine, world_dir: str | Path, actor: str = "cli", progress: Progress | None = None
) -> list[LoadReport]:
    """Load every source file in a world directory, each by its mapping, each in its own batch, and
    report every file: loaded, unchanged, skipped (with why) or failed (with why). When any failed,
    raises PartialLoad (an IngestError) carrying every report, after loading all the others."""
    reports = [_one_file(engine, *found, actor, progress) for found in source_entries(Path(world_dir))]
    failed = [r for r in reports if r.status == "failed"]
    if failed:
        loaded = sum(r.status in {"loaded", "unchanged"} for r in reports)
        why = "; ".join(f"{r.file_name}: {r.error}" for r in failed)
        raise PartialLoad(f"{len(failed)} of {len(reports)} files failed ({loaded} loaded): {why}", reports)
    return reports
