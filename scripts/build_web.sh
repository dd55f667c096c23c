#!/usr/bin/env bash
# Build the browser files of the patient chat page (web/chat/): `npm ci` installs
# the exact tree of web/chat/package-lock.json (socket.io-client only), then the
# client bundle is copied into web/chat/static/vendor/, so the page loads nothing
# from a CDN. Both folders are ignored by git.
#
# Without node/npm (a fresh machine has only Python) the same pinned tarball is
# fetched from the npm registry with Python and checked against the lock's
# sha512 integrity before its bundle is used.
#
# A stamp next to the copied file records the sha256 of the lock; when the lock
# is unchanged and the bundle is in place the script exits at once. FORCE=1
# rebuilds anyway. NPM=<path> picks the npm to use.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WEB="$ROOT/web/chat"
LOCK="$WEB/package-lock.json"
VENDOR="$WEB/static/vendor"
BUNDLE="$VENDOR/socket.io.min.js"
STAMP="$VENDOR/.build-stamp"
NPM="${NPM:-npm}"

die() { echo "build-web: error: $*" >&2; exit 1; }

[ -f "$LOCK" ] || die "$LOCK not found"
lock_sha="$(sha256sum "$LOCK" | cut -d' ' -f1)"

if [ -z "${FORCE:-}" ] && [ -f "$BUNDLE" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "lock=$lock_sha" ]; then
    echo "build-web: chat page files are up to date (package-lock.json unchanged)"
    exit 0
fi
mkdir -p "$VENDOR"

if command -v node >/dev/null 2>&1 && command -v "$NPM" >/dev/null 2>&1; then
    echo "build-web: npm ci in web/chat (socket.io-client, exact versions of package-lock.json)"
    # --ignore-scripts: the bundle needs no install scripts, so no package runs code here.
    (cd "$WEB" && "$NPM" ci --no-audit --no-fund --prefer-offline --ignore-scripts --loglevel=error) \
        || die "npm ci failed in web/chat (see above); check access to the npm registry"
    SOURCE="$WEB/node_modules/socket.io-client/dist/socket.io.min.js"
    [ -f "$SOURCE" ] || die "$SOURCE is missing after npm ci"
    cp "$SOURCE" "$BUNDLE"
    version="$(cd "$WEB" && node -p 'require("socket.io-client/package.json").version')"
else
    venv="${VENV:-.venv}"
    case "$venv" in /*) ;; *) venv="$ROOT/$venv" ;; esac
    PY="$venv/bin/python"
    [ -x "$PY" ] || PY="$(command -v python3 || true)"
    [ -n "$PY" ] || die "neither npm (apt-get install nodejs npm) nor Python is available to fetch socket.io-client"
    echo "build-web: npm not found; fetching the socket.io-client tarball pinned in package-lock.json"
    version="$("$PY" - "$LOCK" "$BUNDLE" <<'EOF'
import base64, hashlib, io, json, os, sys, tarfile, urllib.request

lock_path, bundle_path = sys.argv[1], sys.argv[2]
package = json.load(open(lock_path))["packages"]["node_modules/socket.io-client"]
version, (algorithm, expected) = package["version"], package["integrity"].split("-", 1)
registry = (os.environ.get("npm_config_registry") or "https://registry.npmjs.org/").rstrip("/")
url = package.get("resolved") or f"{registry}/socket.io-client/-/socket.io-client-{version}.tgz"
try:
    with urllib.request.urlopen(url, timeout=60) as response:
        tarball = response.read()
except OSError as error:
    sys.exit(f"build-web: error: cannot fetch {url}: {error}")
if base64.b64encode(hashlib.new(algorithm, tarball).digest()).decode() != expected:
    sys.exit(f"build-web: error: {url} does not match the {algorithm} integrity in package-lock.json")
with tarfile.open(fileobj=io.BytesIO(tarball)) as archive:
    bundle = archive.extractfile("package/dist/socket.io.min.js").read()
with open(bundle_path, "wb") as out:
    out.write(bundle)
print(version)
EOF
)" || die "could not fetch socket.io-client without npm (see above); install nodejs and npm, or check access to the npm registry"
fi

echo "lock=$lock_sha" > "$STAMP"
echo "build-web: socket.io-client $version in ${BUNDLE#"$ROOT"/}"
