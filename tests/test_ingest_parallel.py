"""Loading with a worker process (it reads and maps, this process writes) gives exactly what loading
in one process gives; a failure on either side still leaves no half batch and no process behind."""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from joindots.errors import IngestError
from joindots.ingest import load
from joindots.ingest.load import ingest_file
from joindots.ingest.mapping import Mapping
from joindots.store.db import make_engine, migrate
from joindots.store.schema import Event, LoadBatch, PersonRecord, Quarantine, RecordObject, SourceRow

MAPPING = Mapping.model_validate(
    yaml.safe_load("""
source: test_force
record_id: ID
required_columns: [ID, REF, NAME]
dates: {dayfirst: true}
event:
  ref: REF
  type: {value: crime}
  date: DATE
  notes: NOTES
  cse_flag: {column: CSE, values: {"Y": "true", "N": "false"}}
persons:
  - role: {column: ROLE, values: {VIC: victim, SUS: suspect}}
    name: {column: NAME, format: "SURNAME, Forename"}
    dob: DOB
    postcode: POSTCODE
    phones: [PHONE]
  - role: {value: associate}
    optional: true
    name: {column: ASSOCIATE, format: "forename surname"}
""")
)
HEADER = ["ID", "REF", "ROLE", "NAME", "DOB", "POSTCODE", "PHONE", "DATE", "NOTES", "CSE", "ASSOCIATE"]


def _rows(n: int) -> list[list[str]]:
    """Rows with shared events (also across chunks), faults to quarantine and values to count."""
    rows = []
    for i in range(n):
        ref = f"C{i // 4}" if i % 7 else "R" * 230  # an over-long ref shared by many rows
        row = [f"N{i}", ref, ["VIC", "SUS", "WIT", ""][i % 4 if i % 5 == 0 else i % 2],
               f"SMITH{i % 13}, Ann Marie", ["03/04/2008", "31/02/2009", "", "1999-12-01"][i % 4],
               ["hd31da", "LS26 0GP", "nonsense", ""][i % 4], ["07700 900123", "0770", ""][i % 3],
               f"0{1 + i % 9}/02/2020", ["", "=1+2", "notes"][i % 3], ["Y", "N", "maybe"][i % 3],
               ["", "Kaz", "=cmd|x"][i % 3]]  # fmt: skip
        if i % 17 == 0:
            row[0] = f"N{i - 1}"  # a duplicate record id
        if i % 19 == 0:
            row[0] = ""  # no record id
        rows.append(row)
    return rows


def _write(path: Path, rows: list[list[str]]) -> Path:
    lines = [",".join(HEADER)] + [",".join(f'"{v}"' if "," in v else v for v in r) for r in rows]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path


def _contents(engine: Engine) -> dict[str, list[str]]:
    """The tables' contents with database ids replaced by the keys they stand for."""
    p, s, e, o, q = PersonRecord, SourceRow, Event, RecordObject, Quarantine
    queries = {
        "source_row": select(s.source_record_id, s.row_number, s.original),
        "event": select(e.ref, e.type, e.date, e.cse_flag, e.notes),
        "person": select(p.record_id, s.source_record_id, e.ref, p.role, p.forename, p.middle_names,
                         p.surname, p.dob, p.dob_ambiguous, p.postcode)
        .join(s, s.id == p.source_row_id).outerjoin(e, e.id == p.event_id),
        "objects": select(p.record_id, o.kind, o.value).join(p, p.id == o.person_record_id),
        "quarantine": select(q.row_number, q.source_record_id, q.reason_code, q.reason, q.original),
    }  # fmt: skip
    with Session(engine) as session:
        return {
            name: sorted(repr(tuple(row)) for row in session.execute(stmt)) for name, stmt in queries.items()
        }


def _report(report: load.LoadReport) -> dict[str, Any]:
    return {k: v for k, v in report.as_dict().items() if k not in {"batch_id", "seconds"}}


@pytest.fixture
def forked(monkeypatch) -> list[int]:
    """Counts the loads that really used a worker process."""
    if not load._can_fork():
        pytest.skip("this platform or process cannot fork a worker")
    used: list[int] = []
    received = load._received

    def counting(path: Path, receive: Any) -> Any:
        used.append(1)
        return received(path, receive)

    monkeypatch.setattr(load, "_received", counting)
    return used


def _second_engine(tmp_path: Path) -> Engine:
    tmp_path.mkdir(exist_ok=True)
    engine = make_engine(f"sqlite:///{tmp_path / 'in_process.db'}")
    migrate(engine)
    return engine


def test_a_worker_loads_exactly_what_one_process_loads(engine, tmp_path, forked):
    first, second = _write(tmp_path / "a.csv", _rows(300)), _write(tmp_path / "b.csv", _rows(420))
    alone = _second_engine(tmp_path)
    for path in (first, second, second):  # the second file again: everything already loaded
        with_worker = ingest_file(engine, path, MAPPING, chunk_rows=25, parallel=True)
        in_process = ingest_file(alone, path, MAPPING, chunk_rows=25, parallel=False)
        assert _report(with_worker) == _report(in_process)
    assert len(forked) == 3
    assert _contents(engine) == _contents(alone)
    report = _report(with_worker)
    assert report["status"] == "unchanged" and report["rows_already_loaded"] == 420
    counted = _report(ingest_file(_second_engine(tmp_path / "x"), first, MAPPING, parallel=False))
    assert counted["values"]["ref_truncated"] == 1  # one event, counted once
    assert counted["quarantined_by_reason"].keys() == {
        "duplicate_record_id", "missing_record_id", "missing_role", "unknown_role", "formula_value"
    }  # fmt: skip
    alone.dispose()


