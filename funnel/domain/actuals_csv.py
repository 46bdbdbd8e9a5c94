"""Reading an analytics tool's monthly CSV export into a fiscal year's actuals (実績).

The file is taken whole or not at all: ``parse_actuals_csv`` reports every row
it would write, every row it refuses (with a code saying why) and every row it
skips, and the caller offers to write only when nothing is refused. Numbers go
through ``numbers.parse_count``, the one parsing policy for counts, so ``1,200``
and full-width digits are read as on the screens and a formula is refused.

No Django here: problems carry codes, and the form layer turns them into
translated messages.
"""

import csv
import io
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from funnel.domain.grid import fiscal_months
from funnel.domain.numbers import ParseError, normalise, parse_count

# Monthly exports are a few hundred bytes; 1 MB holds tens of thousands of
# rows and keeps a request's parsing well under a second.
MAX_BYTES = 1024 * 1024
# Rows scanned for the header line: exports put a title or comments above it.
HEADER_SCAN_ROWS = 20
# A refused cell is shown to the user, shortened.
VALUE_SHOWN = 40

MONTH, VISITS, CV = "month", "visits", "cv"
FIGURES = (CV, VISITS)

# Headers as they appear in exports, compared after NFKC, case folding and
# collapsing spaces, underscores and hyphens to one space.
HEADERS = {
    MONTH: ("月", "年月", "日付", "month", "date", "year month", "yearmonth", "期間"),
    VISITS: (
        "訪問数",
        "サイト訪問数",
        "実績訪問数",
        "セッション",
        "セッション数",
        "sessions",
        "visits",
    ),
    CV: (
        "CV",
        "CV数",
        "実績CV数",
        "コンバージョン",
        "コンバージョン数",
        "conversions",
        "key events",
        "キーイベント",
        "goal completions",
        "目標の完了数",
    ),
}
TOTALS = ("合計", "総計", "小計", "total", "totals", "grand total", "subtotal")
# A cell a spreadsheet would run as a formula (CSV injection); '-' is refused
# by parse_count as a negative number.
FORMULA_PREFIXES = ("=", "+", "@")

ENGLISH_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_ENGLISH = "|".join(sorted(ENGLISH_MONTHS, key=len, reverse=True))
_TIME = r"(?:[ t]\d{1,2}:\d{2}(?::\d{2})?)?"
_YEAR_MONTH = (
    re.compile(r"(\d{4}) ?[-/.] ?(\d{1,2})", re.ASCII),  # 2026-01, 2026/1
    re.compile(r"(\d{4}) ?年 ?(\d{1,2}) ?月(?:分)?", re.ASCII),  # 2026年1月
    re.compile(r"(\d{4})(\d{2})", re.ASCII),  # 202601 (GA4's yearMonth)
)
_DATE = (
    re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})" + _TIME, re.ASCII),
    re.compile(r"(\d{4}) ?年 ?(\d{1,2}) ?月 ?(\d{1,2}) ?日", re.ASCII),
    re.compile(r"(\d{4})(\d{2})(\d{2})", re.ASCII),  # 20260101 (GA's date)
)
_MONTH_NAME = re.compile(rf"({_ENGLISH})\.?[ ,\-/]*(\d{{4}})", re.ASCII)
_YEAR_MONTH_NAME = re.compile(rf"(\d{{4}})[ ,\-/]*({_ENGLISH})\.?", re.ASCII)
# A month without its year (1月, Jan, 01): which year is meant is a guess.
_NO_YEAR = re.compile(rf"(?:\d{{1,2}} ?月|\d{{1,2}}|{_ENGLISH})\.?", re.ASCII)
_MONTH_NUMBER = re.compile(r"\d{1,2}", re.ASCII)
_SPACES = re.compile(r"[\s_\-]+")
_WHITE = re.compile(r"\s+")
# Control characters no text file has; C1 controls and the few code points
# Python's cp932 gives bytes Shift_JIS leaves undefined mark a wrong guess.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NOT_CP932 = re.compile(r"[\x80-\x9f\uf8f0-\uf8f3]")


