#!/usr/bin/env bash
# Prints the path of a CPython X.Y interpreter: pyenv's if it has one, else pythonX.Y on PATH.
set -euo pipefail
v=$1
if command -v pyenv >/dev/null 2>&1; then
  full=$(pyenv versions --bare 2>/dev/null | grep -E "^${v//./\\.}\.[0-9]+$" | sort -V | tail -n1 || true)
  if [ -n "$full" ]; then echo "$(pyenv prefix "$full")/bin/python$v"; exit 0; fi
fi
if command -v "python$v" >/dev/null 2>&1; then command -v "python$v"; exit 0; fi
echo "fasthub: no CPython $v found (install it with pyenv or your package manager)" >&2
exit 1
