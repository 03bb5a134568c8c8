"""fasthub.green.time: the stdlib time module with a green sleep()."""

import time as std_time

import pytest

from fasthub import BlockingInHubError, spawn
from fasthub.green import time as gtime


def test_module_is_a_drop_in():
    missing = [n for n in dir(std_time) if not n.startswith("__") and not hasattr(gtime, n)]
    assert missing == []
    assert gtime.monotonic is std_time.monotonic and gtime.time is std_time.time
    assert gtime.sleep is not std_time.sleep


def test_sleeps_overlap_between_green_threads():
    start = std_time.monotonic()
    gts = [spawn(gtime.sleep, 0.2) for _ in range(20)]
    for g in gts:
        g.wait()
    elapsed = std_time.monotonic() - start
    assert 0.19 <= elapsed < 1.5  # in a row it would take 4 s


def test_sleep_zero_lets_others_run():
    ran = []
    spawn(ran.append, 1)
    gtime.sleep(0)
    assert ran == [1]


@pytest.mark.parametrize("bad", [-1, -0.5, float("nan"), "1", None])
def test_bad_durations_raise_like_the_stdlib(bad):
    with pytest.raises(Exception) as ref:
        std_time.sleep(bad)
    with pytest.raises(type(ref.value)):
        gtime.sleep(bad)


def test_accepts_ints_and_floats():
    start = std_time.monotonic()
    gtime.sleep(0)
    gtime.sleep(0.01)
    gtime.sleep(False)  # bool is an int, as for the stdlib
    assert std_time.monotonic() - start >= 0.01


def test_sleep_in_a_hub_callback_is_refused(hub, hub_errors):
    hub.call_soon(gtime.sleep, 0.01)
    gtime.sleep(0.02)
    errors = hub_errors.take()
    assert len(errors) == 1 and isinstance(errors[0][1], BlockingInHubError)
