#!/usr/bin/env bash
# The demo, set-up included: a generated churn table, cleaned and searched on an embedded
# local Ray; prints the results table. bash scripts/demo.sh [automl demo args]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/automl demo "$@"
