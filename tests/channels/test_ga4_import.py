"""GA4から取り込む over the Django test client: the upload, the questions on
groups never seen, the answers remembered, the preview of the differences,
confirmation (all or nothing), months outside the year, Shift_JIS, bad files,
roles and accounts."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from funnel import selectors, services
from funnel.models import (
    ChangeRecord,
    ChangeSource,
    ChannelActual,
    GA4ChannelMapping,
)
from tests.conftest import without_tokens

pytestmark = pytest.mark.django_db

YEAR = 2026
UPLOAD = f"/goals/{YEAR}/actuals/channels/import/"
CONFIRM = f"/goals/{YEAR}/actuals/channels/import/confirm/"
PAGE = f"/goals/{YEAR}/actuals/channels/"

APRIL_JA = """\
# ----------------------------------------
# トラフィック獲得: セッションのデフォルト チャネル グループ
# ----------------------------------------
#
# 開始日: 20260401
# 終了日: 20260430
セッションのデフォルト チャネル グループ,セッション,キーイベント
Organic Search,"1,234",12
Paid Search,600,7
Paid Social,100,1
Direct,200,2
合計,"2,134",22
"""

# By month, in English, over a rolling range: December 2025 is another year.
MONTHS_EN = """\
# Start date: 20251201
# End date: 20260531
Year month,Session default channel group,Sessions,Key events
202512,Organic Search,50,1
202604,Organic Search,1300,13
202605,Organic Search,900,9
202605,Email,80,2
Grand total,,2330,25
"""


@pytest.fixture
def channels(account):
    services.channel_defaults_create(account=account)
    return {c.name: c for c in selectors.channel_list(account=account)}


def csv_file(text, encoding="utf-8"):
    return SimpleUploadedFile("ga4.csv", text.encode(encoding), content_type="text/csv")


def upload(client, text=APRIL_JA, encoding="utf-8"):
    return client.post(UPLOAD, {"file": csv_file(text, encoding)})


def token_of(response):
    return re.search(r'name="token" value="([^"]+)"', response.content.decode())[1]


def answer(client, response, answers):
    """Post the mapping step with {group: channel or None (未分類)}."""
    form = response.context["step"]["mapping_form"]
    data = {"token": token_of(response), "action": "map"}
    for index, group in enumerate(form.groups):
        channel = answers.get(group, "")
        data[f"group_{index}"] = (
            "none" if channel is None else (channel.pk if channel else "")
        )
    return client.post(CONFIRM, data)


def confirm(client, response):
    return client.post(CONFIRM, {"token": token_of(response)})


def test_first_import_asks_then_remembers(client, account, marketer, channels):
    client.force_login(marketer)
    response = upload(client)
    assert response.status_code == 200
    step = response.context["step"]
    assert step["new_groups"] == [
        "Direct",
        "Organic Search",
        "Paid Search",
        "Paid Social",
    ]
    assert "previewed" not in step  # no preview before every group is answered
    assert not GA4ChannelMapping.objects.exists()
    ads, organic = channels["広告"], channels["オーガニック"]
    # One group left unanswered: asked again, nothing stored.
    partial = answer(client, response, {"Organic Search": organic})
    assert "GA4のチャネルの対応をすべて選んでください" in partial.content.decode()
    assert "GA4の「Direct」をどのチャネルとして取り込むか選んでください" in (
        partial.content.decode()
    )
    assert "previewed" not in partial.context["step"]
    answers = {
        "Organic Search": organic,
        "Paid Search": ads,
        "Paid Social": ads,  # two groups, one channel: summed
        "Direct": None,  # 未分類: not imported
    }
    preview = answer(client, response, answers)
    step = preview.context["step"]
    assert step["previewed"] and step["can_confirm"]
    assert [(name, d.month, d.before, d.after) for name, d in step["differences"]] == [
        ("広告", 4, (None, None), (8, 700)),
        ("オーガニック", 4, (None, None), (12, 1234)),
    ]
    assert not ChannelActual.objects.exists()  # a preview writes nothing
    assert not GA4ChannelMapping.objects.exists()
    done = confirm(client, preview)
    assert done.status_code == 302 and done["Location"] == PAGE
    assert selectors.channel_actual_values(account=account, year=YEAR) == {
        (ads.pk, 4): (8, 700),
        (organic.pk, 4): (12, 1234),
    }
    assert selectors.ga4_mappings(account=account) == {
        "Organic Search": organic.pk,
        "Paid Search": ads.pk,
        "Paid Social": ads.pk,
        "Direct": None,
    }
    assert ChangeRecord.objects.filter(source=ChangeSource.CSV).count() == 4
    # The second import asks nothing: straight to the preview.
    again = upload(client)
    assert again.context["step"]["new_groups"] == []
    assert again.context["step"]["previewed"]
    assert again.context["step"]["changes"] == 0


def test_a_group_never_seen_is_asked_about(client, account, marketer, channels):
    services.ga4_mappings_save(
        account=account,
        mappings={
            "Organic Search": channels["オーガニック"].pk,
            "Paid Search": channels["広告"].pk,
            "Direct": None,
        },
    )
    client.force_login(marketer)
    response = upload(client)
    step = response.context["step"]
    assert step["new_groups"] == ["Paid Social"]
    assert "previewed" not in step
    html = response.content.decode()
    assert "初めて読み込むGA4のチャネルが1件あります" in html
    # The known answers are preselected; the new group starts on 選択してください.
    form = step["mapping_form"]
    initial = {form.groups[i]: form[f"group_{i}"].initial for i in range(4)}
    assert initial == {
        "Direct": "none",
        "Organic Search": str(channels["オーガニック"].pk),
        "Paid Search": str(channels["広告"].pk),
        "Paid Social": "",
    }


def test_reimport_replaces_the_month_after_a_preview(
    client, account, marketer, channels
):
    ads, organic = channels["広告"], channels["オーガニック"]
    services.ga4_mappings_save(
        account=account,
        mappings={
            "Organic Search": organic.pk,
            "Paid Search": ads.pk,
            "Paid Social": ads.pk,
            "Direct": None,
        },
    )
    services.channel_actual_year_save(
        account=account,
        year=YEAR,
        values={
            (ads.pk, 4): (3, 300),
            (organic.pk, 4): (12, 1234),
            (channels["展示会"].pk, 4): (40, None),
        },
        user=marketer,
    )
    client.force_login(marketer)
    preview = upload(client)
    step = preview.context["step"]
    html = preview.content.decode()
    assert [(n, d.before, d.after, d.changed) for n, d in step["differences"]] == [
        ("広告", (3, 300), (8, 700), True),
        ("オーガニック", (12, 1234), (12, 1234), False),
    ]
    assert step["changes"] == 2
    assert "変更なし" in html
    assert ChannelActual.objects.get(channel=ads).cv_count == 3
    confirm(client, preview)
    values = selectors.channel_actual_values(account=account, year=YEAR)
    assert values[ads.pk, 4] == (8, 700)
    # A channel that no GA4 group maps to (展示会) is left alone.
    assert values[channels["展示会"].pk, 4] == (40, None)


def test_months_outside_the_year_are_skipped_and_listed(
    client, account, marketer, channels
):
    organic, mail = channels["オーガニック"], channels["メルマガ"]
    client.force_login(marketer)
    response = upload(client, MONTHS_EN)
    preview = answer(client, response, {"Organic Search": organic, "Email": mail})
    step = preview.context["step"]
    assert step["outside"] == ["2025年12月"]
    assert "以外の月は取り込みません: 2025年12月" in preview.content.decode()
    confirm(client, preview)
    assert selectors.channel_actual_values(account=account, year=YEAR) == {
        (organic.pk, 4): (13, 1300),
        (organic.pk, 5): (9, 900),
        (mail.pk, 4): (0, 0),  # no Email row in April: no sessions
        (mail.pk, 5): (2, 80),
    }


def test_a_file_with_no_month_of_the_year_cannot_be_confirmed(
    client, account, marketer, channels
):
    client.force_login(marketer)
    text = APRIL_JA.replace("2026", "2024")
    response = upload(client, text)
    answers = {
        "Organic Search": channels["オーガニック"],
        "Paid Search": None,
        "Paid Social": None,
        "Direct": None,
    }
    preview = answer(client, response, answers)
    assert not preview.context["step"]["can_confirm"]
    assert 'id="ga4-confirm"' not in preview.content.decode()


def test_a_shift_jis_file_from_excel(client, account, marketer, channels):
    client.force_login(marketer)
    response = upload(client, APRIL_JA, "cp932")
    assert response.status_code == 200
    assert "Shift_JIS" in response.content.decode()
    assert response.context["step"]["new_groups"][1] == "Organic Search"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a,b\n1,2\n", "見出しの行が見つかりません"),
        (
            "# 開始日: 20260401\n年月,セッション\n202604,1\n",
            "2行目の見出しにチャネルの列がありません",
        ),
        (
            APRIL_JA.replace("20260430", "20260531"),
            "複数の月にまたがっています",
        ),
    ],
)
def test_a_bad_file_says_why_and_stores_nothing(
    client, marketer, channels, text, message
):
    client.force_login(marketer)
    response = upload(client, text)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert "step" not in response.context or response.context["step"] is None
    assert not ChannelActual.objects.exists()
    assert not GA4ChannelMapping.objects.exists()


def test_bad_numbers_are_listed_with_their_lines(client, marketer, channels):
    client.force_login(marketer)
    response = upload(client, APRIL_JA.replace("600,7", "６００,abc"))
    html = response.content.decode()
    assert "読み取れない値が1件あります" in html
    assert "キーイベント: 数値として読み取れません" in html
    assert [p.line for p, _reason in response.context["problems"]] == [9]
    assert 'name="token"' not in html
    assert not ChannelActual.objects.exists()


def test_a_token_is_used_once_and_is_the_users_own(
    client, account, marketer, admin_member, channels
):
    services.ga4_mappings_save(
        account=account,
        mappings={
            "Organic Search": channels["オーガニック"].pk,
            "Paid Search": None,
            "Paid Social": None,
            "Direct": None,
        },
    )
    client.force_login(marketer)
    preview = upload(client)
    token = token_of(preview)
    client.force_login(admin_member)
    refused = client.post(CONFIRM, {"token": token})
    assert refused.status_code == 302 and refused["Location"] == UPLOAD
    assert not ChannelActual.objects.exists()
    client.force_login(marketer)
    assert client.post(CONFIRM, {"token": token}).status_code == 302
    assert not ChannelActual.objects.exists()  # used up by the refused attempt
    preview = upload(client)
    confirm(client, preview)
    assert ChannelActual.objects.count() == 1
    assert confirm(client, preview)["Location"] == UPLOAD  # used once
    assert ChannelActual.objects.count() == 1


def test_editors_only(client, manager, outsider, channels):
    client.force_login(manager)
    assert client.get(UPLOAD).status_code == 403
    assert client.post(UPLOAD, {"file": csv_file(APRIL_JA)}).status_code == 403
    assert client.post(CONFIRM, {"token": "x"}).status_code == 403


def test_another_accounts_channels_cannot_be_chosen(
    client, account, other_account, marketer, channels
):
    services.channel_defaults_create(account=other_account)
    theirs = selectors.channel_list(account=other_account)[0]
    client.force_login(marketer)
    response = upload(client)
    form = response.context["step"]["mapping_form"]
    data = {"token": token_of(response), "action": "map"}
    data |= {f"group_{i}": theirs.pk for i in range(len(form.groups))}
    answered = client.post(CONFIRM, data)
    assert "チャネルは一覧から選んでください" in answered.content.decode()
    assert "previewed" not in answered.context["step"]
    assert not GA4ChannelMapping.objects.exists()


def test_the_remembered_answers_are_editable(client, account, marketer, channels):
    services.ga4_mappings_save(
        account=account,
        mappings={"Organic Search": channels["オーガニック"].pk, "Direct": None},
    )
    client.force_login(marketer)
    page = client.get(UPLOAD)
    html = without_tokens(page.content.decode())
    assert "保存されているGA4チャネルの対応" in html and "Organic Search" in html
    form = page.context["stored_form"]
    data = {"action": "mappings"}
    data |= {name: field.initial for name, field in form.fields.items()}
    direct = next(n for n, f in form.fields.items() if f.label == "Direct")
    data[direct] = channels["広告"].pk
    assert client.post(UPLOAD, data).status_code == 302
    assert selectors.ga4_mappings(account=account)["Direct"] == channels["広告"].pk
    # An incomplete post changes nothing.
    del data[direct]
    organic = next(n for n in data if n != "action")
    data[organic] = "none"
    assert client.post(UPLOAD, data).status_code == 400
    assert (
        selectors.ga4_mappings(account=account)["Organic Search"]
        == channels["オーガニック"].pk
    )
