"""Settings of the corpus's Django site, read from the environment the tests give it.

``FASTHUB_TEST_PG_DSN``: the PostgreSQL of scripts/services.sh. ``DJSITE_SCHEMA``: the schema the
site's tables live in (each test module makes its own, so parallel runs never meet).
``DJSITE_APP_NAME``: the application_name of the site's connections (the tests count them in
pg_stat_activity). ``DJSITE_POOL_MAX``: connections per process.

Database connections under green threads: Django keeps one connection per thread, and under
monkey_patch every green thread is a thread, so with persistent connections (CONN_MAX_AGE > 0) a
server holding 1,000 requests would hold 1,000 connections. Django's psycopg pool (Django >= 5.1,
``OPTIONS={"pool": ...}``, with CONN_MAX_AGE = 0) bounds them per process: a request borrows a
connection on its first query and gives it back when the response is done; when all are busy the
next request waits (up to ``timeout`` seconds, then psycopg_pool.PoolTimeout).
"""

import os
import urllib.parse

_dsn = urllib.parse.urlsplit(os.environ["FASTHUB_TEST_PG_DSN"])
POOL_MAX = int(os.environ.get("DJSITE_POOL_MAX", "20"))

SECRET_KEY = "fasthub apps corpus (a test key, not a secret)"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "djsite.urls"
INSTALLED_APPS = ["djsite"]
MIDDLEWARE = []
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGGING_CONFIG = None   # errors go to the server's stderr (wsgi.errors), where the tests look

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": _dsn.path.lstrip("/"),
        "USER": _dsn.username,
        "PASSWORD": _dsn.password,
        "HOST": _dsn.hostname,
        "PORT": _dsn.port,
        "CONN_MAX_AGE": 0,   # required with "pool": the pool, not Django, keeps connections open
        "OPTIONS": {
            "pool": {"min_size": 1, "max_size": POOL_MAX, "timeout": 20},
            "application_name": os.environ.get("DJSITE_APP_NAME", "djsite"),
            "options": f"-c search_path={os.environ.get('DJSITE_SCHEMA', 'public')}",
        },
    },
}
