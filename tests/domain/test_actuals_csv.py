"""Reading an analytics tool's monthly CSV into a year's actuals: encodings,
columns, month formats, numbers, and every reason a row is refused or skipped.
Pure, no database."""

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from funnel.domain.actuals_csv import (
    MAX_BYTES,
    CsvError,
    MonthRow,
    changes,
    parse_actuals_csv,
    parse_month,
    preview,
    values_to_write,
)
from funnel.domain.grid import fiscal_months
from funnel.domain.numbers import ParseError

GA4 = 'Month,Sessions,Conversions\r\n2026-01,"1,200",12\r\n2026-02,900,9\r\n'


def parse(text, *, year=2026, start=1, encoding="utf-8"):
    return parse_actuals_csv(text.encode(encoding), fiscal_year=year, start_month=start)


def written(result):
    return [(r.year, r.month, r.cv_count, r.visits) for r in result.rows]


def reasons(result):
    return [(r.line, r.code, r.column, r.detail) for r in result.refused]


def refusal_error(data, **kwargs):
    with pytest.raises(CsvError) as caught:
        parse_actuals_csv(data, fiscal_year=2026, start_month=1, **kwargs)
    return caught.value


# --- encodings -----------------------------------------------------------------


def test_utf8_without_bom():
    result = parse(GA4)
    assert result.encoding == "utf-8"
    assert written(result) == [(2026, 1, 12, 1200), (2026, 2, 9, 900)]
    assert result.can_write and result.refused == () and result.skipped == ()


def test_utf8_with_bom_reads_the_first_header():
    result = parse_actuals_csv(
        b"\xef\xbb\xbf" + "月,訪問数,CV数\n2026年3月,100,1\n".encode(),
        fiscal_year=2026,
        start_month=1,
    )
    assert result.encoding == "utf-8-sig"
    assert result.column("month") == "月"
    assert written(result) == [(2026, 3, 1, 100)]


def test_cp932_with_japanese_headers():
    text = "年月,セッション数,コンバージョン数\r\n2026年1月,１，２００,１２\r\n"
    result = parse(text, encoding="cp932")
    assert result.encoding == "cp932"
    assert result.columns == (
        ("month", "年月"),
        ("cv", "コンバージョン数"),
        ("visits", "セッション数"),
    )
    assert written(result) == [(2026, 1, 12, 1200)]


@pytest.mark.parametrize(
    "data",
    [
        b"month,visits,cv\n2026-01,1,1\n\x82",  # a cut Shift_JIS character
        b"\x8c\x8e,\x81 ,cv\n",  # an illegal second byte
        b"month,visits,cv\n2026-01,\xa0,\xfd\n",  # bytes Shift_JIS leaves undefined
        "月,訪問数,CV数\n".encode("utf-16"),  # UTF-16 (with its BOM)
        b"\xef\xbb\xbfmonth,visits\n\x8c\x8e",  # a UTF-8 BOM, then not UTF-8
    ],
)
def test_neither_utf8_nor_cp932_is_refused_as_an_encoding(data):
    assert refusal_error(data).code == "encoding"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"PK\x03\x04\x14\x00\x06\x00", "xlsx"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not_csv"),
        (b"month,visits\x01,cv\n", "not_csv"),
        (b'month,visits,cv\n"2026-01"x,1,1\n', "not_csv"),
        (b"month,visits,cv\n2026-01," + b"9" * 200_000 + b",1\n", "not_csv"),
        (b"", "empty"),
        (b"\r\n\r\n# only a comment\r\n", "empty"),
    ],
)
def test_a_file_that_is_not_csv(data, code):
    assert refusal_error(data).code == code


