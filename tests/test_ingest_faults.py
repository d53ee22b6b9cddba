"""Files as agencies really send them: duplicated columns, broken quotes, mixed encodings, a header
again mid-file, NULs, time zones, workbooks with several sheets. Nothing is lost: every row read is
loaded or quarantined with its reason, and a file that cannot be read safely is refused whole."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from joindots.cli.main import app
from joindots.errors import IngestError
from joindots.ingest.load import PartialLoad, ingest_dir, ingest_file
from joindots.ingest.mapping import Mapping, load_mapping
from joindots.ingest.readers import Faulty, open_table
from joindots.store.schema import LoadBatch, PersonRecord, Quarantine, RecordObject, SourceRow

MAPPING_YAML = """
source: street_team
record_id: ID
required_columns: [ID, NAME]
persons:
  - role: {value: subject}
    name: {column: NAME, format: "SURNAME, Forename"}
    dob: DOB
  - role: {value: associate}
    optional: true
    name: {column: FRIEND, format: "forename"}
    phones: [FRIEND_PHONE]
"""
HEADER = ["ID", "NAME", "DOB", "FRIEND", "FRIEND_PHONE"]


@pytest.fixture
def mapping() -> Mapping:
    return Mapping.model_validate(yaml.safe_load(MAPPING_YAML))


def lines(*rows: str) -> bytes:
    return ("\r\n".join([",".join(HEADER), *rows]) + "\r\n").encode()


def read_all(path: Path) -> list[dict[str, str | None]]:
    return [row for chunk in open_table(path).chunks for _, row in chunk]


def quarantined(engine) -> dict[int, tuple[str, str]]:
    with Session(engine) as session:
        rows = session.execute(select(Quarantine.row_number, Quarantine.reason_code, Quarantine.reason))
        return {n: (code, reason) for n, code, reason in rows}


def names(engine) -> list[tuple[str | None, str | None]]:
    with Session(engine) as session:
        stmt = select(PersonRecord.forename, PersonRecord.surname).order_by(PersonRecord.record_id)
        return [(f, s) for f, s in session.execute(stmt)]


# -- 1. duplicated column names ------------------------------------------------------------------


def test_a_repeated_column_keeps_both_values_in_csv_excel_and_parquet(tmp_path):
    (tmp_path / "f.csv").write_bytes(b"ID,NOTE,NOTE,\r\nA1,first,second,unnamed\r\n")
    book = openpyxl.Workbook()
    book.active.append(["ID", "NOTE", "NOTE"])
    book.active.append(["A1", "first", "second"])
    book.save(tmp_path / "f.xlsx")
    arrays = [pa.array(["A1"]), pa.array(["first"]), pa.array(["second"])]
    pq.write_table(pa.Table.from_arrays(arrays, ["ID", "NOTE", "NOTE"]), tmp_path / "f.parquet")
    for name in ("f.csv", "f.xlsx", "f.parquet"):
        opened = open_table(tmp_path / name)
        row = [r for chunk in opened.chunks for _, r in chunk][0]
        assert row["NOTE"] == "first" and row["NOTE__2"] == "second", name
        assert opened.duplicates == {"NOTE": 2}
    assert read_all(tmp_path / "f.csv")[0]["column_4"] == "unnamed"


def test_a_mapped_column_named_twice_is_refused_naming_it(engine, tmp_path, mapping):
    path = tmp_path / "f.csv"
    path.write_bytes(b'ID,NAME,DOB,NAME\r\nA1,"GREY, Ada",,"GREY, Adah"\r\n')
    with pytest.raises(IngestError, match="'NAME' 2 times"):
        ingest_file(engine, path, mapping)
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(LoadBatch)) == 0


# -- 2. broken CSV rows --------------------------------------------------------------------------


def test_an_unterminated_quote_quarantines_the_row_that_swallows_the_next(engine, tmp_path, mapping):
    path = tmp_path / "f.csv"
    path.write_bytes(lines('A1,"GREY, Ada,,,', 'A2,"MOSS, Ben",,,', 'A3,"OKAFOR, Chi",,,'))
    report = ingest_file(engine, path, mapping)
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (2, 1, 1)
    code, reason = quarantined(engine)[2]
    assert code == "broken_quotes" and "runs over lines 2-3 and its quotes do not pair up" in reason


def test_a_file_ending_inside_a_quote_is_refused_and_nothing_is_written(engine, tmp_path, mapping):
    path = tmp_path / "f.csv"
    path.write_bytes(lines('A1,"GREY, Ada",,,', 'A2,"MOSS, Ben,,,', "A3,OKAFOR,,,"))
    with pytest.raises(IngestError, match="opened on line 3 .* never closed"):
        ingest_file(engine, path, mapping)
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(SourceRow)) == 0


cell = st.text(alphabet=st.sampled_from(list('ab ,"\n\x00é')), max_size=6)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(cell, min_size=1, max_size=7), min_size=1, max_size=8), raw=st.booleans())
def test_every_row_read_is_loaded_or_quarantined(sqlite_engine, tmp_path, mapping, rows, raw):
    """Whatever an agency's file holds (ragged rows, stray quotes and NULs, written by a CSV writer
    or glued together by hand), rows read = loaded + quarantined + already loaded, or the file is
    refused whole with nothing written."""
    path = tmp_path / "any.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        if raw:
            handle.write("\r\n".join([",".join(HEADER), *(",".join(r) for r in rows)]))
        else:
            csv.writer(handle).writerows([HEADER, *([f"R{i}", *r] for i, r in enumerate(rows))])
    with Session(sqlite_engine) as session:
        before = session.scalar(select(func.count()).select_from(SourceRow))
    try:
        report = ingest_file(sqlite_engine, path, mapping)
    except IngestError:
        with Session(sqlite_engine) as session:
            assert session.scalar(select(func.count()).select_from(SourceRow)) == before
        return
    assert report.rows_read == report.rows_loaded + report.rows_quarantined + report.rows_already_loaded


# -- 3. and 13. encodings ------------------------------------------------------------------------


def test_a_bom_is_honoured_even_when_the_mapping_says_cp1252(engine, tmp_path, mapping):
    mapping.reader.encoding = "cp1252"
    path = tmp_path / "f.csv"
    path.write_bytes(b"\xef\xbb\xbf" + lines('A1,"BRONTË, Zoë",,,'))
    report = ingest_file(engine, path, mapping)
    assert report.rows_loaded == 1 and names(engine) == [("Zoë", "Brontë")]


def test_a_utf8_file_under_a_cp1252_mapping_is_refused_rather_than_garbled(engine, tmp_path, mapping):
    mapping.reader.encoding = "cp1252"
    path = tmp_path / "f.csv"
    path.write_bytes(lines('A1,"BRONTË, Zoë",,,'))
    with pytest.raises(IngestError, match="is UTF-8: 2 characters .* Set reader.encoding to auto"):
        ingest_file(engine, path, mapping)


def test_one_stray_windows_byte_quarantines_only_its_row(engine, tmp_path, mapping):
    path = tmp_path / "f.csv"
    path.write_bytes(lines('A1,"BRONTË, Zoë",,,') + b'A2,"PRICE, Sam",,,\xa350\r\n')  # a cp1252 pound
    report = ingest_file(engine, path, mapping)
    assert (report.rows_loaded, report.quarantined_by_reason) == (1, {"bad_encoding": 1})
    assert names(engine) == [("Zoë", "Brontë")]  # not 'ZoÃ«': the file stays UTF-8
    reason = quarantined(engine)[3][1]
    assert "line 3 is not valid utf-8 (byte 0xa3" in reason and "set reader.encoding" in reason


def test_a_windows_file_under_a_utf8_mapping_is_refused_with_the_line_and_advice(engine, tmp_path, mapping):
    mapping.reader.encoding = "utf-8"
    path = tmp_path / "f.csv"
    path.write_bytes(lines('A1,"MOSS, Ben",,,', 'A2,"BRONTË, Zoë",,,').decode().encode("cp1252"))
    with pytest.raises(
        IngestError, match=r"f.csv is not valid utf-8: .*0xcb\) is on line 3 .*set reader.encoding"
    ):
        ingest_file(engine, path, mapping)


# -- 4. a header again mid-file; 7. NUL ----------------------------------------------------------


def test_a_header_repeated_mid_file_is_quarantined_not_loaded_as_a_person(engine, tmp_path, mapping):
    path = tmp_path / "f.csv"
    path.write_bytes(lines('A1,"GREY, Ada",,,', ",".join(HEADER), 'A2,"MOSS, Ben",,,'))
    report = ingest_file(engine, path, mapping)
    assert report.quarantined_by_reason == {"repeated_header": 1} and report.rows_loaded == 2
    assert quarantined(engine)[3][0] == "repeated_header"


def test_a_nul_is_quarantined_on_both_databases(engine, tmp_path, mapping):
    path = tmp_path / "f.csv"
    path.write_bytes(lines('A1,"GREY, A\x00da",,,', 'A2,"MOSS, Ben",,,'))
    report = ingest_file(engine, path, mapping)
    assert report.quarantined_by_reason == {"bad_value": 1} and report.rows_loaded == 1
    with Session(engine) as session:
        assert session.scalar(select(Quarantine.original))["NAME"] == "GREY, A\\x00da"


# -- 5. Parquet ----------------------------------------------------------------------------------


def test_parquet_times_with_a_zone_keep_their_local_date_and_bytes_read_as_text(tmp_path):
    late_utc = dt.datetime(1990, 5, 31, 23, 30, tzinfo=dt.UTC)  # 00:30 on 1 June in London (BST)
    table = pa.table(
        {
            "ID": pa.array([b"A1", b"A2"], pa.binary()),
            "NAME": pa.array([b"DANIELS, Amy", b"\xffBAD"], pa.binary()),
            "DOB": pa.array([late_utc, late_utc], pa.timestamp("us", "Europe/London")),
        }
    )
    pq.write_table(table, tmp_path / "f.parquet")
    rows = read_all(tmp_path / "f.parquet")
    assert rows[0] == {"ID": "A1", "NAME": "DANIELS, Amy", "DOB": "1990-06-01 00:30:00"}
    assert isinstance(rows[1], Faulty) and rows[1].code == "bad_encoding" and rows[1]["NAME"] == "\\xffBAD"


# -- 6. Excel sheets -----------------------------------------------------------------------------


def _workbook(path: Path, sheets: dict[str, list[list[str]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def test_a_workbook_with_several_sheets_of_data_is_refused_listing_them(engine, tmp_path, mapping):
    rows = [HEADER, ["A1", "GREY, Ada"]]
    path = _workbook(tmp_path / "f.xlsx", {"2010-2015": rows, "2016-": rows, "Empty": []})
    with pytest.raises(IngestError, match=r"2 sheets with data: \['2010-2015', '2016-'\]; set reader.sheet"):
        ingest_file(engine, path, mapping)
    mapping.reader.sheet = "Nope"
    with pytest.raises(IngestError, match=r"no sheet 'Nope'; its sheets: \['2010-2015', '2016-', 'Empty'\]"):
        ingest_file(engine, path, mapping)
    mapping.reader.sheet = 5
    with pytest.raises(IngestError, match="no sheet number 5"):
        ingest_file(engine, path, mapping)
    mapping.reader.sheet = 1
    assert ingest_file(engine, path, mapping).rows_loaded == 1


def test_a_workbook_with_one_sheet_of_data_and_blank_ones_loads(engine, tmp_path, mapping):
    path = _workbook(tmp_path / "f.xlsx", {"Blank": [], "Data": [HEADER, ["A1", "GREY, Ada"]]})
    assert ingest_file(engine, path, mapping).rows_loaded == 1


# -- 8. optional people --------------------------------------------------------------------------


def test_an_optional_person_with_a_phone_but_no_name_is_kept(engine, tmp_path, mapping):
    path = tmp_path / "f.csv"
    path.write_bytes(lines('A1,"GREY, Ada",,,07700 900123', 'A2,"MOSS, Ben",,,'))
    report = ingest_file(engine, path, mapping)
    assert report.person_records == 3
    with Session(engine) as session:
        stmt = select(RecordObject.value).join(PersonRecord).where(PersonRecord.record_id == "A1#1")
        assert session.scalar(stmt) == "+447700900123"


# -- 9. mapping checks ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("format: auto", "encoding: utf-9"), r"reader.encoding: unknown encoding 'utf-9'"),
        (("format: auto", 'delimiter: ",,"'), r"reader.delimiter: the delimiter must be auto or one"),
        (("format: auto", 'delimiter: ""'), r"reader.delimiter"),
        (("{value: subject}", "{value: subjct}"), r"persons.0.role: unknown role\(s\) \['subjct'\]"),
        (("dob: DOB", 'dob: {column: DOB, format: "%d/%Q"}'), r"'Q' is a bad directive"),
        (("dob: DOB", 'dob: {column: DOB, format: "dd/mm/yyyy"}'), r"has no % directives"),
        (("dob: DOB", "dob: {column: DOB, normaliser: upper}"), r"persons.0.dob.normaliser: not a key here"),
    ],
)
def test_mapping_mistakes_are_refused_naming_the_file_and_key(tmp_path, change, message):
    text = MAPPING_YAML.replace("persons:", "reader:\n  format: auto\npersons:", 1)
    path = tmp_path / "street.yaml"
    path.write_text(text.replace(*change, 1), encoding="utf-8")
    with pytest.raises(IngestError, match=f"street.yaml is not valid: .*{message}"):
        load_mapping(path)


def test_a_mapping_saved_as_utf16_is_refused_clearly(tmp_path):
    path = tmp_path / "street.yaml"
    path.write_text(MAPPING_YAML, encoding="utf-16")
    with pytest.raises(IngestError, match="street.yaml is not UTF-8 text"):
        load_mapping(path)


# -- 10., 12., 14. the command line --------------------------------------------------------------


def test_cli_errors_keep_square_brackets_in_file_names(db_env, tmp_path):
    (tmp_path / "m.yaml").write_text(MAPPING_YAML, encoding="utf-8")
    path = tmp_path / "street team [v2].csv"
    path.write_bytes(b"ID,DOB\r\nA1,\r\n")
    result = CliRunner().invoke(app, ["ingest", str(path), "-m", str(tmp_path / "m.yaml")])
    assert result.exit_code == 2 and "street team [v2].csv lacks" in " ".join(result.output.split())


@pytest.mark.parametrize(
    "url",
    ["sqlite:////no/such/folder/x.db", "nonsense://x", "postgresql+psycopg://ann:s3cret@127.0.0.1:1/none"],
)
def test_a_database_that_cannot_be_opened_is_a_clear_error_without_the_password(monkeypatch, tmp_path, url):
    from joindots.settings import get_settings

    monkeypatch.setenv("JOINDOTS_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["ingest", str(tmp_path / "x.csv"), "-m", str(tmp_path / "m.yaml")])
    finally:
        get_settings.cache_clear()
    said = " ".join(result.output.split())
    assert result.exit_code == 2 and "cannot open the database" in said and "JOINDOTS_DATABASE_URL" in said
    assert "s3cret" not in said and "Traceback" not in said


def test_evaluate_groups_refuses_an_unknown_view(cli_db, tmp_path):
    result = CliRunner().invoke(
        app, ["evaluate-groups", "--truth", str(tmp_path / "g.csv"), "--view", "bogus"]
    )
    assert result.exit_code == 2 and "unknown view 'bogus'" in result.output


# -- 11. a folder of files -----------------------------------------------------------------------


def test_ingest_dir_reports_every_file_and_fails_when_any_failed(db_env, tmp_path):
    for folder in ("sources", "mappings"):
        (tmp_path / folder).mkdir()
    for stem in ("good", "broken"):
        text = MAPPING_YAML.replace("street_team", stem)
        (tmp_path / "mappings" / f"{stem}.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "sources" / "good.CSV").write_bytes(lines('A1,"GREY, Ada",,,'))
    (tmp_path / "sources" / "broken.csv").write_bytes(b"ID,DOB\r\nA1,\r\n")
    (tmp_path / "sources" / "old.xls").write_bytes(b"\xd0\xcf")
    (tmp_path / "sources" / "orphan.csv").write_bytes(lines('A9,"LEE, Dan",,,'))
    with pytest.raises(PartialLoad) as raised:
        ingest_dir(db_env, tmp_path)
    outcome = {r.file_name: (r.status, r.error) for r in raised.value.reports}
    assert outcome["good.CSV"] == ("loaded", None)
    assert outcome["broken.csv"][0] == "failed" and "lacks required column" in str(outcome["broken.csv"][1])
    assert outcome["old.xls"] == ("skipped", "old Excel (.xls) is not read: save it as .xlsx")
    assert outcome["orphan.csv"][0] == "failed" and "no mapping for orphan.csv" in str(
        outcome["orphan.csv"][1]
    )
    result = CliRunner().invoke(app, ["ingest-dir", str(tmp_path)])
    said = " ".join(result.output.split())
    assert result.exit_code == 2 and "2 of 4 files failed (1 loaded)" in said
    assert "good.CSV" in said and "old.xls" in said and "no mapping for orphan.csv" in said


# -- 15. a corrected re-export; the same file under another source -------------------------------


def test_a_corrected_reexport_is_counted_and_named_not_passed_over(engine, tmp_path, mapping):
    path = tmp_path / "f.csv"
    path.write_bytes(lines('A1,"GREY, Ada",01/02/1990,,', 'A2,"MOSS, Ben",,,'))
    ingest_file(engine, path, mapping)
    path.write_bytes(lines('A1,"GREY, Ada",01/02/1991,,', 'A2,"MOSS, Ben",,,'))
    again = ingest_file(engine, path, mapping)
    assert (again.status, again.rows_changed_since_loaded, again.changed_record_ids) == (
        "unchanged",
        1,
        ["A1"],
    )


def test_the_same_file_under_another_source_is_refused_unless_forced(engine, tmp_path, mapping):
    path = tmp_path / "f.csv"
    path.write_bytes(lines('A1,"GREY, Ada",,,'))
    ingest_file(engine, path, mapping)
    other = mapping.model_copy(update={"source": "other_team"})
    with pytest.raises(IngestError, match="loaded before as source 'street_team'.*--force"):
        ingest_file(engine, path, other)
    assert ingest_file(engine, path, other, force=True).rows_loaded == 1
