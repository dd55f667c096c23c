#!/usr/bin/env bash
# Print the absolute path of a working Python 3.10 interpreter (Rasa 3.6 needs 3.10).
#
# Order: $PYTHON (if set; must be 3.10) -> python3.10 on PATH, only if it really
# runs (a pyenv shim whose version is not selected fails) -> the newest
# $PYENV_ROOT/versions/3.10.*/bin/python3.10 and ~/.pyenv/versions/3.10.* ->
# /usr/bin/python3.10, /usr/local/bin/python3.10.
# Exit 1 with an explanation when none is found.
set -u

# Prints the real interpreter path if "$1" runs and is Python 3.10.
try_python() {
    "$1" -c 'import sys; assert sys.version_info[:2] == (3, 10); print(sys.executable)' \
        2>/dev/null </dev/null
}

if [ -n "${PYTHON:-}" ]; then
    if try_python "$PYTHON"; then
        exit 0
    fi
    echo "error: PYTHON=$PYTHON is not a working Python 3.10 interpreter." >&2
    echo "       Rasa 3.6 needs Python 3.10. Unset PYTHON to search automatically," >&2
    echo "       or point it at a python3.10 binary." >&2
    exit 1
fi

if command -v python3.10 >/dev/null 2>&1 && try_python python3.10; then
    exit 0
fi

candidates=()
for root in "${PYENV_ROOT:-}" "${HOME:-/nonexistent}/.pyenv"; do
    [ -n "$root" ] && [ -d "$root/versions" ] || continue
    # Newest patch release first (3.10.13 before 3.10.9).
    while IFS= read -r dir; do
        candidates+=("$dir/bin/python3.10")
    done < <(ls -1d "$root"/versions/3.10.* 2>/dev/null | sort -rV)
done
candidates+=(/usr/bin/python3.10 /usr/local/bin/python3.10)

for py in "${candidates[@]}"; do
    if [ -x "$py" ] && try_python "$py"; then
        exit 0
    fi
done

cat >&2 <<'EOF'
error: no Python 3.10 interpreter found.
  Rasa 3.6 runs only on Python 3.10. Looked for: $PYTHON, python3.10 on PATH,
  ~/.pyenv/versions/3.10.*, /usr/bin/python3.10, /usr/local/bin/python3.10.
  Get one with either of:
    pyenv install 3.10            (then re-run; no need to make it the global version)
    apt-get install python3.10 python3.10-venv   (Debian/Ubuntu releases that ship it)
  or point to an existing one:  PYTHON=/path/to/python3.10 make setup
EOF
exit 1