def test_a_file_over_the_size_limit_is_refused():
    assert MAX_BYTES == 1024 * 1024
    header = b"month,visits,cv\n"
    data = header + b"2026-01,1,1\n" * ((MAX_BYTES - len(header)) // 12 + 1)
    assert len(data) > MAX_BYTES
    assert refusal_error(data).code == "too_large"
    # Just under the limit is read (and refused row by row: duplicates).
    fits = data[: MAX_BYTES - (MAX_BYTES - len(header)) % 12]
    assert len(fits) <= MAX_BYTES
    parse_actuals_csv(fits, fiscal_year=2026, start_month=1)


# --- columns -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("month", "visits", "cv"),
    [
        ("月", "訪問数", "CV"),
        ("年月", "セッション", "CV数"),
        ("日付", "セッション数", "コンバージョン"),
        (" MONTH ", "Sessions", "conversions"),
        ("Date", "VISITS", "Key Events"),
        ("Year Month", "sessions", "Goal Completions"),
        ("year_month", "sessions", "key_events"),
        ("期間", "訪問数", "コンバージョン数"),
        ("ｍｏｎｔｈ", "ｓｅｓｓｉｏｎｓ", "ＣＶ数"),
    ],
)
def test_headers_in_japanese_and_english(month, visits, cv):
    result = parse(f"{month},{visits},{cv}\n2026-05,100,2\n")
    assert written(result) == [(2026, 5, 2, 100)]


def test_columns_in_any_order_and_others_ignored():
    text = "Sessions,Device,Conversions,Month\n300,mobile,3,2026-07\n"
    assert written(parse(text)) == [(2026, 7, 3, 300)]


def test_header_below_a_ga4_preamble():
    text = (
        "# ----------------------------------------\n"
        "# Reports snapshot\n"
        "# Start date: 20260101\n"
        "# ----------------------------------------\n"
        "\n"
        "Year month,Sessions,Key events\n"
        "202601,1000,10\n"
    )
    result = parse(text)
    assert written(result) == [(2026, 1, 10, 1000)]
    assert result.rows[0].line == 7


def test_header_below_a_title_line():
    result = parse("月次レポート 2026\n月,訪問数,CV数\n2026-01,5,1\n")
    assert written(result) == [(2026, 1, 1, 5)]


@pytest.mark.parametrize(
    ("text", "missing"),
    [
        ("visits,cv\n100,1\n", ("month", "cv", "visits")[:1]),
        ("Sessions,Conversions\n100,1\n", ("month",)),
        ("foo,bar\n1,2\n", ("month", "cv", "visits")),
        ("month,device\n2026-01,pc\n", ("cv", "visits")),
        ("2026-01,100,1\n", ("month", "cv", "visits")),
    ],
)
def test_missing_columns_are_named(text, missing):
    error = refusal_error(text.encode())
    assert error.code == "missing_columns"
    assert error.names == missing


def test_one_figure_column_is_enough_and_the_other_is_not_imported():
    result = parse("month,sessions\n2026-01,1000\n")
    assert result.column("cv") is None
    assert written(result) == [(2026, 1, None, 1000)]


def test_two_columns_for_one_figure_are_refused():
    error = refusal_error(b"month,sessions,visits,cv\n2026-01,1,2,3\n")
    assert error.code == "ambiguous_column"
    assert error.names == ("sessions", "visits")


def test_tab_separated_and_excel_sep_line():
    assert written(parse("month\tvisits\tcv\n2026-01\t1,000\t3\n")) == [
        (2026, 1, 3, 1000)
    ]
    result = parse("sep=;\nmonth;visits;cv\n2026-01;1000;3\n")
    assert written(result) == [(2026, 1, 3, 1000)]
    assert result.rows[0].line == 3


