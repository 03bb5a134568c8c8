"""The package as users meet it: the public namespace, and the message when the extension is missing."""

import shutil
import subprocess
import sys
from pathlib import Path

import fasthub


def test_every_public_name_exists_and_is_documented():
    missing = [n for n in fasthub.__all__ if not hasattr(fasthub, n)]
    assert missing == []
    ours = [n for n in fasthub.__all__ if getattr(getattr(fasthub, n), "__module__", "").startswith("fasthub")]
    assert "spawn" in ours and "Hub" in ours
    undocumented = [n for n in ours if callable(getattr(fasthub, n)) and not (getattr(fasthub, n).__doc__ or "").strip()]
    assert undocumented == []
    assert len(set(fasthub.__all__)) == len(fasthub.__all__)


def test_structured_concurrency_and_introspection_are_exported():
    # Issue 12: task groups, cancel scopes, stats at the top; task graphs in fasthub.tasks; unpatch
    # in fasthub.patcher. Each is the object of its home module, and documented.
    import fasthub.core._cancel
    import fasthub.patcher
    import fasthub.safety.stats
    import fasthub.sync.groups
    import fasthub.tasks

    homes = {"TaskGroup": fasthub.sync.groups, "CancelScope": fasthub.core._cancel,
             "Cancelled": fasthub.core._cancel, "move_on_after": fasthub.core._cancel,
             "fail_after": fasthub.core._cancel, "stats": fasthub.safety.stats}
    for name, home in homes.items():
        assert name in fasthub.__all__ and getattr(fasthub, name) is getattr(home, name), name
    for module, names in ((fasthub.tasks, ["TaskGraph", "Task", "DependencyFailed"]),
                          (fasthub.patcher, ["unpatch", "UnpatchWarning"])):
        for name in names:
            assert name in module.__all__ and (getattr(module, name).__doc__ or "").strip(), name


def test_compiled_modules_are_extensions():
    import fasthub.core._cancel
    import fasthub.core._hub
    import fasthub.core._timers

    for mod in (fasthub.core._hub, fasthub.core._timers, fasthub.core._cancel):
        assert Path(mod.__file__).suffix in (".so", ".pyd"), mod.__file__


def test_importing_without_the_compiled_hub_says_how_to_build_it(tmp_path):
    # A source tree whose extensions were never built.
    src = Path(fasthub.__file__).parent
    dst = tmp_path / "fasthub"
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("*.so", "*.pyd", "*.c", "__pycache__"))
    proc = subprocess.run(
        [sys.executable, "-c", "import fasthub"],
        cwd=tmp_path, capture_output=True, text=True, env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode != 0
    assert "not built" in proc.stderr and "make build" in proc.stderr
