"""A Django 5 site for the corpus, settings in code (djsite.settings): one app (this package) with a
Note model, views using the ORM and raw SQL on PostgreSQL through psycopg 3 and Django's psycopg
pool, and a management command (notes_report)."""
