"""Hand-written reads for the few statements that (nearly) every request runs.

Building a statement through the ORM costs about 0.5 ms of Python on this
project's machine, more than PostgreSQL takes to answer it, and a signed-in page
ran three of them before doing anything of its own (docs/performance.md). The
statements here are written once as SQL from the models' own table and column
names; their rows come back through the same converters a QuerySet applies (on
SQLite, text dates become aware datetimes and stored decimals become Decimals
of the field's places), and become model instances with ``Model.from_db``, as
the ORM builds them. tests/test_sql.py checks each against the QuerySet it
replaces, on SQLite and PostgreSQL.
"""

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


def insert(model, names, rows, *, upsert_on=(), update=(), using="default"):
    """INSERT ``rows`` (tuples of values already prepared for the database, in
    the order of the fields ``names``): one statement on PostgreSQL, as few as
    SQLite's limit on parameters allows. With ``upsert_on`` (the fields of a unique
    constraint), a row whose key is taken updates its ``update`` fields
    instead: ON CONFLICT ... DO UPDATE, which PostgreSQL and SQLite both speak.

    What QuerySet.bulk_create(update_conflicts=True) sends, without its
    per-object, per-field Python (3 ms for a year's save here)."""
    if not rows:
        return
    connection = connections[using]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in names)
    suffix = ""
    if upsert_on:
        key = ", ".join(quote(model._meta.get_field(n).column) for n in upsert_on)
        updates = ", ".join(
            f"{column} = EXCLUDED.{column}"
            for column in (quote(model._meta.get_field(n).column) for n in update)
        )
        suffix = f" ON CONFLICT ({key}) DO UPDATE SET {updates}"
    fields = [model._meta.get_field(name) for name in names]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One array a column (UNNEST), as bulk_create sends them: a short
            # statement that psycopg parses once and PostgreSQL plans once,
            # whatever the number of rows.
            arrays = ", ".join(
                f"(%s)::{field.db_type(connection).split('(')[0]}[]" for field in fields
            )
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT * FROM UNNEST({arrays})"  # noqa: S608 - names from the models, values as parameters
                + suffix,
                [list(column) for column in zip(*rows, strict=True)],
            )
            return
        placeholder = "(" + ", ".join(["%s"] * len(names)) + ")"
        per_statement = max(1, connection.features.max_query_params // len(names))
        for start in range(0, len(rows), per_statement):
            batch = rows[start : start + per_statement]
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES "  # noqa: S608 - names from the models, values as parameters
                + ", ".join([placeholder] * len(batch))
                + suffix,
                [value for row in batch for value in row],
            )
