"""Trains the holistic layer's independently trained models (docs/holistic.md) on CPU.

Two cases, each a set of models that never see each other's inputs:

* Multi-view Fashion-MNIST: `fmnist-top` sees rows 0-13 of each image, `fmnist-bottom` rows 14-27
  (two cheap sensors on two end devices), `fmnist-whole` all 28 rows (the camera that sees
  everything, the reference). Same small CNN for all three. Trained on the first 55,000 training
  images; images 55,000-59,999 are the validation set on which fusions are fitted and chosen
  (never the test set).
* ACTG 175 (scripts/actg175_data.py): `actg-lab` reads only lab.csv's columns, `actg-clinic` only
  clinic.csv's, `actg-central` both (the centralised upper bound, which no deployment may serve:
  it needs raw columns of two parties in one place). An MLP each, the input standardisation
  folded into its first layer so nodes feed the columns as stored.

Each model is exported to ONNX (opset 17, dynamic batch), checked against ONNX Runtime, and gets
a model card (`NAME.card.json`, ModelCard in Sources/HDDNNData/Cards) whose `semantics` say what a
record is, which view or columns it reads and what it answers: what the catalogue plans with.

    .venv/bin/python training/holistic.py --out models/holistic
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time

import numpy as np
import onnxruntime as ort
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
from fashion_mnist import DEFAULT_DATA_DIR, PIXEL_MEAN, PIXEL_STD, load_split  # noqa: E402
from taxonomy import COARSE_LABELS, FINE_LABELS, FINE_TO_COARSE  # noqa: E402

VIEWS = {"top": (0, 14), "bottom": (14, 28), "whole": (0, 28)}
VALIDATION_START = 55_000


class ViewCNN(nn.Module):
    """(x - mean) / std, two conv-BN-ReLU-maxpool stages (32, 64), a 128-unit layer, 10 logits."""

    def __init__(self, rows: int):
        super().__init__()
        self.register_buffer("mean", torch.tensor(PIXEL_MEAN))
        self.register_buffer("std", torch.tensor(PIXEL_STD))
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(64 * (rows // 4) * 7, 128), nn.ReLU(),
                                  nn.Dropout(0.3), nn.Linear(128, 10))

    def forward(self, x):
        return self.head(self.features((x - self.mean) / self.std))


class TabularMLP(nn.Module):
    def __init__(self, d: int, hidden: int = 32):
        super().__init__()
        self.first = nn.Linear(d, hidden)
        self.rest = nn.Sequential(nn.ReLU(), nn.Dropout(0.2), nn.Linear(hidden, 2))

    def forward(self, x):
        return self.rest(self.first(x))


def export(model: nn.Module, example: torch.Tensor, path: str, input_name: str) -> dict:
    model.eval()
    torch.onnx.export(model, (example,), path, dynamo=False, export_params=True, opset_version=17,
                      do_constant_folding=True, input_names=[input_name], output_names=["logits"],
                      dynamic_axes={input_name: {0: "batch"}, "logits": {0: "batch"}})
    with torch.no_grad():
        expected = model(example).numpy()
    got = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, {input_name: example.numpy()})[0]
    import onnx  # noqa: PLC0415

    ops: dict[str, int] = {}
    for node in onnx.load(path).graph.node:
        ops[node.op_type] = ops.get(node.op_type, 0) + 1
    return {"opset": 17, "bytes": os.path.getsize(path), "operators": ops,
            "onnxruntime_check": {"batch": int(example.shape[0]),
                                  "max_abs_diff": float(np.abs(expected - got).max()),
                                  "argmax_agreement": float((expected.argmax(1) == got.argmax(1)).mean())}}


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve by the rank statistic (ties get their mean rank)."""
    order = scores.argsort(kind="mergesort")
    ranks = np.empty(len(scores))
    s = scores[order]
    i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and s[j + 1] == s[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    pos = labels == 1
    n_pos, n_neg = pos.sum(), (~pos).sum()
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def write_card(out: str, card: dict) -> None:
    with open(os.path.join(out, card["name"] + ".card.json"), "w") as f:
        json.dump(card, f, indent=2)
        f.write("\n")


def train_views(args, out: str) -> None:
    train_x, train_y = load_split(args.data, "train")
    test_x, test_y = load_split(args.data, "test")
    fit_x, fit_y = train_x[:VALIDATION_START], train_y[:VALIDATION_START]
    val_x, val_y = train_x[VALIDATION_START:], train_y[VALIDATION_START:]
    for view, (r0, r1) in VIEWS.items():
        torch.manual_seed(args.seed)
        rows = r1 - r0
        model = ViewCNN(rows)
        opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
        xs = torch.from_numpy(fit_x[:, r0:r1].copy()).unsqueeze(1)
        ys = torch.from_numpy(fit_y)
        steps = args.epochs * (len(xs) // 128)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=steps)
        start = time.time()
        gen = torch.Generator().manual_seed(args.seed)
        for epoch in range(args.epochs):
            model.train()
            perm = torch.randperm(len(xs), generator=gen)
            for b in range(len(xs) // 128):
                idx = perm[b * 128:(b + 1) * 128]
                x = xs[idx].float() / 255
                if torch.rand(1, generator=gen).item() < 0.5:
                    x = x.flip(-1)  # left-right flip keeps the view's rows
                loss = F.cross_entropy(model(x), ys[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
                sched.step()
            print(f"fmnist-{view}: epoch {epoch + 1}/{args.epochs} loss {loss.item():.3f} "
                  f"({time.time() - start:.0f} s)", flush=True)
        seconds = time.time() - start
        model.eval()

        def accuracy(x, y):
            with torch.no_grad():
                logits = torch.cat([model(torch.from_numpy(x[i:i + 1000, r0:r1].copy()).unsqueeze(1).float() / 255)
                                    for i in range(0, len(x), 1000)])
            return float((logits.argmax(1).numpy() == y).mean()), logits.argmax(1).numpy()

        val_acc, _ = accuracy(val_x, val_y)
        test_acc, pred = accuracy(test_x, test_y)
        coarse = np.array(FINE_TO_COARSE)
        name = f"fmnist-{view}"
        path = os.path.join(out, name + ".onnx")
        onnx_facts = export(model, torch.from_numpy(test_x[:64, r0:r1].copy()).unsqueeze(1).float() / 255, path, "image")
        write_card(out, {
            "name": name, "version": "1.0", "task": "image-classification", "modality": "image",
            "architecture": f"CNN conv32-conv64-fc128 on a 1x{rows}x28 view",
            "file": name + ".onnx",
            "input": {"name": "image", "shape": [-1, 1, rows, 28], "dtype": "float32", "layout": "NCHW",
                      "value_range": [0.0, 1.0], "normalization": {"mean": [0.0], "std": [1.0],
                      "in_model": {"mean": [PIXEL_MEAN], "std": [PIXEL_STD]}},
                      "preprocessing": f"rows {r0}-{r1 - 1} of the 28x28 image, pixel bytes / 255"},
            "output": {"name": "logits", "kind": "logits", "level": "fine", "labels": FINE_LABELS},
            "taxonomy": {"coarse_labels": COARSE_LABELS, "fine_labels": FINE_LABELS, "fine_to_coarse": FINE_TO_COARSE},
            "semantics": {"subject": "fashion-mnist-image", "answers": "clothing-label", "source": "fashion-mnist",
                          "view": view, "rows": [r0, r1]},
            "training": {"dataset": f"fashion-mnist train images 0-{VALIDATION_START - 1}, view '{view}'",
                         "command": "make holistic-models", "seconds": round(seconds, 1),
                         "device": f"cpu (torch {torch.__version__}, {torch.get_num_threads()} threads)",
                         "seed": args.seed, "epochs": args.epochs, "batch_size": 128,
                         "optimizer": "AdamW lr 2e-3 one-cycle, weight decay 1e-4", "augmentation": "horizontal flip"},
            "metrics": {"split": "fashion-mnist test (10,000 images)", "fine_accuracy": round(test_acc, 4),
                        "coarse_accuracy": round(float((coarse[pred] == coarse[test_y]).mean()), 4),
                        "validation_accuracy": round(val_acc, 4)},
            "params": sum(p.numel() for p in model.parameters()),
            "onnx": onnx_facts,
        })
        print(f"{name}: validation {val_acc:.4f}, test {test_acc:.4f} -> {path}", flush=True)


def read_table(path: str) -> tuple[list[str], dict[str, list[float]]]:
    with open(path, newline="") as f:
        r = csv.reader(f)
        header = next(r)
        rows = {row[0]: [float(v) for v in row[1:]] for row in r}
    return header[1:], rows


def train_actg(args, out: str) -> None:
    lab_cols, lab = read_table(os.path.join(args.actg, "lab.csv"))
    clinic_cols, clinic = read_table(os.path.join(args.actg, "clinic.csv"))
    with open(os.path.join(args.actg, "outcome.csv"), newline="") as f:
        outcome = list(csv.DictReader(f))
    ids = {s: [r["pidnum"] for r in outcome if r["split"] == s] for s in ("train", "validation", "test")}
    event = {r["pidnum"]: int(r["event"]) for r in outcome}
    parties = {
        "actg-lab": (lab_cols, [lab], "lab"),
        "actg-clinic": (clinic_cols, [clinic], "clinic"),
        "actg-central": (lab_cols + clinic_cols, [lab, clinic], None),
    }
    for name, (cols, tables, party) in parties.items():
        def matrix(split):
            x = np.array([[v for t in tables for v in t[pid]] for pid in ids[split]], dtype=np.float32)
            y = np.array([event[pid] for pid in ids[split]], dtype=np.int64)
            return x, y

        (xtr, ytr), (xva, yva), (xte, yte) = matrix("train"), matrix("validation"), matrix("test")
        mean, std = xtr.mean(0), xtr.std(0) + 1e-6
        norm = lambda x: torch.from_numpy((x - mean) / std)  # noqa: E731
        torch.manual_seed(args.seed)
        model = TabularMLP(len(cols))
        opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-3)
        best, best_state, start = -1.0, None, time.time()
        weight = torch.tensor([1.0, float((ytr == 0).sum() / (ytr == 1).sum())])
        for epoch in range(300):
            model.train()
            loss = F.cross_entropy(model(norm(xtr)), torch.from_numpy(ytr), weight=weight)
            opt.zero_grad()
            loss.backward()
            opt.step()
            model.eval()
            with torch.no_grad():
                score = torch.softmax(model(norm(xva)), 1)[:, 1].numpy()
            a = auc(score, yva)
            if a > best:
                best, best_state, best_epoch = a, {k: v.clone() for k, v in model.state_dict().items()}, epoch + 1
        model.load_state_dict(best_state)
        seconds = time.time() - start
        # Fold (x - mean) / std into the first layer: W' = W / std, b' = b - W' mean.
        with torch.no_grad():
            w = model.first.weight / torch.from_numpy(std)
            model.first.bias -= w @ torch.from_numpy(mean)
            model.first.weight.copy_(w)
        model.eval()
        with torch.no_grad():
            probs = torch.softmax(model(torch.from_numpy(xte)), 1).numpy()
        test_auc, test_acc = auc(probs[:, 1], yte), float((probs.argmax(1) == yte).mean())
        path = os.path.join(out, name + ".onnx")
        onnx_facts = export(model, torch.from_numpy(xte[:64]), path, "features")
        semantics = {"subject": "actg175-patient", "answers": "actg175-event", "source": "actg175", "columns": cols}
        if party is None:
            semantics["note"] = "centralised upper bound: reads two parties' columns; reported, never served"
        write_card(out, {
            "name": name, "version": "1.0", "task": "tabular-classification", "modality": "tabular",
            "architecture": f"MLP {len(cols)}-32-2, input standardisation folded into the first layer",
            "file": name + ".onnx",
            "input": {"name": "features", "shape": [-1, len(cols)], "dtype": "float32", "layout": "NC",
                      "value_range": [-1e9, 1e9], "preprocessing": "the columns as stored, in the order of semantics.columns"},
            "output": {"name": "logits", "kind": "logits", "level": "fine", "labels": ["no event", "event"]},
            "semantics": semantics,
            "training": {"dataset": f"actg175 train split ({len(ytr)} patients), early stopping on validation AUC",
                         "command": "make holistic-models", "seconds": round(seconds, 1),
                         "device": f"cpu (torch {torch.__version__})", "seed": args.seed, "epochs": best_epoch,
                         "batch_size": len(ytr), "optimizer": "AdamW lr 3e-3, weight decay 1e-3, class-weighted loss"},
            "metrics": {"split": f"actg175 test ({len(yte)} patients)", "fine_accuracy": round(test_acc, 4),
                        "auc": round(test_auc, 4), "validation_auc": round(best, 4)},
            "params": sum(p.numel() for p in model.parameters()),
            "onnx": onnx_facts,
        })
        print(f"{name}: validation AUC {best:.4f}, test AUC {test_auc:.4f}, accuracy {test_acc:.4f} -> {path}", flush=True)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="models/holistic")
    p.add_argument("--data", default=DEFAULT_DATA_DIR, help="Fashion-MNIST IDX folder")
    p.add_argument("--actg", default=".hddnn/data/actg175", help="output of scripts/actg175_data.py")
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--only", choices=["views", "actg"])
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    if args.only in (None, "actg"):
        train_actg(args, args.out)
    if args.only in (None, "views"):
        train_views(args, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
