"""The worksheet's inputs, channel rows and formulas, and its live recompute's
fragments. Inputs are the display values of forms.input_view()."""

from functools import lru_cache
from html import escape

from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from funnel.markup import OOB, field_error
from funnel.templatetags.funnel_format import count, rate, yen


@lru_cache(maxsize=16)
def _texts(language):
    """The formulas' words in the active language (``language`` is its code,
    the cache's key): each recompute shows some thirty of them."""
    del language
    texts = {
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
    # Escaped once, as {% translate %} escapes them in a template.
    return {key: escape(text) for key, text in texts.items()}


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


def step1(plan, result, oob=False):
    t = texts()
    return (
        f'<p class="formula" id="formula-1"{OOB if oob else ""}>{t["nonweb"]} = '
        f"{yen(plan.total_revenue)} − {yen(plan.web_revenue)} = "
        f'<strong id="result-nonweb">{yen(result.nonweb_revenue)}</strong></p>'
    )


def step2(plan, result, oob=False):
    t = texts()
    return (
        f'<p class="formula" id="formula-2"{OOB if oob else ""}>{t["web"]} '
        f"{yen(plan.web_revenue)} / {t['unit_price']} {yen(plan.unit_price)} = "
        f'{t["orders"]} <strong id="result-orders">{count(result.orders)}</strong>'
        f"{t['piece']}</p>"
    )


def step3(plan, result, oob=False):
    t = texts()
    if plan.skip_opportunity:
        body = (
            f'{t["skipped"]} <span class="visually-hidden">{t["opportunities"]}'
            '</span><strong id="result-opportunities" hidden>—</strong>'
        )
    else:
        body = (
            f"{count(result.orders)}{t['piece']} / {t['win_rate']} "
            f"{rate(plan.win_rate)}% = {t['opportunities']} "
            f'<strong id="result-opportunities">{count(result.opportunities)}'
            f"</strong>{t['piece']}"
        )
    return f'<p class="formula" id="formula-3"{OOB if oob else ""}>{body}</p>'


def step4(plan, result, oob=False):
    t = texts()
    if plan.skip_opportunity:
        source, rate_label, source_rate = (
            result.orders,
            t["win_rate"],
            plan.win_rate,
        )
    else:
        source, rate_label, source_rate = (
            result.opportunities,
            t["opportunity_rate"],
            plan.opportunity_rate,
        )
    return (
        f'<p class="formula" id="formula-4"{OOB if oob else ""}>'
        f"{count(source)}{t['piece']} / {rate_label} {rate(source_rate)}% = "
        f'{t["meetings"]} <strong id="result-meetings">{count(result.meetings)}'
        f"</strong>{t['piece']}</p>"
    )


def allotment(result, oob=False):
    t = texts()
    left = result.unallotted
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
        f'<strong id="result-allotted">{count(result.allotted)}</strong>'
        f'{t["piece"]}\n<span id="result-unallotted" {remainder}</span>\n</p>'
    )


def lead_totals(result, oob=False):
    t = texts()
    return (
        f'<p class="formula" id="lead-totals"{OOB if oob else ""}>'
        f'{t["leads_total"]} <strong id="result-leads-total">'
        f"{count(result.leads_total)}</strong>{t['piece']}（{t['online_of_which']} "
        f'<strong id="result-online-leads">{count(result.online_leads)}</strong>'
        f"{t['piece']}）</p>"
    )


def step6(plan, result, oob=False):
    t = texts()
    return (
        f'<p class="formula" id="formula-6"{OOB if oob else ""}>{t["online_leads"]} '
        f"{count(result.online_leads)}{t['piece']} / {t['cv_rate']} "
        f"{rate(plan.cv_rate)}% = {t['visits']} "
        f'<strong id="result-visits">{count(result.visits)}</strong></p>'
    )


def rate_warning(kind, flag, oob=False):
    return (
        f'<span class="warning" id="warning-{kind}"{OOB if oob else ""}>'
        f"{texts()['rate_warning'] if flag else ''}</span>"
    )


def channel_result(number, channel, leads, oob=False, t=None):
    piece = (t or texts())["piece"]
    return (
        f'<td class="num" id="channel-{number}-result"{OOB if oob else ""}>'
        f'<strong id="channel-{number}-leads">{count(leads)}</strong>{piece}'
        f'<span class="formula small">{count(channel.meetings)}{piece} / '
        f"{rate(channel.meeting_rate)}%</span></td>"
    )


def channel_warning(number, warning, oob=False, t=None):
    text = (t or texts())["channel_warning"] if warning else ""
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


def computed(plan, result, warnings, errors, channels):
    """What the live recompute answers: every result, formula, warning and
    message as an out-of-band swap; no input is swapped. ``errors`` are
    (input id, message) of the worksheet's inputs in their order;
    ``channels`` (number, channel plan, leads, warning, ((id, message), ...))
    by row. A channel's result cell travels inside a <template>: a bare <td>
    among the swaps would be dropped by the HTML parser."""
    parts = [
        step1(plan, result, True),
        step2(plan, result, True),
        step3(plan, result, True),
        step4(plan, result, True),
        allotment(result, True),
        lead_totals(result, True),
        step6(plan, result, True),
        rate_warning("win_rate", warnings["win_rate"], True),
        rate_warning("opportunity_rate", warnings["opportunity_rate"], True),
    ]
    parts += [field_error(field_id, error, True) for field_id, error in errors]
    language = get_language()
    parts += [_channel_swaps(*channel, language) for channel in channels]
    return SafeString("".join(parts))


@lru_cache(maxsize=1024)
def _channel_swaps(number, channel, leads, warning, errors, language):
    """A channel row's swaps, remembered by what they show: a keystroke
    changes one row's, the others come back as they were. ``errors`` is a
    tuple of (input id, message as text)."""
    t = _texts(language)
    return (
        f"<template>{channel_result(number, channel, leads, True, t)}</template>"
        f"{channel_warning(number, warning, True, t)}"
        + "".join(field_error(field_id, error, True) for field_id, error in errors)
    )
