#!/usr/bin/env bash
# The main job until the distributed demo exists: run the engine end to end on the shipped
# models. For each model in models/: inspect it, classify Fashion-MNIST test images with
# `hddnn eval` when that command is built, split it after its first layer (HDDNN's
# "encryption module" cut) and check head-then-tail equals the whole model.
set -euo pipefail
cd "$(dirname "$0")/.."
hddnn=.build/release/hddnn
shopt -s nullglob
models=(models/*.onnx)
if [ ${#models[@]} -eq 0 ]; then
  echo "no models in models/ yet; train them with training/train.py (see docs/trained-models.md)" >&2
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for m in "${models[@]}"; do
  echo "== $m"
  "$hddnn" inspect "$m"
  if "$hddnn" eval --help >/dev/null 2>&1; then
    "$hddnn" eval --model "$m" --threads 2
  fi
done
