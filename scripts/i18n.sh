#!/usr/bin/env bash
# Translation workflow (pybabel): extract the English texts from the code into
# locales/messages.pot, then merge them into each language's .po for translators.
# The bot compiles the .po files itself at start; `compile` is only a syntax check.
# The organizers' console (bot/admin) has its own domain, `admin`, in English and Spanish.
set -euo pipefail
cd "$(dirname "$0")/.."
PYBABEL="${PYBABEL:-.venv/bin/pybabel}"
case "${1:-}" in
  extract)
    "$PYBABEL" extract -F babel.cfg -k gettext -k ngettext:1,2 -k N_ --no-location --sort-output --no-wrap \
      --project=learning-sessions-bot --copyright-holder="Learning sessions bot contributors" \
      --ignore-dirs=".* ._ admin" -o locales/messages.pot .
    "$PYBABEL" extract -F babel-admin.cfg -k gettext -k ngettext:1,2 -k _ --no-location --sort-output --no-wrap \
      --project=learning-sessions-bot --copyright-holder="Learning sessions bot contributors" \
      -o locales/admin.pot .
    ;;
  update)
    "$PYBABEL" update -i locales/messages.pot -d locales -D messages --no-fuzzy-matching --ignore-obsolete --no-wrap
    if [ ! -f locales/es/LC_MESSAGES/admin.po ]; then
      "$PYBABEL" init -i locales/admin.pot -d locales -D admin -l es --no-wrap
    fi
    "$PYBABEL" update -i locales/admin.pot -d locales -D admin -l es --no-fuzzy-matching --ignore-obsolete --no-wrap
    ;;
  compile)
    "$PYBABEL" compile -d locales -D messages --statistics -f -o /dev/null 2>/dev/null \
      || for lang in en es ar; do
           "$PYBABEL" compile -i "locales/$lang/LC_MESSAGES/messages.po" -o /dev/null --statistics
         done
    ;;
  *)
    echo "usage: scripts/i18n.sh extract|update|compile" >&2
    exit 2
    ;;
esac
