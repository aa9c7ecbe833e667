"""The words of published titles that a search suggests for a typo (catalog.write.vocabulary),
with a trigram index on PostgreSQL where pg_trgm is installed (migration 0016), filled from
the titles already published."""

from django.db import migrations, models

INDEX = "catalog_suggestionword_trgm"


def create(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if cursor.fetchone() is None:
            return  # no pg_trgm: searches suggest nothing (0016)
        cursor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON catalog_suggestionword "
            "USING gin (word gin_trgm_ops)"
        )
    from catalog.write.vocabulary import kept_words  # the search's own rule of a word

    Guide = apps.get_model("catalog", "Guide")
    SuggestionWord = apps.get_model("catalog", "SuggestionWord")
    titles = Guide.objects.filter(draft=False).values_list("title", flat=True).iterator()
    SuggestionWord.objects.bulk_create(
        [SuggestionWord(word=word) for word in kept_words(titles)],
        ignore_conflicts=True,
        batch_size=1000,
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0033_search_document_bounded"),
    ]

    operations = [
        migrations.CreateModel(
            name="SuggestionWord",
            fields=[
                ("word", models.CharField(max_length=300, primary_key=True, serialize=False)),
            ],
        ),
        migrations.RunPython(create, drop),
    ]
