"""Parsing what users type, and the rounding rule: pure, no database."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from funnel.domain.numbers import (
    MAX_COUNT,
    ParseError,
    count_needed,
    parse_count,
    parse_rate,
    parse_yen,
    rate_of,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20", 20),
        ("２０", 20),
        ("1,200", 1200),
        ("１，２００", 1200),
        (" 12,000,000 ", 12_000_000),
        ("0", 0),
        ("", None),
        ("   ", None),
        ("100,000,000", MAX_COUNT),
    ],
)
def test_parse_count_accepts(text, expected):
    assert parse_count(text) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("-1", "negative"),
        ("-0", "negative"),
        ("−5", "negative"),
        ("1.5", "fraction"),
        ("１．５", "fraction"),
        ("1e9", "invalid"),
        ("NaN", "invalid"),
        ("Infinity", "invalid"),
        ("1_200", "invalid"),
        ("٢٠", "invalid"),
        ("1,20", "invalid"),
        ("12,00,000", "invalid"),
        ("abc", "invalid"),
        ("<b>1</b>", "invalid"),
        ("1; DROP TABLE", "invalid"),
        ("100,000,001", "too_large"),
        ("99999999999999999999999", "too_large"),
    ],
)
def test_parse_count_refuses(text, code):
    with pytest.raises(ParseError) as error:
        parse_count(text)
    assert error.value.code == code


def test_parse_yen_allows_larger_amounts():
    assert parse_yen("50,000,000") == 50_000_000
    assert parse_yen("1,000,000,000,000") == 10**12
    with pytest.raises(ParseError):
        parse_yen("1,000,000,000,001")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5000万", 50_000_000),
        ("1,200万円", 12_000_000),
        ("400万", 4_000_000),
        ("50,000,000円", 50_000_000),
        ("¥12,000,000", 12_000_000),
        ("￥12,000,000", 12_000_000),
        ("￥１２，０００，０００", 12_000_000),
        ("1.2億", 120_000_000),
        ("1億2,000万", 120_000_000),
        ("1億2000万円", 120_000_000),
        ("１億２０００万円", 120_000_000),
        ("1万5000円", 15_000),
        ("1.5万", 15_000),
        ("1.50万", 15_000),
        ("1.00000000億", 100_000_000),
        ("10000億", 10**12),
        ("1200 円", 1200),
        ("¥ 1,200", 1200),
        ("0円", 0),
        ("1億0500万", 105_000_000),
    ],
)
def test_parse_yen_reads_money_as_people_write_it(text, expected):
    value = parse_yen(text)
    assert value == expected
    assert type(value) is int


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("0.5円", "fraction"),
        ("1.23456万", "fraction"),
        ("1.000000001億", "fraction"),
        ("1.5", "fraction"),
        ("-5万", "negative"),
        ("¥-5", "negative"),
        ("－１億", "negative"),
        ("10000.00000001億", "too_large"),
        ("1兆", "invalid"),
        ("万", "invalid"),
        ("円", "invalid"),
        ("万円", "invalid"),
        ("¥", "invalid"),
        ("¥1200円", "invalid"),  # one mark of the currency, not both
        ("1億5000", "invalid"),  # 5,000円 or 5,000万? refused, not guessed
        ("1億12000万", "invalid"),  # a slip: 万 after 億 stays below 10,000
        ("1万12000", "invalid"),
        ("1.5億2000万", "invalid"),  # a point only in the last term
        ("1万1億", "invalid"),  # larger units first
        ("1e9万", "invalid"),
        ("²万", "invalid"),
        ("1,20万", "invalid"),
        (".5万", "invalid"),
        ("5.万", "invalid"),
        ("1千", "invalid"),
        ("$100", "invalid"),
    ],
)
def test_parse_yen_refuses(text, code):
    with pytest.raises(ParseError) as error:
        parse_yen(text)
    assert error.value.code == code


@given(st.integers(min_value=0, max_value=10**12))
def test_yen_as_shown_parses_back(amount):
    """What the screen shows (formatting.yen's 万/億 form) reads back exactly."""
    oku, rest = divmod(amount, 10**8)
    man, yen = divmod(rest, 10**4)
    shown = "".join(
        [
            f"{oku:,}億" if oku else "",
            f"{man:,}万" if man else "",
            f"{yen}" if yen else "",
        ]
    )
    if oku and yen and not man:
        shown = f"{amount:,}"  # plain yen straight after 億 is refused as ambiguous
    assert parse_yen((shown or "0") + "円") == amount
    assert parse_yen(f"¥{amount:,}") == amount


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", Decimal("1")),
        ("1 %", Decimal("1")),
        ("1%", Decimal("1")),
        ("１％", Decimal("1")),
        ("１．５ ％", Decimal("1.5")),
        ("0.01", Decimal("0.01")),
        ("100", Decimal("100")),
        ("30.00", Decimal("30")),
        ("", None),
    ],
)
def test_parse_rate_accepts(text, expected):
    assert parse_rate(text) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("0", "rate_range"),
        ("0.00", "rate_range"),
        ("100.01", "rate_range"),
        ("101", "rate_range"),
        ("-1", "negative"),
        ("-0", "negative"),
        ("1.234", "rate_places"),
        ("abc", "invalid"),
        ("1e1", "invalid"),
        ("NaN", "invalid"),
        ("%", "invalid"),
        ("1 %%", "invalid"),
        ("1000", "invalid"),
    ],
)
def test_parse_rate_refuses(text, code):
    with pytest.raises(ParseError) as error:
        parse_rate(text)
    assert error.value.code == code


@pytest.mark.parametrize(
    ("target", "rate", "needed"),
    [
        (20, "1", 2000),  # the grid's example
        (3, "30", 10),  # ③ 受注3件 / 受注率30%
        (10, "25", 40),  # ④
        (20, "30", 67),  # ⑤ the seed writes 66; rounding up gives 67
        (0, "5", 0),
        (1, "100", 1),
        (1, "0.01", 10000),
    ],
)
def test_count_needed_table(target, rate, needed):
    assert count_needed(target, Decimal(rate)) == needed


def test_count_needed_refuses_floats():
    with pytest.raises(TypeError):
        count_needed(20, 1.0)
    with pytest.raises(TypeError):
        count_needed(20.0, Decimal(1))


rates = st.decimals(
    min_value=Decimal("0.01"), max_value=Decimal(100), places=2, allow_nan=False
)


@given(st.integers(min_value=0, max_value=MAX_COUNT), rates)
def test_count_needed_covers_target_and_is_minimal(target, rate):
    needed = count_needed(target, rate)
    assert isinstance(needed, int)
    assert Decimal(needed) * rate / 100 >= target
    assert needed == 0 or Decimal(needed - 1) * rate / 100 < target


@given(st.integers(min_value=0, max_value=MAX_COUNT))
def test_formatted_counts_parse_back(number):
    assert parse_count(f"{number:,}") == number
    assert parse_count(str(number)) == number


@given(st.text(max_size=20))
def test_parsers_never_raise_anything_but_parse_error(text):
    for parse in (parse_count, parse_rate, parse_yen):
        try:
            value = parse(text)
        except ParseError:
            continue
        assert value is None or isinstance(value, int | Decimal)
        assert not isinstance(value, float)


def test_rate_of():
    assert rate_of(20, 2000) == Decimal("1.00")
    assert rate_of(1, 3) == Decimal("33.33")
    assert rate_of(2, 3) == Decimal("66.67")
    assert rate_of(5, 0) is None
