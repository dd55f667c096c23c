#!/usr/bin/env bash
# Held-out NLU report: split data/nlu.yml (80/20, stratified by intent, fixed
# seed), train an NLU-only model on the 80 %, test it on the 20 %, print the
# weighted intent F1 and the weakest intents. Reports go to results/nlu/
# (intent_report.json, confusion matrix, errors, ...). Always exits 0 when
# the run itself worked: the F1 is information, not a gate.
#
# Environment overrides: RASA (rasa executable), PYTHON, NLU_DATA, CONFIG,
# NLU_SPLIT_SEED, NLU_TRAIN_FRACTION, NLU_OUT.
set -euo pipefail
cd "$(dirname "$0")/.."

RASA=${RASA:-.venv/bin/rasa}
PYTHON=${PYTHON:-.venv/bin/python}
NLU_DATA=${NLU_DATA:-data/nlu.yml}
CONFIG=${CONFIG:-config.yml}
SEED=${NLU_SPLIT_SEED:-42}
FRACTION=${NLU_TRAIN_FRACTION:-0.8}
OUT=${NLU_OUT:-results/nlu}
HANDWRITTEN=tests/nlu_tests/test_nlu_examples.yml

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

echo "== training NLU on the training part"
start=$(date +%s)
"$RASA" train nlu -c "$CONFIG" --nlu "$OUT/split/training_data.yml" \
    --out "$OUT/models" --fixed-model-name nlu-split >>"$log" 2>&1
train_seconds=$(( $(date +%s) - start ))
echo "$train_seconds" > "$OUT/train_seconds.txt"

echo "== testing on the held-out part"
"$RASA" test nlu -m "$OUT/models/nlu-split.tar.gz" \
    --nlu "$OUT/split/test_data.yml" --out "$OUT" >>"$log" 2>&1

if [ -f "$HANDWRITTEN" ]; then
    echo "== testing on $HANDWRITTEN (hand-written, not in the training data)"
    "$RASA" test nlu -m "$OUT/models/nlu-split.tar.gz" \
        --nlu "$HANDWRITTEN" --out "$OUT/handwritten" >>"$log" 2>&1
fi

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

f1 = summary(out, "HELD-OUT SPLIT")
summary(os.path.join(out, "handwritten"), "HAND-WRITTEN TEST SET (tests/nlu_tests)")
print(f"\nNLU training time (train split): {train_seconds} s")
with open(os.path.join(out, "summary.txt"), "w") as fh:
    fh.write(f"weighted_intent_f1={f1}\ntrain_seconds={train_seconds}\n")
PY
echo "Reports: $OUT/ (intent_report.json, intent_confusion_matrix.png, intent_errors.json, run.log)"