@dataclass(frozen=True)
class CsvError(ValueError):
    """The file as a whole cannot be read; ``code`` names why, ``names`` the
    columns concerned (for ``missing_columns`` and ``ambiguous_column``)."""

    code: str
    names: tuple[str, ...] = ()

    def __str__(self):
        return self.code


@dataclass(frozen=True)
class MonthRow:
    """A row to write: the month and the figures it gives (None: not given)."""

    line: int
    year: int  # calendar year
    month: int
    cv_count: int | None
    visits: int | None


@dataclass(frozen=True)
class Refusal:
    """Why a row cannot be written. ``code``: month_missing, month_unknown,
    month_no_year, month_out_of_range (a 13月 or 2026/13: no such month),
    duplicate, or number (then ``column`` is cv or
    visits and ``detail`` the numbers.ParseError code, or ``formula``). For a
    duplicate ``detail`` is the line the month was first given on."""

    line: int
    code: str
    value: str
    column: str | None = None
    detail: str | None = None


@dataclass(frozen=True)
class Skip:
    """A row read past without writing: ``code`` is empty, total, comment,
    no_values (a month of the year with both figures empty) or other_year (a
    month outside the fiscal year: a rolling 12-month or another fiscal
    year's export brings some, and only the year's months are taken)."""

    line: int
    code: str
    value: str = ""


@dataclass(frozen=True)
class ActualsImport:
    rows: tuple[MonthRow, ...]  # in fiscal order
    refused: tuple[Refusal, ...]
    skipped: tuple[Skip, ...]
    encoding: str  # utf-8, utf-8-sig or cp932
    # The header each figure was read from; None for a column the file lacks.
    columns: tuple[tuple[str, str | None], ...]

    @property
    def can_write(self) -> bool:
        """All or nothing: something to write and nothing refused."""
        return bool(self.rows) and not self.refused

    @property
    def refused_lines(self) -> int:
        return len({refusal.line for refusal in self.refused})

    def column(self, role: str) -> str | None:
        return dict(self.columns)[role]


# --- decoding ----------------------------------------------------------------


def decode(data: bytes) -> tuple[str, str]:
    """The text and the encoding: UTF-8 (with or without BOM), else cp932."""
    if len(data) > MAX_BYTES:
        raise CsvError("too_large")
    if data.startswith(b"PK\x03\x04"):
        raise CsvError("xlsx")  # a zip: an .xlsx saved without converting
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise CsvError("encoding")  # UTF-16: neither of the two we read
    if b"\x00" in data:
        raise CsvError("not_csv")
    if data.startswith(b"\xef\xbb\xbf"):
        candidates = ("utf-8-sig",)
    else:
        candidates = ("utf-8", "cp932")
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "cp932" and _NOT_CP932.search(text):
            continue
        if _CONTROL.search(text):
            raise CsvError("not_csv")
        return text, encoding
    raise CsvError("encoding")


# --- cells -------------------------------------------------------------------


def header_key(text: str) -> str:
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


_HEADER_ROLES = {
    header_key(name): role for role, names in HEADERS.items() for name in names
}
_TOTAL_KEYS = frozenset(header_key(name) for name in TOTALS)
_TOTAL_LENGTH = max(len(name) for name in TOTALS) + 8  # room for spaces


def _is_total(cells) -> bool:
    # Most cells are numbers or months: skip normalising those.
    return any(
        len(cell) <= _TOTAL_LENGTH
        and not cell.strip()[:1].isdigit()
        and header_key(cell) in _TOTAL_KEYS
        for cell in cells
    )


def shown(text: str) -> str:
    text = text.strip()
    return text if len(text) <= VALUE_SHOWN else text[: VALUE_SHOWN - 1] + "…"


