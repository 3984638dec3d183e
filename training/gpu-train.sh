#!/usr/bin/env bash
# Train every model of docs/trained-models.md on one GPU, time-boxed, and collect the results.
#
#   training/gpu-train.sh [RESULTS_DIR]        (default: $OUT if set, else ./gpu-results)
#
# Phase 1 trains the three shipped models (end, edge, cloud) and the two small paper
# architectures (MobileNet v1 0.5, ResNet-34) side by side: at 28x28 and 32x32 they are bound by
# kernel-launch latency rather than GPU throughput, so five processes share one GPU far better
# than five runs in a row would. Phase 2 trains WRN-28-10 (5.2 GMAC per image) alone.
# Each run has an epoch cap and a --time-budget; train.py fits its cosine schedule to the budget
# at the end of its two warm-up epochs, so every run ends with a finished schedule.
#
# Shipped ONNX files and cards land in $MODELS (default models/); the paper architectures' in
# $WORK/paper/ (their ONNX files are 3-146 MB and are not committed). Into RESULTS_DIR go: log.txt is up to the
# caller; results.json (every card), the three shipped .onnx files, paper-mobilenet.onnx, and
# cards-logs.tar.gz (all cards and per-model logs). That is 6 files, within the device tool's
# limit of 8 files of 16 MiB each.
#
# Environment: DATA (default .data/fashion-mnist, the copy that travels to the GPU machine; on a
# machine with the Debian package use /usr/share/datasets/fashion-mnist), PYTHON (default
# python3), DEVICE (default cuda), SEED (default 0), EXTRA (more train.py options, e.g.
# EXTRA="--limit 256 --threads 1" DEVICE=cpu MODELS=/tmp/m for a quick check of this script
# without a GPU that leaves the shipped models alone), MODELS (default models).
set -euo pipefail
cd "$(dirname "$0")/.."

RESULTS=${1:-${OUT:-gpu-results}}
DATA=${DATA:-.data/fashion-mnist}
PYTHON=${PYTHON:-python3}
DEVICE=${DEVICE:-cuda}
SEED=${SEED:-0}
EXTRA=${EXTRA:-}
MODELS=${MODELS:-models}
WORK=$(mktemp -d /tmp/hddnn-train.XXXXXX)
LOGS=$WORK/logs
mkdir -p "$RESULTS" "$LOGS" "$WORK/paper" "$MODELS"
export PYTHONUNBUFFERED=1

echo "== $(date -u +%FT%TZ) gpu-train.sh: data $DATA, device $DEVICE, seed $SEED"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
$PYTHON -c 'import torch, onnx, onnxruntime as o; print("torch", torch.__version__, "onnx", onnx.__version__, "onnxruntime", o.__version__, "cuda", torch.cuda.is_available())'

# name  epoch-cap  time-budget-seconds  out-dir
run() {
  local name=$1 epochs=$2 budget=$3 out=$4 note=$5
  ( $PYTHON training/train.py --model "$name" --device "$DEVICE" --seed "$SEED" \
      --epochs "$epochs" --time-budget "$budget" --data "$DATA" --out "$out" \
      --note "$note" $EXTRA 2>&1 | tee "$LOGS/$name.log" )
}
SHARED="Trained by training/gpu-train.sh side by side with 4 other runs on the same GPU, so its seconds are longer than a run alone would take."
ALONE="Trained alone on the GPU by training/gpu-train.sh."

start=$(date +%s)
pids=()
run end 30 120 "$MODELS" "$SHARED" &                pids+=($!)
run edge 40 120 "$MODELS" "$SHARED" &               pids+=($!)
run cloud 40 140 "$MODELS" "$SHARED" &              pids+=($!)
run paper-mobilenet 30 90 "$WORK/paper" "$SHARED" & pids+=($!)
run paper-resnet34 30 90 "$WORK/paper" "$SHARED" &  pids+=($!)
fail=0
for p in "${pids[@]}"; do wait "$p" || fail=1; done
echo "== phase 1 done in $(( $(date +%s) - start )) s (failures: $fail)"

run paper-wrn28-10 30 120 "$WORK/paper" "$ALONE" || fail=1
echo "== phase 2 done, total $(( $(date +%s) - start )) s (failures: $fail)"

$PYTHON - "$RESULTS/results.json" "$MODELS" "$WORK/paper" <<'EOF'
import glob, json, sys
cards = {}
for path in sorted(glob.glob(f"{sys.argv[2]}/*.card.json") + glob.glob(f"{sys.argv[3]}/*.card.json")):
    with open(path) as f:
        card = json.load(f)
    cards[card["name"]] = card
with open(sys.argv[1], "w") as f:
    json.dump(cards, f, indent=2)
for name, c in sorted(cards.items()):
    m = c["metrics"]
    print(f"{name:16s} fine {m.get('fine_accuracy', float('nan')):.4f}  coarse "
          f"{m['coarse_accuracy']:.4f}  coarse-macro {m['coarse_macro_accuracy']:.4f}  "
          f"epochs {c['training']['epochs']:3d}  {c['training']['seconds']:6.1f}s  "
          f"params {c['params']:,}")
EOF
cp "$WORK"/paper/*.card.json "$LOGS"/ 2>/dev/null || true
cp "$MODELS"/*.card.json "$LOGS"/
tar -czf "$RESULTS/cards-logs.tar.gz" -C "$LOGS" .
for f in "$MODELS"/end-mobilenet.onnx "$MODELS"/edge-resnet.onnx "$MODELS"/cloud-wrn.onnx \
         "$WORK/paper/paper-mobilenet.onnx"; do
  [ -f "$f" ] && cp "$f" "$RESULTS/"
done
ls -la "$RESULTS"
echo "== $(date -u +%FT%TZ) done (failures: $fail)"
exit $fail
