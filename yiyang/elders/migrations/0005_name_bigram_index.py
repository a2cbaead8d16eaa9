"""On PostgreSQL, an index of the two-character pieces of each name, for searching part of a
name among a city's elders. Chinese given names are mostly two characters (``?q=秀英``), too
short for the trigram index of 0002: without this, counting the matches scans every
elder. ``filtersets.search_q`` asks for the pieces and keeps the ``LIKE`` as the exact test.
Skipped elsewhere (SQLite scans)."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION elder_name_bigrams(name text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT substr(name, i, 2)), '{}')
    FROM generate_series(1, char_length(name) - 1) AS i
$$
"""


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION)
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS elder_name_bigrams ON elders_elder "
        "USING gin (elder_name_bigrams(name))"
    )


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS elder_name_bigrams")
        schema_editor.execute("DROP FUNCTION IF EXISTS elder_name_bigrams(text)")


class Migration(migrations.Migration):
    dependencies = [("elders", "0004_list_filter_indexes")]
    operations = [migrations.RunPython(forwards, backwards)]
