#!/usr/bin/env python3
"""Train one HDDNN model on Fashion-MNIST, evaluate it, export it to ONNX and write its card.

Models (see training/models.py for the architectures and why they look as they do):

  shipped, 1x28x28 Fashion-MNIST, files in models/:
    end              MobileNet v1 alpha 0.5 -> 5 coarse classes      end-mobilenet.onnx
    edge             ResNet-20              -> 10 fine classes       edge-resnet.onnx
    cloud            WRN-16-4               -> 10 fine classes       cloud-wrn.onnx

  the paper's architectures (HDDNN Sec. 3.2), 3x32x32; CIFAR-100 cannot be downloaded here, so
  they train on Fashion-MNIST zero-padded to 32x32 and replicated to 3 channels, with 5 coarse
  (MobileNet) or 10 fine classes instead of the paper's 20 / 100. Not shipped (too large):
    paper-mobilenet  MobileNet v1 alpha 0.5
    paper-resnet34   ResNet-34 with the 7x7/2 stem (Table 4: 9,472 parameters)
    paper-wrn28-10   WRN-28-10 (Table 4: 432 weights in the first conv)

Recipe (the same for all, numbers per model in models.SPECS): SGD with Nesterov momentum 0.9,
batch 256, learning rate warmed up linearly over two epochs then cosine-annealed to zero,
weight decay on conv/linear weights only, random crop with zero padding and horizontal flip.
The paper trains with Adam (MobileNet, ResNet) and step-decayed SGD (WRN) for 100-500 epochs;
we need minutes, and a short cosine schedule gets there. The model is the one after the last
epoch: the test set is never used to pick a checkpoint.

On CUDA the whole data set sits on the GPU as uint8 tensors, batches are cut and augmented
there, the forward/backward passes run under bf16 autocast and channels-last; the final
evaluation runs in float32 (TF32 off), as the exported ONNX file does.

Time budget: with --time-budget S the number of epochs is fitted at the end of the warm-up
(epoch 2), as min(--epochs, 2 + floor((S - time so far) / time of epoch 2)), and the cosine
schedule is laid over that count, so a budgeted run ends with a finished schedule rather than a
truncated one. The card records the
epochs actually run; `--epochs N` without a budget repeats the same schedule.

Reproducibility: everything random (initialisation, shuffling, augmentation) comes from --seed.
On CPU a rerun with the same seed and thread count gives the same weights; on CUDA cuDNN's
autotuned kernels are not bitwise deterministic, so reruns agree to within run-to-run noise.

Outputs in --out: NAME.onnx, NAME.card.json (see docs/trained-models.md for the card format).

Examples:
  python training/train.py --model edge --device cpu --threads 1 --limit 2000 --epochs 1 --out /tmp/smoke
  python training/train.py --model cloud --device cuda --epochs 30 --out models/
  python training/train.py --model paper-wrn28-10 --device cuda --epochs 30 --time-budget 90 --out /tmp/paper
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shlex
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import fashion_mnist as fm  # noqa: E402
import models as M  # noqa: E402
from onnx_export import check_graph, export_onnx, verify_onnxruntime  # noqa: E402
from taxonomy import COARSE_LABELS, FINE_LABELS, FINE_TO_COARSE, taxonomy_json  # noqa: E402

CARD_VERSION = "1.0"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="train.py",
        description=__doc__.split("\n\n")[0],
        epilog="\n\n".join(__doc__.split("\n\n")[1:]),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--model", required=True, choices=list(M.SPECS),
                   help="which model to train (list above)")
    p.add_argument("--epochs", type=int, default=None,
                   help="epochs of the schedule (default: the model's own, e.g. 30 for cloud); "
                        "an upper bound when --time-budget is given")
    p.add_argument("--seed", type=int, default=0, help="seed of every random choice (default 0)")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto",
                   help="auto picks cuda when available")
    p.add_argument("--threads", type=int, default=None,
                   help="CPU threads for torch and ONNX Runtime (default: torch's default); use 1 "
                        "on a shared 2-core machine")
    p.add_argument("--time-budget", type=float, default=None, metavar="SECONDS",
                   help="fit the epoch count to this much training time (evaluation and export "
                        "come on top)")
    p.add_argument("--batch-size", type=int, default=None, help="default: the model's (256)")
    p.add_argument("--lr", type=float, default=None, help="peak learning rate (default: the model's)")
    p.add_argument("--limit", type=int, default=None, metavar="N",
                   help="use only the first N training and N test images: for smoke tests; the "
                        "card then says so and its metrics mean little")
    p.add_argument("--data", default=fm.DEFAULT_DATA_DIR,
                   help="folder with the four Fashion-MNIST IDX .gz files (default %(default)s)")
    p.add_argument("--out", default="models", help="folder for NAME.onnx and NAME.card.json")
    p.add_argument("--note", default=None,
                   help="free text for the card's training.note (e.g. how the run shared its GPU)")
    p.add_argument("--no-export", action="store_true",
                   help="train and evaluate only: no ONNX file, the card still gets written")
    return p.parse_args(argv)


def pick_device(choice: str) -> torch.device:
    if choice == "cuda" or (choice == "auto" and torch.cuda.is_available()):
        if not torch.cuda.is_available():
            raise SystemExit("--device cuda asked for, but torch sees no CUDA device")
        return torch.device("cuda")
    return torch.device("cpu")


def device_description(device: torch.device) -> str:
    if device.type == "cuda":
        return f"cuda: {torch.cuda.get_device_name(device)} (torch {torch.__version__})"
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"cpu: {cpu}, {torch.get_num_threads()} thread(s) (torch {torch.__version__})"


def param_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """Weight decay on conv and linear weights only: decaying BN scales and biases only fights
    BN's own normalisation."""
    decay, no_decay = [], []
    for p in model.parameters():
        (decay if p.ndim > 1 else no_decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay},
            {"params": no_decay, "weight_decay": 0.0}]


