"""Hand-written SQL for the few statements that (nearly) every request runs,
and for the save's writes.

Building a statement through the ORM costs about 0.5 ms of Python on this
project's machine, more than PostgreSQL takes to answer it, and a signed-in page
ran three of them before doing anything of its own (docs/performance.md). The
statements here are written once as SQL from the models' own table and column
names. Read rows come back through the same converters a QuerySet applies (on
SQLite, text dates become aware datetimes and stored decimals become Decimals
of the field's places), and become model instances with ``Model.from_db``, as
the ORM builds them; written values are prepared by the model fields'
``get_db_prep_save``, as the ORM prepares them. Every statement goes through
Django's cursor, so the query counts and logs see it. tests/test_sql.py checks
the reads against the QuerySets they replace, on SQLite and PostgreSQL; the
save's tests check what it writes.
"""

import json
from functools import cache

from django.db import connections


def quoted(model, field_name=None):
    """A model's table, or one of its columns, quoted for the default database."""
    quote = connections["default"].ops.quote_name
    if field_name is None:
        return quote(model._meta.db_table)
    if field_name == "pk":
        return quote(model._meta.pk.column)
    return quote(model._meta.get_field(field_name).column)


def columns(model, alias):
    """The model's concrete columns as ``alias."column"`` for a SELECT list."""
    quote = connections["default"].ops.quote_name
    return ", ".join(f"{alias}.{quote(f.column)}" for f in model._meta.concrete_fields)


class Select:
    """One SELECT whose result columns are known model fields.

    ``fields`` names, in order, the field each result column holds, as
    ``(model, field name)``, or None for a column that needs no conversion.
    The converters are looked up once per database alias.
    """

    def __init__(self, sql, fields):
        self.sql = sql
        self.fields = fields
        self._converters = {}

    def converters(self, using):
        if using not in self._converters:
            connection = connections[using]
            found = []
            for position, spec in enumerate(self.fields):
                if spec is None:
                    continue
                model, name = spec
                column = model._meta.get_field(name).get_col(model._meta.db_table)
                chain = connection.ops.get_db_converters(
                    column
                ) + column.get_db_converters(connection)
                if chain:
                    found.append((position, chain, column))
            self._converters[using] = found
        return self._converters[using]

    def rows(self, params, using="default"):
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        converters = self.converters(using)
        if not converters:
            return rows
        converted = []
        for row in rows:
            row = list(row)
            for position, chain, column in converters:
                value = row[position]
                for converter in chain:
                    value = converter(value, column, connection)
                row[position] = value
            converted.append(row)
        return converted


def concrete(model):
    """``[(model, name), ...]`` for each concrete field, in column order, and
    the attribute names ``Model.from_db`` takes."""
    fields = model._meta.concrete_fields
    return [(model, f.name) for f in fields], [f.attname for f in fields]


class Rows:
    """Rows to INSERT: tuples of values already prepared for the database, in
    the order of the fields ``names``. With ``upsert_on`` (the fields of a
    unique constraint), a row whose key is taken updates its ``update``
    fields instead: ON CONFLICT ... DO UPDATE, which PostgreSQL and SQLite
    both speak."""

    __slots__ = ("key", "model", "rows")

    def __init__(self, model, names, rows, *, upsert_on=(), update=()):
        self.model = model
        self.rows = rows
        self.key = (model, tuple(names), tuple(upsert_on), tuple(update))


def insert(*writes, using="default"):
    """INSERT each of ``writes`` (Rows), the empty ones left out: on
    PostgreSQL all of them in one statement (the first ones as
    data-modifying WITH clauses), on SQLite (no round trips to save) one
    INSERT each, split as its limit on parameters asks.

    What QuerySet.bulk_create(update_conflicts=True) sends, without its
    per-object, per-field Python (3 ms for a year's save here), and in one
    round trip: a year's save holds its plan's row lock until it commits."""
    writes = [write for write in writes if write.rows]
    if not writes:
        return
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The rows travel as one JSON parameter a table, typed by the
            # statement: psycopg dumps a list parameter value by value in
            # Python (half a millisecond for a year's history), json.dumps in C.
            cursor.execute(
                _postgresql_insert(tuple(write.key for write in writes), using),
                [json.dumps(write.rows, default=str) for write in writes],
            )
            return
        for write in writes:
            statement = _insert_statement(*write.key, using)
            names = write.key[1]
            per_statement = max(1, connection.features.max_query_params // len(names))
            for start in range(0, len(write.rows), per_statement):
                batch = write.rows[start : start + per_statement]
                cursor.execute(
                    statement.format(values=", ".join([statement.row] * len(batch))),
                    [value for row in batch for value in row],
                )


@cache
def _postgresql_insert(keys, using):
    statements = [_insert_statement(*key, using) for key in keys]
    if len(statements) == 1:
        return statements[0]
    clauses = ", ".join(
        f"w{number} AS ({statement})"
        for number, statement in enumerate(statements[:-1])
    )
    return f"WITH {clauses} {statements[-1]}"


class _Insert(str):
    """An INSERT's text; ``row`` is one row's placeholders (SQLite)."""

    row = ""


@cache
def _insert_statement(model, names, upsert_on, update, using):
    connection = connections[using]
    quote = connection.ops.quote_name
    fields = [model._meta.get_field(name) for name in names]
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(field.column) for field in fields)
    suffix = ""
    if upsert_on:
        key = ", ".join(quote(model._meta.get_field(n).column) for n in upsert_on)
        updates = ", ".join(
            f"{column} = EXCLUDED.{column}"
            for column in (quote(model._meta.get_field(n).column) for n in update)
        )
        suffix = f" ON CONFLICT ({key}) DO UPDATE SET {updates}"
    if connection.vendor == "postgresql":
        typed = ", ".join(
            f"(r->>{index})::{field.db_type(connection)}"
            for index, field in enumerate(fields)
        )
        return _Insert(
            f"INSERT INTO {table} ({columns}) SELECT {typed} "  # noqa: S608 - names from the models, values as parameters
            f"FROM json_array_elements(%s::json) AS r{suffix}"
        )
    statement = _Insert(
        f"INSERT INTO {table} ({columns}) VALUES {{values}}{suffix}"  # noqa: S608 - names from the models, values as parameters
    )
    statement.row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    return statement
