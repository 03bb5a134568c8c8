"""``manage.py notes_report [--add TEXT] [--threads N] [--sleep S]``: add a note, then query from N
threads at once (each on its own connection, ``pg_sleep(S)``), and print a JSON report: the note
count, the wall time, how many distinct database backends and OS threads did the work."""

import json
import threading
import time

from django.core.management.base import BaseCommand
from django.db import connection

from djsite.models import Note


class Command(BaseCommand):
    help = "Add a note, run N concurrent queries, print a JSON report."

    def add_arguments(self, parser):
        parser.add_argument("--add", default=None)
        parser.add_argument("--threads", type=int, default=10)
        parser.add_argument("--sleep", type=float, default=0.2)

    def handle(self, *args, add=None, threads=10, sleep=0.2, **options):
        if add is not None:
            Note.objects.create(text=add)
        backends, native, errors = set(), set(), []

        def query():
            try:
                with connection.cursor() as cur:
                    cur.execute("SELECT pg_backend_pid() FROM pg_sleep(%s)", [sleep])
                    backends.add(cur.fetchone()[0])
                native.add(threading.get_native_id())
            except Exception as exc:   # reported in the JSON, the test shows it
                errors.append(repr(exc))
            finally:
                connection.close()   # back to the pool

        t0 = time.monotonic()
        workers = [threading.Thread(target=query) for _ in range(threads)]
        for t in workers:
            t.start()
        for t in workers:
            t.join()
        self.stdout.write(json.dumps({
            "notes": Note.objects.count(), "elapsed": time.monotonic() - t0,
            "backends": len(backends), "os_threads": len(native), "errors": errors}))
