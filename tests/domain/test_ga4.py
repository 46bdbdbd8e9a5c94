"""Reading GA4's CSV exports (reports and explorations, Japanese and English,
UTF-8 with or without BOM and Shift_JIS) and turning channel groups into the
account's channels. Pure, no database; the files are written here."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from funnel.domain.ga4 import (
    DATE,
    GROUP,
    KEY_EVENTS,
    SESSIONS,
    SOURCE_MEDIUM,
    YEAR_MONTH,
    Ga4Error,
    channel_values,
    differences,
    key_event_count,
    parse_ga4_csv,
    unmapped,
)
from funnel.domain.grid import fiscal_months

# The traffic acquisition report as GA4 exports it in Japanese: a comment
# block with the range, one month, no date column, a total row.
REPORT_JA = """\
# ----------------------------------------
# トラフィック獲得: セッションのデフォルト チャネル グループ
# アカウント: デモ
# プロパティ: デモ - GA4
# ----------------------------------------
#
# 開始日: 20260401
# 終了日: 20260430
セッションのデフォルト チャネル グループ,セッション,エンゲージのあったセッション数,キーイベント,合計収益
Organic Search,"1,234",800,12,0
Paid Search,600,400,7.5,0
Email,300,200,3,0
Direct,200,100,0,0
合計,"2,334","1,500",22.5,0
"""

# The same report in English, by day (a Date column, summed by month).
REPORT_EN = """\
# ----------------------------------------
# Traffic acquisition: Session default channel group
# ----------------------------------------
#
# Start date: 20260401
# End date: 20260531
Session default channel group,Date,Sessions,Key events
Organic Search,20260401,100,1
Organic Search,20260402,50,2
Paid Search,20260401,40,1
Organic Search,20260501,70,0
Grand total,,260,4
"""

# An exploration by month (年月) with an older property's コンバージョン.
EXPLORATION_JA = """\
# ----------------------------------------
# 自由形式
# ----------------------------------------
#
# 開始日: 20260101
# 終了日: 20260331
年月,セッションのデフォルト チャネル グループ,セッション数,コンバージョン
合計,,900,9
202601,Organic Search,300,3
202602,Organic Search,200,2
202603,Referral,400,4
"""


def parse(text, encoding="utf-8"):
    return parse_ga4_csv(text.encode(encoding))


def error_of(text, encoding="utf-8"):
    with pytest.raises(Ga4Error) as caught:
        parse(text, encoding)
    return caught.value


# --- the three shapes, both languages ---------------------------------------


def test_japanese_report_takes_its_month_from_the_range():
    result = parse(REPORT_JA)
    assert result.month_from == "range"
    assert result.dimension == GROUP
    assert result.rows == {
        (2026, 4, "Organic Search"): (Decimal(12), 1234),
        (2026, 4, "Paid Search"): (Decimal("7.5"), 600),
        (2026, 4, "Email"): (Decimal(3), 300),
        (2026, 4, "Direct"): (Decimal(0), 200),
    }
    assert result.totals_skipped == (14,)  # the 合計 row
    assert result.can_write and result.problems == ()
    assert result.column(SESSIONS) == "セッション"
    assert result.column(KEY_EVENTS) == "キーイベント"


def test_english_report_by_day_is_summed_by_month():
    result = parse(REPORT_EN)
    assert result.month_from == DATE
    assert result.rows == {
        (2026, 4, "Organic Search"): (Decimal(3), 150),
        (2026, 4, "Paid Search"): (Decimal(1), 40),
        (2026, 5, "Organic Search"): (Decimal(0), 70),
    }
    assert result.months == ((2026, 4), (2026, 5))
    assert result.groups == ("Organic Search", "Paid Search")


def test_exploration_by_year_month_with_conversions_and_a_leading_total():
    result = parse(EXPLORATION_JA)
    assert result.month_from == YEAR_MONTH
    assert result.column(KEY_EVENTS) == "コンバージョン"
    assert result.rows == {
        (2026, 1, "Organic Search"): (Decimal(3), 300),
        (2026, 2, "Organic Search"): (Decimal(2), 200),
        (2026, 3, "Referral"): (Decimal(4), 400),
    }


def test_english_year_month_and_conversions():
    text = "Year month,Session default channel group,Sessions,Conversions\n202604,Email,10,1\n"
    assert parse(text).rows == {(2026, 4, "Email"): (Decimal(1), 10)}


@pytest.mark.parametrize(
    "header",
    [
        "Session primary channel group (Default Channel Group)",
        "セッションのメインのチャネル グループ（デフォルト チャネル グループ）",
    ],
)
def test_the_newer_name_of_the_channel_group(header):
    text = f"Year month,{header},Sessions\n202604,Email,10\n"
    result = parse(text)
    assert result.dimension == GROUP
    assert result.rows == {(2026, 4, "Email"): (None, 10)}


def test_source_medium_is_a_dimension_too():
    text = (
        "# 開始日: 20260601\n# 終了日: 20260630\n"
        "セッションの参照元 / メディア,セッション,キーイベント\n"
        "google / organic,500,5\n"
        "newsletter / email,80,2\n"
    )
    result = parse(text)
    assert result.dimension == SOURCE_MEDIUM
    assert result.rows[(2026, 6, "google / organic")] == (Decimal(5), 500)
    english = (
        "# Start date: 20260601\n# End date: 20260630\n"
        "Session source / medium,Sessions,Key events\nbing / cpc,9,1\n"
    )
    assert parse(english).rows == {(2026, 6, "bing / cpc"): (Decimal(1), 9)}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
@pytest.mark.parametrize("text", [REPORT_JA, EXPLORATION_JA, REPORT_EN])
def test_every_encoding_reads_the_same(text, encoding):
    result = parse(text, encoding)
    assert result.rows == parse(text).rows
    # An ASCII-only file is valid UTF-8, whatever it was saved as.
    ascii_only = text.isascii() and encoding == "cp932"
    expected = "utf-8" if encoding == "utf-8" or ascii_only else encoding
    assert result.encoding == expected


def test_a_table_ends_at_its_first_blank_line():
    text = REPORT_EN.replace(
        "Grand total,,260,4\n", "\n# 2nd table\nN日目,セッション\n0001,5\n"
    )
    assert sum(s for _e, s in parse(text).rows.values()) == 260


def test_unlabelled_totals_row_of_an_exploration_is_skipped():
    text = (
        "年月,セッションのデフォルト チャネル グループ,セッション,キーイベント\n"
        ",,1300,13\n"
        "202604,Email,1300,13\n"
        "Totals,,1300,13\n"
    )
    result = parse(text)
    assert result.rows == {(2026, 4, "Email"): (Decimal(13), 1300)}
    assert result.totals_skipped == (2, 4)
    # With no date column, a row without a channel is the total.
    ranged = "# 開始日: 20260401\n# 終了日: 20260430\n"
    ranged += "Session default channel group,Sessions\n,9\nEmail,9\n"
    assert parse(ranged).rows == {(2026, 4, "Email"): (None, 9)}


def test_a_key_events_column_alone_is_enough_and_sessions_stay_none():
    text = (
        "年月,セッションのデフォルト チャネル グループ,キーイベント\n202604,Email,4\n"
    )
    result = parse(text)
    assert result.rows == {(2026, 4, "Email"): (Decimal(4), None)}


def test_full_width_digits_and_commas():
    text = '年月,セッションのデフォルト チャネル グループ,セッション,キーイベント\n２０２６０４,Email,"１,２００","1,000.5"\n'
    assert parse(text).rows == {(2026, 4, "Email"): (Decimal("1000.5"), 1200)}


# --- what cannot be read --------------------------------------------------------


def test_no_header():
    assert error_of("a,b\n1,2\n").code == "no_header"


def test_no_channel_column_names_its_line():
    error = error_of("# 開始日: 20260401\n年月,セッション,キーイベント\n202604,1,1\n")
    assert (error.code, error.line) == ("no_channel", 2)


def test_no_figures():
    assert error_of("年月,Session default channel group\n202604,Email\n").code == (
        "no_figures"
    )


def test_empty_file():
    assert error_of("").code == "empty"
    assert error_of("\n\n").code == "empty"


def test_no_month_without_date_column_or_range():
    assert error_of("Session default channel group,Sessions\nEmail,1\n").code == (
        "no_month"
    )


def test_a_range_over_two_months_without_date_column_is_refused():
    error = error_of(REPORT_JA.replace("20260430", "20260531"))
    assert error.code == "range_spans"
    assert error.names == ("20260401", "20260531")


def test_ambiguous_column():
    error = error_of("Session default channel group,Sessions,セッション\nEmail,1,1\n")
    assert error.code == "ambiguous_column"
    assert error.names == ("Sessions", "セッション")


def test_xlsx_and_utf16_and_binary_are_refused():
    assert error_of_bytes(b"PK\x03\x04rest").code == "xlsx"
    assert error_of_bytes("a".encode("utf-16")).code == "encoding"
    assert error_of_bytes(b"a\x00b").code == "not_csv"


def error_of_bytes(data):
    with pytest.raises(Ga4Error) as caught:
        parse_ga4_csv(data)
    return caught.value


def test_bad_numbers_and_dates_are_problems_with_their_lines():
    text = (
        "年月,セッションのデフォルト チャネル グループ,セッション,キーイベント\n"
        "202604,Email,abc,1\n"
        "202604,Direct,-5,=1+1\n"
        "2026xx,Referral,1,1\n"
        "202604,,1,1\n"
        "202604,Organic Search,1.5,\n"
        f"202604,{'x' * 201},1,1\n"
        "202605,Paid Search,10,1\n"
    )
    result = parse(text)
    assert not result.can_write
    assert [(p.line, p.code, p.column, p.detail) for p in result.problems] == [
        (2, "number", SESSIONS, "invalid"),
        (3, "number", KEY_EVENTS, "formula"),
        (3, "number", SESSIONS, "negative"),
        (4, "date", None, "month_unknown"),
        (5, "channel_missing", None, None),
        (6, "number", KEY_EVENTS, "empty"),
        (6, "number", SESSIONS, "fraction"),
        (7, "channel_too_long", None, None),
    ]
    assert result.problem_count == 8
    # The readable rows are still read (for the preview), never written.
    assert result.rows == {(2026, 5, "Paid Search"): (Decimal(1), 10)}


# --- from groups to channels ------------------------------------------------------

AD, ORGANIC, MAIL = 1, 2, 3


def test_groups_summed_into_channels_and_unclassified_left_out():
    rows = parse(REPORT_JA).rows
    mapping = {
        "Organic Search": ORGANIC,
        "Paid Search": AD,
        "Email": AD,  # two groups, one channel: summed
        "Direct": None,  # 未分類
    }
    result = channel_values(rows, mapping, fiscal_months(2026, 4), {})
    assert result.values == {(ORGANIC, 4): (12, 1234), (AD, 4): (11, 900)}
    assert result.months == ((2026, 4),)
    assert result.outside == ()


def test_fractional_key_events_are_summed_then_rounded_half_up_once():
    rows = {
        (2026, 4, "a"): (Decimal("0.4"), 1),
        (2026, 4, "b"): (Decimal("0.4"), 1),
        (2026, 4, "c"): (Decimal("0.7"), 1),
    }
    result = channel_values(rows, dict.fromkeys("abc", AD), fiscal_months(2026, 4), {})
    assert result.values == {(AD, 4): (2, 3)}  # 1.5 → 2, not 0 + 0 + 1
    assert key_event_count(Decimal("2.5")) == 3


def test_months_outside_the_fiscal_year_are_listed_not_imported():
    rows = parse(EXPLORATION_JA).rows
    mapping = {"Organic Search": ORGANIC, "Referral": MAIL}
    # 2026年度 from April: January to March 2026 belong to 2025年度.
    result = channel_values(rows, mapping, fiscal_months(2025, 4), {})
    assert result.outside == ()
    assert set(result.values) == {
        (ORGANIC, 1),
        (ORGANIC, 2),
        (ORGANIC, 3),
        (MAIL, 1),
        (MAIL, 2),
        (MAIL, 3),
    }
    # A channel with no row in a month the file covers had no sessions: 0.
    assert result.values[(MAIL, 1)] == (0, 0)
    assert result.values[(MAIL, 3)] == (4, 400)
    other = channel_values(rows, mapping, fiscal_months(2026, 4), {})
    assert other.values == {}
    assert other.outside == ((2026, 1), (2026, 2), (2026, 3))


def test_a_missing_column_keeps_the_stored_figure():
    rows = {(2026, 4, "Email"): (Decimal(4), None)}
    result = channel_values(
        rows, {"Email": MAIL}, fiscal_months(2026, 4), {(MAIL, 4): (1, 500)}
    )
    assert result.values == {(MAIL, 4): (4, 500)}


def test_an_unanswered_group_is_never_guessed():
    rows = parse(REPORT_JA).rows
    groups = parse(REPORT_JA).groups
    assert unmapped(groups, {"Email": MAIL}) == [
        "Direct",
        "Organic Search",
        "Paid Search",
    ]
    with pytest.raises(KeyError):
        channel_values(rows, {"Email": MAIL}, fiscal_months(2026, 4), {})


def test_differences_old_to_new():
    diffs = differences({(AD, 4): (11, 900), (MAIL, 4): (1, 2)}, {(AD, 4): (5, 900)})
    assert [(d.channel_id, d.month, d.before, d.after, d.changed) for d in diffs] == [
        (AD, 4, (5, 900), (11, 900), True),
        (MAIL, 4, (None, None), (1, 2), True),
    ]
    assert not differences({(AD, 4): (5, 900)}, {(AD, 4): (5, 900)})[0].changed


# --- properties -------------------------------------------------------------------

groups = st.sampled_from(["Organic Search", "Paid Search", "Email", "Direct"])
day_rows = st.lists(
    st.tuples(
        groups,
        st.integers(1, 12),
        st.integers(1, 28),
        st.integers(0, 10_000),
        st.integers(0, 1_000),
    ),
    min_size=1,
    max_size=30,
)


@given(day_rows, st.sampled_from(["utf-8", "utf-8-sig", "cp932"]))
def test_by_day_sums_equal_the_file_in_every_encoding(rows, encoding):
    lines = ["# 開始日: 20260101", "# 終了日: 20261231"]
    lines.append(
        "日付,セッションのデフォルト チャネル グループ,セッション,キーイベント"
    )
    for group, month, day, sessions, events in rows:
        lines.append(f'2026{month:02d}{day:02d},{group},"{sessions:,}",{events}')
    result = parse("\n".join(lines) + "\n", encoding)
    assert sum(s for _e, s in result.rows.values()) == sum(r[3] for r in rows)
    assert sum(e for e, _s in result.rows.values()) == sum(r[4] for r in rows)
    mapping = {"Organic Search": ORGANIC, "Paid Search": AD, "Email": AD}
    mapping["Direct"] = None
    values = channel_values(result.rows, mapping, fiscal_months(2026, 1), {}).values
    assert sum(v for _c, v in values.values()) == sum(
        r[3] for r in rows if r[0] != "Direct"
    )
