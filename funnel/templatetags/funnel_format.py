"""Template filters over funnel.formatting; nothing else imports this module."""

from django import template

from funnel import formatting

register = template.Library()

for _name in ("count", "rate", "rate2", "yen", "signed", "percent1"):
    register.filter(_name, getattr(formatting, _name))


@register.filter
def man_yen(value, signed=""):
    """``{{ amount|man_yen }}``, or ``{{ difference|man_yen:"signed" }}``."""
    return formatting.man_yen(value, sign=bool(signed))


@register.filter
def negate(value):
    return None if value is None else -value


@register.filter
def index(sequence, position):
    """The quarter that a 1-based month position (3, 6, 9, 12) closes."""
    return sequence[int(position) // 3 - 1]
