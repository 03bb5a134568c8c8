"""Views of the corpus's Django site: the ORM, and a raw query that waits in PostgreSQL."""

import os

from django.db import connection
from django.http import HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import get_object_or_404

from djsite.models import Note

# The psycopg connections in use by a request right now. A connection handed to a second request
# while the first still has it would be a pool or green-local bug; the view refuses to go on.
_in_use = set()


def index(request):
    return HttpResponse("hello from django", content_type="text/plain")


def notes(request):
    if request.method == "POST":
        n = Note.objects.create(text=request.POST["text"])
        return JsonResponse({"id": n.id, "text": n.text}, status=201)
    if request.method == "GET":
        prefix = request.GET.get("prefix", "")
        return JsonResponse({"count": Note.objects.filter(text__startswith=prefix).count()})
    return HttpResponseNotAllowed(["GET", "POST"])


def note(request, note_id):
    n = get_object_or_404(Note, id=note_id)
    return JsonResponse({"id": n.id, "text": n.text})


def db_sleep(request):
    """``SELECT pg_sleep(s)`` on this request's connection; answers which backend ran it."""
    seconds = float(request.GET.get("s", "0.2"))
    connection.ensure_connection()
    raw = connection.connection
    if id(raw) in _in_use:
        return JsonResponse({"error": "connection already in use by another request"}, status=500)
    _in_use.add(id(raw))
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT pg_backend_pid() FROM pg_sleep(%s)", [seconds])
            backend = cur.fetchone()[0]
    finally:
        _in_use.discard(id(raw))
    return JsonResponse({"backend": backend, "worker": os.getpid()})
