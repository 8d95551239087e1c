#!/usr/bin/env bash
# The README's second command and what CI runs: install everything the suite needs into
# .venv, then lint, type-check and test against SQLite and the PostgreSQL at
# 127.0.0.1:5432 (TEST_POSTGRES_DSN overrides it). Needs only python3 on the machine.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[test]"

echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== mypy (strict on bot/ handlers/ catalog/)"
.venv/bin/mypy
echo "== pytest (SQLite and PostgreSQL)"
.venv/bin/pytest "$@"
