#!/usr/bin/env bash
# Refresh docs/screenshots/: run the console's browser tests (SQLite half) with
# CONSOLE_SCREENSHOTS set, so each page they visit is saved as a PNG for the README.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -f docs/screenshots/*.png
CONSOLE_SCREENSHOTS=docs/screenshots .venv/bin/pytest tests/e2e -k sqlite -q "$@"
ls docs/screenshots
