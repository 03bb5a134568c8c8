"""fasthub.green.selectors: the stdlib selectors on green kernel interfaces."""

import selectors as std_selectors
import time

import pytest

from fasthub import sleep, spawn
from fasthub.green import selectors as gselectors
from fasthub.green import socket as green

CLASSES = [n for n in ("SelectSelector", "PollSelector", "EpollSelector") if hasattr(gselectors, n)]


@pytest.fixture
def pair():
    a, b = green.socketpair()
    yield a, b
    a.close()
    b.close()


@pytest.fixture(params=CLASSES)
def selector(request):
    sel = getattr(gselectors, request.param)()
    yield sel
    sel.close()


def test_module_is_a_drop_in():
    missing = [n for n in dir(std_selectors) if not n.startswith("__") and not hasattr(gselectors, n)]
    assert missing == []
    assert gselectors.EVENT_READ == std_selectors.EVENT_READ
    assert gselectors.SelectorKey is std_selectors.SelectorKey
    assert gselectors.DefaultSelector.__name__ == std_selectors.DefaultSelector.__name__
    assert issubclass(gselectors.DefaultSelector, std_selectors.DefaultSelector)
    assert gselectors.DefaultSelector is not std_selectors.DefaultSelector


def test_select_parks_only_the_calling_green_thread(selector, pair):
    a, b = pair
    key = selector.register(a, gselectors.EVENT_READ, data="a")
    ticks, stop = [], []

    def ticker():
        while not stop:
            ticks.append(1)
            sleep(0.005)

    t = spawn(ticker)
    spawn(lambda: (sleep(0.1), b.sendall(b"x")))
    start = time.monotonic()
    ready = selector.select(timeout=5)
    assert time.monotonic() - start >= 0.09
    stop.append(1)
    t.wait()
    assert ready == [(key, gselectors.EVENT_READ)]
    assert ready[0][0].data == "a" and ready[0][0].fileobj is a
    assert len(ticks) >= 5


def test_timeout_and_no_timeout(selector, pair):
    a, b = pair
    selector.register(a, gselectors.EVENT_READ)
    start = time.monotonic()
    assert selector.select(0.1) == []
    assert 0.09 <= time.monotonic() - start < 2.0
    assert selector.select(0) == []
    spawn(lambda: (sleep(0.02), b.sendall(b"x")))
    assert len(selector.select()) == 1  # None: wait as long as it takes


def test_modify_unregister_and_write_events(selector, pair):
    a, b = pair
    selector.register(a, gselectors.EVENT_READ)
    selector.modify(a, gselectors.EVENT_READ | gselectors.EVENT_WRITE, data=1)
    [(key, events)] = selector.select(1)
    assert events == gselectors.EVENT_WRITE and key.data == 1
    selector.unregister(a)
    assert selector.get_map() == {} or len(selector.get_map()) == 0
    with pytest.raises(KeyError):
        selector.unregister(a)


def test_results_match_the_stdlib_selector(pair):
    a, b = pair
    b.sendall(b"x")
    results = []
    for mod in (std_selectors, gselectors):
        with mod.DefaultSelector() as sel:
            sel.register(a, mod.EVENT_READ | mod.EVENT_WRITE, "a")
            sel.register(b, mod.EVENT_WRITE, "b")
            results.append(sorted((k.data, ev) for k, ev in sel.select(1)))
    assert results[0] == results[1]


def test_many_green_threads_each_with_a_selector():
    pairs = [green.socketpair() for _ in range(20)]

    def wait_one(sock):
        with gselectors.DefaultSelector() as sel:
            sel.register(sock, gselectors.EVENT_READ)
            return len(sel.select(5))

    gts = [spawn(wait_one, a) for a, _ in pairs]
    sleep(0.01)
    start = time.monotonic()
    for _, b in pairs:
        b.sendall(b"go")
    assert [g.wait() for g in gts] == [1] * 20
    assert time.monotonic() - start < 2.0
    for a, b in pairs:
        a.close()
        b.close()
