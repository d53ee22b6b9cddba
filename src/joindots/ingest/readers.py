"""Readers: CSV (any common encoding and delimiter), Excel and Parquet, streamed in chunks.

Every value comes back as a string (leading zeros kept) or None for an empty cell, so a 1 GB file
never has to be held in memory as Python objects: `read_rows` yields lists of row dicts.

A row the reader cannot read cleanly (a bad byte, a NUL, the wrong number of cells, the header
again) comes back as a `Faulty` row: its values as read, with a reason code; the loader quarantines
it. A header naming a column twice keeps both: the later one is read as `NAME__2`.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from joindots.errors import IngestError
from joindots.ingest.mapping import ReaderSpec

Row = dict[str, str | None]
SAMPLE_BYTES = 256 * 1024
DELIMITERS = (",", ";", "|", "\t")
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
ENCODING_ADVICE = "set reader.encoding in the mapping (e.g. cp1252) if the whole file is in another encoding"
csv.field_size_limit(64 * 1024 * 1024)


class Faulty(dict[str, str | None]):
    """A row the reader could not read cleanly: its values as read (nothing dropped), quarantined
    by the loader with `code` and `reason`."""

    def __init__(self, values: Row, code: str, reason: str) -> None:
        super().__init__(values)
        self.code = code
        self.reason = reason

    def __reduce__(self) -> tuple[Any, ...]:  # to and from a worker process
        return (Faulty, (dict(self), self.code, self.reason))


@dataclass
class Table:
    """An open file: its header and a generator of row chunks (row numbers start at 2, after the
    header, as a spreadsheet user would count). `duplicates`: header names that appear more than
    once, with how often (the later copies are read as NAME__2, NAME__3...)."""

    columns: list[str]
    chunks: Iterator[list[tuple[int, Row]]]
    encoding: str | None = None
    delimiter: str | None = None
    info: dict[str, Any] = field(default_factory=dict)
    close: Callable[[], None] = lambda: None  # for a table whose chunks will not be read
    duplicates: dict[str, int] = field(default_factory=dict)


def as_text(value: Any) -> str | None:
    """A cell as a string: dates in ISO form, whole floats without '.0', booleans 'true'/'false'."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        if value != value:  # NaN
            return None
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def unique_columns(names: list[str]) -> tuple[list[str], dict[str, int]]:
    """Header names as keys: an empty name becomes column_N (its position), a repeated one NAME__2,
    NAME__3... so no column overwrites another. Also {name: count} of the repeated names."""
    out: list[str] = []
    seen: set[str] = set()
    counts: dict[str, int] = {}
    for i, raw in enumerate(names):
        name = raw or f"column_{i + 1}"
        counts[name] = counts.get(name, 0) + 1
        key, n = name, counts[name]
        while key in seen:
            key, n = f"{name}__{n}", n + 1
        seen.add(key)
        out.append(key)
    return out, {name: n for name, n in counts.items() if n > 1}


# -- encodings ------------------------------------------------------------------------------------


def utf8_profile(path: Path) -> tuple[int, int]:
    """(characters that take several bytes in UTF-8, bytes that are not UTF-8) in the whole file,
    streamed 1 MiB at a time."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    multibyte = invalid = 0
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            if block.isascii() and not decoder.getstate()[0]:
                continue
            text = decoder.decode(block)
            bad = text.count("\ufffd")
            invalid += bad
            multibyte += len(text) - len(text.encode("ascii", "ignore")) - bad
    invalid += decoder.decode(b"", final=True).count("\ufffd")
    return multibyte, invalid


def first_bad_utf8(path: Path) -> tuple[int, str]:
    """(line number, the byte in hex) of the first byte of the file that is not UTF-8."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = 1
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            pending = decoder.getstate()[0]
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                data = pending + block
                return lines + data[: exc.start].count(b"\n"), data[exc.start : exc.start + 1].hex()
            lines += block.count(b"\n")
    return lines, ""


def _not_utf8(path: Path, wanted: str) -> IngestError:
    line, byte = first_bad_utf8(path)
    return IngestError(
        f"{path.name} is not valid {wanted}: none of its characters are written the UTF-8 way and the "
        f"first byte that cannot be UTF-8 (0x{byte}) is on line {line} (about row {line}); "
        f"{ENCODING_ADVICE}, or to auto"
    )


