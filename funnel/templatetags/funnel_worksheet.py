"""The worksheet page's inputs, formulas and channel rows (the markup is
funnel/markup/worksheet.py's); ``field`` is a forms.input_view()."""

from html import escape

from django import template
from django.utils.safestring import SafeString

from funnel.forms import CHANNEL_PREFIX, MAX_CHANNELS
from funnel.markup import field_error
from funnel.markup import worksheet as markup

register = template.Library()


@register.simple_tag
def ws_input(field, unit=None, size=None):
    return markup.text_input(field, unit=unit, size=size)


@register.simple_tag
def ws_field(field, unit=None, size=None):
    """The input with its label before it and its message after it."""
    return SafeString(
        f'<label for="{field["id"]}">{escape(field["label"])}</label>\n'
        f"{markup.text_input(field, unit=unit, size=size)}"
        f"{field_error(field['id'], field['error'])}"
    )


@register.simple_tag
def ws_error(field):
    return SafeString(field_error(field["id"], field["error"]))


register.simple_tag(markup.date_input, name="ws_date")
register.simple_tag(markup.radios, name="ws_radios")
register.simple_tag(markup.checkbox, name="ws_checkbox")

FORMULAS = {
    "step1": markup.step1,
    "step2": markup.step2,
    "step3": markup.step3,
    "step4": markup.step4,
    "step6": markup.step6,
}


@register.simple_tag(takes_context=True)
def ws_formula(context, name):
    """①–④ and ⑥ with the user's numbers, the allotment of ④ and ⑤'s totals."""
    plan, result = context["plan"], context["result"]
    if name == "allotment":
        return SafeString(markup.allotment(result))
    if name == "lead_totals":
        return SafeString(markup.lead_totals(result))
    return SafeString(FORMULAS[name](plan, result))


@register.simple_tag(takes_context=True)
def ws_rate_warning(context, kind):
    return SafeString(markup.rate_warning(kind, context["warnings"][kind]))


@register.simple_tag(takes_context=True)
def ws_channel_rows(context):
    return markup.channel_rows(
        context["channel_rows"],
        can_edit=context["can_edit"],
        focus_last=context["focus_last_channel"],
    )


@register.simple_tag(takes_context=True)
def ws_management_form(context):
    total, initial = context["management"]
    return markup.management_form(CHANNEL_PREFIX, total, initial, MAX_CHANNELS)
