#!/usr/bin/env bash
# Known vulnerabilities of the pinned dependency tree (requirements.lock),
# with pip-audit run from an environment of its own: installed into .venv it
# would upgrade `packaging` past Rasa 3.6's pin.
#
#   scripts/audit.sh            (make audit)  table on stdout, JSON in var/audit/
#
# pip-audit needs a vulnerability service: PyPI's JSON API or OSV. When neither
# answers (a registry mirror serves only /simple/), pip-audit would wrongly say
# "No known vulnerabilities found"; this script stops with exit code 3 instead.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
AUDIT_VENV="${AUDIT_VENV:-var/audit/venv}"
OUT="var/audit/pip-audit.json"

die() { echo "audit: error: $*" >&2; exit "${2:-1}"; }

PY="$(bash scripts/find_python.sh)" || exit 1
if [ ! -x "$AUDIT_VENV/bin/pip-audit" ]; then
    echo "audit: installing pip-audit into $AUDIT_VENV (its own environment)"
    mkdir -p "$(dirname "$AUDIT_VENV")"
    "$PY" -m venv "$AUDIT_VENV"
    "$AUDIT_VENV/bin/python" -m pip install --quiet --disable-pip-version-check pip-audit 2>&1 \
        | { grep -v "is ignored: it is neither a file nor a directory" || true; }
fi

reachable() {  # url method
    local code
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X "$2" \
            -H 'Content-Type: application/json' -d '{"package":{"name":"pip","ecosystem":"PyPI"},"version":"20.0"}' \
            "$1" 2>/dev/null || true)"
    [ "$code" = "200" ]
}
if reachable "https://pypi.org/pypi/pip/20.0/json" GET; then
    service=pypi
elif reachable "https://api.osv.dev/v1/query" POST; then
    service=osv
else
    die "no vulnerability service answers from here (PyPI's JSON API and api.osv.dev are both unreachable), so pip-audit cannot tell; run 'make audit' on a machine with internet access. SECURITY.md lists the advisories known for the pinned versions." 3
fi

mkdir -p "$(dirname "$OUT")"
echo "audit: pip-audit -r requirements.lock (service: $service)"
status=0
"$AUDIT_VENV/bin/pip-audit" -r requirements.lock --no-deps --disable-pip --strict -s "$service" \
    --progress-spinner off -f json -o "$OUT" || status=$?
"$AUDIT_VENV/bin/python" - "$OUT" <<'EOF'
import json, sys
data = json.load(open(sys.argv[1]))
rows = [(d["name"], d["version"], v["id"], ", ".join(v.get("fix_versions") or []) or "-")
        for d in data.get("dependencies", []) for v in d.get("vulns", [])]
for row in rows:
    print("  %-22s %-12s %-22s fixed in %s" % row)
print(f"audit: {len(rows)} known vulnerabilit{'y' if len(rows) == 1 else 'ies'} "
      f"in {len({r[0] for r in rows})} package(s); details in {sys.argv[1]}; "
      "SECURITY.md says how each is mitigated")
EOF
exit "$status"
