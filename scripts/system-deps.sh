#!/usr/bin/env bash
# Installs what a fresh Debian/Ubuntu machine lacks to build and test fasthub: venv support, the
# Python headers and a C compiler. Does nothing where they are present; needs root (or sudo) otherwise.
set -euo pipefail
PY=${1:-python3}
missing=()
"$PY" -c "import ensurepip, venv" 2>/dev/null || missing+=(python3-venv)
inc=$("$PY" -c "import sysconfig; print(sysconfig.get_paths()['include'])")
[ -f "$inc/Python.h" ] || missing+=(python3-dev)
command -v cc >/dev/null 2>&1 || missing+=(build-essential)
[ ${#missing[@]} -eq 0 ] && exit 0
echo "fasthub: installing system packages: ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
