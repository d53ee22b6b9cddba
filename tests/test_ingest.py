"""Readers, validation, quarantine, idempotence and atomicity of one file's load."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import re
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from joindots.audit.tables import AccessLog
from joindots.cli.main import app
from joindots.errors import IngestError
from joindots.ingest import normalise as norm
from joindots.ingest.load import ingest_dir, ingest_file
from joindots.ingest.mapping import NAME_FORMATS, Mapping, load_mapping
from joindots.ingest.readers import open_table
from joindots.store.schema import Event, LoadBatch, PersonRecord, Quarantine, RecordObject, SourceRow

MAPPING_YAML = """
source: test_force
record_id: ID
required_columns: [ID, REF, NAME]
dates: {dayfirst: true}  # no explicit format: 03/04 is flagged ambiguous
event:
  ref: REF
  type: {value: crime}
  date: DATE
  notes: NOTES
persons:
  - role: {column: ROLE, values: {VIC: victim, SUS: suspect}}
    name: {column: NAME, format: "SURNAME, Forename"}
    dob: DOB
    postcode: POSTCODE
    phones: [PHONE]
    vehicles: [VRM]
  - role: {value: associate}
    optional: true
    name: {column: ASSOCIATE, format: "forename surname"}
"""
HEADER = ["ID", "REF", "ROLE", "NAME", "DOB", "POSTCODE", "PHONE", "VRM", "DATE", "NOTES", "ASSOCIATE"]
ROWS = [
    ["N1", "C1", "VIC", "WINTER, Jade", "03/04/2008", "hd31da", "07700 900123", "", "01/02/2020", "Seen with men", "Kaz"],
    ["N2", "C1", "SUS", "AKHTAR, Omar Ali", "12/12/1980", "LS26 0GP", "+44 7700 900456", "ab12 cde", "01/02/2020", "", ""],
    ["N3", "C2", "VIC", "O'BRIEN, Zoë", "31/02/2009", "nonsense", "", "", "05/06/2021", "Lives at 007", ""],
]  # fmt: skip


@pytest.fixture
def mapping() -> Mapping:
    import yaml

    return Mapping.model_validate(yaml.safe_load(MAPPING_YAML))


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8", sep: str = ",") -> Path:
    lines = [sep.join(HEADER)] + [
        sep.join(f'"{v}"' if (sep in v or "\n" in v) else v for v in r) for r in rows
    ]
    path.write_bytes("\r\n".join(lines).encode(encoding) + b"\r\n")
    return path


def count(session: Session, table: type) -> int:
    return session.scalar(select(func.count()).select_from(table)) or 0


# ------------------------------------------------------------------------------------- readers


@pytest.mark.parametrize(
    ("encoding", "sep"),
    [
        ("utf-8", ","),
        ("utf-8-sig", ";"),
        ("cp1252", ","),
        ("utf-16", "\t"),
        ("utf-8", "|"),
        ("utf-16-le", ","),
        ("utf-16-be", ";"),
    ],  # fmt: skip
)
def test_csv_encodings_and_delimiters_are_detected(tmp_path, encoding, sep):
    path = write_csv(tmp_path / "f.csv", ROWS, encoding, sep)
    table = open_table(path)
    rows = [row for chunk in table.chunks for _, row in chunk]
    assert table.columns == HEADER and table.delimiter == sep
    assert [r["NAME"] for r in rows] == ["WINTER, Jade", "AKHTAR, Omar Ali", "O'BRIEN, Zoë"]
    assert rows[0]["VRM"] is None and rows[2]["NOTES"] == "Lives at 007"


def test_cp1252_is_told_apart_from_utf8(tmp_path):
    path = write_csv(tmp_path / "f.csv", ROWS, "cp1252")
    assert open_table(path).encoding == "cp1252"


def test_quoted_newlines_and_leading_zeros(tmp_path):
    rows = [["007", "C1", "VIC", "WINTER, Jade", "", "", "", "", "", "line one\nline two", ""]]
    path = write_csv(tmp_path / "f.csv", rows)
    (number, row), *_ = next(open_table(path).chunks)
    assert row["ID"] == "007" and row["NOTES"] == "line one\nline two" and number == 2


def test_rows_stream_in_chunks(tmp_path):
    path = write_csv(tmp_path / "f.csv", ROWS * 3)
    sizes = [len(chunk) for chunk in open_table(path, chunk_rows=4).chunks]
    assert sizes == [4, 4, 1]


def test_excel_values_become_strings(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    sheet.append(
        [
            "007",
            "C1",
            "VIC",
            "WINTER, Jade",
            dt.datetime(2008, 4, 3),
            "HD3 1DA",
            7700900123,
            None,
            43000,
            '=HYPERLINK("x")',
            None,
        ]
    )
    book.save(tmp_path / "f.xlsx")
    ((_, row),) = next(open_table(tmp_path / "f.xlsx").chunks)
    assert row["ID"] == "007" and row["DOB"] == "2008-04-03" and row["PHONE"] == "7700900123"
    assert row["DATE"] == "43000" and row["NOTES"] == '=HYPERLINK("x")'  # formulas come back as text


def test_parquet_values_become_strings(tmp_path):
    table = pa.table({"ID": ["007", "N2"], "DOB": [dt.datetime(2008, 4, 3), None], "FLAG": [True, False]})
    pq.write_table(table, tmp_path / "f.parquet")
    rows = [row for chunk in open_table(tmp_path / "f.parquet").chunks for _, row in chunk]
    assert rows == [
        {"ID": "007", "DOB": "2008-04-03", "FLAG": "true"},
        {"ID": "N2", "DOB": None, "FLAG": "false"},
    ]


# ---------------------------------------------------------------------------------------- loads


def test_a_file_loads_with_normalised_values(engine, tmp_path, mapping):
    report = ingest_file(engine, write_csv(tmp_path / "f.csv", ROWS), mapping, actor="tester")
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (3, 3, 0)
    assert (report.person_records, report.events, report.objects) == (4, 2, 3)
    assert report.values["dob_impossible"] == 1 and report.values["postcode_invalid"] == 1
    assert report.values["postcode_reformatted"] == 1 and report.values["dob_ambiguous"] == 1
    with Session(engine) as session:
        people = {p.record_id: p for p in session.scalars(select(PersonRecord))}
        assert set(people) == {"N1", "N1#1", "N2", "N3"}
        jade = people["N1"]
        assert (jade.forename, jade.surname, jade.dob, jade.dob_ambiguous) == (
            "Jade",
            "Winter",
            dt.date(2008, 4, 3),
            True,
        )
        assert (
            jade.postcode == "HD3 1DA"
            and people["N1#1"].forename == "Kaz"
            and people["N1#1"].role == "associate"
        )
        assert (people["N2"].middle_names, people["N2"].role) == ("Ali", "suspect")
        assert (people["N3"].surname, people["N3"].forename, people["N3"].dob) == ("O'Brien", "Zoë", None)
        assert people["N1"].event_id == people["N2"].event_id  # one crime, two people
        objects = set(session.execute(select(RecordObject.kind, RecordObject.value)).tuples())
        assert objects == {("phone", "+447700900123"), ("phone", "+447700900456"), ("vehicle", "AB12CDE")}
        original = session.scalar(select(SourceRow.original).where(SourceRow.source_record_id == "N1"))
        assert original["POSTCODE"] == "hd31da"  # the agency's value, untouched
        log = session.scalars(select(AccessLog).where(AccessLog.actor == "tester")).all()
        assert [e.action for e in log] == ["collection"] and log[0].subject == f"load_batch:{report.batch_id}"


def test_bad_rows_are_quarantined_with_reasons(engine, tmp_path, mapping):
    rows = ROWS + [
        ["N1", "C9", "VIC", "DUPLICATE, Row", "", "", "", "", "", "", ""],
        ["", "C9", "VIC", "NOID, Row", "", "", "", "", "", "", ""],
        ["N4", "C9", "ZZZ", "ODD, Role", "", "", "", "", "", "", ""],
        ["N5", "C9", "VIC", '=HYPERLINK("http://example.invalid")', "", "", "", "", "", "", ""],
        ["N6", "C9", "VIC", "NOTES, Formula", "", "", "", "", "", "=1+2", ""],
    ]  # fmt: skip
    report = ingest_file(engine, write_csv(tmp_path / "f.csv", rows), mapping)
    assert report.rows_read == report.rows_loaded + report.rows_quarantined == 8
    assert report.quarantined_by_reason == {
        "duplicate_record_id": 1, "formula_value": 1, "missing_record_id": 1, "unknown_role": 1
    }  # fmt: skip
    assert report.values["formula_kept_notes"] == 1
    with Session(engine) as session:
        reasons = session.execute(
            select(Quarantine.row_number, Quarantine.reason_code, Quarantine.reason)
        ).all()
        assert {(n, code) for n, code, _ in reasons} == {
            (5, "duplicate_record_id"), (6, "missing_record_id"), (7, "unknown_role"), (8, "formula_value")
        }  # fmt: skip
        assert all(reason for _, _, reason in reasons)
        notes = session.scalar(select(Event.notes).where(Event.ref == "C9"))
        assert notes == "=1+2"  # kept as text, counted; exporters escape it


def test_loading_twice_adds_nothing_and_a_later_extract_adds_only_new_rows(engine, tmp_path, mapping):
    bad = ["", "C9", "VIC", "NOID, Row", "", "", "", "", "", "", ""]
    first = ingest_file(engine, write_csv(tmp_path / "a.csv", [*ROWS[:2], bad]), mapping)
    again = ingest_file(engine, write_csv(tmp_path / "a.csv", [*ROWS[:2], bad]), mapping)
    assert first.status == "loaded" and again.status == "unchanged"
    assert again.rows_already_loaded == 3 and again.rows_loaded == again.rows_quarantined == 0
    later = ingest_file(engine, write_csv(tmp_path / "b.csv", ROWS), mapping)
    assert (later.rows_loaded, later.rows_already_loaded, later.events) == (1, 2, 1)
    with Session(engine) as session:
        assert (count(session, SourceRow), count(session, LoadBatch), count(session, Quarantine)) == (3, 2, 1)
        assert count(session, Event) == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"ID,REF,ROLE\r\nN1,C1,VIC\r\n", r"lacks required column\(s\) \['NAME'\]"),
        (("\r\n".join([",".join(HEADER)])).encode(), "header but no rows"),
    ],
)
def test_files_that_cannot_load_raise_and_write_nothing(engine, tmp_path, mapping, content, message):
    path = tmp_path / "f.csv"
    path.write_bytes(content)
    with pytest.raises(IngestError, match=message):
        ingest_file(engine, path, mapping)
    with Session(engine) as session:
        assert count(session, LoadBatch) == count(session, SourceRow) == count(session, AccessLog) == 0


def test_an_undecodable_file_raises_and_writes_nothing(engine, tmp_path, mapping):
    mapping.reader.encoding = "utf-8"
    path = write_csv(tmp_path / "f.csv", ROWS * 2000, "cp1252")  # the bad byte comes after a chunk
    with pytest.raises(
        IngestError, match=r"not valid utf-8: .* on line 4 \(about row 4\); set reader.encoding"
    ):
        ingest_file(engine, path, mapping, chunk_rows=10)
    with Session(engine) as session:
        assert count(session, LoadBatch) == count(session, SourceRow) == 0


def test_a_crash_mid_load_leaves_the_last_good_state(engine, tmp_path, mapping):
    ingest_file(engine, write_csv(tmp_path / "a.csv", ROWS[:1]), mapping)
    rows = [[f"X{i}", f"C{i}", "VIC", f"NAME, Row{i}", "", "", "", "", "", "", ""] for i in range(50)]

    def crash(_name: str, done: int) -> None:
        if done >= 20:
            raise RuntimeError("power cut")

    with pytest.raises(RuntimeError, match="power cut"):
        ingest_file(engine, write_csv(tmp_path / "b.csv", rows), mapping, progress=crash, chunk_rows=10)
    with Session(engine) as session:
        assert (count(session, LoadBatch), count(session, SourceRow), count(session, PersonRecord)) == (
            1,
            1,
            2,
        )
        assert count(session, AccessLog) == 1
    redo = ingest_file(engine, write_csv(tmp_path / "b.csv", rows), mapping)
    assert redo.rows_loaded == 50


def test_missing_optional_columns_are_reported(engine, tmp_path, mapping):
    path = tmp_path / "f.csv"
    path.write_text('ID,REF,ROLE,NAME\nN1,C1,VIC,"WINTER, Jade"\n', encoding="utf-8")
    report = ingest_file(engine, path, mapping)
    assert report.rows_loaded == 1 and "PHONE" in report.missing_optional_columns


# ------------------------------------------------------------------------------------------ CLI


def test_cli_loads_a_file_and_fails_clearly_on_a_bad_one(db_env, tmp_path):
    (tmp_path / "m.yaml").write_text(MAPPING_YAML, encoding="utf-8")
    good = write_csv(tmp_path / "good.csv", ROWS)
    runner = CliRunner()
    result = runner.invoke(app, ["ingest", str(good), "--mapping", str(tmp_path / "m.yaml")])
    assert result.exit_code == 0, result.output
    assert "test_force" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_bytes(codecs.BOM_UTF8 + b"ID,REF\r\nN1,C1\r\n")
    result = runner.invoke(app, ["ingest", str(bad), "--mapping", str(tmp_path / "m.yaml")])
    assert result.exit_code == 2 and "lacks required column" in result.output


def test_the_worked_example_in_the_docs(engine, tmp_path):
    doc = (Path(__file__).parents[1] / "docs" / "mapping.md").read_text(encoding="utf-8")
    example = doc.split("## Worked example", 1)[1]
    data, yaml_text = re.findall(r"```(?:yaml)?\n(.*?)```", example, flags=re.S)[:2]
    (tmp_path / "yos_contacts.csv").write_bytes(data.replace("\n", "\r\n").encode("cp1252"))
    (tmp_path / "m.yaml").write_text(yaml_text, encoding="utf-8")
    report = ingest_file(engine, tmp_path / "yos_contacts.csv", tmp_path / "m.yaml")
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (2, 2, 0)
    assert report.values["dob_impossible"] == 1 and report.values["formula_kept_notes"] == 1
    with Session(engine) as session:
        people = {p.record_id: p for p in session.scalars(select(PersonRecord))}
        objects = set(session.execute(select(RecordObject.kind, RecordObject.value)).tuples())
    tomasz, jonny, mia = people["YC-001"], people["YC-001#1"], people["YC-002"]
    assert (tomasz.forename, tomasz.surname, tomasz.dob, tomasz.sex) == (
        "Tomasz",
        "Novak",
        dt.date(2008, 4, 23),
        "M",
    )
    assert tomasz.postcode == "BD7 1AA" and jonny.forename == "Jonny" and jonny.role == "associate"
    assert (mia.forename, mia.middle_names, mia.surname, mia.dob) == ("Mia", "Rose", "Ellis", None)
    assert objects == {("phone", "+447700900311"), ("vehicle", "AB12CDE")}


def test_windows_bytes_after_the_sample_switch_auto_detection_to_cp1252(tmp_path):
    filler = [[f"N{i}", "C1", "VIC", "SMITH, Ann", "", "", "", "", "", "", ""] for i in range(12000)]
    path = write_csv(tmp_path / "f.csv", [*filler, ROWS[2]], "cp1252")  # 'Zoë' is past the first 256 KiB
    assert path.stat().st_size > 256 * 1024
    table = open_table(path)
    last = [row for chunk in table.chunks for _, row in chunk][-1]
    assert table.encoding == "cp1252" and last["NAME"] == "O'BRIEN, Zoë"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            MAPPING_YAML.replace('format: "SURNAME, Forename"', 'format: "given family"'),
            "unknown name format",
        ),
        (MAPPING_YAML.replace("dob: DOB", "shoe_size: DOB"), "unknown person field"),
        (MAPPING_YAML.replace("record_id: ID\n", ""), "record_id"),
        ("source: [unclosed", "not valid YAML"),
    ],
)
def test_bad_mappings_are_refused_clearly(tmp_path, text, message):
    (tmp_path / "m.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(IngestError, match=message):
        load_mapping(tmp_path / "m.yaml")


def test_mapping_and_normaliser_agree_on_name_formats():
    assert set(NAME_FORMATS) == set(norm.NAME_FORMATS)


cell = st.text(alphabet=st.sampled_from(list("abcXYZ019 ,;|\"'\n-=éë£")), max_size=8)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(st.lists(cell, min_size=3, max_size=3), min_size=1, max_size=6),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]),
    sep=st.sampled_from([",", ";", "|", "\t"]),
)
@example(  # a small cp1252 file thick with accents, where charset-normalizer names no encoding at all
    rows=[["£=£", "ëbX0ëé", "'£ \nca£"], ["cb'", "|,=Y,Y", ""], ["", "Yë1bë '", "Y1 ëX-'"]],
    encoding="cp1252",
    sep=",",
)
def test_any_csv_reads_back_as_written(tmp_path, rows, encoding, sep):
    path = tmp_path / "any.csv"
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=sep)
        writer.writerow(["A a", "B;b", "C|c"])
        writer.writerows(rows)
    data = path.read_bytes()
    # cp1252 bytes that are also valid UTF-8 with a multibyte character ('é££' is E9 A3 A3, which is
    # UTF-8 for one CJK character) cannot be told apart; such a file is read as UTF-8, as everyone does
    assume(encoding != "cp1252" or not _valid_utf8_beyond_ascii(data))
    table = open_table(path)
    got = [[row.get(c) for c in table.columns] for chunk in table.chunks for _, row in chunk]
    expected = [[v.strip() or None for v in r] for r in rows if any(v.strip() for v in r)]
    assert table.columns == ["A a", "B;b", "C|c"] and got == expected


def _valid_utf8_beyond_ascii(data: bytes) -> bool:
    try:
        return data.decode("utf-8") != data.decode("ascii", "replace")
    except UnicodeDecodeError:
        return False


def test_cp1252_bytes_that_are_also_utf8_are_read_as_utf8(tmp_path):
    """The one reading a file's bytes cannot settle: read as UTF-8 (the standard's tie-break), the
    file's only other reading being cp1252. Told here so the choice is deliberate."""
    path = tmp_path / "tie.csv"
    path.write_bytes("A,B\nx,é££\n".encode("cp1252"))
    table = open_table(path)
    assert table.encoding in ("utf-8", "utf_8")
    assert [row.get("B") for chunk in table.chunks for _, row in chunk] == ["\u98e3"]


