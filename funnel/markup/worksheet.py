"""The worksheet page's inputs, formulas, channel rows, steps and links, and
its live recompute's fragments. Inputs are the display values of
forms.input_view()."""

from functools import lru_cache
from html import escape

from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from funnel.domain.worksheet import outside_reference
from funnel.formatting import count, rate, yen
from funnel.markup import OOB, field_error, message_swap, messages_cleared


def _per_language(build):
    """``build()``'s texts ({key: text}, translated in the active language)
    escaped once, as {% translate %} escapes them in a template, and
    remembered by the language: the decorated function is called with the
    active language's code, its cache's key."""

    @lru_cache(maxsize=16)
    def texts_in(language):
        del language  # the cache's key: build() translates in it
        return {key: escape(text) for key, text in build().items()}

    return texts_in


@_per_language
def _texts():
    """The formulas' words: each recompute shows some thirty of them."""
    return {
        "piece": _("件"),
        "nonweb": _("Web以外の売上"),
        "web": _("Web売上"),
        "unit_price": _("受注単価"),
        "orders": _("受注数"),
        "win_rate": _("受注率"),
        "opportunities": _("案件化数"),
        "opportunity_rate": _("案件化率"),
        "meetings": _("商談数"),
        "skipped": _("③は省略しています（④の商談数を母数にします）。"),
        "allotted": _("チャネルへの割り当て合計"),
        "unallotted_unknown": _("（④の商談数が決まると、残りを表示します）"),
        "unallotted_left": _("④まであと %(n)s件 をチャネルに割り当ててください。"),
        "unallotted_over": _("④より %(n)s件 多く割り当てています。"),
        "unallotted_none": _("④の商談数と一致しています。"),
        "leads_total": _("リード数 合計"),
        "online_of_which": _("うちオンライン"),
        "online_leads": _("オンラインのリード数"),
        "cv_rate": _("CV率"),
        "visits": _("訪問数"),
        "rate_warning": _("参考値の範囲外です。前提を見直してみてください。"),
        "channel_warning": _("参考値（20〜30%）の範囲外です"),
        "online": _("オンライン"),
        "up": _("%(n)s行目を上へ"),
        "down": _("%(n)s行目を下へ"),
        "remove": _("%(n)s行目を削除"),
        "remove_button": _("削除"),
    }


def texts():
    return _texts(get_language())


# --- inputs -----------------------------------------------------------------


def text_input(view, *, unit=None, size=None, label_only=False, autofocus=False):
    """A text input with its unit, as the page has always shown them."""
    field_id, inputmode = view["id"], view["inputmode"]
    return SafeString(
        f'<input type="text" name="{view["name"]}" id="{field_id}" '
        f'value="{escape(view["value"])}"'
        + (f' inputmode="{inputmode}"' if inputmode else "")
        + f' autocomplete="off" maxlength="{view["maxlength"]}" '
        f'aria-describedby="{field_id}-error"'
        + (f' aria-label="{escape(view["label"])}"' if label_only else "")
        + (' aria-invalid="true"' if view["error"] else "")
        + (" disabled" if view["disabled"] else "")
        + (" autofocus" if autofocus else "")
        + (f' class="{size}"' if size else "")
        + ">"
        + (f'<span class="unit">{escape(unit)}</span>' if unit else "")
    )


def _invalid(view):
    return ' aria-invalid="true"' if view["error"] else ""


def _disabled(view):
    return " disabled" if view["disabled"] else ""


def _checked(view):
    return " checked" if view["checked"] else ""


def date_input(view):
    """As Django's DateInput renders it (attributes in its order), except that
    aria-describedby names the message beside it."""
    field_id = view["id"]
    value = f' value="{escape(view["value"])}"' if view["value"] else ""
    described = f' aria-describedby="{field_id}-error"' if view["error"] else ""
    return SafeString(
        f'<input type="date" name="{view["name"]}"{value} required'
        f'{_disabled(view)}{_invalid(view)}{described} id="{field_id}">'
    )


