#!/usr/bin/env python3
"""Evaluate shipped ONNX models on the Fashion-MNIST test set with ONNX Runtime, from their cards.

train.py measures accuracy with PyTorch on the training device (a GPU) and checks ONNX Runtime
against PyTorch on 256 test images. This script closes the loop on the artifacts themselves: it
reads only the model card and the ONNX file -- input shape, value range, normalization, output
level, taxonomy -- exactly as a consumer (the Swift engine) would, runs all 10,000 test images
through ONNX Runtime on the CPU, and compares the result with the metrics the card claims. If a
card misdescribes its model (wrong normalization, wrong label level), the numbers disagree.

Examples:
  python training/evaluate_onnx.py models/*.card.json --threads 1
  python training/evaluate_onnx.py models/cloud-wrn.card.json --update-card
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import fashion_mnist as fm  # noqa: E402
from taxonomy import taxonomy_json  # noqa: E402
from train import accuracy_metrics  # noqa: E402


def card_input(images: np.ndarray, card: dict) -> np.ndarray:
    """uint8 [N, 28, 28] -> the float32 tensor the card asks for."""
    _, c, h, w = card["input"]["shape"]
    lo, hi = card["input"]["value_range"]
    x = images.astype(np.float32) / 255.0 * (hi - lo) + lo
    x = x[:, None, :, :]
    if (h, w) != x.shape[2:]:
        ph, pw = h - x.shape[2], w - x.shape[3]
        x = np.pad(x, ((0, 0), (0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2)))
    x = np.repeat(x, c, axis=1)
    norm = card["input"]["normalization"]
    mean = np.asarray(norm["mean"], np.float32)[None, :, None, None]
    std = np.asarray(norm["std"], np.float32)[None, :, None, None]
    return np.ascontiguousarray((x - mean) / std, dtype=np.float32)


def evaluate(card_path: str, data: str, threads: int | None, batch: int) -> tuple[dict, dict]:
    import onnxruntime as ort

    with open(card_path) as f:
        card = json.load(f)
    if card["taxonomy"] != taxonomy_json():
        raise SystemExit(f"{card_path}: taxonomy differs from training/taxonomy.py")
    onnx_path = os.path.join(os.path.dirname(card_path), card["file"])
    opts = ort.SessionOptions()
    if threads:
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(onnx_path, opts, providers=["CPUExecutionProvider"])
    images, fine = fm.load_split(data, "test")
    preds = []
    for i in range(0, len(images), batch):
        x = card_input(images[i:i + batch], card)
        logits = sess.run([card["output"]["name"]], {card["input"]["name"]: x})[0]
        if logits.shape[1] != len(card["output"]["labels"]):
            raise SystemExit(f"{onnx_path}: {logits.shape[1]} logits, card lists "
                             f"{len(card['output']['labels'])} labels")
        preds.append(logits.argmax(1))
    return card, accuracy_metrics(np.concatenate(preds), fine, card["output"]["level"])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                epilog="\n\n".join(__doc__.split("\n\n")[1:]),
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("cards", nargs="+", help="model card files (NAME.card.json beside NAME.onnx)")
    p.add_argument("--data", default=fm.DEFAULT_DATA_DIR, help="Fashion-MNIST folder")
    p.add_argument("--threads", type=int, default=None, help="ONNX Runtime intra-op threads")
    p.add_argument("--batch", type=int, default=500, help="images per inference call")
    p.add_argument("--update-card", action="store_true",
                   help="record the result in the card under onnx.onnxruntime_test_metrics")
    a = p.parse_args()
    failed = False
    for path in a.cards:
        card, got = evaluate(path, a.data, a.threads, a.batch)
        claimed = card["metrics"]
        keys = [k for k in ("fine_accuracy", "coarse_accuracy", "coarse_macro_accuracy") if k in got]
        # PyTorch on the GPU and ONNX Runtime on the CPU may disagree on an image whose top two
        # logits tie to float rounding: allow 3 images in 10,000.
        ok = all(abs(got[k] - claimed[k]) <= 3e-4 + 1e-9 for k in keys)
        failed |= not ok
        print(f"{card['name']:14s} ONNX Runtime: " + ", ".join(f"{k} {got[k]:.4f}" for k in keys)
              + "; card: " + ", ".join(f"{claimed[k]:.4f}" for k in keys)
              + ("  OK" if ok else "  MISMATCH"), flush=True)
        if a.update_card:
            card.setdefault("onnx", {})["onnxruntime_test_metrics"] = {
                k: got[k] for k in keys}
            with open(path, "w") as f:
                json.dump(card, f, indent=2)
                f.write("\n")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
