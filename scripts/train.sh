#!/usr/bin/env bash
# Train the Rasa model only when its inputs changed.
#
# The inputs (config.yml, domain.yml, domain/**, data/**/*.yml|yaml, and the
# rasa version pinned in requirements.lock) are hashed; the model is
# models/<hash>.tar.gz. If that file exists, nothing is imported or trained.
#
#   scripts/train.sh               train if needed
#   scripts/train.sh --model-path  print the path the current model has (or
#                                  will have) and exit; used by serve.py / make
#
# Env: VENV (default .venv), KEEP_MODELS (default 3 newest models kept).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

VENV="${VENV:-.venv}"
KEEP_MODELS="${KEEP_MODELS:-3}"
MODELS_DIR="models"

die() { echo "train: error: $*" >&2; exit 1; }

[ -f config.yml ] || die "config.yml not found: the bot's pipeline is not written yet"
if [ ! -f domain.yml ] && [ ! -d domain ]; then
    die "domain.yml not found: the bot's domain is not written yet"
fi
[ -d data ] || die "data/ not found: no training data yet"

# Hash of every training input: path and content of each file, in a fixed order.
inputs_hash() {
    {
        grep -iE '^rasa==' requirements.lock 2>/dev/null || true
        { find config.yml domain.yml domain data rasa_extensions/bilingual_tokenizer.py -type f \
            \( -name '*.yml' -o -name '*.yaml' -o -name '*.dict' -o -name 'bilingual_tokenizer.py' \) 2>/dev/null || true; } \
            | LC_ALL=C sort \
            | while IFS= read -r f; do
                printf '%s  %s\n' "$(sha256sum < "$f" | cut -d' ' -f1)" "$f"
              done
    } | sha256sum | cut -c1-20
}

HASH="$(inputs_hash)"
MODEL="$MODELS_DIR/$HASH.tar.gz"

if [ "${1:-}" = "--model-path" ]; then
    echo "$MODEL"
    exit 0
elif [ -n "${1:-}" ]; then
    die "unknown argument '$1' (use --model-path or nothing)"
fi

if [ -f "$MODEL" ]; then
    echo "train: model up to date: $MODEL"
    exit 0
fi

[ -x "$VENV/bin/rasa" ] || die "$VENV/bin/rasa not found: run 'make setup' first"

export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
export SQLALCHEMY_SILENCE_UBER_WARNING="${SQLALCHEMY_SILENCE_UBER_WARNING:-1}"
export RASA_TELEMETRY_ENABLED="${RASA_TELEMETRY_ENABLED:-false}"

domain_arg=(--domain domain.yml)
[ -f domain.yml ] || domain_arg=(--domain domain)

# Train into a temporary folder and move the archive into place at the end, so
# an interrupted run never leaves a half-written models/<hash>.tar.gz.
mkdir -p "$MODELS_DIR"
TMP_OUT="$(mktemp -d "$MODELS_DIR/.training-XXXXXX")"
trap 'rm -rf "$TMP_OUT"' EXIT

echo "train: training inputs changed; training $MODEL (usually a few minutes)"
SECONDS=0
"$VENV/bin/rasa" train \
    --config config.yml "${domain_arg[@]}" --data data \
    --fixed-model-name "$HASH" --out "$TMP_OUT"
[ -f "$TMP_OUT/$HASH.tar.gz" ] || die "rasa train finished but wrote no $TMP_OUT/$HASH.tar.gz"
# Rasa rewrites config.yml when it has no assistant_id or leaves the pipeline or
# policies to auto-configuration; name the model after the inputs as they are
# now, so the next run finds it.
NEW_HASH="$(inputs_hash)"
if [ "$NEW_HASH" != "$HASH" ]; then
    echo "train: note: rasa rewrote config.yml (assistant_id / auto-configuration); commit that change"
    MODEL="$MODELS_DIR/$NEW_HASH.tar.gz"
fi
mv "$TMP_OUT/$HASH.tar.gz" "$MODEL"
echo "train: trained $MODEL in ${SECONDS}s"

# Keep only the newest few models.
ls -1t "$MODELS_DIR"/*.tar.gz 2>/dev/null | tail -n +"$((KEEP_MODELS + 1))" | while IFS= read -r old; do
    echo "train: removing old model $old"
    rm -f -- "$old"
done