def radios(view):
    """One labelled radio button per choice."""
    parts = []
    for index, (value, label) in enumerate(view["choices"]):
        checked = " checked" if str(value) == view["value"] else ""
        parts.append(
            f'<label><input type="radio" name="{view["name"]}" '
            f'value="{escape(str(value))}" id="{view["id"]}_{index}" required'
            f"{_disabled(view)}{_invalid(view)}{checked}> "
            f"{escape(str(label))}</label>"
        )
    return SafeString("".join(parts))


def checkbox(view):
    return SafeString(
        f'<input type="checkbox" name="{view["name"]}"'
        f'{_disabled(view)}{_invalid(view)} id="{view["id"]}"{_checked(view)}>'
    )


def management_form(prefix, total, initial, maximum):
    """The formset's hidden counts, as Django's management form renders them."""
    return SafeString(
        "".join(
            f'<input type="hidden" name="{prefix}-{name}" value="{value}" '
            f'id="id_{prefix}-{name}">'
            for name, value in (
                ("TOTAL_FORMS", total),
                ("INITIAL_FORMS", initial),
                ("MIN_NUM_FORMS", 0),
                ("MAX_NUM_FORMS", maximum),
            )
        )
    )


# --- formulas ----------------------------------------------------------------
#
# Each formula is built from the values it shows, as formulas() lists them.


def step1(total, web, nonweb, *, oob=False, t):
    return (
        f'<p class="formula" id="formula-1"{OOB if oob else ""}>{t["nonweb"]} = '
        f"{yen(total)} − {yen(web)} = "
        f'<strong id="result-nonweb">{yen(nonweb)}</strong></p>'
    )


def step2(web, unit_price, orders, *, oob=False, t):
    return (
        f'<p class="formula" id="formula-2"{OOB if oob else ""}>{t["web"]} '
        f"{yen(web)} / {t['unit_price']} {yen(unit_price)} = "
        f'{t["orders"]} <strong id="result-orders">{count(orders)}</strong>'
        f"{t['piece']}</p>"
    )


def step3(skip, orders, win_rate, opportunities, *, oob=False, t):
    if skip:
        body = (
            f'{t["skipped"]} <span class="visually-hidden">{t["opportunities"]}'
            '</span><strong id="result-opportunities" hidden>—</strong>'
        )
    else:
        body = (
            f"{count(orders)}{t['piece']} / {t['win_rate']} "
            f"{rate(win_rate)}% = {t['opportunities']} "
            f'<strong id="result-opportunities">{count(opportunities)}'
            f"</strong>{t['piece']}"
        )
    return f'<p class="formula" id="formula-3"{OOB if oob else ""}>{body}</p>'


def step4(skip, source, source_rate, meetings, *, oob=False, t):
    """④ from ③'s opportunities and the 案件化率, or, with ③ skipped, from
    ②'s orders and the 受注率 (read as meeting → order)."""
    rate_label = t["win_rate"] if skip else t["opportunity_rate"]
    return (
        f'<p class="formula" id="formula-4"{OOB if oob else ""}>'
        f"{count(source)}{t['piece']} / {rate_label} {rate(source_rate)}% = "
        f'{t["meetings"]} <strong id="result-meetings">{count(meetings)}'
        f"</strong>{t['piece']}</p>"
    )


def allotment(allotted, left, *, oob=False, t):
    if left is None:
        remainder = f'class="hint">{t["unallotted_unknown"]}'
    elif left > 0:
        remainder = (
            f'class="warning-inline">{t["unallotted_left"] % {"n": count(left)}}'
        )
    elif left < 0:
        remainder = (
            f'class="warning-inline">{t["unallotted_over"] % {"n": count(-left)}}'
        )
    else:
        remainder = f'class="ok">{t["unallotted_none"]}'
    return (
        f'<p class="allotment" id="allotment"{OOB if oob else ""}>{t["allotted"]} '
        f'<strong id="result-allotted">{count(allotted)}</strong>'
        f'{t["piece"]}\n<span id="result-unallotted" {remainder}</span>\n</p>'
    )


def lead_totals(leads_total, online_leads, *, oob=False, t):
    return (
        f'<p class="formula" id="lead-totals"{OOB if oob else ""}>'
        f'{t["leads_total"]} <strong id="result-leads-total">'
        f"{count(leads_total)}</strong>{t['piece']}（{t['online_of_which']} "
        f'<strong id="result-online-leads">{count(online_leads)}</strong>'
        f"{t['piece']}）</p>"
    )


