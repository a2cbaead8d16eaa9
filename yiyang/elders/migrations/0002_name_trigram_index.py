"""On PostgreSQL, a trigram index for searching part of a name (``?q=三丰``) among a city's
elders. Skipped elsewhere, and skipped (with a notice) where the pg_trgm extension cannot be
created by this database user: search still works, by a scan."""

from django.db import migrations


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if cursor.fetchone() is None:
            cursor.execute("SAVEPOINT trgm")
            try:
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            except Exception:  # noqa: BLE001 - no privilege: leave search to a scan
                cursor.execute("ROLLBACK TO SAVEPOINT trgm")
                print("  pg_trgm is not available: name search will scan.")  # noqa: T201
                return
        cursor.execute(
            "CREATE INDEX IF NOT EXISTS elder_name_trgm ON elders_elder "
            "USING gin (name gin_trgm_ops)"
        )


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS elder_name_trgm")


class Migration(migrations.Migration):
    dependencies = [("elders", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
