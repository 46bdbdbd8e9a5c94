"""チャネル別の実績 over the Django test client: every role and another
account, typed values saved per channel, bad input beside the cell with
nothing stored, the stale-page conflict, the complete-form check, and
achievement per channel with the channel furthest behind named first."""

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext

from funnel import selectors, services
from funnel.forms.channel_actuals import cv_name, visits_name
from funnel.models import ChangeRecord, ChangeSource, Channel, ChannelActual
from tests.conftest import without_tokens

pytestmark = pytest.mark.django_db

YEAR = 2026
PAGE = f"/goals/{YEAR}/actuals/channels/"


@pytest.fixture
def channels(account):
    services.channel_defaults_create(account=account)
    return {c.name: c for c in selectors.channel_list(account=account)}


def page_form(response):
    """What the page's form sends: every input and its base, as loaded."""
    form = response.context["form"]
    data = {"action": "save"}
    for name in form.fields:
        data[name] = form.initial[name]
        data[f"base_{name}"] = form.initial[name]
    return data


def test_everyone_of_the_account_reads_editors_see_inputs(
    client, account, marketer, manager, admin_member, channels
):
    for user, inputs in ((marketer, True), (manager, False), (admin_member, True)):
        client.force_login(user)
        response = client.get(PAGE)
        assert response.status_code == 200
        html = response.content.decode()
        assert ('aria-label="広告 4月 CV数"' in html) is inputs
        assert ('aria-label="広告 4月 訪問数"' in html) is inputs
        assert ('aria-label="展示会 4月 リード数"' in html) is inputs
        # A channel that is not Web has no visits input.
        assert 'aria-label="展示会 4月 訪問数"' not in html


def test_the_actuals_page_links_here(client, marketer, channels):
    client.force_login(marketer)
    assert PAGE in client.get(f"/goals/{YEAR}/actuals/").content.decode()


def test_a_manager_cannot_save(client, manager, channels):
    client.force_login(manager)
    data = page_form(client.get(PAGE))
    data[cv_name(channels["広告"].pk, 4)] = "5"
    assert client.post(PAGE, data).status_code == 403
    assert not ChannelActual.objects.exists()


def test_another_account_sees_its_own_channels_only(
    client, account, other_account, outsider, channels, marketer
):
    services.channel_actual_year_save(
        account=account,
        year=YEAR,
        values={(channels["広告"].pk, 4): (9, 900)},
        user=marketer,
    )
    services.channel_defaults_create(account=other_account)
    client.force_login(outsider)
    response = client.get(PAGE)
    assert response.status_code == 200
    theirs = {c.pk for c in selectors.channel_list(account=other_account)}
    assert {s.channel.pk for s in response.context["sections"]} == theirs
    assert "900" not in without_tokens(response.content.decode())
    # Posting A's channel fields into B's page writes nothing of A's.
    data = page_form(response)
    data[cv_name(channels["広告"].pk, 4)] = "1"
    data[f"base_{cv_name(channels['広告'].pk, 4)}"] = "9"
    client.post(PAGE, data)
    assert ChannelActual.objects.get(account=account).cv_count == 9


def test_saving_writes_each_channel_and_records_the_history(
    client, account, marketer, channels
):
    client.force_login(marketer)
    data = page_form(client.get(PAGE))
    ads, fair = channels["広告"].pk, channels["展示会"].pk
    data[cv_name(ads, 4)] = "12"
    data[visits_name(ads, 4)] = "1,500"
    data[cv_name(fair, 5)] = "３０"
    response = client.post(PAGE, data)
    assert response.status_code == 302
    assert selectors.channel_actual_values(account=account, year=YEAR) == {
        (ads, 4): (12, 1500),
        (fair, 5): (30, None),
    }
    assert set(
        ChangeRecord.objects.filter(source=ChangeSource.INPUT).values_list(
            "subject", "field"
        )
    ) == {("広告", "実績CV数"), ("広告", "実績訪問数"), ("展示会", "実績CV数")}


