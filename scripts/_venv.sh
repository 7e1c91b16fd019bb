# Sourced by scripts/up and scripts/test: make ./.venv with the project installed.
# Needs only Python 3.11+ on the machine. Argument: the extra to install ("" or "dev").
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "Foundation Network needs Python 3.11 or newer ($PYTHON is $("$PYTHON" -V 2>&1))" >&2
    exit 1
fi
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
extra=${1:-}
fresh() { [ -f "$1" ] && [ "$1" -nt pyproject.toml ]; }
# Re-install only when the declared dependencies changed; the dev install includes the base.
if ! fresh .venv/.fnet-installed-dev && { [ -n "$extra" ] || ! fresh .venv/.fnet-installed; }; then
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e ".${extra:+[$extra]}"
    touch ".venv/.fnet-installed${extra:+-$extra}"
fi
