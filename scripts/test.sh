#!/usr/bin/env bash
# The README's second command and what CI runs: install everything the suite needs into
# .venv, then lint, type-check and test against SQLite and the PostgreSQL at
# 127.0.0.1:5432 (TEST_POSTGRES_DSN overrides it). Needs only python3 on the machine.
set -euo pipefail
cd "$(dirname "$0")/.."

# The console's browser tests drive Debian's chromium; Playwright's own download cannot
# work here. As root, install it when missing; otherwise those tests say why they skip
# (and fail under CI=true).
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "== installing chromium (apt-get)"
  apt-get install -y -qq chromium >/dev/null 2>&1 \
    || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }
fi

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