def parse_month(text: str) -> tuple[int, int]:
    """``(year, month)`` from a month cell, or ParseError: month_missing,
    month_no_year, month_unknown, month_out_of_range (a month number that no
    calendar has, 13月 or 2026/13, with or without a year)."""
    value = _WHITE.sub(" ", normalise(text).casefold())
    if value == "":
        raise ParseError("month_missing")
    for pattern in _YEAR_MONTH:
        if match := pattern.fullmatch(value):
            return _month(int(match.group(1)), int(match.group(2)))
    for pattern in _DATE:
        if match := pattern.fullmatch(value):
            year, month, day = (int(group) for group in match.groups())
            _month(year, month)
            try:
                date(year, month, day)
            except ValueError:
                raise ParseError("month_unknown") from None
            return year, month
    if match := _MONTH_NAME.fullmatch(value):
        return int(match.group(2)), ENGLISH_MONTHS[match.group(1)]
    if match := _YEAR_MONTH_NAME.fullmatch(value):
        return int(match.group(1)), ENGLISH_MONTHS[match.group(2)]
    if _NO_YEAR.fullmatch(value):
        number = _MONTH_NUMBER.match(value)
        if number and not 1 <= int(number.group()) <= 12:
            # Not a month at all: a missing year is not what is wrong.
            raise ParseError("month_out_of_range")
        raise ParseError("month_no_year")
    raise ParseError("month_unknown")


def _month(year: int, month: int) -> tuple[int, int]:
    if not 1 <= month <= 12:
        raise ParseError("month_out_of_range")
    return year, month


def parse_figure(text: str) -> int | None:
    """A count cell: ``parse_count``, with formulas refused by name."""
    if normalise(text).startswith(FORMULA_PREFIXES):
        raise ParseError("formula")
    return parse_count(text)


# --- the file ----------------------------------------------------------------


def _records(text: str):
    """(line number where the record starts, cells) for every record."""
    lines = io.StringIO(text, newline="")
    first = lines.readline()
    # Excel's "sep=;" line names the delimiter; otherwise a comma, or a tab
    # when the first line has tabs and no commas (a spreadsheet's TSV).
    if match := re.fullmatch(r"sep=(.)\r?\n?", first):
        delimiter, offset = match.group(1), 1
    else:
        delimiter = "\t" if "\t" in first and "," not in first else ","
        offset = 0
        lines.seek(0)
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    start = 1
    try:
        for cells in reader:
            yield start + offset, cells
            start = reader.line_num + 1
    except csv.Error:
        raise CsvError("not_csv") from None


def _is_blank(cells) -> bool:
    return all(cell.strip() == "" for cell in cells)


def _columns(cells) -> dict[str, int] | None:
    """{role: index} when the row is a header (has a month column)."""
    found: dict[str, list[int]] = {}
    for index, cell in enumerate(cells):
        role = _HEADER_ROLES.get(header_key(cell))
        if role:
            found.setdefault(role, []).append(index)
    if MONTH not in found:
        return None
    for indexes in found.values():
        if len(indexes) > 1:
            raise CsvError("ambiguous_column", tuple(cells[i].strip() for i in indexes))
    return {role: indexes[0] for role, indexes in found.items()}


def _find_header(records):
    """The header row's columns and header texts; the rows after it follow in
    ``records``. Blank lines, ``#`` comments and titles above it are passed."""
    first = None
    scanned = 0
    for _line, cells in records:
        if _is_blank(cells) or cells[0].lstrip().startswith("#"):
            continue
        first = first or cells
        columns = _columns(cells)
        if columns is not None:
            if not any(role in columns for role in FIGURES):
                raise CsvError("missing_columns", FIGURES)
            return columns, cells
        scanned += 1
        if scanned >= HEADER_SCAN_ROWS:
            break
    if first is None:
        raise CsvError("empty")
    missing = [MONTH]
    header = _columns_loose(first)
    missing += [role for role in FIGURES if role not in header]
    raise CsvError("missing_columns", tuple(missing))


def _columns_loose(cells) -> set[str]:
    return {role for cell in cells if (role := _HEADER_ROLES.get(header_key(cell)))}


def _cell(cells, index):
    if index is None or index >= len(cells):
        return ""
    return cells[index]