# --- month values --------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "2026-01",
        "2026-1",
        "2026/1",
        "2026/01",
        "2026.1",
        "2026年1月",
        "2026年 1月",
        "２０２６年１月",
        "202601",
        "2026-01-01",
        "2026/1/31",
        "2026-01-15 00:00:00",
        "20260131",
        "2026年1月15日",
        "Jan 2026",
        "jan 2026",
        "January 2026",
        "Jan-2026",
        "Jan. 2026",
        "2026 Jan",
        " 2026-01 ",
    ],
)
def test_month_formats(text):
    assert parse_month(text) == (2026, 1)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "month_missing"),
        ("   ", "month_missing"),
        ("1月", "month_no_year"),
        ("01", "month_no_year"),
        ("Jan", "month_no_year"),
        # A month no calendar has: said so, whether or not a year is there.
        ("2026-13", "month_out_of_range"),
        ("2026/13", "month_out_of_range"),
        ("2026年13月", "month_out_of_range"),
        ("2026-00", "month_out_of_range"),
        ("202613", "month_out_of_range"),
        ("2026-13-01", "month_out_of_range"),
        ("13月", "month_out_of_range"),
        ("１３月", "month_out_of_range"),
        ("0月", "month_out_of_range"),
        ("2026-02-30", "month_unknown"),
        ("Foo 2026", "month_unknown"),
        ("26-01", "month_unknown"),
        ("<script>alert(1)</script>", "month_unknown"),
        ('=HYPERLINK("x")', "month_unknown"),
        ("2026", "month_unknown"),
    ],
)
def test_month_refusals(text, code):
    with pytest.raises(ParseError) as caught:
        parse_month(text)
    assert caught.value.code == code


MONTH_FORMATS = [
    lambda y, m: f"{y}-{m:02d}",
    lambda y, m: f"{y}/{m}",
    lambda y, m: f"{y}年{m}月",
    lambda y, m: f"{y}{m:02d}",
    lambda y, m: f"{y}-{m:02d}-01",
    lambda y, m: (
        f"{['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][m - 1]} {y}"
    ),
]


@given(
    year=st.integers(2000, 2101),
    month=st.integers(1, 12),
    style=st.sampled_from(MONTH_FORMATS),
)
def test_every_month_format_reads_back(year, month, style):
    assert parse_month(style(year, month)) == (year, month)


# --- numbers -----------------------------------------------------------------


def test_commas_and_full_width_digits():
    text = 'month,visits,cv\n2026-01,"12,345",１，２３４\n2026-02,１２,0\n'
    assert written(parse(text)) == [(2026, 1, 1234, 12345), (2026, 2, 0, 12)]


@pytest.mark.parametrize(
    ("cell", "detail"),
    [
        ("=SUM(B2:B3)", "formula"),
        ("+1", "formula"),
        ("@x", "formula"),
        ("＝1", "formula"),
        ("-1", "negative"),
        ("-A1+B2", "negative"),
        ("1.5", "fraction"),
        ("1e9", "invalid"),
        ("NaN", "invalid"),
        ("12%", "invalid"),
        ("1,00", "invalid"),
        ("<script>", "invalid"),
        ("100000001", "too_large"),
        ("9" * 5000, "too_large"),
    ],
)
def test_bad_numbers_are_refused_with_their_column(cell, detail):
    result = parse(f'month,visits,cv\n2026-01,"{cell}",1\n')
    assert reasons(result) == [(2, "number", "visits", detail)]
    assert result.refused[0].value == cell[:39] + ("…" if len(cell) > 40 else cell[39:])
    assert not result.can_write
    assert result.rows == ()


def test_both_figures_bad_gives_two_reasons_in_column_order():
    result = parse("month,visits,cv\n2026-01,x,-1\n")
    assert reasons(result) == [
        (2, "number", "visits", "invalid"),
        (2, "number", "cv", "negative"),
    ]
    assert result.refused_lines == 1


def test_an_empty_cell_is_not_imported():
    result = parse("month,visits,cv\n2026-01,,5\n2026-02,700,\n2026-03,,\n")
    assert written(result) == [(2026, 1, 5, None), (2026, 2, None, 700)]
    assert [(s.line, s.code) for s in result.skipped] == [(4, "no_values")]
    assert result.can_write


def test_a_short_row_has_empty_cells():
    assert written(parse("month,visits,cv\n2026-01,700\n")) == [(2026, 1, None, 700)]


# --- rows refused or skipped -----------------------------------------------------


