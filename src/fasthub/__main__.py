"""``python -m fasthub``: run a program with everything monkey-patched before its first line.

    python -m fasthub [--no-GROUP ...] script.py [args...]     like `python script.py args`
    python -m fasthub [--no-GROUP ...] -m module [args...]     like `python -m module args`
    python -m fasthub --eventlet [...] app.py [args...]         also `import eventlet` -> fasthub
    python -m fasthub doctor [...]                              patch audit (fasthub.safety.doctor)
    python -m fasthub top PID [--json]                          live view of a FASTHUB_STATS=1 process

GROUP is one of monkey_patch()'s keywords (socket, dns, ssl, select, selectors, time, thread, queue,
os, subprocess, signal); ``--no-thread`` patches everything but threading. The program sees the
sys.argv, sys.path[0] and ``__main__`` it would see when started by python itself. ``--eventlet``
installs fasthub's eventlet alias first (``fasthub.compat.eventlet``): the program's ``import
eventlet`` gets fasthub, whether or not eventlet is installed.
"""

import os
import runpy
import sys

USAGE = __doc__.split("\n\n")[1].rstrip() + "\n"


def _usage(message=None, code=2):
    if message:
        sys.stderr.write(f"fasthub: {message}\n")
    sys.stderr.write("usage:\n" + USAGE)
    return code


def _doctor(argv):
    try:
        from fasthub.safety import doctor
    except ImportError as e:
        if getattr(e, "name", None) not in ("fasthub.safety.doctor",):
            raise
        sys.stderr.write("fasthub: the `doctor` subcommand is not available in this version of "
                         "fasthub\n")
        return 2
    return doctor.main(argv)


def main(argv=None):
    """Parse ``argv`` (default sys.argv[1:]), patch, and run the program; returns an exit status
    (the program's own SystemExit propagates)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "doctor":
        return _doctor(args[1:])
    if args and args[0] == "top":
        from fasthub.safety import top
        return top.main(args[1:])
    from fasthub import patcher

    options = {}
    eventlet = False
    while args and args[0].startswith("--"):
        opt = args.pop(0)
        if opt in ("--help", "-h"):
            sys.stdout.write("usage:\n" + USAGE)
            return 0
        if opt == "--":
            break
        if opt == "--eventlet":
            eventlet = True
            continue
        group = opt[len("--no-"):] if opt.startswith("--no-") else None
        if group not in patcher._GROUPS:
            return _usage(f"unknown option {opt!r}")
        options[group] = False
    if not args:
        return _usage("nothing to run")
    if args[0] in ("-h",):
        sys.stdout.write("usage:\n" + USAGE)
        return 0

    if eventlet:
        from fasthub.compat.eventlet import install
        install()
    patcher.monkey_patch(**options)

    if args[0] == "-m":
        if len(args) < 2:
            return _usage("-m needs a module name")
        module = args[1]
        sys.argv = [module, *args[2:]]  # runpy puts the module's path in argv[0], as python -m does
        if not getattr(sys.flags, "safe_path", False):
            sys.path[0] = os.getcwd()
        runpy.run_module(module, run_name="__main__", alter_sys=True)
        return 0
    script = args[0]
    if not os.path.exists(script):
        sys.stderr.write(f"fasthub: can't open file {script!r}: no such file\n")
        return 2
    sys.argv = [script, *args[1:]]
    # As `python script.py`: the script's directory (or the zip/directory itself) is sys.path[0].
    if not getattr(sys.flags, "safe_path", False):
        sys.path[0] = script if os.path.isdir(script) or script.endswith(".zip") else \
            os.path.dirname(os.path.abspath(script))
    runpy.run_path(script, run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
