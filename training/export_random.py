#!/usr/bin/env python3
"""Export the paper's three architectures at 3x32x32 with seeded random weights.

HDDNN's Table 1 times MobileNet v1 alpha 0.5 (20 coarse classes), ResNet-34 and WRN-28-10 (100
fine classes) on CIFAR-100-sized input. Trained weights of those sizes cannot ship in the
repository (85 MB and 146 MB as float32 ONNX), and speed does not depend on the weights, so the
engine's ONNX Runtime parity tests and benchmarks use these files instead:

  paper-mobilenet.onnx   MobileNet v1 alpha 0.5, 20 classes
  paper-resnet34.onnx    ResNet-34 (7x7/2 stem with bias + max pool), 100 classes
  paper-wrn28-10.onnx    WRN-28-10, 100 classes
  manifest.json          per file: classes, parameters, MACs, first convolution, operators

Each file: input "input" [batch, 3, 32, 32] float32 NCHW, output "logits" [batch, classes],
opset 17, dynamic batch, and every BatchNormalization a separate node (see onnx_export.py).
There is no input normalization node: the bare architecture, first node a Conv, so the
"first layer" that HDDNN moves to a dependable node is exactly the Conv of the paper's Table 4.

So that parity tests exercise BatchNormalization for real, BN is not left at its identity
initialisation (mean 0, var 1, gamma 1, beta 0): running statistics are first measured on a few
seeded random batches (so activations keep sane magnitudes through 28 to 34 layers), then each
channel's mean and variance are perturbed and gamma/beta drawn at random. Everything follows
from --seed: the same seed writes the same weights.

Example:
  python training/export_random.py --out /tmp/paper-models
  python training/export_random.py --out /tmp/paper-models --models paper-resnet34 --no-check
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import models as M  # noqa: E402
from onnx_export import check_graph, export_onnx, verify_onnxruntime  # noqa: E402

PAPER_MODELS = ["paper-mobilenet", "paper-resnet34", "paper-wrn28-10"]


@torch.no_grad()
def randomize_batchnorm(model: nn.Module, input_shape: tuple[int, int, int],
                        gen: torch.Generator, batches: int = 4, batch: int = 16) -> None:
    """Give every BN layer non-trivial, well-scaled parameters and running statistics."""
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = None  # cumulative average over the calibration batches
    model.train()
    for _ in range(batches):
        model(torch.rand(batch, *input_shape, generator=gen))
    model.eval()
    for bn in bns:
        c = bn.num_features
        std = bn.running_var.sqrt()
        bn.running_mean += 0.2 * std * torch.randn(c, generator=gen)
        bn.running_var *= torch.empty(c).uniform_(0.6, 1.6, generator=gen)
        bn.weight.copy_(torch.empty(c).uniform_(0.5, 1.5, generator=gen))
        bn.bias.copy_(0.1 * torch.randn(c, generator=gen))
        bn.momentum = 0.1


def first_conv(model: nn.Module) -> nn.Conv2d:
    return next(m for m in model.modules() if isinstance(m, nn.Conv2d))


def export_one(name: str, out: str, seed: int, check: bool, threads: int | None) -> dict:
    spec = M.SPECS[name]
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model = M.build_arch(name, spec.paper_classes)
    randomize_batchnorm(model, spec.input_shape, gen)
    path = os.path.join(out, spec.onnx_file)
    export_onnx(model, path, spec.input_shape)
    ops = check_graph(path, model)
    conv = first_conv(model)
    entry = {
        "file": spec.onnx_file,
        "architecture": spec.description,
        "input": {"name": "input", "shape": [-1, *spec.input_shape], "dtype": "float32",
                  "layout": "NCHW"},
        "output": {"name": "logits", "shape": [-1, spec.paper_classes], "level": spec.level},
        "classes": spec.paper_classes,
        "params": M.count_params(model),
        "macs_per_sample": M.count_macs(model, spec.input_shape),
        "first_conv": {
            "kernel": list(conv.kernel_size), "stride": list(conv.stride),
            "out_channels": conv.out_channels, "bias": conv.bias is not None,
            "params": sum(p.numel() for p in conv.parameters()),
        },
        "operators": ops,
        "bytes": os.path.getsize(path),
        "seed": seed,
    }
    if check:
        x = torch.rand(8, *spec.input_shape, generator=gen)
        entry["onnxruntime_check"] = verify_onnxruntime(path, model, x, threads)
    print(f"{path}: {entry['params']:,} params, {entry['macs_per_sample']:,} MACs, first conv "
          f"{entry['first_conv']['params']:,} params, {entry['bytes']:,} bytes"
          + (f", ORT max |diff| {entry['onnxruntime_check']['max_abs_diff']:.2e}" if check else ""),
          flush=True)
    return entry


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="\n\n".join(__doc__.split("\n\n")[1:]),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, help="folder to write the ONNX files and manifest.json")
    p.add_argument("--seed", type=int, default=0, help="seed of all weights (default 0)")
    p.add_argument("--models", nargs="+", choices=PAPER_MODELS, default=PAPER_MODELS,
                   help="which architectures (default: all three)")
    p.add_argument("--no-check", dest="check", action="store_false",
                   help="skip the ONNX Runtime vs PyTorch check on 8 random images")
    p.add_argument("--threads", type=int, default=None, help="CPU threads for torch and ORT")
    a = p.parse_args(argv)
    if a.threads:
        torch.set_num_threads(a.threads)
    os.makedirs(a.out, exist_ok=True)
    manifest = {"seed": a.seed, "opset": 17,
                "models": {n: export_one(n, a.out, a.seed, a.check, a.threads) for n in a.models}}
    with open(os.path.join(a.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
