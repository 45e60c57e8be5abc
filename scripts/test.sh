#!/usr/bin/env bash
# The whole test suite, set-up included: bash scripts/test.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

# Headless Chromium for the report test (the page must load every image). Debian package.
if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 \
    && [ "$(id -u)" = "0" ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
        >/dev/null 2>&1 || echo "note: chromium could not be installed; its test will skip"
fi

.venv/bin/ruff check .
.venv/bin/ruff format --check .
# Ray is started once for the session by tests/conftest.py (2 CPUs, dashboard off).
.venv/bin/python -m pytest -q "$@"
