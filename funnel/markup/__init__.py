"""Markup the hottest pages repeat, built in Python instead of template nodes.

The goal grid repeats a row 12 times with some twenty values, a worksheet a
channel row up to 20 times, and their live recomputes answer with dozens of
small fragments. As template nodes each value cost about 10 µs on this
project's machine: most of those pages' time and nearly all of the
recomputes' (docs/performance.md). So these are format strings, as Django's
admin builds its change list rows, with every value escaped as a template
would escape it. The templates place them with the tags in
templatetags/funnel_grid.py and funnel_worksheet.py; the recomputes send them
alone. tests/views keep the markup the pages had when these were templates.
"""

from html import escape

OOB = ' hx-swap-oob="true"'


def field_error(field_id, error, oob=False):
    """The message beside an input (empty when there is none)."""
    attr = OOB if oob else ""
    return (
        f'<span class="field-error" id="{field_id}-error" data-for="{field_id}"'
        f"{attr}>{escape(str(error)) if error else ''}</span>"
    )


def messages_cleared(selector):
    """An out-of-band swap that empties every message ``selector`` matches.

    A live recompute answers it first and then only the messages there are:
    htmx makes the swaps in the answer's order, in one go, so a message the
    answer leaves out is cleared and each one in it shown, with nothing drawn
    in between. An empty message for every input instead was most of each
    answer's bytes (the worksheet's 40 of them some 4 KB a keystroke)."""
    return f'<span hx-swap-oob="innerHTML:{selector}"></span>'


def message_swap(field_id, error):
    """The message beside an input as an out-of-band swap, when there is one
    (messages_cleared() has emptied the others)."""
    return field_error(field_id, error, True) if error else ""
