"""Readers: CSV (any common encoding and delimiter), Excel and Parquet, streamed in chunks.

Every value comes back as a string (leading zeros kept) or None for an empty cell, so a 1 GB file
never has to be held in memory as Python objects: `read_rows` yields lists of row dicts.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from joindots.errors import IngestError
from joindots.ingest.mapping import ReaderSpec

Row = dict[str, str | None]
SAMPLE_BYTES = 256 * 1024
DELIMITERS = (",", ";", "|", "\t")
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
csv.field_size_limit(64 * 1024 * 1024)


@dataclass
class Table:
    """An open file: its header and a generator of row chunks (row numbers start at 2, after the
    header, as a spreadsheet user would count)."""

    columns: list[str]
    chunks: Iterator[list[tuple[int, Row]]]
    encoding: str | None = None
    delimiter: str | None = None
    info: dict[str, Any] = field(default_factory=dict)
    close: Callable[[], None] = lambda: None  # for a table whose chunks will not be read


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


def detect_encoding(sample: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 (by BOM) or, failing UTF-8, what charset-normalizer says
    (usually cp1252 for files from Windows)."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    head = sample[:4096]
    if head.count(0) > len(head) // 4:  # UTF-16 without a BOM: every other byte of ASCII is zero
        return "utf-16-le" if head[1::2].count(0) > head[0::2].count(0) else "utf-16-be"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(sample[:65536]).best()
    if best is None:
        raise IngestError("cannot tell the file's character encoding; set reader.encoding")
    name = best.encoding.replace("_", "-")
    # Western files that fit cp1252 are far more likely than the exotic code pages it may guess.
    try:
        sample.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return name


def _all_utf8(path: Path) -> bool:
    """Whether the whole file decodes as UTF-8 (streamed: 1 MiB at a time)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                decoder.decode(block)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def sniff_delimiter(header_line: str) -> str:
    """The candidate (, ; | tab) that occurs most often in the header line, outside quotes."""
    outside = "".join(part for i, part in enumerate(header_line.split('"')) if i % 2 == 0)
    counts = {d: outside.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _csv_chunks(
    handle: io.TextIOBase, reader: Iterator[list[str]], columns: list[str], chunk_rows: int
) -> Iterator[list[tuple[int, Row]]]:
    chunk: list[tuple[int, Row]] = []
    try:
        for number, values in enumerate(reader, start=2):
            row = {c: (v.strip() or None) for c, v in zip(columns, values, strict=False)}
            if not any(row.values()) and not any(v.strip() for v in values):
                continue  # blank line
            if len(values) > len(columns):
                row["__extra__"] = "|".join(values[len(columns) :])
            chunk.append((number, row))
            if len(chunk) >= chunk_rows:
                yield chunk
                chunk = []
    except UnicodeDecodeError as exc:
        raise IngestError(
            f"the file is not valid {handle.encoding}: {exc.reason} at byte {exc.start}"
        ) from exc
    except csv.Error as exc:
        raise IngestError(f"the CSV is malformed: {exc}") from exc
    finally:
        handle.close()
    if chunk:
        yield chunk


def open_csv(path: Path, spec: ReaderSpec, chunk_rows: int) -> Table:
    with path.open("rb") as raw:
        sample = raw.read(SAMPLE_BYTES)
    if not sample.strip(b"\xef\xbb\xbf\xff\xfe\x00\r\n\t ,;|"):
        raise IngestError(f"{path.name} is empty")
    encoding = detect_encoding(sample) if spec.encoding == "auto" else spec.encoding
    if spec.encoding == "auto" and encoding == "utf-8" and not _all_utf8(path):
        encoding = "cp1252"  # plain ASCII at the start, Windows bytes further on
    handle = path.open("r", encoding=encoding, newline="")
    try:
        first = handle.readline()
        delimiter = sniff_delimiter(first) if spec.delimiter == "auto" else spec.delimiter
        handle.seek(0)
        reader = csv.reader(handle, delimiter=delimiter)
        header = next(reader, None)
    except UnicodeDecodeError as exc:
        handle.close()
        raise IngestError(f"{path.name} is not valid {encoding}: {exc.reason}") from exc
    if not header or not any(h.strip() for h in header):
        handle.close()
        raise IngestError(f"{path.name} has no header row")
    columns = [h.strip().lstrip("\ufeff") for h in header]
    chunks = _csv_chunks(handle, reader, columns, chunk_rows)
    return Table(columns, chunks, encoding, delimiter, close=handle.close)


def _excel_chunks(
    workbook: Any, rows: Iterator[tuple[Any, ...]], columns: list[str], chunk_rows: int
) -> Iterator[list[tuple[int, Row]]]:
    chunk: list[tuple[int, Row]] = []
    try:
        for number, values in enumerate(rows, start=2):
            texts = [as_text(v) for v in values]
            if not any(texts):
                continue
            chunk.append((number, dict(zip(columns, texts, strict=False))))
            if len(chunk) >= chunk_rows:
                yield chunk
                chunk = []
    finally:
        workbook.close()
    if chunk:
        yield chunk


def open_excel(path: Path, spec: ReaderSpec, chunk_rows: int) -> Table:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=False)  # formulas as text
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise IngestError(f"{path.name} is not a readable Excel workbook: {exc}") from exc
    sheet = workbook[spec.sheet] if isinstance(spec.sheet, str) else workbook.worksheets[spec.sheet or 0]
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None)
    if header is None or not any(as_text(h) for h in header):
        workbook.close()
        raise IngestError(f"{path.name} is empty")
    columns = [as_text(h) or f"column_{i + 1}" for i, h in enumerate(header)]
    return Table(columns, _excel_chunks(workbook, rows, columns, chunk_rows), close=workbook.close)


def _column_texts(column: Any) -> list[str | None]:
    """One Arrow column as strings: strings as they are, timestamps via microseconds (no pandas)."""
    import pyarrow as pa

    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        return [v.strip() or None if v is not None else None for v in column.to_pylist()]
    if pa.types.is_timestamp(column.type):
        column = column.cast(pa.timestamp("us"), safe=False)
    return [as_text(v) for v in column.to_pylist()]


def _parquet_chunks(parquet: Any, chunk_rows: int) -> Iterator[list[tuple[int, Row]]]:
    number = 2
    names = list(parquet.schema_arrow.names)
    for batch in parquet.iter_batches(batch_size=chunk_rows):
        columns = [_column_texts(batch.column(i)) for i in range(batch.num_columns)]
        chunk = [
            (number + i, dict(zip(names, values, strict=True)))
            for i, values in enumerate(zip(*columns, strict=True))
        ]
        number += len(chunk)
        yield chunk


def open_parquet(path: Path, chunk_rows: int) -> Table:
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError...
        raise IngestError(f"{path.name} is not a readable Parquet file: {exc}") from exc
    columns = list(parquet.schema_arrow.names)
    if not columns:
        raise IngestError(f"{path.name} is empty")
    info = {"rows": parquet.metadata.num_rows}
    return Table(columns, _parquet_chunks(parquet, chunk_rows), info=info, close=parquet.close)


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
