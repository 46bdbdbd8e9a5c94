"""The worksheet page's head, steps ①–⑥ and links (the markup is
funnel/markup/worksheet.py's), from the view's context."""

from django import template
from django.template.defaulttags import CsrfTokenNode

from funnel.forms.worksheet import CHANNEL_PREFIX, MAX_CHANNELS
from funnel.markup import worksheet as markup

register = template.Library()


@register.simple_tag(takes_context=True)
def ws_sheet(context):
    total, initial = context["management"]
    can_edit = context["can_edit"]
    return markup.sheet(
        context["fields"],
        context["plan"],
        context["result"],
        context["warnings"],
        channels=markup.channel_rows(
            context["channel_rows"],
            can_edit=can_edit,
            focus_last=context["focus_last_channel"],
        ),
        management=markup.management_form(CHANNEL_PREFIX, total, initial, MAX_CHANNELS),
        channel_error=context["channel_error"],
        can_edit=can_edit,
    )


@register.simple_tag(takes_context=True)
def ws_links(context, place):
    """A stored worksheet's links: beside the save button ("form") or below
    the form ("page")."""
    urls = context["urls"]
    if place == "form":
        return markup.form_links(urls)
    return markup.page_links(
        urls,
        can_edit=context["can_edit"],
        csrf_input=CsrfTokenNode().render(context),
    )