def test_bad_input_is_shown_beside_the_cell_and_nothing_stored(
    client, marketer, channels
):
    client.force_login(marketer)
    data = page_form(client.get(PAGE))
    ads = channels["広告"].pk
    data[cv_name(ads, 4)] = "12"
    data[visits_name(ads, 5)] = "-3"
    response = client.post(PAGE, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "マイナスの値は入力できません" in html
    assert f'id="id_{visits_name(ads, 5)}-error">マイナス' in html
    assert 'value="-3"' in html and 'value="12"' in html
    assert not ChannelActual.objects.exists()


def test_an_incomplete_form_is_refused_with_400(client, marketer, channels):
    client.force_login(marketer)
    data = page_form(client.get(PAGE))
    del data[cv_name(channels["メルマガ"].pk, 7)]
    data[cv_name(channels["広告"].pk, 4)] = "3"
    response = client.post(PAGE, data)
    assert response.status_code == 400
    assert not ChannelActual.objects.exists()


def test_a_stale_page_is_a_conflict_and_overwrite_wins(
    client, account, marketer, manager, channels
):
    client.force_login(marketer)
    data = page_form(client.get(PAGE))
    ads = channels["広告"].pk
    services.channel_actual_year_save(
        account=account, year=YEAR, values={(ads, 4): (7, None)}, user=marketer
    )
    data[cv_name(ads, 4)] = "5"
    response = client.post(PAGE, data)
    assert response.status_code == 409
    html = response.content.decode()
    assert 'id="conflict"' in html and "広告 4月" in html
    assert ChannelActual.objects.get().cv_count == 7
    response = client.post(PAGE, data | {"action": "overwrite"})
    assert response.status_code == 302
    assert ChannelActual.objects.get().cv_count == 5


def test_achievement_per_channel_names_the_furthest_behind_first(
    client, account, marketer, manager, channels
):
    ads, organic, fair = (channels[n].pk for n in ("広告", "オーガニック", "展示会"))
    services.channel_year_save(
        account=account,
        year=YEAR,
        values={
            (ads, 4): (8, Decimal(2)),
            (organic, 4): (10, Decimal(1)),
            (fair, 4): (20, None),
        },
        user=marketer,
    )
    services.channel_actual_year_save(
        account=account,
        year=YEAR,
        values={(ads, 4): (5, 300), (organic, 4): (10, 900), (fair, 4): (30, None)},
        user=marketer,
    )
    client.force_login(manager)
    response = client.get(PAGE)
    html = response.content.decode()
    assert "最も遅れているチャネル: 広告（達成率 62.5%）" in html
    ranking = [a.channel.name for a in response.context["ranking"]]
    assert ranking == ["広告", "オーガニック", "展示会", "メルマガ"]
    # メルマガ has no figure: — , listed last.
    assert response.context["ranking"][-1].achievement is None
    assert html.index('data-channel="広告"') < html.index('data-channel="オーガニック"')


def test_without_channels_the_page_says_so(client, marketer):
    client.force_login(marketer)
    response = client.get(PAGE)
    assert response.status_code == 200
    assert "チャネルがありません" in response.content.decode()


def test_htmx_save_returns_the_form_and_the_summary(client, marketer, channels):
    client.force_login(marketer)
    data = page_form(client.get(PAGE))
    data[cv_name(channels["広告"].pk, 4)] = "4"
    response = client.post(PAGE, data, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<form id="channel-actuals-form"')
    assert 'id="channel-summary"' in html and 'hx-swap-oob="true"' in html
    assert [m.message for m in get_messages(response.wsgi_request)]


def _queries(client, method, *args):
    with CaptureQueriesContext(connection) as context:
        response = getattr(client, method)(*args)
    assert response.status_code in (200, 302)
    return len(context)


def test_the_same_queries_whatever_the_number_of_channels(
    client, account, marketer, channels
):
    """Reading and saving the page costs as many queries with 10 channels as
    with 4 (and every cell of them filled)."""
    client.force_login(marketer)

    def measure():
        services.channel_actual_year_save(
            account=account,
            year=YEAR,
            values={
                (c.pk, m): (m, m * 100)
                for c in selectors.channel_list(account=account)
                for m in range(1, 13)
            },
            user=marketer,
        )
        read = _queries(client, "get", PAGE)
        data = page_form(client.get(PAGE))
        for name in data:
            if name.startswith("c") and data[name]:
                data[name] = "7"
        return read, _queries(client, "post", PAGE, data)

    few = measure()
    for position in range(5, 11):
        Channel.objects.create(
            account=account, name=f"チャネル{position}", position=position
        )
    assert measure() == few