def test_a_worker_reads_parquet(sqlite_engine, tmp_path, forked):
    rows = _rows(120)
    table = pa.table({name: [r[i] or None for r in rows] for i, name in enumerate(HEADER)})
    pq.write_table(table, tmp_path / "a.parquet")
    alone = _second_engine(tmp_path)
    with_worker = ingest_file(sqlite_engine, tmp_path / "a.parquet", MAPPING, chunk_rows=50, parallel=True)
    in_process = ingest_file(alone, tmp_path / "a.parquet", MAPPING, chunk_rows=50, parallel=False)
    assert forked and _report(with_worker) == _report(in_process)
    assert _contents(sqlite_engine) == _contents(alone)


def test_a_crash_while_a_worker_reads_leaves_nothing_behind(sqlite_engine, tmp_path, forked):
    path = _write(tmp_path / "a.csv", _rows(500))

    def crash(_name: str, done: int) -> None:
        if done >= 100:
            raise RuntimeError("power cut")

    with pytest.raises(RuntimeError, match="power cut"):
        ingest_file(sqlite_engine, path, MAPPING, progress=crash, chunk_rows=20, parallel=True)
    assert forked and multiprocessing.active_children() == []
    with Session(sqlite_engine) as session:
        assert session.scalar(select(func.count()).select_from(SourceRow)) == 0
        assert session.scalar(select(func.count()).select_from(LoadBatch)) == 0


def test_a_file_the_worker_finds_ending_inside_a_quote_raises_and_writes_nothing(
    sqlite_engine, tmp_path, forked
):
    path = _write(tmp_path / "a.csv", _rows(400))
    path.write_bytes(path.read_bytes() + b'X1,C1,VIC,"CAFE, Zoe\r\nX2,C1,VIC,LAST\r\n')
    with pytest.raises(IngestError, match=r"opened on line 402 .* is never closed"):
        ingest_file(sqlite_engine, path, MAPPING, chunk_rows=50, parallel=True)
    assert forked and multiprocessing.active_children() == []
    with Session(sqlite_engine) as session:
        assert session.scalar(select(func.count()).select_from(SourceRow)) == 0


def test_a_worker_quarantines_broken_rows_as_one_process_does(engine, tmp_path, forked):
    """Rows the reader cannot read cleanly (a bad byte, a NUL, too few or too many cells, the
    header again, a quote swallowing the next row) go to quarantine the same way on either path,
    on both databases (PostgreSQL cannot store a NUL: it is kept as \\x00)."""
    path = _write(tmp_path / "a.csv", _rows(300))
    broken = [
        b'B1,C1,VIC,"CAF\xc9, Zo\xeb"\r\n',  # cp1252 bytes in a UTF-8 file
        b'B2,C1,VIC,"NUL, Ann\x00"\r\n',
        b"B3,C1,VIC\r\n",  # too few cells
        b'B4,C1,VIC,"SMITH, Jo",,,,,,,,surplus\r\n',  # too many
        ",".join(HEADER).encode() + b"\r\n",  # the header again
        b'B5,C1,VIC,"OPEN, Quote,,,,,,,\r\nB6,C1,VIC,"SWALLOWED, Row",,,,,,,\r\n',
        'B7,C1,VIC,"ÉLODIE, Zoë"\r\n'.encode() + b",,,,,,,\r\n",  # UTF-8 is fine
    ]
    path.write_bytes(path.read_bytes() + b"".join(broken))
    alone = _second_engine(tmp_path)
    with_worker = ingest_file(engine, path, MAPPING, chunk_rows=40, parallel=True)
    in_process = ingest_file(alone, path, MAPPING, chunk_rows=40, parallel=False)
    assert forked and _report(with_worker) == _report(in_process)
    assert _contents(engine) == _contents(alone)
    reasons = with_worker.quarantined_by_reason
    assert (reasons["bad_encoding"], reasons["bad_value"], reasons["repeated_header"]) == (1, 1, 1)
    assert reasons["wrong_cell_count"] == 3
    with Session(engine) as session:
        kept = {
            q.reason_code: q for q in session.scalars(select(Quarantine).where(Quarantine.row_number > 300))
        }
    assert kept["bad_encoding"].original["NAME"] == "CAF\\xc9, Zo\\xeb"
    assert "line 302 is not valid utf-8" in kept["bad_encoding"].reason
    assert kept["bad_value"].original["NAME"] == "NUL, Ann\\x00"
    alone.dispose()


def test_a_clash_in_a_bulk_insert_is_an_integrity_error_on_both_databases(engine, tmp_path):
    """What ingest_file turns into its Conflict ('another load wrote the same records'), whether
    the rows went by executemany (SQLite) or COPY (PostgreSQL)."""
    report = ingest_file(engine, _write(tmp_path / "a.csv", _rows(3)), MAPPING, parallel=False)
    with Session(engine) as session:
        ref = session.scalars(select(Event.ref)).first()
        row = (report.batch_id, "test_force", ref, "crime")
        with pytest.raises(IntegrityError):
            load.insert_tuples(session, load.EVENT, ["batch_id", "source", "ref", "type"], [row])
