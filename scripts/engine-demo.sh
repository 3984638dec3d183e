#!/usr/bin/env bash
# The engine on its own, on the shipped models (`make engine-demo`); the main job is `hddnn demo`.
#  1. For each tier's model (end: coarse label; edge and cloud: fine label), check its model card
#     against the ONNX file and classify the whole Fashion-MNIST test set with `hddnn eval`.
#  2. Split the cloud model after its first convolution (HDDNN's "encryption module": the head runs
#     on a dependable node, only feature maps travel) and show what each half holds.
set -euo pipefail
cd "$(dirname "$0")/.."
hddnn=.build/release/hddnn
threads=${THREADS:-2}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for tier in end-mobilenet edge-resnet cloud-wrn; do
  echo
  echo "== $tier: models/$tier.onnx (card models/$tier.card.json)"
  "$hddnn" eval --model "models/$tier.onnx" --threads "$threads"
done

echo
echo "== split: the cloud model's first convolution as a separate head"
cut=$("$hddnn" inspect models/cloud-wrn.onnx --tensors | awk '/^  .*Conv/ {print $1; exit}')
"$hddnn" split models/cloud-wrn.onnx --at "$cut" --head "$work/head.onnx" --tail "$work/tail.onnx"
"$hddnn" inspect "$work/head.onnx" | sed -n '3,8p'
echo
echo "== speed of each tier's model on this machine ($threads threads, batch 50)"
for tier in end-mobilenet edge-resnet cloud-wrn; do
  "$hddnn" bench "models/$tier.onnx" --batch 50 --runs 3 --threads "$threads"
done
