# Sourced by scripts/up and scripts/test: make ./.venv with the project installed.
# Needs only Python 3.11+ on the machine.
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
# Re-install only when the project's declared dependencies changed.
extra=${1:-}
spec=.
[ -n "$extra" ] && spec=".[$extra]"
stamp=.venv/.fnet-installed${extra:+-$extra}
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e "$spec"
    touch "$stamp"
fi