def parse_actuals_csv(
    data: bytes, *, fiscal_year: int, start_month: int
) -> ActualsImport:
    """Read a monthly export for ``fiscal_year`` (starting in ``start_month``).

    Raises CsvError when the file as a whole cannot be read (too large, an
    encoding other than UTF-8 or cp932, not CSV, no header with a month column
    and at least one of 訪問数 / CV数). A column the file lacks, or an empty
    cell, is not imported: that figure keeps its stored value.
    """
    text, encoding = decode(data)
    records = _records(text)
    columns, header = _find_header(records)
    in_year = set(fiscal_months(fiscal_year, start_month))
    order = {
        month: i for i, month in enumerate(fiscal_months(fiscal_year, start_month))
    }
    rows: dict[tuple[int, int], MonthRow] = {}
    refused: list[Refusal] = []
    skipped: list[Skip] = []
    month_at = columns[MONTH]
    for line, cells in records:
        if _is_blank(cells):
            skipped.append(Skip(line, "empty"))
            continue
        month_text = _cell(cells, month_at)
        if _is_total(cells):
            skipped.append(Skip(line, "total", shown(month_text)))
            continue
        if month_text.lstrip().startswith("#"):
            skipped.append(Skip(line, "comment", shown(month_text)))
            continue
        try:
            year_month = parse_month(month_text)
        except ParseError as error:
            refused.append(Refusal(line, error.code, shown(month_text)))
            continue
        if year_month not in in_year:
            # A rolling 12-month export (2025/12–2026/11) or another fiscal
            # year's: its months outside the year are passed, not refused.
            skipped.append(Skip(line, "other_year", shown(month_text)))
            continue
        if (first := rows.get(year_month)) is not None:
            refused.append(
                Refusal(line, "duplicate", shown(month_text), detail=str(first.line))
            )
            continue
        figures, problems = {}, []
        for role in sorted(FIGURES, key=lambda role: columns.get(role, 0)):
            cell = _cell(cells, columns.get(role))
            try:
                figures[role] = parse_figure(cell)
            except ParseError as error:
                problems.append(
                    Refusal(line, "number", shown(cell), column=role, detail=error.code)
                )
        # Registered even when refused, so a second row of the month is a
        # duplicate however the first one fared.
        rows[year_month] = MonthRow(
            line, year_month[0], year_month[1], figures.get(CV), figures.get(VISITS)
        )
        if problems:
            refused.extend(problems)
        elif figures.get(CV) is None and figures.get(VISITS) is None:
            skipped.append(Skip(line, "no_values", shown(month_text)))
    refused_lines = {refusal.line for refusal in refused}
    written = sorted(
        (
            row
            for row in rows.values()
            if row.line not in refused_lines
            and (row.cv_count is not None or row.visits is not None)
        ),
        key=lambda row: order[(row.year, row.month)],
    )
    return ActualsImport(
        rows=tuple(written),
        refused=tuple(refused),
        skipped=tuple(skipped),
        encoding=encoding,
        columns=tuple(
            (role, header[columns[role]].strip() if role in columns else None)
            for role in (MONTH, *FIGURES)
        ),
    )


@dataclass(frozen=True)
class PreviewRow:
    """A month to write beside what is stored now."""

    row: MonthRow
    current_cv: int | None
    current_visits: int | None
    new_cv: int | None
    new_visits: int | None

    @property
    def cv_changed(self) -> bool:
        return self.new_cv != self.current_cv

    @property
    def visits_changed(self) -> bool:
        return self.new_visits != self.current_visits


Stored = Mapping[int, tuple[int | None, int | None]]


def preview(rows, stored: Stored) -> tuple[PreviewRow, ...]:
    """Each row's month as stored (``stored`` is {month: (CV数, 訪問数)}) and as
    it will be: a figure the file leaves empty keeps its stored value."""
    previewed = []
    for row in rows:
        cv_before, visits_before = stored.get(row.month, (None, None))
        previewed.append(
            PreviewRow(
                row,
                cv_before,
                visits_before,
                cv_before if row.cv_count is None else row.cv_count,
                visits_before if row.visits is None else row.visits,
            )
        )
    return tuple(previewed)


def changes(previewed) -> int:
    """How many values the import changes (as the service counts them)."""
    return sum(p.cv_changed + p.visits_changed for p in previewed)


def values_to_write(rows, stored: Stored) -> dict[int, tuple[int | None, int | None]]:
    """{month: (CV数, 訪問数)} for ``services.actual_year_save``, the stored
    value passed through where the file leaves a figure empty."""
    return {p.row.month: (p.new_cv, p.new_visits) for p in preview(rows, stored)}
