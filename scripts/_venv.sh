# Shared by scripts/demo and scripts/test: install the LOCKED environment (uv.lock) into .venv.
#
# uv itself is pinned (UV_VERSION below) and bootstrapped into .tools/ with the ordinary pip; every other
# package comes from uv.lock, exactly (`uv sync --frozen`: the lock is never re-resolved here). How to
# refresh the lock: docs/development.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
UV_VERSION=0.13.9
PY=""
for cand in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
  [ -n "$cand" ] || continue
  if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    PY="$(command -v "$cand")"; break
  fi
done
[ -n "$PY" ] || { echo "liqscope needs Python 3.11 or newer (set PYTHON=/path/to/python3.11)" >&2; exit 2; }
if [ ! -x .tools/bin/uv ] || [ "$(.tools/bin/uv --version | cut -d' ' -f2)" != "$UV_VERSION" ]; then
  "$PY" -m venv --clear .tools
  .tools/bin/python -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
fi
UV=.tools/bin/uv
export UV_PYTHON_DOWNLOADS=never UV_PROJECT_ENVIRONMENT=.venv
# lock_sync ARGS...: make .venv exactly the locked set for these extras/groups (adds and removes packages).
lock_sync() { "$UV" sync --frozen --quiet --python "$PY" "$@"; }
