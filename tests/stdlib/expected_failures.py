"""What CPython's own tests are expected to do under fasthub.monkey_patch(), per CPython version.

FAILURES: tests that fail under patching, each with a one-line reason. The list only shrinks: run.py
fails when a listed test passes (or no longer exists), so fix fasthub rather than add a line here.
SKIPS: tests (or whole TestCase classes) not run at all, because they need something this machine
or a bounded CI run does not give, or because they test an interpreter detail green threads cannot
have; each with its reason. Ids are unittest ids: test.<module>.<Class>.<method>.
"""

ALL = ("3.10", "3.11", "3.12", "3.13")

BEFORE_313 = ("3.10", "3.11", "3.12")

FAILURES = [
    # -- test_threading
    ("test.test_threading.InterruptMainTests.test_can_interrupt_tight_loops", ALL,
     "needs preemption: the thread spins without ever waiting, so the main thread cannot run "
     "interrupt_main() before the loop gives up on its own"),
    ("test.test_threading.ThreadTests.test_PyThreadState_SetAsyncExc", ALL,
     "raises into a thread through its OS thread state (ctypes); green threads share theirs"),
    ("test.test_threading.ThreadTests.test_foreign_thread", BEFORE_313,
     "fasthub drops the dummy Thread of a green thread once it ends (CPython < 3.13 keeps one per "
     "thread forever: a leak per connection); the test expects it to stay"),
    ("test.test_threading.ThreadTests.test_ident_of_no_threading_threads", BEFORE_313,
     "same as test_foreign_thread: the finished green thread's dummy Thread is already gone"),
    ("test.test_threading.ThreadTests.test_various_ops", ALL,
     "expects a distinct native_id per thread; green threads share their OS thread's"),
    ("test.test_threading.ThreadTests.test_various_ops_large_stack", ALL,
     "same as test_various_ops (native_id)"),
    ("test.test_threading.ThreadTests.test_various_ops_small_stack", ALL,
     "same as test_various_ops (native_id)"),
    # -- test_socket
    ("test.test_socket.NonBlockingTCPTests.testSetBlocking", ALL,
     "a green socket's fd is always O_NONBLOCK at the OS level (its timeout lives in the green "
     "socket); the test reads the fd flags"),
    ("test.test_socket.NonBlockingTCPTests.testSetBlocking_overflow", ("3.11",),
     "same as testSetBlocking (fd flags)"),
    ("test.test_socket.NonblockConstantTest.test_SOCK_NONBLOCK", ALL,
     "same as testSetBlocking: the fd of a blocking green socket is O_NONBLOCK"),
]

SKIPS = [
    ("test.test_socket.ThreadedVSOCKSocketStreamTest", ALL,
     "environment: AF_VSOCK exists in this kernel but a connection to the local CID hangs (the test "
     "hangs without fasthub too)"),
    ("test.test_queue.CSimpleQueueTest", ALL,
     "takes _queue.SimpleQueue (C) directly: its get() blocks the OS thread, so the green producers "
     "never run (hangs); queue.SimpleQueue is green once patched and PySimpleQueueTest runs"),
    ("test.test_signal.SiginterruptTest.test_siginterrupt_off", ALL,
     "time: waits support.SHORT_TIMEOUT (30 s) for a child by design; passes under patching when "
     "run alone"),
    ("test.test_signal.StressTest.test_stress_modifying_handlers", ALL,
     "needs preemption: the main thread spins on a counter only another thread advances, never "
     "waiting (hangs)"),
] + [
    (f"test.test_concurrent_futures.{where}ThreadPoolExecutorTest.test_hang_global_shutdown_lock",
     versions, "needs preemption: a task that resubmits itself keeps the pool's worker busy without "
     "ever waiting, so the main thread never runs again (hangs)")
    for where, versions in (("", ("3.10",)), ("test_thread_pool.", ("3.13",)))
] + [
    ("test.test_logging.ConfigDictTest.test_config_queue_handler", ("3.12", "3.13"),
     "needs preemption: the test spins on `while support.sleeping_retry(...)` (a generator object, "
     "always true, so it never sleeps) until the listener thread drains the queue (hangs)"),
] + [
    (f"test.test_queue.{cls}.{method}", ("3.13",),
     "needs preemption: its reader threads spin on get(block=False) without ever waiting, so the "
     "writers never run once the queue is empty (hangs)")
    for cls in ("CQueueTest", "PyQueueTest", "CLifoQueueTest", "PyLifoQueueTest",
                "CPriorityQueueTest", "PyPriorityQueueTest")
    for method in ("test_shutdown_all_methods_in_many_threads",
                   "test_shutdown_immediate_all_methods_in_many_threads")
]


def _select(entries, version, module):
    prefix = f"test.{module}."
    return {test_id: reason for test_id, versions, reason in entries
            if version in versions and test_id.startswith(prefix)}


def failures(version, module):
    """{test id: reason} of the tests of ``module`` expected to fail on CPython ``version``."""
    return _select(FAILURES, version, module)


def skips(version, module):
    """{test id or class id: reason} of the tests of ``module`` not run on CPython ``version``."""
    return _select(SKIPS, version, module)
