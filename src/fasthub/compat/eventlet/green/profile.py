"""``eventlet.green.profile``: the stdlib ``profile`` module. Its Profile measures the calling green
thread's code with wall-clock time, so time spent in other green threads while it waits counts
too (eventlet's green profiler subtracts it; fasthub does not)."""

from profile import *  # noqa: F401,F403
from profile import Profile, run, runctx  # noqa: F401
