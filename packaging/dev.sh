#!/bin/sh
# One-stop set-up for a fresh Debian machine with Python 3.11:
#   sh packaging/dev.sh run    install what is missing, then open the demo case
#   sh packaging/dev.sh test   install what is missing, then run the whole test suite
#   sh packaging/dev.sh bench  install what is missing, then run the import benchmark
# System libraries come from packaging/install-system-deps.sh (needs root or sudo); Python
# packages go into .venv beside the checkout, created on first use and refreshed when
# pyproject.toml changes.
set -eu
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
sh packaging/install-system-deps.sh
if [ ! -f .venv/.installed ] || [ pyproject.toml -nt .venv/.installed ]; then
  "$PY" -m venv .venv
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e '.[test]'
  touch .venv/.installed
fi
cmd=${1:-run}
[ $# -gt 0 ] && shift
case "$cmd" in
  run)   exec .venv/bin/hydrascope demo --case "${CASE:-demo.hscase}" "$@" ;;
  test)  QT_QPA_PLATFORM=offscreen exec .venv/bin/python -m pytest -q "$@" ;;
  bench) exec .venv/bin/python bench/import_bench.py "$@" ;;
  *)     echo "usage: sh packaging/dev.sh run|test|bench" >&2; exit 2 ;;
esac