def test_every_row_reason_at_once():
    text = (
        "month,visits,cv\n"  # 1
        "2026-01,100,1\n"  # 2 written
        "2025-12,100,1\n"  # 3 another year: skipped
        "2026-01-31,100,1\n"  # 4 duplicate of line 2
        "1月,100,1\n"  # 5 no year
        "last month,100,1\n"  # 6 unknown
        ",100,1\n"  # 7 no month
        "2026-02,abc,1\n"  # 8 bad number
        "\n"  # 9 empty
        "合計,300,3\n"  # 10 total
        ",,\n"  # 11 empty
        "Grand total,300,3\n"  # 12 total
        "# note,,\n"  # 13 comment
    )
    result = parse(text)
    assert reasons(result) == [
        (4, "duplicate", None, "2"),
        (5, "month_no_year", None, None),
        (6, "month_unknown", None, None),
        (7, "month_missing", None, None),
        (8, "number", "visits", "invalid"),
    ]
    assert [(s.line, s.code) for s in result.skipped] == [
        (3, "other_year"),
        (9, "empty"),
        (10, "total"),
        (11, "empty"),
        (12, "total"),
        (13, "comment"),
    ]
    assert written(result) == [(2026, 1, 1, 100)]
    assert not result.can_write
    assert result.refused_lines == 5


@pytest.mark.parametrize(
    "total", ["合計", "総計", "Total", "TOTAL", " Grand Total ", "小計"]
)
def test_total_rows_are_skipped_not_refused(total):
    result = parse(f"month,visits,cv\n2026-01,100,1\n{total},100,1\n")
    assert result.refused == ()
    assert [(s.line, s.code, s.value) for s in result.skipped] == [
        (3, "total", total.strip())
    ]
    assert result.can_write


def test_a_total_in_another_column_is_skipped():
    result = parse("channel,month,visits,cv\nTotal,,100,1\nweb,2026-01,100,1\n")
    assert [s.code for s in result.skipped] == ["total"]
    assert result.can_write


def test_a_month_twice_is_refused_even_when_the_first_is_refused():
    result = parse("month,visits,cv\n2026-01,x,1\n2026/1,100,1\n")
    assert reasons(result) == [
        (2, "number", "visits", "invalid"),
        (3, "duplicate", None, "2"),
    ]
    assert result.rows == ()


def test_nothing_to_write_cannot_be_written():
    result = parse("month,visits,cv\n2026-01,,\n")
    assert result.rows == () and result.refused == ()
    assert not result.can_write


def test_hostile_cells_are_kept_as_text_and_shortened():
    result = parse(
        'month,visits,cv\n"<script>alert(1)</script>",1,1\n"' + "<b>" * 50 + '",1,1\n'
    )
    assert [r.value for r in result.refused] == [
        "<script>alert(1)</script>",
        ("<b>" * 50)[:39] + "…",
    ]


def test_line_numbers_count_physical_lines():
    text = 'month,visits,cv\n"2026-01",1,1\n"multi\nline",1,1\n2026-13,1,1\n'
    assert [r.line for r in parse(text).refused] == [3, 5]


# --- fiscal years ----------------------------------------------------------------


def test_fiscal_year_starting_in_april():
    text = (
        "month,visits,cv\n"
        "2026-03,1,1\n"  # 2025年度
        "2026-04,400,4\n"
        "2027-01,100,1\n"
        "2027-03,300,3\n"
        "2027-04,1,1\n"  # 2027年度
    )
    result = parse(text, year=2026, start=4)
    assert written(result) == [(2026, 4, 4, 400), (2027, 1, 1, 100), (2027, 3, 3, 300)]
    assert result.refused == ()
    assert [(s.line, s.code, s.value) for s in result.skipped] == [
        (2, "other_year", "2026-03"),
        (6, "other_year", "2027-04"),
    ]
    assert result.can_write


