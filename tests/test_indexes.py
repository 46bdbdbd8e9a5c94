"""The indexes and unique constraints the measured queries rely on, read back
from the database itself (SQLite or PostgreSQL, whichever the suite runs on).

Each query reads one account's rows out of every account's: without these the
grid, the save and the worksheet pages would scan whole tables as the number of
accounts grows (docs/performance.md shows the plans on the large data set).
"""

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db

# (table, leading columns, unique, column orders where they matter, who needs it)
NEEDED = [
    (
        "funnel_monthlygoal",
        ["account_id", "year", "month"],
        True,
        None,
        "the grid's goal_year query, goals_by_month and the save's upsert "
        "(ON CONFLICT needs exactly this unique constraint)",
    ),
    (
        "funnel_goalyearplan",
        ["account_id", "year"],
        True,
        None,
        "the plan row of the grid's UNION query and the save's FOR UPDATE lock",
    ),
    (
        "funnel_worksheet",
        ["account_id", "entry_date", "created_at"],
        False,
        [None, "DESC", "DESC"],
        "the worksheet list, newest entry date first",
    ),
    (
        "funnel_worksheetchannel",
        ["worksheet_id", "position"],
        True,
        None,
        "a worksheet's channels in order (detail, list prefetch, recompute)",
    ),
    (
        "funnel_changerecord",
        ["account_id", "kind", "year", "created_at"],
        False,
        [None, None, None, "DESC"],
        "a year's change history, newest first",
    ),
    (
        "funnel_membership",
        ["user_id", "account_id"],
        True,
        None,
        "the signed-in member's membership, read on every request",
    ),
]


def constraints_of(table):
    with connection.cursor() as cursor:
        return connection.introspection.get_constraints(cursor, table)


def _orders_match(found, wanted):
    """Orders are compared where wanted says so and the backend reports them."""
    if wanted is None or not found:
        return True
    return all(
        want is None or (have or "ASC").upper() == want
        for want, have in zip(wanted, found, strict=False)
    )


@pytest.mark.parametrize(
    ("table", "columns", "unique", "orders", "needed_by"),
    NEEDED,
    ids=[f"{table}({','.join(columns)})" for table, columns, *_rest in NEEDED],
)
def test_index_exists(table, columns, unique, orders, needed_by):
    constraints = constraints_of(table)
    matching = {
        name: info
        for name, info in constraints.items()
        if (info["index"] or info["unique"])
        and not info["primary_key"]
        and (
            # A unique constraint makes only its own columns unique; an index
            # serves any query on its leading columns.
            info["columns"] == columns
            if unique
            else info["columns"][: len(columns)] == columns
        )
        and (info["unique"] or not unique)
        and _orders_match(info.get("orders"), orders)
    }
    assert matching, (
        f"{table} has no {'unique constraint' if unique else 'index'} on "
        f"({', '.join(columns)}) for {needed_by}; it has: "
        + "; ".join(
            f"{name} {info['columns']} unique={info['unique']} "
            f"orders={info.get('orders')}"
            for name, info in constraints.items()
        )
    )
