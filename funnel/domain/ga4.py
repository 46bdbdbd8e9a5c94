"""Reading the CSV that Google Analytics 4's reports and explorations export
into sessions and key events per month and channel group, and turning those,
through the account's answers on which group is which channel, into a year's
actuals per channel (実績). Decimal only; no Django.

A GA4 export is a table below ``#`` comment lines that hold the report's
range (``# 開始日: 20260401`` / ``# Start date: 20260401``). The month is read
from a 年月 / Year month column (``202604``), from a 日付 / Date column
(``20260415``, summed by month), or, when the table has no date column, from
the ``#`` range, which must then lie within one month. GA4 writes the channel
group values in English whatever the interface language (Organic Search, Paid
Search, …); they are kept as written, since which of them is which channel is
the account's answer, never a guess.

The file is read whole or not at all: ``Ga4Error`` for what stops the whole
file, ``Ga4Import.problems`` (each with its line) for the rows that cannot be
read; the caller writes only when there are none. Problems carry codes, and
the form layer turns them into translated messages, as in ``actuals_csv``.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from funnel.domain import actuals_csv
from funnel.domain.actuals_csv import FORMULA_PREFIXES, CsvError, header_key, shown
from funnel.domain.numbers import ParseError, normalise, parse_count

MAX_BYTES = actuals_csv.MAX_BYTES
HEADER_SCAN_ROWS = 20
# Problems listed at most; the count covers them all.
PROBLEMS_KEPT = 100
# The longest group name remembered (GA4ChannelMapping.group).
MAX_GROUP = 200

GROUP, SOURCE_MEDIUM = "group", "source_medium"
YEAR_MONTH, DATE = "year_month", "date"
SESSIONS, KEY_EVENTS = "sessions", "key_events"
FIGURES = (KEY_EVENTS, SESSIONS)

# Headers as GA4 writes them in Japanese and English (and the names of older
# properties: コンバージョン / Conversions before key events), compared after
# NFKC and case folding, with every space, underscore and hyphen removed.
HEADERS = {
    GROUP: (
        "セッションのデフォルト チャネル グループ",
        "Session default channel group",
        # The name newer reports give the same dimension.
        "セッションのメインのチャネル グループ（デフォルト チャネル グループ）",
        "Session primary channel group (Default Channel Group)",
    ),
    SOURCE_MEDIUM: ("セッションの参照元 / メディア", "Session source / medium"),
    YEAR_MONTH: ("年月", "Year month"),
    DATE: ("日付", "Date"),
    SESSIONS: ("セッション", "セッション数", "Sessions"),
    KEY_EVENTS: (
        "キーイベント",
        "キーイベント数",
        "Key events",
        "コンバージョン",
        "コンバージョン数",
        "Conversions",
    ),
}
TOTALS = ("合計", "総計", "Grand total", "Total", "Totals")

_RANGE = re.compile(
    r"#\s*(開始日|終了日|start date|end date)\s*[:：]?\s*(\d{8})\b", re.IGNORECASE
)
_DECIMAL = re.compile(r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?\Z", re.ASCII)
# Key events summed over a month stay far below this; a larger cell is a
# wrong column or a broken file, refused like an oversized count.
MAX_EVENTS = Decimal(100_000_000)


def _key(text: str) -> str:
    return header_key(text).replace(" ", "")


_ROLES = {_key(name): role for role, names in HEADERS.items() for name in names}
_TOTAL_KEYS = frozenset(_key(name) for name in TOTALS)


@dataclass(frozen=True)
class Ga4Error(ValueError):
    """The file as a whole cannot be read. ``code``: too_large, xlsx,
    encoding, not_csv (from actuals_csv.decode), empty, no_header (no row with
    a channel column), no_channel (a header with sessions or key events but no
    channel group or source / medium), no_figures (a channel column but
    neither sessions nor key events), ambiguous_column (``names``: the file's
    headers), no_month (no date column and no ``#`` range), range_spans (the
    ``#`` range covers more than one month; ``names``: its start and end).
    ``line`` is the line concerned, where there is one."""

    code: str
    names: tuple[str, ...] = ()
    line: int | None = None

    def __str__(self):
        return self.code


@dataclass(frozen=True)
class Problem:
    """A row that cannot be read. ``code``: channel_missing,
    channel_too_long (over MAX_GROUP characters), date (the month
    cell; ``detail`` the parse code) or number (``column`` is sessions or
    key_events, ``detail`` invalid, negative, fraction, too_large, formula or
    empty)."""

    line: int
    code: str
    value: str
    column: str | None = None
    detail: str | None = None


Figures = tuple[Decimal | None, int | None]  # (key events, sessions)


@dataclass(frozen=True)
class Ga4Import:
    # {(year, month, group): (key events, sessions)}, summed over the rows; a
    # figure whose column the file lacks is None.
    rows: Mapping[tuple[int, int, str], Figures]
    problems: tuple[Problem, ...]
    problem_count: int
    encoding: str
    dimension: str  # GROUP or SOURCE_MEDIUM
    # The file's header for each role read (None: the file lacks it).
    columns: tuple[tuple[str, str | None], ...]
    # How the month was found: YEAR_MONTH, DATE, or "range" (the # lines).
    month_from: str
    totals_skipped: tuple[int, ...] = field(default=())

    @property
    def can_write(self) -> bool:
        return bool(self.rows) and not self.problem_count

    @property
    def groups(self) -> tuple[str, ...]:
        """The groups of the file, each once, sorted (GA4's own order is by
        sessions, which changes from file to file)."""
        return tuple(sorted({group for _y, _m, group in self.rows}, key=str.casefold))

    @property
    def months(self) -> tuple[tuple[int, int], ...]:
        return tuple(sorted({(y, m) for y, m, _group in self.rows}))

    def column(self, role: str) -> str | None:
        return dict(self.columns).get(role)


# --- cells ---------------------------------------------------------------------


def parse_sessions(text: str) -> int:
    """A sessions cell: a whole count (``1,234`` and full-width digits read)."""
    if normalise(text).startswith(FORMULA_PREFIXES):
        raise ParseError("formula")
    value = parse_count(text)
    if value is None:
        raise ParseError("empty")
    return value


def parse_key_events(text: str) -> Decimal:
    """A key events cell: a count that GA4 may give with decimals (under
    data-driven attribution a key event is shared between channels)."""
    value = normalise(text)
    if value.startswith(FORMULA_PREFIXES):
        raise ParseError("formula")
    if value == "":
        raise ParseError("empty")
    if value.startswith(("-", "−")):
        raise ParseError("negative")
    if not _DECIMAL.match(value) or len(value) > 30:
        raise ParseError("invalid")
    number = Decimal(value.replace(",", ""))
    if number > MAX_EVENTS:
        raise ParseError("too_large")
    return number


def _date_of(text: str) -> tuple[int, int]:
    return actuals_csv.parse_month(text)


# --- the file ------------------------------------------------------------------


def _is_blank(cells) -> bool:
    return all(cell.strip() == "" for cell in cells)


def _is_comment(cells) -> bool:
    return bool(cells) and cells[0].lstrip().startswith("#")


def _header_roles(cells) -> dict[str, int]:
    found: dict[str, list[int]] = {}
    for index, cell in enumerate(cells):
        if role := _ROLES.get(_key(cell)):
            found.setdefault(role, []).append(index)
    for indexes in found.values():
        if len(indexes) > 1:
            raise Ga4Error("ambiguous_column", tuple(cells[i].strip() for i in indexes))
    return {role: indexes[0] for role, indexes in found.items()}


def _range_month(dates: dict[str, str]) -> tuple[int, int]:
    """The one month of the ``#`` range, or Ga4Error."""
    start, end = dates.get("start"), dates.get("end")
    if start is None or end is None:
        raise Ga4Error("no_month")
    try:
        first, last = _date_of(start), _date_of(end)
    except ParseError:
        raise Ga4Error("no_month") from None
    if first != last:
        raise Ga4Error("range_spans", (start, end))
    return first


def _cell(cells, index):
    if index is None or index >= len(cells):
        return ""
    return cells[index]


def parse_ga4_csv(data: bytes) -> Ga4Import:
    """Read a GA4 export. Raises Ga4Error when the file as a whole cannot be
    read; rows that cannot be read are listed in ``problems``."""
    try:
        text, encoding = actuals_csv.decode(data)
    except CsvError as error:
        raise Ga4Error(error.code) from None
    records = actuals_csv._records(text)
    dates: dict[str, str] = {}
    roles = header = None
    seen_anything = False
    figures_without_channel = None
    scanned = 0
    try:
        for line, cells in records:
            if _is_blank(cells):
                continue
            seen_anything = True
            if _is_comment(cells):
                if match := _RANGE.match(",".join(cells).strip()):
                    label = match.group(1).casefold()
                    start = label in ("開始日", "start date")
                    dates["start" if start else "end"] = match.group(2)
                continue
            found = _header_roles(cells)
            if GROUP in found or SOURCE_MEDIUM in found:
                roles, header = found, cells
                header_line = line
                break
            if any(role in found for role in FIGURES):
                figures_without_channel = line
            scanned += 1
            if scanned >= HEADER_SCAN_ROWS:
                break
    except CsvError as error:
        raise Ga4Error(error.code) from None
    if roles is None:
        if not seen_anything:
            raise Ga4Error("empty")
        if figures_without_channel is not None:
            raise Ga4Error("no_channel", line=figures_without_channel)
        raise Ga4Error("no_header")
    if not any(role in roles for role in FIGURES):
        raise Ga4Error("no_figures", line=header_line)
    # Both dimensions (a report broken down by group and source / medium):
    # the channel group is the one the mapping speaks of.
    dimension = GROUP if GROUP in roles else SOURCE_MEDIUM
    if YEAR_MONTH in roles:
        month_from = YEAR_MONTH
    elif DATE in roles:
        month_from = DATE
    else:
        month_from = "range"
        range_month = _range_month(dates)

    sums: dict[tuple[int, int, str], list] = {}
    problems: list[Problem] = []
    problem_count = 0
    totals: list[int] = []
    try:
        for line, cells in records:
            # The table ends at its first blank or comment line: a report
            # may append another table (a chart's series) below.
            if _is_blank(cells) or _is_comment(cells):
                break
            group = _cell(cells, roles[dimension]).strip()
            dated = month_from != "range" and _cell(cells, roles[month_from]).strip()
            # A total row: labelled (合計, Grand total, in whichever column),
            # or with neither a channel nor a date (an exploration's totals).
            if any(_key(cell) in _TOTAL_KEYS for cell in cells) or not (group or dated):
                totals.append(line)
                continue
            row_problems = []
            if group == "":
                row_problems.append(Problem(line, "channel_missing", ""))
            elif len(group) > MAX_GROUP:
                row_problems.append(Problem(line, "channel_too_long", shown(group)))
            if month_from == "range":
                year_month = range_month
            else:
                date_text = _cell(cells, roles[month_from])
                try:
                    year_month = _date_of(date_text)
                except ParseError as error:
                    year_month = None
                    row_problems.append(
                        Problem(line, "date", shown(date_text), detail=error.code)
                    )
            values = {}
            for role, parse in (
                (KEY_EVENTS, parse_key_events),
                (SESSIONS, parse_sessions),
            ):
                if role not in roles:
                    values[role] = None
                    continue
                cell = _cell(cells, roles[role])
                try:
                    values[role] = parse(cell)
                except ParseError as error:
                    row_problems.append(
                        Problem(line, "number", shown(cell), role, error.code)
                    )
            if row_problems:
                problem_count += len(row_problems)
                problems.extend(row_problems[: max(PROBLEMS_KEPT - len(problems), 0)])
                continue
            total = sums.setdefault((*year_month, group), [None, None])
            for index, role in enumerate(FIGURES):
                if values[role] is not None:
                    total[index] = (total[index] or 0) + values[role]
    except CsvError as error:
        raise Ga4Error(error.code) from None
    return Ga4Import(
        rows={
            key: (None if events is None else Decimal(events), sessions)
            for key, (events, sessions) in sums.items()
        },
        problems=tuple(problems),
        problem_count=problem_count,
        encoding=encoding,
        dimension=dimension,
        columns=tuple(
            (role, header[roles[role]].strip() if role in roles else None)
            for role in (dimension, YEAR_MONTH, DATE, *FIGURES)
        ),
        month_from=month_from,
        totals_skipped=tuple(totals),
    )


# --- from groups to channels ----------------------------------------------------


def key_event_count(events: Decimal) -> int:
    """A channel's month of key events as a whole count: GA4's fractions
    (data-driven attribution) are summed first and rounded half up once."""
    return int(events.to_integral_value(rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class ChannelValues:
    # {(channel id, month): (CV数, 訪問数)} for channel_actual_year_save.
    values: dict[tuple[int, int], tuple[int | None, int | None]]
    # The fiscal year's months the file covers, as (calendar year, month).
    months: tuple[tuple[int, int], ...]
    # The file's months outside the fiscal year: not imported.
    outside: tuple[tuple[int, int], ...]


def unmapped(groups: Iterable[str], mapping: Mapping[str, int | None]) -> list[str]:
    """The groups with no answer yet: asked about, never guessed."""
    return [group for group in groups if group not in mapping]


def channel_values(
    rows: Mapping[tuple[int, int, str], Figures],
    mapping: Mapping[str, int | None],
    fiscal_months: Iterable[tuple[int, int]],
    stored: Mapping[tuple[int, int], tuple[int | None, int | None]],
) -> ChannelValues:
    """The file's months of the fiscal year, per channel: the groups mapped
    to one channel summed, those mapped to None (未分類) left out.

    A month the file covers is replaced for every channel the file's groups
    map to: a channel with no row in that month had no sessions (GA4 leaves
    zero rows out), so it gets 0. A figure the file has no column for keeps
    its ``stored`` value ({(channel id, month): (CV数, 訪問数)}). Raises
    KeyError for a group without an answer: ask first (``unmapped``)."""
    in_year = {year_month for year_month in fiscal_months}
    events_column = any(events is not None for events, _s in rows.values())
    sessions_column = any(sessions is not None for _e, sessions in rows.values())
    channels = {mapping[group] for _y, _m, group in rows} - {None}
    months = sorted({(y, m) for y, m, _group in rows} & in_year)
    outside = sorted({(y, m) for y, m, _group in rows} - in_year)
    sums: dict[tuple[int, int], list] = {
        (channel, month): [Decimal(0), 0]
        for channel in channels
        for _year, month in months
    }
    for (year, month, group), (events, sessions) in rows.items():
        channel = mapping[group]
        if channel is None or (year, month) not in in_year:
            continue
        total = sums[channel, month]
        total[0] += events or 0
        total[1] += sessions or 0
    values = {}
    for key, (events, sessions) in sums.items():
        before_cv, before_visits = stored.get(key, (None, None))
        values[key] = (
            key_event_count(events) if events_column else before_cv,
            sessions if sessions_column else before_visits,
        )
    return ChannelValues(values, tuple(months), tuple(outside))


@dataclass(frozen=True)
class Difference:
    """A channel's month before and after the import."""

    channel_id: int
    month: int
    before: tuple[int | None, int | None]
    after: tuple[int | None, int | None]

    @property
    def changed(self) -> bool:
        return self.before != self.after


def differences(
    values: Mapping[tuple[int, int], tuple[int | None, int | None]],
    stored: Mapping[tuple[int, int], tuple[int | None, int | None]],
) -> list[Difference]:
    """Each cell the import writes, stored value beside new, by month then
    channel (the caller orders channels by giving ``values`` in its order)."""
    return [
        Difference(key[0], key[1], tuple(stored.get(key, (None, None))), value)
        for key, value in values.items()
    ]