def lr_at(step: int, steps_per_epoch: int, warmup_epochs: int, total_epochs: int,
          peak: float) -> float:
    """Linear warm-up over the first `warmup_epochs` (from peak/10), cosine to zero over the
    rest. The warm-up does not depend on `total_epochs`, so the total can still be fitted to a
    time budget at the end of the warm-up without a jump in the schedule."""
    warm = warmup_epochs * steps_per_epoch
    if step < warm:
        return peak * (0.1 + 0.9 * step / warm)
    total = max(1, (total_epochs - warmup_epochs) * steps_per_epoch)
    t = min(1.0, (step - warm) / total)
    return peak * 0.5 * (1.0 + math.cos(math.pi * t))


@torch.no_grad()
def predict(model: nn.Module, split: fm.DeviceSplit, size: int, channels: int,
            device: torch.device, batch: int = 1000, amp: bool = False) -> torch.Tensor:
    """Argmax predictions over the whole split, in order."""
    model.eval()
    preds = []
    for i in range(0, len(split), batch):
        x = fm.prepare(split.images[i:i + batch], size, channels)
        if device.type == "cuda":
            x = x.contiguous(memory_format=torch.channels_last)
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=amp):
            preds.append(model(x).argmax(1))
    return torch.cat(preds)


def metrics(pred: torch.Tensor, split: fm.DeviceSplit, level: str) -> dict:
    """Fine accuracy (fine models), coarse accuracy, and coarse accuracy macro-averaged over the
    five coarse classes (mean per-class recall: 'tops' holds 40% of the test set, so plain
    accuracy alone would hide a weak minority class). A fine model's coarse answer is its fine
    prediction mapped through the taxonomy, which is how HDDNN compares tiers."""
    return accuracy_metrics(pred.cpu().numpy(), split.fine.cpu().numpy(), level)


def accuracy_metrics(pred: np.ndarray, fine: np.ndarray, level: str) -> dict:
    """metrics() on numpy arrays: also used by evaluate_onnx.py on ONNX Runtime's answers.
    Ratios are computed from integer counts and rounded to 6 places, so a card shows 0.9509,
    not float32's 0.95089996."""
    f2c = np.asarray(FINE_TO_COARSE)
    coarse = f2c[fine]
    out = {}
    if level == "fine":
        out["fine_accuracy"] = round(int((pred == fine).sum()) / len(fine), 6)
        coarse_pred = f2c[pred]
    else:
        coarse_pred = pred
    correct = coarse_pred == coarse
    out["coarse_accuracy"] = round(int(correct.sum()) / len(coarse), 6)
    per_class = {}
    for c, name in enumerate(COARSE_LABELS):
        mask = coarse == c
        if mask.any():
            per_class[name] = int(correct[mask].sum()) / int(mask.sum())
    out["coarse_macro_accuracy"] = round(float(np.mean(list(per_class.values()))), 6)
    out["coarse_per_class_accuracy"] = {k: round(v, 6) for k, v in per_class.items()}
    return out


