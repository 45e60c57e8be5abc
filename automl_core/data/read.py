"""Reading a data file: every problem a :class:`~automl_core.data.check.DataError` naming the file.

Missing, empty or header-only, a ragged CSV row (its line), bytes that are not UTF-8 (their
offset and line), duplicated header names, a truncated or non-Parquet ``.parquet`` file.
"""

from __future__ import annotations

import re
import warnings
from collections import Counter
from pathlib import Path

import pandas as pd

from .check import DataError

__all__ = ["read_table"]


#: file starts that say "this is not a text table", with what the file then probably is
_UTF16 = "UTF-16 text (it starts with a UTF-16 byte-order mark): save it as UTF-8"
_MAGIC = {
    b"PAR1": "a Parquet file: give it a .parquet name",
    b"PK\x03\x04": "a zip archive (an Excel .xlsx file?): export the sheet as CSV",
    b"\xff\xfe": _UTF16,
    b"\xfe\xff": _UTF16,
}


def read_table(path: str | Path, *, encoding: str = "utf-8") -> pd.DataFrame:
    """Read a CSV or Parquet file (chosen by the suffix ``.parquet``/``.pq``) into a DataFrame.

    Every problem is a :class:`DataError` naming the file: missing, empty, only a header, a
    ragged CSV row (its line and field count), text not in ``encoding`` (the byte's offset and
    line), a column name twice in the header (pandas would rename the second ``a`` to ``a.1``
    silently), a truncated or non-Parquet ``.parquet`` file. The encoding is never guessed: a
    wrong guess (latin-1 decodes any bytes) would change every accented value silently.
    """
    path = Path(path)
    where = f"data file {str(path)!r}"
    if not path.exists():
        raise DataError(f"{where} does not exist")
    if path.suffix.lower() in (".parquet", ".pq"):
        df = _read_parquet(path, where)
    elif path.is_dir():
        raise DataError(f"{where} is a folder, not a CSV or Parquet file")
    else:
        df = _read_csv(path, where, encoding)
    if len(df.columns) and len(df) == 0:
        raise DataError(f"{where} has a header ({len(df.columns)} columns) but no rows")
    return df


def _read_parquet(path: Path, where: str) -> pd.DataFrame:
    from pyarrow import ArrowException  # a dependency, as pandas' Parquet engine

    try:
        return pd.read_parquet(path)
    except (OSError, ValueError, ArrowException) as exc:
        reason = (str(exc).strip() or type(exc).__name__).splitlines()[0]
        reason = re.sub(r"^Could not open Parquet input source '.*?': ", "", reason)
        raise DataError(
            f"{where} is not a readable Parquet file ({reason}); it may be truncated (an "
            "interrupted copy or download) or be another format under a .parquet name"
        ) from None


def _read_csv(path: Path, where: str, encoding: str) -> pd.DataFrame:
    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except OSError as exc:
        raise DataError(f"{where} cannot be read: {exc.strerror or exc}") from None
    if not head:
        raise DataError(f"{where} is empty (0 bytes): no header, no rows")
    for magic, what in _MAGIC.items():
        if head.startswith(magic):
            raise DataError(f"{where} is not a CSV file: it looks like {what}")
    try:
        header = pd.read_csv(
            path, header=None, nrows=1, dtype=str, keep_default_na=False, encoding=encoding
        ).iloc[0]
        names = [str(c) for c in header]
        # index_col=False: a first row with extra fields must not become the row index (pandas
        # then shifts every column by one); the warning it gives instead is made an error
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            df = pd.read_csv(path, encoding=encoding, index_col=False)
    except UnicodeDecodeError:
        raise DataError(_not_decodable(path, where, encoding)) from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{where} is empty: it holds no header row (only blank lines?)") from None
    except (pd.errors.ParserError, pd.errors.ParserWarning) as exc:
        raise DataError(_ragged(path, where, encoding, exc)) from None
    except OSError as exc:
        raise DataError(f"{where} cannot be read: {exc.strerror or exc}") from None
    counts = Counter(n for n in names if n)  # pandas names empty cells "Unnamed: <i>": no clash
    dup = [n for n, count in counts.items() if count > 1]
    if dup:
        raise DataError(
            f"{where}: column names appear more than once in the header: {dup}; rename them "
            f"(pandas would read the second {dup[0]!r} as {dup[0] + '.1'!r} without a word)"
        )
    return df


def _ragged(path: Path, where: str, encoding: str, exc: Exception) -> str:
    """The message for a CSV pandas cannot tokenize: the first row with too many fields."""
    import csv

    text = str(exc).strip()
    try:
        with open(path, encoding=encoding, newline="") as f:
            reader = csv.reader(f)
            n_header = len(next(reader, []))
            for row in reader:
                if len(row) > n_header:
                    return (
                        f"{where}: line {reader.line_num} has {len(row)} fields but the header "
                        f"has {n_header}; a value holding a comma must be quoted, and a stray "
                        "delimiter removed"
                    )
    except (OSError, UnicodeDecodeError, csv.Error):
        pass
    m = re.search(r"EOF inside string starting at row (\d+)", text)
    if m:
        return (
            f"{where}: a quoted value that opens on data row {m.group(1)} (the header is row 0) "
            "is never closed: a closing quote is missing"
        )
    return f"{where} cannot be read as CSV: {text.removeprefix('Error tokenizing data. ')}"


def _not_decodable(path: Path, where: str, encoding: str) -> str:
    """Where the first byte that ``encoding`` cannot decode is, and what to do about it."""
    import codecs

    decoder = codecs.getincrementaldecoder(encoding)()
    offset, line = 0, 1
    bad = None
    with open(path, "rb") as f:
        while bad is None:
            chunk = f.read(1 << 20)
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                # exc.object is the bytes the decoder held back from the last chunk + this one
                pos = offset + len(chunk) - len(exc.object) + exc.start
                line += chunk[: max(0, pos - offset)].count(b"\n")
                bad = (pos, exc.object[exc.start : exc.start + 1])
            if not chunk:
                break
            if bad is None:
                offset += len(chunk)
                line += chunk.count(b"\n")
    at = f": byte 0x{bad[1].hex()} at offset {bad[0]} (line {line})" if bad else ""
    return (
        f"{where} is not {encoding} text{at}. Convert it, e.g. `iconv -f cp1252 -t utf-8 "
        f"{path.name} > {path.stem}-utf8{path.suffix}` (cp1252/latin-1 are the usual "
        f"encodings of such exports), or read it with "
        f"automl_core.read_table(path, encoding=...) and pass the DataFrame"
    )
