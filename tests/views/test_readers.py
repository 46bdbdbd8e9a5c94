"""The live recomputes read what is typed without building forms
(forms.typed_rows, forms.read_worksheet); a save reads it with the forms. For
any input both must see the same values and show the same message beside each
input, or the figures on screen would disagree with what a save stores."""

from urllib import parse
from urllib.parse import urlencode

import pytest
from django.http import QueryDict
from django.test import RequestFactory
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from funnel.domain.grid import MONTHS, year_totals
from funnel.domain.worksheet import compute
from funnel.forms import (
    GoalYearForm,
    WorksheetEditor,
    WorksheetForm,
    read_months,
    read_worksheet,
    typed_rows,
)
from funnel.markup import grid as grid_markup
from funnel.views.calculator import (
    REMEMBERED_PAIR,
    _remembered_pair,
    query_values,
    unquote_to_bytes,
)
from funnel.views.grid import CALENDAR_MONTHS, _remembered_month, goal_recompute
from tests.views.test_worksheets import worksheet_data

# What people type, and what they should not: the seed's figures, full-width
# digits, units, signs, fractions, dates, choices, control and long text.
TYPED = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "0",
            "1",
            "20",
            "30",
            "100",
            "101",
            "1,200",
            "２０",
            "１．５％",
            "1 %",
            "-1",
            "0.5",
            "1.255",
            "abc",
            "12,000,000",
            "50,000,000",
            "99,999,999,999,999",
            "1e3",
            "\x00",
            "x" * 120,
            "2026-04-01",
            "2026/04/01",
            "2026-13-01",
            "monthly",
            "annual",
            "on",
            "false",
        ]
    ),
    st.text(max_size=8),
)


@settings(max_examples=300, deadline=None)
@given(
    pairs=st.lists(
        st.tuples(
            st.sampled_from(["name", "cv_count_1", "channels-0-name", "名前", "a b"]),
            st.one_of(TYPED, st.text(max_size=20)),
        ),
        max_size=8,
    )
)
def test_query_values_reads_what_request_get_reads(pairs):
    """What a browser sends (percent-encoded UTF-8), read as Django reads it,
    the last of a repeated name winning."""
    request = RequestFactory().get("/goals/2026/recompute/?" + urlencode(pairs))
    assert query_values(request) == {name: request.GET[name] for name in request.GET}


@pytest.mark.parametrize(
    "query",
    [
        "name=R%26D&x=1",  # an escaped '&': read pair by pair
        "a%3db=1%3D2&a%3Db=3",  # escaped '=', either case
        "name=100%25&cv_rate_1=1%2525",  # an escaped '%' is unquoted once
        "a+b=c+d&e=%2B",  # '+' a space, an escaped '+' a plus
        "a=%zz&b=%E3%81&c=%",  # malformed escapes, a cut-off character
        "&&a&b=&=c&a=2",  # empty pairs, no '=', no name, repeated
        "",
    ],
)
def test_query_values_reads_odd_queries_as_request_get_does(query):
    request = RequestFactory().get("/worksheets/recompute/?" + query)
    assert query_values(request) == {name: request.GET[name] for name in request.GET}


@settings(max_examples=500, deadline=None)
@given(
    raw=st.lists(
        st.one_of(
            st.sampled_from(
                [b"%", b"%%", b"%E3%81%82", b"%e3%81", b"%2", b"%2C", b"+"]
            ),
            st.binary(max_size=4),
            st.text("%0123456789abcdefABCDEFgG", max_size=6).map(str.encode),
        ),
        max_size=12,
    ).map(b"".join)
)
def test_unquote_reads_any_bytes_as_the_standard_library(raw):
    """Runs of escapes, lone, cut-off and malformed ones, either case."""
    assert unquote_to_bytes(raw) == parse.unquote_to_bytes(raw)


