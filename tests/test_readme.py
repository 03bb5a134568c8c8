"""Every ```python block in README.md runs, each in a fresh interpreter: the examples stay true."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), re.S) if README.exists() else []


@pytest.mark.one_backend
@pytest.mark.skipif(not BLOCKS, reason="README.md is not beside the tests (installed-wheel run)")
@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_example_runs(index):
    code = BLOCKS[index]
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
        env={**os.environ, "PYTHONWARNINGS": "error"},
    )
    assert proc.returncode == 0, f"README example {index} failed:\n{code}\n--- stderr:\n{proc.stderr}"