def is_single_byte(encoding: str) -> bool:
    """Whether a codec reads every byte as one character (cp1252, latin-1...): one that never fails
    and so garbles UTF-8 without a word ('Zoë' as 'ZoÃ«')."""
    name = codecs.lookup(encoding).name
    return not name.startswith("utf") and len(b"\xc3\xab".decode(name, "replace")) == 2


def _guess_single_byte(sample: bytes) -> str:
    """cp1252 where the bytes fit it: Western files from Windows are far more likely than the exotic
    code pages a guesser may name (and on a small file with many accents it may name none); else
    charset-normalizer's guess."""
    try:
        sample.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(sample[:65536]).best()
    if best is None:
        raise IngestError(f"cannot tell the file's character encoding; {ENCODING_ADVICE}")
    return best.encoding.replace("_", "-")


def detect_encoding(sample: bytes, path: Path | None = None) -> str:
    """UTF-8 (with or without BOM), UTF-16 (by BOM, or by its zero bytes), else UTF-8 when the file
    holds any UTF-8 characters at all (a stray bad byte then spoils only its row), else what
    charset-normalizer says (usually cp1252 for files from Windows)."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    head = sample[:4096]
    if head.count(0) > len(head) // 4:  # UTF-16 without a BOM: every other byte of ASCII is zero
        return "utf-16-le" if head[1::2].count(0) > head[0::2].count(0) else "utf-16-be"
    if path is None:
        try:
            sample.decode("utf-8")
            return "utf-8"
        except UnicodeDecodeError:
            return _guess_single_byte(sample)
    multibyte, invalid = utf8_profile(path)
    if invalid == 0 or multibyte:
        return "utf-8"
    return _guess_single_byte(sample)


def choose_encoding(path: Path, sample: bytes, wanted: str) -> str:
    """The encoding to read with. A BOM always wins (it cannot be mistaken). A fixed single-byte
    encoding (cp1252...) for a file that is valid UTF-8 with accented letters is refused: it would
    garble every one of them without a word."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if wanted == "auto":
        return detect_encoding(sample, path)
    try:
        single = is_single_byte(wanted)
    except LookupError:
        raise IngestError(f"unknown reader.encoding {wanted!r} (e.g. utf-8, cp1252)") from None
    if single or codecs.lookup(wanted).name in {"utf-8", "utf-8-sig"}:
        multibyte, invalid = utf8_profile(path)
        if invalid and not multibyte and not single:
            raise _not_utf8(path, wanted)
        if single and multibyte and multibyte >= invalid:
            stray = (
                f" (and {invalid:,} stray bytes that are not, whose rows would be quarantined)"
                if invalid
                else ""
            )
            raise IngestError(
                f"{path.name} is UTF-8: {multibyte:,} characters such as accented letters are written "
                f"the UTF-8 way{stray}; the mapping's reader.encoding {wanted} would garble them "
                "('Zoë' as 'ZoÃ«'). Set reader.encoding to auto or utf-8"
            )
    return wanted


# -- CSV ------------------------------------------------------------------------------------------


class _Lines:
    """A CSV file's physical lines as text, for csv.reader, remembering the lines of the record being
    read and what was wrong with them. From bytes, each line is decoded on its own: a bad byte
    spoils only its row (kept with the byte written as \\xNN, quarantined as bad_encoding), not the
    file. A NUL (which PostgreSQL cannot store) is kept as \\x00 and its row quarantined."""

    def __init__(self, source: Iterable[bytes] | Iterable[str], encoding: str | None, name: str) -> None:
        self.source = source
        self.encoding = encoding  # None: the source gives text already
        self.name = name  # the encoding, for messages
        self.number = 0  # physical lines read
        self.record: list[str] = []
        self.faults: list[tuple[str, str]] = []

    def __iter__(self) -> Iterator[str]:
        encoding = self.encoding
        for raw in self.source:
            self.number += 1
            if encoding is None:
                text = str(raw)
            else:
                assert isinstance(raw, bytes)
                try:
                    text = raw.decode(encoding)
                except UnicodeDecodeError as exc:
                    text = raw.decode(encoding, "backslashreplace")
                    bad = raw[exc.start : exc.start + 1].hex()
                    self.faults.append(
                        ("bad_encoding", f"line {self.number} is not valid {encoding} (byte 0x{bad}, kept "
                         f"as \\x{bad}); {ENCODING_ADVICE}")
                    )  # fmt: skip
            if "\x00" in text:
                text = text.replace("\x00", "\\x00")
                self.faults.append(("bad_value", f"line {self.number} holds a NUL character (kept as \\x00)"))
            self.record.append(text)
            yield text

    def take(self) -> tuple[list[str], list[tuple[str, str]]]:
        """The lines and faults of the record just read; starts the next record."""
        record, faults = self.record, self.faults
        self.record, self.faults = [], []
        return record, faults