def step6(online_leads, cv_rate, visits, *, oob=False, t):
    return (
        f'<p class="formula" id="formula-6"{OOB if oob else ""}>{t["online_leads"]} '
        f"{count(online_leads)}{t['piece']} / {t['cv_rate']} "
        f"{rate(cv_rate)}% = {t['visits']} "
        f'<strong id="result-visits">{count(visits)}</strong></p>'
    )


def formulas(plan, result):
    """Each formula (its build) with the values it shows, in the page's order."""
    skip = plan.skip_opportunity
    return (
        (step1, plan.total_revenue, plan.web_revenue, result.nonweb_revenue),
        (step2, plan.web_revenue, plan.unit_price, result.orders),
        (step3, skip, result.orders, plan.win_rate, result.opportunities),
        (
            step4,
            skip,
            result.orders if skip else result.opportunities,
            plan.win_rate if skip else plan.opportunity_rate,
            result.meetings,
        ),
        (allotment, result.allotted, result.unallotted),
        (lead_totals, result.leads_total, result.online_leads),
        (step6, result.online_leads, plan.cv_rate, result.visits),
    )


@lru_cache(maxsize=1024)
def _formula_swap(build, language, *values):
    """A formula as an out-of-band swap, remembered by the values it shows and
    the language: a keystroke changes one or two of the seven, and the others
    come back as they were. Equal values show the same text (count(), yen()
    and rate() format a number by its value, not its spelling)."""
    return build(*values, oob=True, t=_texts(language))


def rate_warning(kind, flag, oob=False, *, t):
    return (
        f'<span class="warning" id="warning-{kind}"{OOB if oob else ""}>'
        f"{t['rate_warning'] if flag else ''}</span>"
    )


def channel_result(number, channel, leads, oob=False, *, t):
    piece = t["piece"]
    return (
        f'<td class="num" id="channel-{number}-result"{OOB if oob else ""}>'
        f'<strong id="channel-{number}-leads">{count(leads)}</strong>{piece}'
        f'<span class="formula small">{count(channel.meetings)}{piece} / '
        f"{rate(channel.meeting_rate)}%</span></td>"
    )


def channel_warning(number, warning, oob=False, *, t):
    text = t["channel_warning"] if warning else ""
    return (
        f'<span class="warning" id="channel-{number}-warning"{OOB if oob else ""}>'
        f"{text}</span>"
    )


def _row_buttons(index, number, last, t):
    n = {"n": number}
    first_off = " disabled" if index == 0 else ""
    last_off = " disabled" if index == last else ""
    return (
        '<td class="row-actions">'
        f'<button type="submit" name="action" value="up-{index}" formnovalidate '
        f'aria-label="{t["up"] % n}"{first_off}>↑</button>'
        f'<button type="submit" name="action" value="down-{index}" formnovalidate '
        f'aria-label="{t["down"] % n}"{last_off}>↓</button>'
        f'<button type="submit" name="action" value="remove-{index}" formnovalidate '
        f'class="danger" aria-label="{t["remove"] % n}">{t["remove_button"]}'
        "</button></td>"
    )


def channel_rows(rows, *, can_edit, focus_last):
    """The ⑤ table's rows: each row's inputs (forms.input_view()), its leads
    and formula, its warning, and for an editor the buttons that move or
    remove it. ``rows`` are views.worksheets.ChannelRow."""
    t = texts()
    parts = []
    last = len(rows) - 1
    for index, row in enumerate(rows):
        inputs, number = row.inputs, row.number
        name, online = inputs["name"], inputs["online"]
        meetings, meeting_rate = inputs["meetings"], inputs["meeting_rate"]
        name_input = text_input(
            name, label_only=True, autofocus=focus_last and index == last
        )
        meetings_input = text_input(
            meetings, label_only=True, unit=t["piece"], size="count"
        )
        rate_input = text_input(meeting_rate, label_only=True, unit="%", size="rate")
        online_input = (
            f'<input type="checkbox" name="{online["name"]}" id="{online["id"]}" '
            f'aria-label="{t["online"]}"{_checked(online)}{_disabled(online)}>'
        )
        buttons = _row_buttons(index, number, last, t) if can_edit else ""
        parts.append(
            f'<tr id="channel-row-{number}"><th scope="row">{number}</th>'
            f"<td>{name_input}{field_error(name['id'], name['error'])}</td>"
            f'<td class="center">{online_input}</td>'
            f"<td>{meetings_input}{field_error(meetings['id'], meetings['error'])}</td>"
            f"<td>{rate_input}{channel_warning(number, row.warning, t=t)}"
            f"{field_error(meeting_rate['id'], meeting_rate['error'])}</td>"
            f"{channel_result(number, row.plan, row.leads, t=t)}{buttons}</tr>\n"
        )
    return SafeString("".join(parts))


