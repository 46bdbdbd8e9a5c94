"""The goal grid's rows and totals, and its live recompute's fragments."""

from html import escape

from django.utils.safestring import SafeString

from funnel.formatting import count, rate, rate2
from funnel.markup import OOB, field_error, message_swap, messages_cleared


def visits(row, oob=False):
    # Rows are GridRow dicts: read by key (an attribute goes through __getattr__).
    attr = OOB if oob else ""
    return (
        f'<span id="visits-{row["month"]}"{attr}>{count(row["figures"].visits)}</span>'
    )


def cell_error(cell):
    return field_error(cell["id"], cell["error"])


def totals(totals, oob=False):
    """The three totals of the footer, each its own fragment."""
    attr = OOB if oob else ""
    return (
        f'<span id="total-cv"{attr}>{count(totals.cv_count)}</span>',
        f'<span id="total-rate"{attr}>{rate2(totals.cv_rate)}</span>',
        f'<span id="total-visits"{attr}>{count(totals.visits)}</span>',
    )


# The cells' messages, all emptied by each recompute before it shows its own.
CELL_MESSAGES = "#grid-body .field-error[data-for]"


def month_swaps(row):
    """A month's visits and the messages its two cells have, as out-of-band
    swaps."""
    cv, rate_cell = row["cv"], row["rate"]
    return (
        visits(row, True)
        + message_swap(cv["id"], cv["error"])
        + message_swap(rate_cell["id"], rate_cell["error"])
    )


def computed(months, year_totals):
    """What the recompute answers, as out-of-band swaps (the inputs are never
    swapped): every cell's message emptied, then every month's visits and
    messages (``months``, each month's month_swaps) and the totals."""
    return SafeString(
        "".join([messages_cleared(CELL_MESSAGES), *months, *totals(year_totals, True)])
    )


def _input(cell, inputmode):
    cell_id = cell["id"]
    name = cell["name"]
    return (
        f'<input type="text" name="{name}" id="{cell_id}" '
        f'value="{escape(cell["value"])}" data-saved="{escape(cell["saved"])}"'
        f"{' class="changed"' if cell['changed'] else ''} "
        f'aria-label="{escape(str(cell["label"]))}" '
        f'aria-describedby="{cell_id}-error" inputmode="{inputmode}" '
        f'autocomplete="off" maxlength="40"'
        f"{' aria-invalid="true"' if cell['error'] else ''}>"
    )


def _base(cell):
    return (
        f'<input type="hidden" name="base_{cell["name"]}" '
        f'value="{escape(cell["base"])}">'
    )


def _month_heading(row):
    calendar = (
        f'<small class="cal-year">{row.calendar_year}年</small> '
        if row.calendar_year
        else ""
    )
    return f'<th scope="row">{calendar}{escape(str(row.label))}</th>'


def rows(grid_rows, editable):
    """The grid's 12 rows: inputs for an editor, figures for a reader."""
    parts = []
    for row in grid_rows:
        if editable:
            cv, rate_cell = row.cv, row.rate
            cells = (
                f'<td class="cell">{_input(cv, "numeric")}{_base(cv)}'
                f"{cell_error(cv)}</td>"
                f'<td class="cell"><span class="rate-input">'
                f'{_input(rate_cell, "decimal")}<span class="unit">%</span></span>'
                f"{_base(rate_cell)}{cell_error(rate_cell)}</td>"
            )
        else:
            cells = (
                f'<td class="num">{count(row.figures.cv_count)}</td>'
                f'<td class="num">{rate(row.figures.cv_rate)} %</td>'
            )
        parts.append(
            f'<tr id="month-{row.month}" data-month="{row.month}">'
            f"{_month_heading(row)}{cells}"
            f'<td class="num">{visits(row)}</td></tr>\n'
        )
    return SafeString("".join(parts))
