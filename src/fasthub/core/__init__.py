"""The compiled core: the hub (``_hub``: loop, fd slots, wake-up fd, per-thread hubs, the fork hook
and the registry of fasthub's own OS threads), the timer heap (``_timers``), the wait list every
primitive parks on (``_waitlist``), green threads on reused worker greenlets (``_greenthread``), the
green socket's fast path (``_gsocket``), the C declarations they share (``includes/``), and the stdlib
originals that green modules use (``originals``).

Everything above imports from here; nothing here imports from above.
"""
