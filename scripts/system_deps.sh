#!/usr/bin/env bash
# Install the Debian packages the tests need, if they are missing:
#   chromium, chromium-driver   browser tests (Playwright drives /usr/bin/chromium;
#                               no browser is downloaded)
#   fonts-noto-cjk              Chinese glyphs in the browser tests' screenshots
#   postgresql, redis-server    the two-replica test (shared tracker, lead and
#                               lock stores on loopback)
#
#   scripts/system_deps.sh            install what is missing (root or sudo -n)
#   scripts/system_deps.sh --check    only say what is missing (exit 1 if any)
#
# Nothing is started here: the tests start their own servers on free ports.
set -euo pipefail

PACKAGES=(chromium chromium-driver fonts-noto-cjk postgresql redis-server)

missing=()
for pkg in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "system-deps: ${PACKAGES[*]} installed"
    exit 0
fi
if [ "${1:-}" = "--check" ]; then
    echo "system-deps: missing: ${missing[*]}"
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "system-deps: error: missing ${missing[*]} and this is not a Debian-like system (no apt-get);" \
         "install them by hand (the browser and replica tests need them)" >&2
    exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
else
    echo "system-deps: error: missing ${missing[*]}; run as root or with password-less sudo, or:" >&2
    echo "    sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi

echo "system-deps: installing ${missing[*]} (Debian packages, about a minute)"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
# The PostgreSQL package would create and start a cluster where a service
# manager runs; the tests use their own data directory on a free port.
"${as_root[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
echo "system-deps: done"