def test_rows_without_an_id_are_told_apart_by_their_values(engine, tmp_path, mapping):
    first = ["", "C9", "VIC", "NOID, First", "", "", "", "", "", "", ""]
    other = ["", "C9", "VIC", "NOID, Other", "", "", "", "", "", "", ""]
    ingest_file(engine, write_csv(tmp_path / "a.csv", [first]), mapping)
    again = ingest_file(engine, write_csv(tmp_path / "b.csv", [first]), mapping)
    later = ingest_file(engine, write_csv(tmp_path / "c.csv", [other]), mapping)  # same row number
    assert (again.status, again.rows_already_loaded) == ("unchanged", 1)
    assert later.rows_quarantined == 1 and later.quarantined_by_reason == {"missing_record_id": 1}


def test_overlong_values_are_kept_and_counted_and_ragged_rows_quarantined(engine, tmp_path, mapping):
    long_name = "WINTER, " + "J" * 150
    rows = [
        ["N1", "C1", "VIC", long_name, "", "", "", "", "", "", ""],
        ["N2", "C1", "VIC", "AKHTAR, Omar", "", "", "", "", "", "", "", "surplus"],
        ["N3", "C1", "VIC"],
        ["N4", "C1", "VIC", "BLANK, Tail", "", "", "", "", "", "", "", "", ""],  # empty cells past the end
    ]
    report = ingest_file(engine, write_csv(tmp_path / "f.csv", rows), mapping)
    assert report.rows_loaded == 2 and report.values["forename_truncated"] == 1
    assert report.quarantined_by_reason == {"wrong_cell_count": 2}
    with Session(engine) as session:
        forename = session.scalar(select(PersonRecord.forename).where(PersonRecord.record_id == "N1"))
        original = session.scalar(select(SourceRow.original).where(SourceRow.source_record_id == "N1"))
        reasons = dict(session.execute(select(Quarantine.row_number, Quarantine.reason)).all())
        kept = session.scalar(select(Quarantine.original).where(Quarantine.row_number == 3))
    assert forename == "J" + "j" * 99 and original["NAME"] == long_name
    assert reasons == {
        3: "the row has 12 cells where the header has 11",
        4: "the row has 3 cells where the header has 11",
    }
    assert kept["NAME"] == "AKHTAR, Omar" and kept["__extra__"] == "surplus"  # nothing lost


def test_ingest_dir_needs_a_mapping_for_every_file(engine, tmp_path):
    (tmp_path / "sources").mkdir()
    (tmp_path / "mappings").mkdir()
    write_csv(tmp_path / "sources" / "stray.csv", ROWS)
    with pytest.raises(IngestError, match="no mapping for stray.csv"):
        ingest_dir(engine, tmp_path)