def train(args: argparse.Namespace) -> dict:
    spec = M.SPECS[args.model]
    device = pick_device(args.device)
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    cuda = device.type == "cuda"
    if cuda:
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True

    channels, size, _ = spec.input_shape
    num_classes = len(COARSE_LABELS) if spec.level == "coarse" else len(FINE_LABELS)
    epochs = args.epochs or spec.epochs
    batch_size = args.batch_size or spec.batch_size
    peak_lr = args.lr or spec.lr

    tr_x, tr_y = fm.load_split(args.data, "train")
    te_x, te_y = fm.load_split(args.data, "test")
    if args.limit:
        tr_x, tr_y, te_x, te_y = tr_x[:args.limit], tr_y[:args.limit], te_x[:args.limit], te_y[:args.limit]
    train_split = fm.to_device_split(tr_x, tr_y, device)
    test_split = fm.to_device_split(te_x, te_y, device)

    model = M.build_trained(args.model, num_classes, fm.PIXEL_MEAN, fm.PIXEL_STD).to(device)
    if cuda:
        model = model.to(memory_format=torch.channels_last)
    params = M.count_params(model)
    macs = M.count_macs(M.build_arch(args.model, num_classes), spec.input_shape)
    print(f"[{args.model}] {spec.description}; {params:,} parameters, {macs:,} MACs/sample; "
          f"device {device_description(device)}; {len(train_split)} train / {len(test_split)} "
          f"test images", flush=True)

    opt = torch.optim.SGD(param_groups(model, spec.weight_decay), lr=peak_lr, momentum=0.9,
                          nesterov=True)
    gen = torch.Generator(device=device).manual_seed(args.seed)
    n = len(train_split)
    steps_per_epoch = max(1, n // batch_size)  # drop the last partial batch: BN needs batches
    labels = train_split.coarse if spec.level == "coarse" else train_split.fine

    t_start = time.perf_counter()
    planned = epochs
    # Two warm-up epochs when there is room: the first epoch is slow (cuDNN autotuning, and on a
    # shared GPU the other runs' start-up), so the budget is fitted on the second one's time.
    warmup = 2 if epochs >= 4 else 1
    step = 0
    epoch = 0
    while epoch < planned:
        model.train()
        t_epoch = time.perf_counter()
        perm = torch.randperm(n, device=device, generator=gen)
        loss_sum = torch.zeros((), device=device)
        correct = torch.zeros((), device=device)
        for b in range(steps_per_epoch):
            idx = perm[b * batch_size:(b + 1) * batch_size]
            x = fm.augment(fm.prepare(train_split.images[idx], size, channels), spec.crop_pad, gen)
            y = labels[idx]
            if cuda:
                x = x.contiguous(memory_format=torch.channels_last)
            for g in opt.param_groups:
                g["lr"] = lr_at(step, steps_per_epoch, warmup, planned, peak_lr)
            with torch.autocast("cuda", dtype=torch.bfloat16, enabled=cuda):
                logits = model(x)
                loss = F.cross_entropy(logits.float(), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            loss_sum += loss.detach()
            correct += (logits.argmax(1) == y).sum()
        epoch += 1
        if cuda:
            torch.cuda.synchronize()
        dt = time.perf_counter() - t_epoch
        elapsed = time.perf_counter() - t_start
        print(f"[{args.model}] epoch {epoch}/{planned}  loss {float(loss_sum) / steps_per_epoch:.4f}  "
              f"train acc {float(correct) / (steps_per_epoch * batch_size):.4f}  "
              f"lr {opt.param_groups[0]['lr']:.4f}  {dt:.1f}s (total {elapsed:.1f}s)", flush=True)
        if args.time_budget and epoch == warmup:
            # At least one epoch after the warm-up, so that the learning rate comes down.
            fit = max(warmup + 1, epoch + int(max(0.0, args.time_budget - elapsed) // dt))
            if fit < planned:
                print(f"[{args.model}] time budget {args.time_budget:.0f}s, {elapsed:.1f}s spent, "
                      f"epoch {epoch} took {dt:.1f}s: schedule fitted to {fit} epochs", flush=True)
                planned = fit
    train_seconds = time.perf_counter() - t_start

    # Final evaluation in float32, as the exported file computes.
    if cuda:
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    pred = predict(model, test_split, size, channels, device)
    result = metrics(pred, test_split, spec.level)
    print(f"[{args.model}] test: " + ", ".join(
        f"{k} {v:.4f}" for k, v in result.items() if isinstance(v, float)), flush=True)

    os.makedirs(args.out, exist_ok=True)
    onnx_path = os.path.join(args.out, spec.onnx_file)
    verification = None
    ops = None
    if not args.no_export:
        cpu_model = model.to("cpu", torch.float32, memory_format=torch.contiguous_format).eval()
        export_onnx(cpu_model, onnx_path, spec.input_shape)
        ops = check_graph(onnx_path, cpu_model)
        batch = fm.prepare(test_split.images[:256].cpu(), size, channels)
        verification = verify_onnxruntime(onnx_path, cpu_model, batch, args.threads)
        print(f"[{args.model}] exported {onnx_path} ({os.path.getsize(onnx_path):,} bytes), "
              f"ops {ops}; ONNX Runtime vs PyTorch on {verification['batch']} test images: "
              f"max |diff| {verification['max_abs_diff']:.2e}, argmax agreement "
              f"{verification['argmax_agreement']:.4f}", flush=True)

    card = make_card(args, spec, num_classes, params, macs, result, train_seconds, epoch,
                     device, onnx_path if not args.no_export else None, verification, ops,
                     batch_size, peak_lr)
    card_path = os.path.join(args.out, spec.onnx_file.replace(".onnx", ".card.json"))
    with open(card_path, "w") as f:
        json.dump(card, f, indent=2)
        f.write("\n")
    print(f"[{args.model}] wrote {card_path}", flush=True)
    return card


def make_card(args, spec: M.ModelSpec, num_classes: int, params: int, macs: int, result: dict,
              seconds: float, epochs_run: int, device: torch.device, onnx_path: str | None,
              verification: dict | None, ops: dict | None, batch_size: int,
              peak_lr: float) -> dict:
    """The model card: what the model takes and gives, in terms a program can check."""
    channels, h, w = spec.input_shape
    warmup = 2 if (args.epochs or spec.epochs) >= 4 else 1
    labels = list(COARSE_LABELS) if spec.level == "coarse" else list(FINE_LABELS)
    command = "python training/train.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    card = {
        "name": spec.onnx_file[:-len(".onnx")],
        "version": CARD_VERSION,
        "task": "image-classification",
        "modality": "image",
        "architecture": spec.description,
        "file": spec.onnx_file,
        "input": {
            "name": "input",
            "shape": [-1, channels, h, w],
            "dtype": "float32",
            "layout": "NCHW",
            "value_range": [0.0, 1.0],
            # Identity for the caller: feed pixel/255. The graph's first node (a
            # BatchNormalization) applies the data set's statistics, listed under in_model.
            "normalization": {
                "mean": [0.0] * channels,
                "std": [1.0] * channels,
                "in_model": {"mean": [fm.PIXEL_MEAN] * channels, "std": [fm.PIXEL_STD] * channels},
            },
            "preprocessing": ("grayscale pixel bytes / 255, no other scaling: the model "
                              "normalizes inside" + (
                                  "; Fashion-MNIST's 28x28 image zero-padded by 2 pixels on each "
                                  "side to 32x32 and copied to 3 channels" if channels == 3 else "")),
        },
        "output": {
            "name": "logits",
            "kind": "logits",
            "level": spec.level,
            "labels": labels,
        },
        "taxonomy": taxonomy_json(),
        "training": {
            "dataset": "fashion-mnist",
            "command": command,
            "seconds": round(seconds, 1),
            "device": device_description(device),
            "seed": args.seed,
            "epochs": epochs_run,
            "batch_size": batch_size,
            "optimizer": f"SGD nesterov momentum 0.9, peak lr {peak_lr}, weight decay "
                         f"{spec.weight_decay}, {warmup} warm-up epoch(s) then cosine",
            "augmentation": f"random crop (zero padding {spec.crop_pad}), horizontal flip",
            "time_budget_s": args.time_budget,
        },
        "metrics": {
            "split": "fashion-mnist test (10,000 images)" if not args.limit
                     else f"first {args.limit} test images (smoke run)",
            **result,
        },
        "params": params,
        "macs_per_sample": macs,
    }
    if args.limit:
        card["training"]["limit"] = args.limit
    notes = [args.note] if args.note else []
    if not spec.shipped:
        notes.append(
            f"The paper's architecture, built for CIFAR-100 ({spec.paper_classes} classes), "
            f"trained here on Fashion-MNIST padded to 32x32 and replicated to 3 channels with "
            f"{num_classes} {spec.level} classes, because CIFAR-100 cannot be downloaded on this "
            f"machine. Not shipped in models/ (size); see docs/trained-models.md.")
    if notes:
        card["training"]["note"] = " ".join(notes)
    if onnx_path:
        card["onnx"] = {
            "opset": 17,
            "bytes": os.path.getsize(onnx_path),
            "batchnorm": "separate BatchNormalization nodes (not folded into Conv)",
            "operators": ops,
            "onnxruntime_check": verification,
        }
    return card


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    train(args)


if __name__ == "__main__":
    main()