def test_a_rolling_twelve_month_export_takes_the_years_months():
    """2025/12–2026/11, as an analytics tool exports the last 12 months: the
    eleven months of 2026 are taken, December 2025 is listed as skipped."""
    lines = ["月,セッション,コンバージョン"]
    lines += ["2025/12,1200,12"] + [f"2026/{m},{m * 100},{m}" for m in range(1, 12)]
    result = parse("\n".join(lines) + "\n", year=2026)
    assert [r.month for r in result.rows] == list(range(1, 12))
    assert [(s.line, s.code, s.value) for s in result.skipped] == [
        (2, "other_year", "2025/12")
    ]
    assert result.refused == () and result.can_write


def test_a_fiscal_year_export_in_a_calendar_year_account():
    """2026年度 (April 2026 – March 2027) read for the calendar year 2026:
    April to December are taken, January to March 2027 skipped."""
    text = "month,visits,cv\n" + "".join(
        f"{y}-{m:02d},{m},{m}\n" for y, m in fiscal_months(2026, 4)
    )
    result = parse(text, year=2026)
    assert [r.month for r in result.rows] == list(range(4, 13))
    assert [s.value for s in result.skipped] == ["2027-01", "2027-02", "2027-03"]
    assert result.can_write


def test_rows_come_out_in_fiscal_order():
    text = "month,visits,cv\n2027-02,2,2\n2026-12,12,12\n2026-04,4,4\n"
    assert [r.month for r in parse(text, year=2026, start=4).rows] == [4, 12, 2]


def test_another_year_only():
    result = parse(GA4, year=2025)
    assert result.refused == ()
    assert [s.code for s in result.skipped] == ["other_year", "other_year"]
    assert not result.can_write  # nothing of the year to write


# --- a large export ----------------------------------------------------------------


def test_ten_thousand_rows_parse_quickly_and_skip_the_other_years():
    lines = ["Month,Sessions,Conversions"]
    months = [(y, m) for y in range(1200, 2900) for m in range(1, 13)][:10_000]
    lines += [f"{y}-{m:02d},{y * m:,},{m}" for y, m in months]
    data = ("\r\n".join(lines) + "\r\n").encode()
    assert len(data) < MAX_BYTES
    started = time.perf_counter()
    result = parse_actuals_csv(data, fiscal_year=2026, start_month=4)
    assert time.perf_counter() - started < 3
    assert len(result.rows) == 12
    assert len(result.skipped) == 10_000 - 12
    assert {s.code for s in result.skipped} == {"other_year"}
    assert result.refused == () and result.can_write


# --- what is written -----------------------------------------------------------------


def test_preview_and_values_pass_the_stored_value_through_an_empty_cell():
    rows = [
        MonthRow(2, 2026, 1, 10, None),
        MonthRow(3, 2026, 2, None, 500),
        MonthRow(4, 2026, 3, 7, 70),
    ]
    stored = {1: (3, 300), 2: (4, None), 3: (7, 70)}
    assert values_to_write(rows, stored) == {1: (10, 300), 2: (4, 500), 3: (7, 70)}
    previewed = preview(rows, stored)
    assert [(p.cv_changed, p.visits_changed) for p in previewed] == [
        (True, False),
        (False, True),
        (False, False),
    ]
    assert changes(previewed) == 2
    # A month not stored yet: its empty figure stays empty.
    assert values_to_write([MonthRow(2, 2026, 5, None, 9)], {}) == {5: (None, 9)}


@given(
    st.dictionaries(
        st.integers(1, 12),
        st.tuples(st.none() | st.integers(0, 10**8), st.none() | st.integers(0, 10**8)),
        min_size=1,
    )
)
def test_a_written_file_reads_back(months):
    lines = ["年月,セッション数,CV数"]
    for month, (cv, visits) in months.items():
        cells = ["" if v is None else f"{v:,}" for v in (visits, cv)]
        lines.append(f'2026年{month}月,"{cells[0]}","{cells[1]}"')
    result = parse("\n".join(lines), encoding="cp932")
    expected = {m: v for m, v in months.items() if v != (None, None)}
    assert {r.month: (r.cv_count, r.visits) for r in result.rows} == expected
    assert result.refused == ()
    # Writing what was read over itself changes nothing.
    assert changes(preview(result.rows, expected)) == 0