# The inputs' messages, all emptied by each recompute before it shows its own.
INPUT_MESSAGES = "#worksheet-form .field-error[data-for]"


def computed(plan, result, warnings, errors, channels):
    """What the live recompute answers, as out-of-band swaps (no input is
    swapped): every input's message emptied, then every result, formula and
    warning, and the messages there are. ``errors`` are (input id, message)
    of the worksheet's inputs in their order; ``channels`` (channel plan,
    leads, messages, message slots) by row, the slots (position among the
    messages, input id) of the inputs that show one. A channel's result cell
    travels inside a <template>: a bare <td> among the swaps would be
    dropped by the HTML parser."""
    language = get_language()
    t = _texts(language)
    parts = [
        messages_cleared(INPUT_MESSAGES),
        *[
            _formula_swap(build, language, *values)
            for build, *values in formulas(plan, result)
        ],
        rate_warning("win_rate", warnings["win_rate"], True, t=t),
        rate_warning("opportunity_rate", warnings["opportunity_rate"], True, t=t),
    ]
    parts += [message_swap(field_id, error) for field_id, error in errors]
    parts += [
        _channel_swaps(number, *channel, language)
        for number, channel in enumerate(channels, start=1)
    ]
    return SafeString("".join(parts))


@lru_cache(maxsize=1024)
def _channel_swaps(number, channel, leads, messages, slots, language):
    """A channel row's swaps, remembered by what they show: a keystroke
    changes one row's, the others come back as they were. ``messages`` are
    texts, ``slots`` (position in ``messages``, input id) pairs."""
    t = _texts(language)
    warning = outside_reference("meeting_rate", channel.meeting_rate)
    return (
        f"<template>{channel_result(number, channel, leads, True, t=t)}</template>"
        f"{channel_warning(number, warning, True, t=t)}"
        + "".join(
            message_swap(field_id, messages[position]) for position, field_id in slots
        )
    )


# --- the sheet ---------------------------------------------------------------


@_per_language
def _sheet_texts():
    """The sheet's fixed labels, hints and headings."""
    return {
        "entry_date": _("記入日"),
        "basis": _("基準"),
        "basis_hint": _("※月の受注件数目標から設定していくと進めやすい"),
        "step1": _("売上"),
        "step1_point": _(
            "【POINT】Web以外の売上と比べてどのくらいのインパクトを求めるかを決めます。"
            "いきなりWebからの売上を期待せず、小さく立ち上げて徐々に拡大しましょう。"
        ),
        "step2": _("受注数 × 受注単価 = 売上"),
        "step3": _("案件化数"),
        "win_rate": _("受注率"),
        "win_rate_hint": _("参考: 案件化→受注 20〜40%程度"),
        "step3_note": _(
            "※購入のハードルが低い低単価商材や、問い合わせ後に有効案件化しやすい商材の場合は、"
            "③を考慮せず④の商談数を母数にします（受注率は商談→受注の率として使います）。"
        ),
        "step4": _("商談数"),
        "opportunity_rate": _("案件化率"),
        "opportunity_rate_hint": _("参考: 商談化→案件化 40〜60%程度"),
        "step5": _("リード数"),
        "channel_name": _("チャネル名"),
        "online": _("オンライン"),
        "meetings": _("商談数（アポ）"),
        "meeting_rate": _("商談化率（アポ率）"),
        "leads": _("リード数"),
        "actions": _("操作"),
        "add_channel": _("＋ チャネルを追加"),
        "add_channel_hint": _(
            "※他にも獲得チャネルがある場合は適宜追加してください。"
            "展示会・セミナーなどはオンラインのチェックを外します（CV・訪問数に含めません）。"
        ),
        "meeting_rate_hint": _(
            "参考: 商談化率（リード→商談化）20〜30%程度。"
            "チャネルやCVポイントごとに異なります（広告は低め、オーガニックは高め）。"
        ),
        "step6": _("訪問数"),
        "content_hint": _(
            "コンテンツの目安: 60記事以上で月約4,000〜4,500訪問（ferret One中央値）。"
            "理想は120本以上です。"
        ),
    }


