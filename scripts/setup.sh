#!/usr/bin/env bash
# Set up everything on a fresh machine with only Python 3.10+ on it: a virtual environment in
# .venv with automl-core, its plugins under plugins/ and the test tools. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
fi
VPY=.venv/bin/python
$VPY -m pip install -q --upgrade pip

# torch first, pinned: this exact version is a CPU build on these machines' local disk; an
# unpinned requirement would pull a multi-GB CUDA build. The torch plugin's range admits it.
$VPY -m pip install -q "torch==2.13.0"

# the core and every plugin under plugins/ in one pip call: one resolution, not one per plugin
editables=(-e ".[dev]")
for plugin in plugins/*/; do
    if [ -f "$plugin/pyproject.toml" ]; then
        editables+=(-e "$plugin")
    fi
done
$VPY -m pip install -q "${editables[@]}"
