"""What the pages of one fiscal year share: its heading, the years beside it
and its months in order."""

from funnel.domain.grid import fiscal_months
from funnel.formatting import year_label
from funnel.models import MAX_YEAR, MIN_YEAR


def year_nav(account, year):
    """The year's label and the years before and after it (None past the
    years the app keeps), for the page's heading and its links."""
    return {
        "year": year,
        "year_label": year_label(account, year),
        "previous_year": year - 1 if year > MIN_YEAR else None,
        "next_year": year + 1 if year < MAX_YEAR else None,
    }


def year_months(account, year):
    """The fiscal year's (calendar year, month) pairs, in order."""
    return fiscal_months(year, account.fiscal_year_start_month)
