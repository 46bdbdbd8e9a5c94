"""The channel plan page (/goals/<year>/channels/) and the goal grid of a year
planned per channel, over the Django test client: roles, another account,
saving, bad input, the stale-page check, the complete-form rule, the mode
switch, a locked year, and queries that do not grow with the channels."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from funnel import selectors, services
from funnel.forms.channels import MAX_CHANNELS
from funnel.models import (
    ChangeRecord,
    ChangeSource,
    Channel,
    ChannelActual,
    ChannelGoal,
    GoalYearPlan,
    MonthlyGoal,
    PlanStatus,
)
from tests.conftest import without_tokens

pytestmark = pytest.mark.django_db
URL = "/goals/2026/channels/"


@pytest.fixture
def channels(account):
    services.channel_defaults_create(account=account)
    return {c.name: c for c in selectors.channel_list(account=account)}


def page_data(client, url=URL):
    """What the page's form sends back as it is: every input, hidden or not."""
    html = client.get(url).content.decode()
    data = {"channel": re.findall(r'name="channel" value="(\d+)"', html)}
    data["web"] = re.findall(r'name="web" value="(\d+)"', html)
    for name, value in re.findall(
        r'<input type="(?:text|hidden)" name="((?:base_)?(?:cv|rate)_\d+_\d+)"'
        r'[^>]*?value="([^"]*)"',
        html,
    ):
        data[name] = value
    for name in re.findall(r'name="((?:cv|rate)_\d+_\d+)" id=', html):
        data.setdefault(name, "")
    data["action"] = "save"
    return data


def stored(account):
    return {
        (g.channel.name, g.month): (g.cv_count, g.cv_rate)
        for g in ChannelGoal.objects.filter(account=account).select_related("channel")
    }


def test_the_page_labels_every_input_and_visits_figure(marketer_client, channels):
    html = marketer_client.get(URL).content.decode()
    assert 'aria-label="広告 4月 CV数"' in html
    assert 'aria-label="広告 4月 CV率"' in html
    assert 'aria-label="展示会 4月 リード数"' in html
    assert 'aria-label="展示会 4月 CV率"' not in html
    assert 'data-channel="オーガニック" data-month="12" data-figure="visits"' in html
    assert 'data-channel="展示会"' not in html
    # The tab beside 目標 / 実績 / 年間サマリー, current here.
    assert 'href="/goals/2026/channels/" aria-current="page"' in html


def test_a_marketer_saves_two_web_channels_and_an_expo(
    marketer_client, account, channels
):
    data = page_data(marketer_client)
    ads, organic, expo = (channels[n].pk for n in ("広告", "オーガニック", "展示会"))
    data |= {
        f"cv_{ads}_4": "7",
        f"rate_{ads}_4": "3",
        f"cv_{organic}_4": "７",
        f"rate_{organic}_4": "3 %",
        f"cv_{expo}_4": "30",
    }
    response = marketer_client.post(URL, data)
    assert response.status_code == 302
    assert stored(account) == {
        ("広告", 4): (7, Decimal("3.00")),
        ("オーガニック", 4): (7, Decimal("3.00")),
        ("展示会", 4): (30, None),
    }
    assert GoalYearPlan.objects.get(account=account, year=2026).channel_mode
    html = marketer_client.get(URL).content.decode()
    assert re.search(r'id="visits-\d+-4"[^>]*>234<', html)
    assert '<span id="month-visits-4">468</span>' in html
    assert '<span id="month-leads-4">30</span>' in html
    # The grid follows: the Web channels' sums, each channel rounded up first.
    grid = marketer_client.get("/goals/2026/").content.decode()
    assert '<span id="visits-4">468</span>' in grid
    assert 'aria-label="4月 CV数">14</output>' in grid
    assert 'aria-label="4月 CV率">2.99</output>' in grid
    assert 'href="/goals/2026/channels/"' in grid
    assert 'name="cv_count_4"' not in grid  # no save form