def labelled_input(view, *, unit=None, size=None):
    """An input with its label before it and its message after it."""
    return (
        f'<label for="{view["id"]}">{escape(view["label"])}</label>\n'
        f"{text_input(view, unit=unit, size=size)}"
        f"{field_error(view['id'], view['error'])}"
    )


def _step(number, mark, title, body):
    return (
        f'<section class="card step" aria-labelledby="step{number}-title">\n'
        f'<h2 id="step{number}-title">{mark} {title}</h2>\n{body}</section>\n'
    )


def _rate_field(view, label, hint, kind, warning, t):
    return (
        f'<p class="field"><label for="{view["id"]}">{label}</label>\n'
        f"{text_input(view, unit='%', size='rate')}\n"
        f'<span class="hint">{hint}</span>\n'
        f"{rate_warning(kind, warning, t=t)}\n"
        f"{field_error(view['id'], view['error'])}</p>\n"
    )


def _field_with_error(view, markup):
    return f"{markup}{field_error(view['id'], view['error'])}"


def sheet(
    fields, plan, result, warnings, *, channels, management, channel_error, can_edit
):
    """The worksheet's head and its steps ① to ⑥ as the page shows them:
    ``fields`` are forms.input_view() by name, ``warnings`` the rates outside
    their reference ranges, ``channels`` ⑤'s rows (channel_rows()) and
    ``management`` the formset's hidden counts (management_form())."""
    language = get_language()
    t, words = _sheet_texts(language), _texts(language)
    shown = {
        build: build(*values, t=words) for build, *values in formulas(plan, result)
    }
    skip, entry_date, basis = (
        fields["skip_opportunity"],
        fields["entry_date"],
        fields["basis"],
    )
    head = (
        '<section class="card sheet-head">\n'
        f'<p class="field">{labelled_input(fields["name"], size="wide")}</p>\n'
        f'<p class="field"><label for="{entry_date["id"]}">{t["entry_date"]}</label>\n'
        f"{_field_with_error(entry_date, date_input(entry_date))}</p>\n"
        f'<fieldset class="field basis"><legend>{t["basis"]}</legend>\n'
        f"{radios(basis)}\n"
        f'<span class="hint">{t["basis_hint"]}</span>\n'
        f"{field_error(basis['id'], basis['error'])}</fieldset>\n"
        "</section>\n"
    )
    sales = _step(
        1,
        "①",
        t["step1"],
        '<div class="inputs">\n'
        f'<p class="field">{labelled_input(fields["total_revenue"], unit="円")}</p>\n'
        f'<p class="field">{labelled_input(fields["web_revenue"], unit="円")}</p>\n'
        f"</div>\n{shown[step1]}\n"
        f'<p class="hint">{t["step1_point"]}</p>\n',
    )
    orders = _step(
        2,
        "②",
        t["step2"],
        '<div class="inputs">\n'
        f'<p class="field">{labelled_input(fields["unit_price"], unit="円")}</p>\n'
        f"</div>\n{shown[step2]}\n",
    )
    opportunities = _step(
        3,
        "③",
        t["step3"],
        '<div class="inputs">\n'
        + _rate_field(
            fields["win_rate"],
            t["win_rate"],
            t["win_rate_hint"],
            "win_rate",
            warnings["win_rate"],
            words,
        )
        + f'<p class="field checkbox"><label>{checkbox(skip)} '
        f"{escape(str(skip['label']))}</label></p>\n"
        f"</div>\n{shown[step3]}\n"
        f'<p class="hint">{t["step3_note"]}</p>\n',
    )
    meetings = _step(
        4,
        "④",
        t["step4"],
        '<div class="inputs">\n'
        + _rate_field(
            fields["opportunity_rate"],
            t["opportunity_rate"],
            t["opportunity_rate_hint"],
            "opportunity_rate",
            warnings["opportunity_rate"],
            words,
        )
        + f"</div>\n{shown[step4]}\n{shown[allotment]}\n",
    )
    error = (
        f'<p class="error" role="alert">{escape(str(channel_error))}</p>\n'
        if channel_error
        else ""
    )
    actions = (
        f'<th scope="col"><span class="visually-hidden">{t["actions"]}</span></th>'
        if can_edit
        else ""
    )
    add = (
        '<p><button type="submit" name="action" value="add" formnovalidate>'
        f"{t['add_channel']}</button>\n"
        f'<span class="hint">{t["add_channel_hint"]}</span></p>\n'
        if can_edit
        else ""
    )
    leads = _step(
        5,
        "⑤",
        t["step5"],
        f"{management}\n{error}"
        '<table class="grid channels">\n<thead><tr>\n'
        f'<th scope="col">#</th><th scope="col">{t["channel_name"]}</th>'
        f'<th scope="col">{t["online"]}</th>\n'
        f'<th scope="col">{t["meetings"]}</th>'
        f'<th scope="col">{t["meeting_rate"]}</th>\n'
        f'<th scope="col">{t["leads"]}</th>{actions}\n'
        f"</tr></thead>\n<tbody>\n{channels}</tbody>\n</table>\n"
        f'{add}<p class="hint">{t["meeting_rate_hint"]}</p>\n'
        f"{shown[lead_totals]}\n",
    )
    visits = _step(
        6,
        "⑥",
        t["step6"],
        '<div class="inputs">\n<p class="field">'
        f"{labelled_input(fields['cv_rate'], unit='%', size='rate')}</p>\n"
        f"</div>\n{shown[step6]}\n"
        f'<p class="hint">{t["content_hint"]}</p>\n',
    )
    return SafeString(head + sales + orders + opportunities + meetings + leads + visits)