def test_query_values_refuses_more_fields_than_django_reads(client, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    nine = "&".join(f"f{n}=1" for n in range(9))
    url = "/worksheets/recompute/?"
    assert (
        client.get(url + nine + "&g=1", headers={"hx-request": "true"}).status_code
        == 200
    )
    response = client.get(url + nine + "&g=1&h=1", headers={"hx-request": "true"})
    assert response.status_code == 400


def _first(errors, name):
    return errors[name][0] if name in errors else ""


@settings(max_examples=300, deadline=None)
@given(
    cells=st.dictionaries(
        st.sampled_from(
            [f"{kind}_{month}" for kind in ("cv_count", "cv_rate") for month in MONTHS]
        ),
        TYPED,
    )
)
def test_grid_reader_agrees_with_the_form(cells):
    data = QueryDict(urlencode(cells))
    rows = typed_rows(dict(data.items()), CALENDAR_MONTHS)
    form = GoalYearForm(data)
    form.is_valid()
    values = form.month_values()
    for row in rows:
        month = row["month"]
        figures = row["figures"]
        assert (figures.cv_count, figures.cv_rate) == values[month]
        assert row["cv"]["error"] == _first(form.errors, f"cv_count_{month}")
        assert row["rate"]["error"] == _first(form.errors, f"cv_rate_{month}")
    # What a save reads: the same values, and a message exactly where the
    # form has one.
    months, errors = read_months(data)
    assert months == values
    assert errors == {name: messages[0] for name, messages in form.errors.items()}


@settings(max_examples=200, deadline=None)
@given(
    keystrokes=st.lists(
        st.tuples(
            st.dictionaries(
                st.sampled_from(
                    [
                        f"{kind}_{month}"
                        for kind in ("cv_count", "cv_rate")
                        for month in (1, 2, 12)
                    ]
                ),
                TYPED,
            ),
            st.sampled_from(["ja", "en"]),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_grid_recompute_remembers_months_as_they_were_read(keystrokes):
    """Each month's figures and messages come back remembered (by month, its
    two texts and the language): for any run of keystrokes the answer is the
    one the month's reading, made afresh, gives."""
    for cells, language in keystrokes:
        request = RequestFactory().get(
            "/goals/2026/recompute/?" + urlencode(cells), headers={"HX-Request": "true"}
        )
        with translation.override(language):
            answer = goal_recompute(request, 2026).content.decode()
            rows = typed_rows(cells, CALENDAR_MONTHS)
            fresh = grid_markup.computed(
                [grid_markup.month_swaps(row) for row in rows],
                year_totals([row.figures for row in rows]),
            )
        assert answer == fresh


def test_a_long_pair_or_cell_is_read_but_not_remembered():
    """What each worker remembers stays small whatever is sent."""
    long_value = "1" * (REMEMBERED_PAIR + 1)
    pairs_before = _remembered_pair.cache_info().currsize
    months_before = _remembered_month.cache_info().currsize
    request = RequestFactory().get(
        f"/goals/2026/recompute/?cv_count_3={long_value}",
        headers={"HX-Request": "true"},
    )
    assert query_values(request) == {"cv_count_3": long_value}
    html = goal_recompute(request, 2026).content.decode()
    assert "入力が長すぎます" in html
    assert _remembered_pair.cache_info().currsize == pairs_before
    # The eleven other months, empty, may be remembered; the long one is not.
    assert _remembered_month.cache_info().currsize <= months_before + 11


WORKSHEET_INPUTS = [name for name in WorksheetForm.base_fields]
CHANNEL = st.fixed_dictionaries(
    {},
    optional={
        "name": TYPED,
        "online": st.sampled_from(["on", "", "false", "1"]),
        "meetings": TYPED,
        "meeting_rate": TYPED,
    },
)


def _agree(fields, channels, total=None):
    data = dict(fields)
    for index, channel in enumerate(channels):
        for name, value in channel.items():
            data[f"channels-{index}-{name}"] = value
    data["channels-TOTAL_FORMS"] = str(len(channels)) if total is None else total
    query = QueryDict(urlencode(data))

    reading = read_worksheet(dict(query.items()))
    editor = WorksheetEditor(query)

    assert reading.plan == editor.domain_input()
    for name in WORKSHEET_INPUTS:
        assert reading.errors[name] == _first(editor.form.errors, name), name
    assert len(reading.plan.channels) == len(editor.channels.forms)
    assert len(reading.channel_messages) == len(editor.channels.forms)
    for form, messages in zip(
        editor.channels.forms, reading.channel_messages, strict=True
    ):
        for field, message in zip(form.fields, messages, strict=True):
            assert message == _first(form.errors, field), f"{form.prefix}-{field}"
    return reading


CASES = {
    "web above total": ({"total_revenue": "1,000", "web_revenue": "2,000"}, []),
    "no price": ({"unit_price": "0", "web_revenue": "100"}, []),
    "no name, date or basis": ({"entry_date": "2026-02-30", "basis": "weekly"}, []),
    "rows: empty, typed, too long": (
        {},
        [
            {"online": "on"},
            {"name": "広告", "meetings": "10", "meeting_rate": "25"},
            {"name": "x" * 51, "meetings": "-1", "meeting_rate": "0"},
            {"meetings": "3"},
        ],
    ),
    "more rows than allowed": ({}, [{"name": f"c{i}"} for i in range(25)]),
}


def test_worksheet_reader_agrees_on_the_rules_across_inputs():
    for name, (fields, channels) in CASES.items():
        reading = _agree(fields, channels)
        assert any(reading.errors.values()) or any(
            any(messages) for messages in reading.channel_messages
        ), name
    assert (
        _agree(*CASES["web above total"])
        .errors["web_revenue"]
        .startswith("Web売上は全体売上以下")
    )
    assert _agree(*CASES["more rows than allowed"]).plan.channels[19].name == "c19"
    assert len(_agree(*CASES["more rows than allowed"]).plan.channels) == 20


@settings(max_examples=300, deadline=None)
@given(
    fields=st.dictionaries(st.sampled_from(WORKSHEET_INPUTS), TYPED),
    channels=st.lists(CHANNEL, max_size=4),
    total=st.one_of(st.none(), st.sampled_from(["", "x", "-1", "0", "3", "25"])),
)
def test_worksheet_reader_agrees_with_the_forms(fields, channels, total):
    _agree(fields, channels, total)


def test_the_seed_example_reads_the_same():
    """The workshop's worked example: 3 orders, 10 opportunities, 40 meetings,
    leads 100 / 67 / 50."""
    data = worksheet_data(action=None)
    reading = read_worksheet(data)
    assert reading.plan == WorksheetEditor(QueryDict(urlencode(data))).domain_input()
    assert not any(reading.errors.values())
    assert not any(any(messages) for messages in reading.channel_messages)
    assert reading.plan.unit_price == 4_000_000
    result = compute(reading.plan)
    assert (result.orders, result.opportunities, result.meetings) == (3, 10, 40)
    assert result.channel_leads == (100, 67, 50)