def test_bad_input_keeps_the_text_and_stores_nothing(
    marketer_client, account, channels
):
    data = page_data(marketer_client)
    ads = channels["広告"].pk
    data |= {f"cv_{ads}_5": "abc", f"rate_{ads}_5": "150"}
    response = marketer_client.post(URL, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="abc"' in html
    assert "数値を入力してください" in html
    assert "0より大きく100以下の値を入力してください" in html
    assert not ChannelGoal.objects.exists()
    assert not GoalYearPlan.objects.filter(channel_mode=True).exists()


def test_a_missing_field_is_refused(marketer_client, channels):
    data = page_data(marketer_client)
    del data[f"rate_{channels['広告'].pk}_6"]
    data[f"cv_{channels['広告'].pk}_4"] = "5"
    response = marketer_client.post(URL, data)
    assert response.status_code == 400
    assert not ChannelGoal.objects.exists()
    data = page_data(marketer_client)
    del data[f"base_cv_{channels['展示会'].pk}_1"]
    assert marketer_client.post(URL, data).status_code == 400
    assert not ChannelGoal.objects.exists()


def test_a_stale_page_is_a_conflict_until_overwritten(
    marketer_client, marketer, account, channels
):
    data = page_data(marketer_client)
    ads = channels["広告"].pk
    services.channel_year_save(
        account=account, year=2026, values={(ads, 4): (9, Decimal(2))}, user=marketer
    )
    data |= {f"cv_{ads}_4": "7", f"rate_{ads}_4": "3"}
    response = marketer_client.post(URL, data, headers={"HX-Request": "true"})
    assert response.status_code == 409
    html = response.content.decode()
    assert 'id="conflict"' in html and "上書き保存" in html
    assert 'value="7"' in html  # what was typed is still there
    assert stored(account) == {("広告", 4): (9, Decimal("2.00"))}
    response = marketer_client.post(URL, data | {"action": "overwrite"})
    assert response.status_code == 302
    assert stored(account) == {("広告", 4): (7, Decimal("3.00"))}


def test_a_year_with_totals_switches_after_seeing_both(
    marketer_client, account, channels
):
    MonthlyGoal.objects.create(
        account=account, year=2026, month=4, cv_count=50, cv_rate=Decimal(1)
    )
    data = page_data(marketer_client)
    ads = channels["広告"].pk
    data |= {f"cv_{ads}_4": "7", f"rate_{ads}_4": "3"}
    response = marketer_client.post(URL, data)
    assert response.status_code == 200
    html = without_tokens(response.content.decode())
    assert "チャネル別に切り替えて保存" in html
    assert "50 / 1 % / 5,000" in html  # the stored totals
    assert "7 / 2.99 % / 234" in html  # beside the channels' sums
    assert not ChannelGoal.objects.exists()
    assert not GoalYearPlan.objects.filter(channel_mode=True).exists()
    response = marketer_client.post(URL, data | {"action": "switch"})
    assert response.status_code == 302
    assert stored(account) == {("広告", 4): (7, Decimal("3.00"))}
    assert GoalYearPlan.objects.get(account=account, year=2026).channel_mode
    # The totals are kept until the year goes back to them.
    assert MonthlyGoal.objects.get(account=account, month=4).cv_count == 50


def test_going_back_to_totals_asks_first(marketer_client, marketer, account, channels):
    ads = channels["広告"].pk
    services.channel_year_save(
        account=account, year=2026, values={(ads, 4): (7, Decimal(3))}, user=marketer
    )
    grid = marketer_client.get("/goals/2026/").content.decode()
    assert 'href="/goals/2026/channels/total/"' in grid
    confirm = marketer_client.get("/goals/2026/channels/total/")
    assert confirm.status_code == 200
    assert "チャネル別の計画は消えずに残ります" in confirm.content.decode()
    assert GoalYearPlan.objects.get(account=account, year=2026).channel_mode
    assert marketer_client.post("/goals/2026/channels/total/").status_code == 302
    assert not GoalYearPlan.objects.get(account=account, year=2026).channel_mode
    goal = MonthlyGoal.objects.get(account=account, month=4)
    # The derived CV率 of the month (7 ÷ 234).
    assert (goal.cv_count, goal.cv_rate) == (7, Decimal("2.99"))
    assert 'name="cv_count_4"' in marketer_client.get("/goals/2026/").content.decode()


def test_a_grid_save_to_a_channel_year_is_refused(
    marketer_client, marketer, account, channels
):
    ads = channels["広告"].pk
    services.channel_year_save(
        account=account, year=2026, values={(ads, 4): (7, Decimal(3))}, user=marketer
    )
    data = {"action": "overwrite"}
    for month in range(1, 13):
        data[f"cv_count_{month}"] = data[f"cv_rate_{month}"] = ""
    data["cv_count_4"], data["cv_rate_4"] = "99", "1"
    for headers in ({}, {"HX-Request": "true"}):
        response = marketer_client.post("/goals/2026/", data, headers=headers)
        assert response.status_code == 409
        assert "チャネル別の画面で入力してください" in response.content.decode()
    assert not MonthlyGoal.objects.exists()


def test_a_manager_reads_only(manager_client, marketer, account, channels):
    ads = channels["広告"].pk
    services.channel_year_save(
        account=account, year=2026, values={(ads, 4): (7, Decimal(3))}, user=marketer
    )
    response = manager_client.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="cv_' not in html
    assert 'aria-label="広告 4月 CV数">7</output>' in html
    assert "マネージャーは目標を閲覧のみできます。" in html
    data = {"action": "overwrite", "channel": [str(ads)]}
    assert manager_client.post(URL, data).status_code == 403
    assert manager_client.get("/goals/2026/channels/total/").status_code == 403
    assert 'id="mode-total"' not in manager_client.get("/goals/2026/").content.decode()


def test_an_admin_edits(client, admin_member, account, channels):
    client.force_login(admin_member)
    data = page_data(client)
    data[f"cv_{channels['展示会'].pk}_1"] = "12"
    assert client.post(URL, data).status_code == 302
    assert stored(account) == {("展示会", 1): (12, None)}


def test_a_locked_year_is_read_only(marketer_client, marketer, account, channels):
    data = page_data(marketer_client)
    GoalYearPlan.objects.create(account=account, year=2026, status=PlanStatus.APPROVED)
    html = marketer_client.get(URL).content.decode()
    assert 'name="cv_' not in html
    assert 'id="locked-note"' in html
    data[f"cv_{channels['広告'].pk}_4"] = "7"
    response = marketer_client.post(URL, data)
    assert response.status_code == 409
    assert "承認済みのため編集できません" in response.content.decode()
    assert 'value="7"' in response.content.decode()
    assert not ChannelGoal.objects.exists()


def test_another_accounts_channels_are_not_found(
    outsider_client, account, other_account, channels
):
    services.channel_defaults_create(account=other_account)
    # The outsider sees their own channels, never this account's.
    html = outsider_client.get(URL).content.decode()
    assert f'name="channel" value="{channels["広告"].pk}"' not in html
    data = {"action": "overwrite", "channel": [str(channels["広告"].pk)]}
    for month in range(1, 13):
        data[f"cv_{channels['広告'].pk}_{month}"] = "1"
        data[f"rate_{channels['広告'].pk}_{month}"] = "1"
    assert outsider_client.post(URL, data).status_code == 404
    assert not ChannelGoal.objects.exists()


def test_anonymous_is_sent_to_sign_in(client, channels):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_recompute_answers_fragments_only(client, channels):
    ads, expo = channels["広告"].pk, channels["展示会"].pk
    data = {"channel": [str(ads), str(expo)], "web": [str(ads)]}
    data |= {f"cv_{ads}_4": "7", f"rate_{ads}_4": "3", f"cv_{expo}_4": "x"}
    response = client.post(
        "/goals/2026/channels/recompute/", data, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and "<input" not in html
    assert f'<span id="visits-{ads}-4" hx-swap-oob="innerHTML">234</span>' in html
    assert f'id="id_cv_{expo}_4-error"' in html
    assert '<span id="month-visits-4" hx-swap-oob="innerHTML">234</span>' in html


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_queries_do_not_grow_with_channels_or_years(
    marketer_client, marketer, account, channels
):
    """3 channels with one year of data, then 10 channels with three years:
    the page asks the same number of queries."""
    Channel.objects.filter(account=account, name="メルマガ").delete()
    few = _queries(marketer_client, URL)
    for n in range(7):
        Channel.objects.create(account=account, name=f"追加{n}", online=n % 2 == 0)
    every = selectors.channel_list(account=account)
    assert len(every) == 10
    for year in (2025, 2026, 2027):
        services.channel_year_save(
            account=account,
            year=year,
            values={(c.pk, m): (5, Decimal(2)) for c in every for m in range(1, 13)},
            user=marketer,
        )
    assert _queries(marketer_client, URL) <= few
    assert _queries(marketer_client, "/goals/2026/") <= _queries(
        marketer_client, "/goals/2025/"
    )


def _value(html, name):
    found = re.search(rf'name="{name}" id="[^"]*" value="([^"]*)"', html)
    return found and found.group(1)


def test_bulk_tools_fill_a_channel_and_save_nothing(marketer_client, account, channels):
    data = page_data(marketer_client)
    ads, expo = channels["広告"].pk, channels["展示会"].pk
    data |= {f"cv_{ads}_5": "7", f"rate_{ads}_5": "3", f"fill_from_{ads}": "5"}
    response = marketer_client.post(URL, data | {"action": f"fill_all:{ads}"})
    html = response.content.decode()
    assert response.status_code == 200
    assert all(_value(html, f"cv_{ads}_{m}") == "7" for m in range(1, 13))
    assert all(_value(html, f"rate_{ads}_{m}") == "3" for m in range(1, 13))
    assert _value(html, f"cv_{expo}_5") == ""  # another channel untouched
    assert 'id="bulk-mark"' in html
    assert not ChannelGoal.objects.exists()

    data |= {f"spread_total_{expo}": "100"}
    response = marketer_client.post(URL, data | {"action": f"spread:{expo}"})
    html = response.content.decode()
    spread = [int(_value(html, f"cv_{expo}_{m}")) for m in range(1, 13)]
    assert sum(spread) == 100 and max(spread) - min(spread) <= 1
    assert not ChannelGoal.objects.exists()

    bad = marketer_client.post(
        URL, data | {f"spread_total_{ads}": "-3", "action": f"spread:{ads}"}
    )
    html = bad.content.decode()
    assert "広告 を配分できませんでした。" in html
    assert _error(html, f"spread-total-{ads}").startswith(
        "マイナスの値は入力できません"
    )
    assert f'name="spread_total_{ads}" id="spread-total-{ads}" value="-3"' in html
    assert not ChannelGoal.objects.exists()


def test_copy_previous_reads_last_years_channels(
    marketer_client, marketer, account, channels
):
    ads = channels["広告"].pk
    empty = marketer_client.post(
        URL, page_data(marketer_client) | {"action": "copy_previous"}
    )
    assert "チャネル別の目標がありません" in empty.content.decode()
    services.channel_year_save(
        account=account, year=2025, values={(ads, 4): (9, Decimal(2))}, user=marketer
    )
    response = marketer_client.post(
        URL, page_data(marketer_client) | {"action": "copy_previous"}
    )
    html = response.content.decode()
    assert _value(html, f"cv_{ads}_4") == "9"
    assert _value(html, f"rate_{ads}_4") == "2"
    assert not ChannelGoal.objects.filter(year=2026).exists()
    # Saved from there: recorded as 一括入力.
    data = page_data(marketer_client) | {
        f"cv_{ads}_4": "9",
        f"rate_{ads}_4": "2",
        "bulk": "1",
    }
    assert marketer_client.post(URL, data).status_code == 302
    assert set(
        ChangeRecord.objects.filter(year=2026, subject="広告").values_list(
            "source", flat=True
        )
    ) == {ChangeSource.BULK}


def test_the_plain_recompute_saves_nothing(marketer_client, channels):
    data = page_data(marketer_client)
    ads = channels["広告"].pk
    data |= {f"cv_{ads}_4": "7", f"rate_{ads}_4": "3", "action": "recompute"}
    response = marketer_client.post(URL, data)
    assert response.status_code == 200
    assert re.search(rf'id="visits-{ads}-4"[^>]*>234<', response.content.decode())
    assert not ChannelGoal.objects.exists()


# --- 配分: 均等 / 前年の実績比 / 比率を指定, per channel --------------------------


def _error(html, field_id):
    """The message beside a field (its ``<id>-error`` span), or ""."""
    found = re.search(
        rf'<span class="field-error" id="{field_id}-error"[^>]*>([^<]*)<', html
    )
    assert found, field_id
    return found.group(1)


def spread_post(client, channel, by=None, **fields):
    """The page as loaded, with ``channel``'s 配分 filled in (``fields``
    without the channel suffix) and its button pressed."""
    data = page_data(client)
    if by is not None:
        data[f"spread_by_{channel}"] = by
    for name, text in fields.items():
        data[f"{name}_{channel}"] = text
    data["action"] = f"spread:{channel}"
    return data


def _cv(html, channel):
    return [_value(html, f"cv_{channel}_{m}") for m in range(1, 13)]


def last_year(account, marketer, channel, *, actuals=None, targets=None):
    """2025's actuals ({month: CV数}) and targets ({month: CV数}) of a channel."""
    for month, cv_count in (actuals or {}).items():
        ChannelActual.objects.create(
            account=account, channel=channel, year=2025, month=month, cv_count=cv_count
        )
    if targets:
        services.channel_year_save(
            account=account,
            year=2025,
            values={(channel.pk, m): (cv, None) for m, cv in targets.items()},
            user=marketer,
        )


def test_the_spread_offers_the_grids_three_choices_per_channel(
    marketer_client, channels
):
    html = marketer_client.get(URL).content.decode()
    ads, expo = channels["広告"].pk, channels["展示会"].pk
    for channel in (ads, expo):
        for n, (value, label) in enumerate(
            [("even", "均等"), ("last_year", "前年の実績比"), ("weights", "比率を指定")]
        ):
            radio = f'name="spread_by_{channel}" value="{value}" id="id_spread_by_{channel}_{n}"'
            assert radio in html
            assert f'<label for="id_spread_by_{channel}_{n}">{label}</label>' in html
        assert f'id="id_spread_by_{channel}_0" checked' in html  # 均等 by default
        assert f'data-spread-weights="spread_by_{channel}"' in html
        assert f'<label for="spread-total-{channel}">' in html
    assert 'aria-label="広告 4月 比率"' in html
    assert f'<label for="id_spread_weight_4_{ads}">4月</label>' in html
    assert f'<label for="spread-rate-{ads}">CV率（全月）</label>' in html
    assert f'id="spread-rate-{expo}"' not in html  # no CV率 for 展示会
    assert f'<label for="spread-total-{expo}">年間リード数</label>' in html


def test_spread_evenly_with_a_rate(marketer_client, account, channels):
    ads = channels["広告"].pk
    data = spread_post(
        marketer_client, ads, "even", spread_total="1,000", spread_rate="1.5"
    )
    response = marketer_client.post(URL, data, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    counts = [int(c) for c in _cv(html, ads)]
    assert sum(counts) == 1000 and max(counts) - min(counts) == 1
    assert all(_value(html, f"rate_{ads}_{m}") == "1.5" for m in range(1, 13))
    assert "広告 の年間 1,000 を各月に均等に配分しました。" in html
    assert 'data-bulk="spread"' in html and 'id="bulk-mark"' in html
    # The channel's tool stays open with what was typed in it.
    assert re.search(r'<details class="channel-tools" open>\s*<summary>広告の', html)
    assert _value(html, f"spread_total_{ads}") == "1,000"
    assert not ChannelGoal.objects.exists()


def test_spread_by_last_years_actuals(marketer_client, marketer, account, channels):
    ads, organic = channels["広告"], channels["オーガニック"]
    last_year(account, marketer, ads, actuals={1: 10, 2: 30, 7: 60})
    # Another channel's last year weighs nothing here.
    last_year(account, marketer, organic, actuals={m: 50 for m in range(1, 13)})
    data = spread_post(marketer_client, ads.pk, "last_year", spread_total="1000")
    html = marketer_client.post(URL, data).content.decode()
    counts = _cv(html, ads.pk)
    assert counts[0] == "100" and counts[1] == "300" and counts[6] == "600"
    assert counts[2] == "0"
    assert "広告 の年間 1,000 を前年の実績比で配分しました。" in html
    assert "目標の比で配分しました" not in html
    assert _value(html, f"cv_{organic.pk}_1") == ""
    assert not ChannelGoal.objects.filter(year=2026).exists()


def test_spread_by_last_year_falls_back_to_its_targets(
    marketer_client, marketer, account, channels
):
    """A month without an actual weighs by the channel's target of last
    year, and the message names those months."""
    expo = channels["展示会"]
    last_year(
        account,
        marketer,
        expo,
        actuals={1: 20, 2: 20},
        targets={1: 999, 3: 40, 4: 20},
    )
    data = spread_post(marketer_client, expo.pk, "last_year", spread_total="100")
    html = marketer_client.post(URL, data).content.decode()
    assert _cv(html, expo.pk)[:5] == ["20", "20", "40", "20", "0"]
    assert (
        "前年（2025年）の展示会の実績がない月（3月、4月）は、前年の目標の比で配分しました。"
        in html
    )


def test_a_channel_without_last_year_is_told_so_and_nothing_changes(
    marketer_client, marketer, account, channels
):
    ads, organic = channels["広告"], channels["オーガニック"]
    last_year(account, marketer, organic, actuals={4: 9}, targets={5: 9})
    data = spread_post(marketer_client, ads.pk, "last_year", spread_total="120")
    data[f"cv_{ads.pk}_4"] = "7"
    response = marketer_client.post(URL, data)
    html = response.content.decode()
    assert response.status_code == 200
    assert (
        _error(html, f"id_spread_by_{ads.pk}")
        == "前年（2025年）の広告の実績も目標もないため、前年の実績比では配分できません。"
    )
    assert "広告 を配分できませんでした。" in html
    assert _cv(html, ads.pk)[3] == "7" and _cv(html, ads.pk)[4] == ""
    assert _value(html, f"spread_total_{ads.pk}") == "120"
    assert f'id="id_spread_by_{ads.pk}_1" checked' in html
    assert "data-bulk" not in html and 'id="bulk-mark"' not in html
    assert re.search(r'<details class="channel-tools" open>\s*<summary>広告の', html)
    assert not ChannelGoal.objects.filter(year=2026).exists()


def test_spread_by_typed_weights(marketer_client, channels):
    ads = channels["広告"].pk
    data = spread_post(marketer_client, ads, "weights", spread_total="100")
    data |= {f"spread_weight_{m}_{ads}": "" for m in range(1, 13)}
    data |= {
        f"spread_weight_1_{ads}": "1,000",
        f"spread_weight_2_{ads}": "１０００",
        f"spread_weight_3_{ads}": "2000",
    }
    html = marketer_client.post(URL, data).content.decode()
    assert _cv(html, ads)[:4] == ["25", "25", "50", "0"]
    assert "広告 の年間 100 を指定の比率で配分しました。" in html
    assert _value(html, f"spread_weight_2_{ads}") == "１０００"


@pytest.mark.parametrize(
    ("fields", "field_id", "message"),
    [
        ({"spread_total": ""}, "spread-total-{id}", "年間CV数を入力してください。"),
        ({"spread_total": "12.5"}, "spread-total-{id}", "小数は入力できません"),
        ({"spread_rate": "abc"}, "spread-rate-{id}", "率を数値で入力してください"),
        (
            {"spread_by": "random"},
            "id_spread_by_{id}",
            "配分のしかたを選んでください。",
        ),
        (
            {"spread_by": "weights"},
            "id_spread_by_{id}",
            "比率を1つ以上入力してください（0より大きい整数）。",
        ),
        (
            {"spread_by": "weights", "spread_weight_5": "1.5"},
            "id_spread_weight_5_{id}",
            "比率は整数で入力してください（例: 前年のCV数）。",
        ),
        (
            {"spread_by": "weights", "spread_weight_5": "x"},
            "id_spread_weight_5_{id}",
            "比率を数値で入力してください（例: 120）。",
        ),
    ],
)
def test_bad_spread_input_is_refused_beside_the_field(
    marketer_client, channels, fields, field_id, message
):
    ads = channels["広告"].pk
    data = spread_post(marketer_client, ads, "even", spread_total="1200")
    data |= {f"{name}_{ads}": text for name, text in fields.items()}
    data[f"cv_{ads}_3"] = "abc"
    response = marketer_client.post(URL, data, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert message in _error(html, field_id.format(id=ads))
    assert "広告 を配分できませんでした。赤く表示された欄を直してください。" in html
    # The typed text stays, in the tool and in the table.
    for name, text in fields.items():
        if name != "spread_by":
            assert _value(html, f"{name}_{ads}") == text
    assert _value(html, f"cv_{ads}_3") == "abc"
    assert _value(html, f"cv_{ads}_4") == ""
    assert "data-bulk" not in html
    assert not ChannelGoal.objects.exists()


def test_a_channel_that_is_not_web_spreads_leads_without_a_rate(
    marketer_client, channels
):
    expo = channels["展示会"].pk
    empty = spread_post(marketer_client, expo, "even", spread_total="")
    html = marketer_client.post(URL, empty).content.decode()
    assert _error(html, f"spread-total-{expo}") == "年間リード数を入力してください。"
    data = spread_post(marketer_client, expo, "even", spread_total="24")
    data[f"spread_rate_{expo}"] = "abc"  # not a field of 展示会: ignored
    html = marketer_client.post(URL, data).content.decode()
    assert _cv(html, expo) == ["2"] * 12


def test_saving_after_a_spread_records_a_bulk_change(
    marketer_client, account, channels
):
    ads = channels["広告"].pk
    data = spread_post(
        marketer_client, ads, "weights", spread_total="12", spread_rate="2"
    )
    data |= {f"spread_weight_{m}_{ads}": "1" for m in range(1, 13)}
    html = marketer_client.post(URL, data).content.decode()
    data = page_data(marketer_client) | {"bulk": "1", "action": "save"}
    for m in range(1, 13):
        data[f"cv_{ads}_{m}"] = _value(html, f"cv_{ads}_{m}")
        data[f"rate_{ads}_{m}"] = _value(html, f"rate_{ads}_{m}")
    assert 'id="bulk-mark"' in html
    assert marketer_client.post(URL, data).status_code == 302
    assert stored(account) == {("広告", m): (1, Decimal("2.00")) for m in range(1, 13)}
    assert set(
        ChangeRecord.objects.filter(year=2026, subject="広告").values_list(
            "source", flat=True
        )
    ) == {ChangeSource.BULK}


@pytest.mark.parametrize("by", ["even", "last_year", "weights"])
def test_a_manager_cannot_spread(manager_client, marketer, account, channels, by):
    ads = channels["広告"]
    last_year(account, marketer, ads, actuals={1: 5})
    data = {"channel": [str(ads.pk)], "action": f"spread:{ads.pk}"}
    data |= {f"spread_by_{ads.pk}": by, f"spread_total_{ads.pk}": "12"}
    data |= {f"spread_weight_{m}_{ads.pk}": "1" for m in range(1, 13)}
    assert manager_client.post(URL, data).status_code == 403
    assert (
        manager_client.post(URL, data, headers={"HX-Request": "true"}).status_code
        == 403
    )
    assert not ChannelGoal.objects.filter(year=2026).exists()


def test_another_accounts_channel_cannot_be_spread(
    outsider_client, marketer, account, other_account, channels
):
    ads = channels["広告"]
    last_year(account, marketer, ads, actuals={1: 777})
    data = {"channel": [str(ads.pk)], "action": f"spread:{ads.pk}"}
    data |= {f"spread_by_{ads.pk}": "last_year", f"spread_total_{ads.pk}": "12"}
    assert outsider_client.post(URL, data).status_code == 404


def _post_queries(client, data):
    with CaptureQueriesContext(connection) as queries:
        assert client.post(URL, data).status_code == 200
    return len(queries)


def test_a_spread_by_last_year_asks_the_same_queries_with_more_channels(
    marketer_client, marketer, account, channels
):
    ads = channels["広告"]
    last_year(account, marketer, ads, actuals={1: 5}, targets={2: 5})
    few = _post_queries(
        marketer_client,
        spread_post(marketer_client, ads.pk, "last_year", spread_total="12"),
    )
    for n in range(7):
        Channel.objects.create(account=account, name=f"追加{n}", online=n % 2 == 0)
    every = selectors.channel_list(account=account)
    for year in (2025, 2026):
        services.channel_year_save(
            account=account,
            year=year,
            values={(c.pk, m): (5, Decimal(2)) for c in every for m in range(1, 13)},
            user=marketer,
        )
    for c in every:
        last_year(account, marketer, c, actuals={3: 4} if c != ads else {})
    many = spread_post(marketer_client, ads.pk, "last_year", spread_total="12")
    assert len(many["channel"]) == 11
    assert _post_queries(marketer_client, many) <= few


def every_field(html):
    """What a browser sends of the page's form: each named input and select
    with its value (a radio only when checked), but the buttons."""
    start = html.index('id="grid-form"')
    form = html[start : html.index("</form>", start)]
    data = {}
    for tag in re.findall(r"<(?:input|select)\b[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or ('type="radio"' in tag and " checked" not in tag):
            continue
        value = re.search(r'value="([^"]*)"', tag)
        data.setdefault(name.group(1), []).append(value.group(1) if value else "")
    return data


def test_the_page_of_the_most_channels_an_account_keeps_can_be_posted(
    marketer_client, account
):
    """30 Web channels (the account's limit), every tool's field sent as the
    browser sends them: past Django's default of 1,000 fields a request."""
    for n in range(MAX_CHANNELS):
        Channel.objects.create(account=account, name=f"チャネル{n}", online=True)
    data = every_field(marketer_client.get(URL).content.decode())
    assert sum(len(values) for values in data.values()) > 1000
    first = selectors.channel_list(account=account)[0].pk
    data |= {f"spread_total_{first}": "12", "action": f"spread:{first}"}
    response = marketer_client.post(URL, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert _value(html, f"cv_{first}_4") == "1"
    # Saved from the preview, as it shows.
    data = every_field(html) | {"action": "save"}
    assert marketer_client.post(URL, data).status_code == 302
    assert ChannelGoal.objects.filter(account=account).count() == 12
