#!/usr/bin/env bash
# Held-out NLU report: split the NLU data in data/ (English and Chinese, 80/20,
# stratified by intent, fixed seed), train an NLU-only model on the 80 %, test
# it on the 20 % split by language (a message with any CJK character is
# Chinese) and on every hand-written set in tests/nlu_tests/, print the
# weighted intent F1 per set and the weakest intents. Reports go to results/nlu/
# (intent_report.json, confusion matrix, errors, ...). Always exits 0 when
# the run itself worked: the F1 is information, not a gate.
#
# Environment overrides: RASA (rasa executable), PYTHON, NLU_DATA, CONFIG,
# NLU_SPLIT_SEED, NLU_TRAIN_FRACTION, NLU_OUT.
set -euo pipefail
cd "$(dirname "$0")/.."

RASA=${RASA:-.venv/bin/rasa}
PYTHON=${PYTHON:-.venv/bin/python}
NLU_DATA=${NLU_DATA:-data}
CONFIG=${CONFIG:-config.yml}
SEED=${NLU_SPLIT_SEED:-42}
FRACTION=${NLU_TRAIN_FRACTION:-0.8}
OUT=${NLU_OUT:-results/nlu}

# 2 cores: keep TensorFlow from oversubscribing them; quiet logs.
export TF_INTRA_OP_PARALLELISM_THREADS=${TF_INTRA_OP_PARALLELISM_THREADS:-2}
export TF_INTER_OP_PARALLELISM_THREADS=${TF_INTER_OP_PARALLELISM_THREADS:-1}
export TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-2}
export PYTHONWARNINGS=${PYTHONWARNINGS:-ignore}
export SQLALCHEMY_SILENCE_UBER_WARNING=1

rm -rf "$OUT"
mkdir -p "$OUT/split" "$OUT/models"
log="$OUT/run.log"

echo "== splitting $NLU_DATA (train fraction $FRACTION, seed $SEED)"
"$RASA" data split nlu -u "$NLU_DATA" --training-fraction "$FRACTION" \
    --random-seed "$SEED" --out "$OUT/split" >>"$log" 2>&1

# The held-out part, by language.
"$PYTHON" - "$OUT/split/test_data.yml" "$OUT/split" <<'PY'
import re, sys, yaml
cjk = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
data = yaml.safe_load(open(sys.argv[1]))
parts = {"en": [], "zh": []}
for block in data.get("nlu", []):
    if "intent" not in block:
        continue
    lines = [l[2:] for l in block["examples"].splitlines() if l.startswith("- ")]
    for lang in parts:
        chosen = [l for l in lines if bool(cjk.search(l)) == (lang == "zh")]
        if chosen:
            parts[lang].append({"intent": block["intent"],
                                "examples": "".join(f"- {l}\n" for l in chosen)})
for lang, blocks in parts.items():
    with open(f"{sys.argv[2]}/test_{lang}.yml", "w") as fh:
        yaml.safe_dump({"version": "3.1", "nlu": blocks}, fh, allow_unicode=True, sort_keys=False)
    print(f"   held-out {lang}: {sum(b['examples'].count(chr(10)) for b in blocks)} messages")
PY

echo "== training NLU on the training part"
start=$(date +%s)
"$RASA" train nlu -c "$CONFIG" --nlu "$OUT/split/training_data.yml" \
    --out "$OUT/models" --fixed-model-name nlu-split >>"$log" 2>&1
train_seconds=$(( $(date +%s) - start ))
echo "$train_seconds" > "$OUT/train_seconds.txt"

sets=("held-out-en:$OUT/split/test_en.yml" "held-out-zh:$OUT/split/test_zh.yml")
for f in tests/nlu_tests/*.yml; do sets+=("$(basename "$f" .yml):$f"); done
for entry in "${sets[@]}"; do
    name=${entry%%:*}; file=${entry#*:}
    echo "== testing on $name ($file)"
    "$RASA" test nlu -m "$OUT/models/nlu-split.tar.gz" \
        --nlu "$file" --out "$OUT/$name" >>"$log" 2>&1
done

"$PYTHON" - "$OUT" "$train_seconds" <<'PY'
import json, os, sys

out, train_seconds = sys.argv[1], sys.argv[2]
interrupt = {"why_ask", "explain_term", "correct_answer", "human_handoff", "stop",
             "restart", "delete_data", "out_of_scope", "bot_challenge",
             "greet", "goodbye", "thank", "give_consent", "refuse_consent",
             "choose_role", "nlu_fallback"}
answers = {"inform", "affirm", "deny", "dont_know"}

def summary(directory, title):
    path = os.path.join(directory, "intent_report.json")
    if not os.path.exists(path):
        print(f"{title}: no intent_report.json")
        return None
    report = json.load(open(path))
    weighted = report["weighted avg"]["f1-score"]
    print(f"\n{title}")
    print(f"  weighted intent F1: {weighted:.4f}")
    intents = {k: v for k, v in report.items()
               if isinstance(v, dict) and "f1-score" in v and "avg" not in k}
    print("  weakest intents (f1 / precision / recall / support):")
    for name, v in sorted(intents.items(), key=lambda kv: kv[1]["f1-score"])[:6]:
        print(f"    {name:16s} {v['f1-score']:.3f} / {v['precision']:.3f} / "
              f"{v['recall']:.3f} / {v['support']}")
    errors_path = os.path.join(directory, "intent_errors.json")
    errors = json.load(open(errors_path)) if os.path.exists(errors_path) else []
    cross = [e for e in errors
             if (e["intent"] in answers and e["intent_prediction"]["name"] in interrupt)
             or (e["intent"] in interrupt and e["intent_prediction"]["name"] in answers)]
    print(f"  misclassified: {len(errors)}; answer <-> interruption confusions: {len(cross)}")
    for e in errors:
        p = e["intent_prediction"]
        print(f"    {e['intent']:>14s} -> {p['name']:<14s} {p['confidence']:.2f}  {e['text']}")
    return weighted

scores = {}
for name in sorted(os.listdir(out)):
    if os.path.isfile(os.path.join(out, name, "intent_report.json")):
        scores[name] = summary(os.path.join(out, name), name.upper())
print(f"\nNLU training time (train split): {train_seconds} s")
with open(os.path.join(out, "summary.txt"), "w") as fh:
    for name, f1 in scores.items():
        fh.write(f"{name}: weighted_intent_f1={f1:.4f}\n")
        print(f"{name}: weighted intent F1 {f1:.4f}")
    fh.write(f"train_seconds={train_seconds}\n")
PY
echo "Reports: $OUT/ (intent_report.json, intent_confusion_matrix.png, intent_errors.json, run.log)"
