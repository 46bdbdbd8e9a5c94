"""The goal grid's rows and totals on its page (the markup is funnel/markup.py's)."""

from django import template
from django.utils.safestring import SafeString

from funnel.markup import grid as markup

register = template.Library()


@register.simple_tag
def grid_rows(rows, editable):
    return markup.rows(rows, editable)


@register.simple_tag
def grid_totals(totals):
    """The footer's three total cells."""
    return SafeString(
        "".join(f'<td class="num">{span}</td>' for span in _with_unit(totals))
    )


def _with_unit(totals):
    cv, rate, visits = markup.totals(totals)
    return cv, f"{rate} %", visits
