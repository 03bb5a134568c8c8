"""Flask served by fasthub three ways (wsgi.server after monkey_patch, python -m fasthub.wsgi with
two workers, gunicorn with fasthub's worker), driven by requests from OS threads."""

import hashlib
import os
import time

import pytest

from apps_support import WAYS, concurrently, need, serve

pytestmark = pytest.mark.one_backend


@pytest.fixture(scope="module", params=WAYS)
def flask_app(request, slow_api):
    need("flask")
    need("httpx")
    yield from serve(request.param, "flask_app:app", env={"SLOW_API_URL": slow_api})


@pytest.fixture(scope="module")
def requests():
    return need("requests")


def test_routes(flask_app, requests):
    r = requests.get(flask_app.url + "/", timeout=10)
    assert (r.status_code, r.text) == (200, "hello from flask")
    assert requests.get(flask_app.url + "/items/21", timeout=10).json() == {"item": 21, "double": 42}
    assert requests.get(flask_app.url + "/nowhere", timeout=10).status_code == 404
    assert requests.post(flask_app.url + "/items/21", timeout=10).status_code == 405


def test_session_cookie_round_trip(flask_app, requests):
    with requests.Session() as s:
        assert s.get(flask_app.url + "/whoami", timeout=10).json() == {"user": None}
        assert s.post(flask_app.url + "/login", data={"user": "ada"}, timeout=10).ok
        cookie = s.cookies.get("session")
        assert cookie, "the login did not set a session cookie"
        assert s.get(flask_app.url + "/whoami", timeout=10).json() == {"user": "ada"}
    # The cookie is signed: an altered one is ignored, not trusted.
    tampered = cookie[:-2] + ("AA" if not cookie.endswith("AA") else "BB")
    r = requests.get(flask_app.url + "/whoami", cookies={"session": tampered}, timeout=10)
    assert r.json() == {"user": None}


def test_streamed_response_arrives_line_by_line(flask_app, requests):
    # Five lines 0.3 s apart: the first must arrive long before the generator finishes.
    t0 = time.monotonic()
    with requests.get(flask_app.url + "/stream?lines=5&pause=0.3", stream=True, timeout=10) as r:
        assert r.headers.get("Transfer-Encoding") == "chunked"
        lines = r.iter_lines()
        assert next(lines) == b"line 0"
        first = time.monotonic() - t0
        rest = list(lines)
        total = time.monotonic() - t0
    assert rest == [b"line %d" % i for i in range(1, 5)]
    assert first < 1.0 <= total, (first, total)


def test_multipart_upload(flask_app, requests):
    data = os.urandom(3 * 1024 * 1024 + 17)
    r = requests.post(flask_app.url + "/upload", files={"file": ("blob.bin", data)},
                      data={"note": "three megabytes"}, timeout=30)
    assert r.status_code == 200, r.text
    assert r.json() == {"name": "blob.bin", "size": len(data),
                        "sha256": hashlib.sha256(data).hexdigest(), "note": "three megabytes"}


def test_outbound_calls_run_concurrently(flask_app, requests):
    # Each view waits 0.2 s on requests and then 0.2 s on httpx: 100 of them serially take 40 s.
    def fetch(i):
        r = requests.get(f"{flask_app.url}/fetch/{i}", timeout=30)
        assert r.status_code == 200, r.text
        return r.json()
    results, elapsed = concurrently(fetch, 100)
    for i, body in enumerate(results):
        assert body["requests"] == body["httpx"] == {"item": i, "square": i * i}
    assert elapsed < 5.0, f"100 requests took {elapsed:.1f}s: the views did not run concurrently"
