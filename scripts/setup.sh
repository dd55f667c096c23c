#!/usr/bin/env bash
# Create the virtual environment ($VENV, default .venv) with Python 3.10 and
# install the exact dependency tree of requirements.lock, then `pip check`.
#
# A stamp file in the venv records the sha256 of requirements.lock and the
# interpreter version; when both are unchanged the script exits at once.
# FORCE=1 reinstalls anyway.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

VENV="${VENV:-.venv}"
LOCK="requirements.lock"
STAMP="$VENV/.setup-stamp"
SECONDS=0

die() { echo "setup: error: $*" >&2; exit 1; }
in_ci() { [ -n "${CI:-}" ] && [ "${CI}" != "false" ] && [ "${CI}" != "0" ]; }

[ -f "$LOCK" ] || die "$LOCK not found in $ROOT"
lock_sha="$(sha256sum "$LOCK" | cut -d' ' -f1)"

# Version string of the venv's interpreter, or empty if it does not run.
venv_python_version() {
    "$VENV/bin/python" -c 'import sys; print(sys.version.split()[0])' 2>/dev/null </dev/null || true
}

if [ "$VENV" = ".venv" ]; then
    recreate_hint="remove it and run setup again:  rm -rf .venv && make setup"
else
    recreate_hint="remove it and run setup again:  rm -rf '$VENV' && VENV='$VENV' make setup"
fi

# ---- fast path: nothing changed -------------------------------------------
if [ -z "${FORCE:-}" ] && [ -f "$STAMP" ]; then
    ver="$(venv_python_version)"
    if [ -n "$ver" ] && [ "$(cat "$STAMP")" = "lock=$lock_sha python=$ver" ]; then
        echo "setup: $VENV is up to date (requirements.lock unchanged, Python $ver)"
        exit 0
    fi
fi

# ---- create the venv if needed ---------------------------------------------
if [ -e "$VENV" ] && [ -n "$(ls -A "$VENV" 2>/dev/null)" ]; then
    [ -f "$VENV/pyvenv.cfg" ] || die "$VENV exists but is not a virtual environment; move it away or set VENV=<other dir>"
    ver="$(venv_python_version)"
    [ -n "$ver" ] || die "$VENV is broken: $VENV/bin/python does not run (was its Python removed or upgraded?); $recreate_hint"
    case "$ver" in
        3.10.*) ;;
        *) die "$VENV uses Python $ver, but Rasa 3.6 needs Python 3.10; $recreate_hint" ;;
    esac
    echo "setup: using existing $VENV (Python $ver)"
else
    PY="$("$ROOT/scripts/find_python.sh")" || exit 1
    echo "setup: creating $VENV with $PY"
    "$PY" -m venv "$VENV" || die "could not create $VENV with $PY (on Debian/Ubuntu: apt-get install python3.10-venv)"
    ver="$(venv_python_version)"
    [ -n "$ver" ] || die "the new $VENV does not run; $recreate_hint"
fi

VPY="$VENV/bin/python"
"$VPY" -m pip --version >/dev/null 2>&1 || die "pip does not run in $VENV; $recreate_hint"

# ---- install the lock --------------------------------------------------------
# pip itself first, at the locked version, so the rest is installed by the pip
# the lock was made with.
pip_pin="$(grep -iE '^pip==' "$LOCK" || true)"
if [ -n "$pip_pin" ]; then
    echo "setup: installing $pip_pin"
    "$VPY" -m pip install --require-virtualenv --disable-pip-version-check "$pip_pin"
fi
echo "setup: installing $(grep -cvE '^\s*(#|$)' "$LOCK") pinned packages from $LOCK (first time: a few minutes, ~1 GB)"
"$VPY" -m pip install --require-virtualenv --disable-pip-version-check -r "$LOCK"

echo "setup: pip check"
if ! check_out="$("$VPY" -m pip check 2>&1)"; then
    echo "$check_out" >&2
    die "pip check found broken requirements (see above); fix requirements.in and run 'make lock'"
fi
in_ci && echo "$check_out"

# Packages installed in the venv but not in the lock (left over from earlier
# installs) do no harm to pip check but mean the venv is not exactly the lock.
extra="$("$VPY" - "$LOCK" <<'EOF'
import re, subprocess, sys
norm = lambda n: re.sub(r"[-_.]+", "-", n).lower()
locked = {norm(l.split("==")[0]) for l in open(sys.argv[1]) if "==" in l}
frozen = subprocess.run([sys.executable, "-m", "pip", "freeze", "--all"],
                        capture_output=True, text=True).stdout.splitlines()
extra = [l for l in frozen if l and norm(re.split(r"[=@ ]", l)[0]) not in locked]
print(" ".join(extra))
EOF
)"
if [ -n "$extra" ]; then
    echo "setup: note: $VENV also has packages that are not in $LOCK: $extra"
fi

VENV="$VENV" bash "$ROOT/scripts/build_web.sh"  # the chat page's socket.io client (web/chat)
echo "lock=$lock_sha python=$ver" > "$STAMP"
echo "setup: done in ${SECONDS}s ($VENV, Python $ver)"