@_per_language
def _link_texts():
    """A stored worksheet's links."""
    return {
        "apply": _("目標設定に反映"),
        "print": _("印刷"),
        "history": _("変更履歴"),
        "history_link": _("変更履歴を表示"),
        "actuals": _("実績との比較"),
        "duplicate": _("複製"),
        "delete": _("削除"),
    }


def form_links(urls):
    """A stored worksheet's links beside its save button."""
    t = _link_texts(get_language())
    return SafeString(
        f'<a href="{urls["apply"]}">{t["apply"]}</a>\n'
        f'<a href="{urls["print"]}">{t["print"]}</a>'
    )


def page_links(urls, *, can_edit, csrf_input):
    """A stored worksheet's history and its other pages, below the form;
    ``csrf_input`` is the request's hidden token input, for the copy."""
    t = _link_texts(get_language())
    printing = "" if can_edit else f'<a href="{urls["print"]}">{t["print"]}</a>\n'
    editing = (
        f'<form method="post" action="{urls["duplicate"]}" class="inline">'
        f'{csrf_input}<button type="submit">{t["duplicate"]}</button></form>\n'
        f'<a href="{urls["delete"]}" class="danger">{t["delete"]}</a>\n'
        if can_edit
        else ""
    )
    return SafeString(
        f'<details class="history" hx-get="{urls["history"]}" '
        'hx-trigger="toggle once" hx-target="find .history-body">\n'
        f"<summary>{t['history']}</summary>\n"
        f'<div class="history-body"><a href="{urls["history"]}">'
        f"{t['history_link']}</a></div>\n</details>\n"
        f'<div class="actions secondary">\n{printing}'
        f'<a href="{urls["actuals"]}">{t["actuals"]}</a>\n'
        f'<a href="{urls["export"]}" download>Excel</a>\n{editing}</div>'
    )