def sniff_delimiter(header_line: str) -> str:
    """The candidate (, ; | tab) that occurs most often in the header line, outside quotes."""
    outside = "".join(part for i, part in enumerate(header_line.split('"')) if i % 2 == 0)
    counts = {d: outside.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _shape_fault(
    values: list[str], header: list[str], record: list[str], start: int, delimiter: str
) -> tuple[str, str] | None:
    """Why a row does not fit the header: another number of cells (blank cells after the last
    column aside), quotes that do not pair up across lines (a row swallowing the next), or the
    header itself again."""
    n, width = len(values), len(header)
    end = start + len(record) - 1
    if n != width and (n < width or any(v.strip() for v in values[width:])):
        spans = f"; it runs over lines {start}-{end}, so a quote may be unterminated" if end > start else ""
        return "wrong_cell_count", f"the row has {n} cells where the header has {width}{spans}"
    if end > start and _quote_fault(record, delimiter):
        return "broken_quotes", (
            f"a quoted value runs over lines {start}-{end} and its quotes do not pair up: it may "
            "have swallowed the next row"
        )
    if values and values[0].strip() == header[0] and [v.strip() for v in values[:width]] == header:
        return "repeated_header", "the row repeats the header"
    return None


def _quote_fault(lines: list[str], delimiter: str) -> str | None:
    """What a strict reader says is wrong with a record's quotes, or None."""
    try:
        for _ in csv.reader(lines, delimiter=delimiter, strict=True):
            pass
    except csv.Error as exc:
        return str(exc)
    return None


def _csv_row(columns: list[str], values: list[str], fault: tuple[str, str] | None) -> Row:
    row: Row = {c: (v.strip() or None) for c, v in zip(columns, values, strict=False)}
    if len(values) > len(columns):
        row["__extra__"] = "|".join(values[len(columns) :])
    return Faulty(row, *fault) if fault else row


def _csv_chunks(
    path: Path,
    lines: _Lines,
    reader: Iterator[list[str]],
    header: list[str],
    columns: list[str],
    chunk_rows: int,
    delimiter: str,
) -> Iterator[list[tuple[int, Row]]]:
    chunk: list[tuple[int, Row]] = []
    number, end, record = 1, lines.number, [""]
    try:
        for number, values in enumerate(reader, start=2):
            start, end = end + 1, lines.number
            record, faults = lines.take()
            if not faults and not any(v.strip() for v in values):
                continue  # blank line
            fault = (faults[0][0], "; ".join(r for _, r in faults)) if faults else None
            fault = fault or _shape_fault(values, header, record, start, delimiter)
            chunk.append((number, _csv_row(columns, values, fault)))
            if len(chunk) >= chunk_rows:
                yield chunk
                chunk = []
        if "unexpected end of data" in (_quote_fault(record, delimiter) or ""):
            raise IngestError(
                f"{path.name}: a quoted value opened on line {end - len(record) + 1} (row {number}) is "
                "never closed: the file ends inside it. Fix the quote or export the file again"
            )
    except UnicodeDecodeError as exc:
        raise IngestError(
            f"{path.name} is not valid {lines.name} near row {number + 1} "
            f"(line {lines.number + 1}): {exc.reason}; {ENCODING_ADVICE}"
        ) from exc
    except csv.Error as exc:
        raise IngestError(f"{path.name}: the CSV is malformed near row {number + 1}: {exc}") from exc
    if chunk:
        yield chunk


def _csv_lines(path: Path, sample: bytes, encoding: str) -> tuple[_Lines, io.IOBase]:
    """The file as lines: bytes decoded line by line where the encoding keeps '\\n' a single byte
    (UTF-8, cp1252...), else (UTF-16, old Mac line ends) a text stream."""
    name = codecs.lookup(encoding).name
    by_line = not name.startswith(("utf-16", "utf-32")) and (b"\n" in sample or b"\r" not in sample)
    if not by_line:
        text = path.open("r", encoding=encoding, newline="")
        return _Lines(text, None, encoding), text
    raw = path.open("rb")
    if name == "utf-8-sig":
        if raw.read(3) != codecs.BOM_UTF8:
            raw.seek(0)
        name = "utf-8"
    return _Lines(raw, name, encoding), raw


def open_csv(path: Path, spec: ReaderSpec, chunk_rows: int) -> Table:
    with path.open("rb") as raw:
        sample = raw.read(SAMPLE_BYTES)
    if not sample.strip(b"\xef\xbb\xbf\xff\xfe\x00\r\n\t ,;|"):
        raise IngestError(f"{path.name} is empty")
    encoding = choose_encoding(path, sample, spec.encoding)
    lines, handle = _csv_lines(path, sample, encoding)
    try:
        source = iter(lines)
        first = next(source, "")
        delimiter = sniff_delimiter(first) if spec.delimiter == "auto" else spec.delimiter
        reader = csv.reader(_chain(first, source), delimiter=delimiter)
        header = next(reader, None)
        _, faults = lines.take()
    except UnicodeDecodeError as exc:
        handle.close()
        raise IngestError(
            f"{path.name}: the header is not valid {encoding}: {exc.reason}; {ENCODING_ADVICE}"
        ) from exc
    except BaseException:
        handle.close()
        raise
    if faults:
        handle.close()
        raise IngestError(f"{path.name}: the header cannot be read: {faults[0][1]}")
    if not header or not any(h.strip() for h in header):
        handle.close()
        raise IngestError(f"{path.name} has no header row")
    cells = [h.strip().lstrip("\ufeff").strip() for h in header]
    columns, duplicates = unique_columns(cells)
    chunks = _closing(_csv_chunks(path, lines, reader, cells, columns, chunk_rows, delimiter), handle.close)
    return Table(columns, chunks, encoding, delimiter, close=handle.close, duplicates=duplicates)


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


def _closing(
    chunks: Iterator[list[tuple[int, Row]]], close: Callable[[], None]
) -> Iterator[list[tuple[int, Row]]]:
    try:
        yield from chunks
    finally:
        close()


# -- Excel ----------------------------------------------------------------------------------------


def _excel_chunks(
    workbook: Any,
    rows: Iterator[tuple[Any, ...]],
    columns: list[str],
    header: list[str | None],
    chunk_rows: int,
) -> Iterator[list[tuple[int, Row]]]:
    chunk: list[tuple[int, Row]] = []
    try:
        for number, values in enumerate(rows, start=2):
            texts = [as_text(v) for v in values]
            if not any(texts):
                continue
            row: Row = dict(zip(columns, texts, strict=False))
            if texts[: len(header)] == header:
                row = Faulty(row, "repeated_header", "the row repeats the header")
            chunk.append((number, row))
            if len(chunk) >= chunk_rows:
                yield chunk
                chunk = []
    finally:
        workbook.close()
    if chunk:
        yield chunk


def _has_values(sheet: Any) -> bool:
    return any(any(as_text(v) for v in row) for row in sheet.iter_rows(max_row=20, values_only=True))


def _sheet(workbook: Any, path: Path, wanted: str | int | None) -> Any:
    """The sheet the mapping names; with none named, the only sheet with data. A workbook with
    several such sheets is refused rather than read in part."""
    names = list(workbook.sheetnames)
    if isinstance(wanted, str):
        if wanted not in names:
            raise IngestError(f"{path.name} has no sheet {wanted!r}; its sheets: {names}")
        return workbook[wanted]
    if wanted is not None:
        if not 0 <= wanted < len(names):
            raise IngestError(
                f"{path.name} has no sheet number {wanted} (numbered from 0); its sheets: {names}"
            )
        return workbook.worksheets[wanted]
    used = [sheet for sheet in workbook.worksheets if _has_values(sheet)]
    if len(used) > 1:
        raise IngestError(
            f"{path.name} has {len(used)} sheets with data: {[s.title for s in used]}; set reader.sheet "
            "in the mapping to the one to load (its name, or its number from 0)"
        )
    return used[0] if used else workbook.worksheets[0]


def open_excel(path: Path, spec: ReaderSpec, chunk_rows: int) -> Table:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=False)  # formulas as text
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise IngestError(f"{path.name} is not a readable Excel workbook: {exc}") from exc
    try:
        sheet = _sheet(workbook, path, spec.sheet)
    except IngestError:
        workbook.close()
        raise
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None)
    if header is None or not any(as_text(h) for h in header):
        workbook.close()
        raise IngestError(f"{path.name} is empty")
    cells = [as_text(h) for h in header]
    columns, duplicates = unique_columns([c or "" for c in cells])
    chunks = _excel_chunks(workbook, rows, columns, cells, chunk_rows)
    return Table(columns, chunks, close=workbook.close, duplicates=duplicates, info={"sheet": sheet.title})


# -- Parquet --------------------------------------------------------------------------------------

Faults = dict[int, tuple[str, str]]  # row index in the batch -> (reason code, reason)


def _texts_of_strings(name: str, values: list[Any], faults: Faults) -> list[str | None]:
    """String or binary cells as text; bytes decoded as UTF-8 (a cell that is not: kept with
    \\xNN escapes, its row quarantined); a NUL kept as \\x00, its row quarantined."""
    out: list[str | None] = []
    for i, value in enumerate(values):
        if value is None:
            out.append(None)
            continue
        if isinstance(value, bytes):
            try:
                value = value.decode("utf-8")
            except UnicodeDecodeError:
                value = value.decode("utf-8", "backslashreplace")
                faults.setdefault(i, ("bad_encoding", f"column {name!r} holds bytes that are not UTF-8 text"))
        if "\x00" in value:
            value = value.replace("\x00", "\\x00")
            faults.setdefault(i, ("bad_value", f"column {name!r} holds a NUL character (kept as \\x00)"))
        out.append(value.strip() or None)
    return out


def _column_texts(name: str, column: Any, faults: Faults) -> list[str | None]:
    """One Arrow column as strings (no pandas). Timestamps with a time zone are read as the wall
    time there (a 00:00 BST birth date stays that date); without, as they are."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = column.type
    if (
        pa.types.is_string(kind)
        or pa.types.is_large_string(kind)
        or pa.types.is_binary(kind)
        or (pa.types.is_large_binary(kind) or pa.types.is_fixed_size_binary(kind))
    ):
        return _texts_of_strings(name, column.to_pylist(), faults)
    if pa.types.is_timestamp(kind):
        if kind.tz is not None:
            column = pc.local_timestamp(column)
        column = column.cast(pa.timestamp("us"), safe=False)
    return [as_text(v) for v in column.to_pylist()]


def _parquet_chunks(parquet: Any, names: list[str], chunk_rows: int) -> Iterator[list[tuple[int, Row]]]:
    number = 2
    for batch in parquet.iter_batches(batch_size=chunk_rows):
        faults: Faults = {}
        columns = [_column_texts(names[i], batch.column(i), faults) for i in range(batch.num_columns)]
        chunk: list[tuple[int, Row]] = []
        for i, values in enumerate(zip(*columns, strict=True)):
            row: Row = dict(zip(names, values, strict=True))
            chunk.append((number + i, Faulty(row, *faults[i]) if i in faults else row))
        number += len(chunk)
        yield chunk


def open_parquet(path: Path, chunk_rows: int) -> Table:
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError...
        raise IngestError(f"{path.name} is not a readable Parquet file: {exc}") from exc
    columns, duplicates = unique_columns([n.strip() for n in parquet.schema_arrow.names])
    if not columns:
        raise IngestError(f"{path.name} is empty")
    info = {"rows": parquet.metadata.num_rows}
    chunks = _parquet_chunks(parquet, columns, chunk_rows)
    return Table(columns, chunks, info=info, close=parquet.close, duplicates=duplicates)


def file_format(path: Path, spec: ReaderSpec) -> str:
    if spec.format != "auto":
        return spec.format
    suffix = path.suffix.lower()
    if suffix in EXCEL_SUFFIXES:
        return "excel"
    return "parquet" if suffix == ".parquet" else "csv"


def open_table(path: str | Path, spec: ReaderSpec | None = None, chunk_rows: int = 5000) -> Table:
    """Open a file for reading by the mapping's reader settings (format, encoding, delimiter, sheet)."""
    path = Path(path)
    spec = spec or ReaderSpec()
    if not path.is_file():
        raise IngestError(f"no such file: {path}")
    if path.stat().st_size == 0:
        raise IngestError(f"{path.name} is empty")
    kind = file_format(path, spec)
    if kind == "excel":
        return open_excel(path, spec, chunk_rows)
    if kind == "parquet":
        return open_parquet(path, chunk_rows)
    return open_csv(path, spec, chunk_rows)
