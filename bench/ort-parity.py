#!/usr/bin/env python3
"""Output parity between `hddnn infer` and ONNX Runtime on the same models and inputs.

Builds two kinds of test models, runs each in ONNX Runtime (CPUExecutionProvider) and in
`hddnn infer`, and compares the first output element by element (max abs diff; pass when
|ours - ort| <= atol + rtol * |ort| with rtol 1e-3, atol 1e-4):

* the paper's three networks at 3x32x32 with seeded random weights, BatchNormalization as
  separate nodes (training/export_random.py): MobileNet v1 width 0.5, ResNet-34, WRN-28-10;
* small operator-mix models written with onnx.helper that exercise what CNN exports contain
  besides Conv: depthwise and dilated convolutions, ceil-mode max pooling, padded average
  pooling, Pad, Slice, Concat, Transpose, Reshape from a Shape/Gather chain, Gemm, Softmax,
  HardSwish, Clip.

Writes a Markdown table (default docs/engine-parity.md). Not part of CI: it needs the Python venv
(`make venv`) and a release build (`swift build -c release`).

  .venv/bin/python bench/ort-parity.py --batch 4
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RTOL, ATOL = 1e-3, 1e-4


def _init(name: str, array: np.ndarray) -> TensorProto:
    return numpy_helper.from_array(array.astype(array.dtype), name)


def operator_mix_models(rng: np.random.Generator) -> dict[str, tuple[onnx.ModelProto, tuple[int, ...]]]:
    """Small graphs covering the non-Conv operators of exported CNNs (opset 17 and 11)."""
    f32 = lambda *s: (rng.standard_normal(s) * 0.5).astype(np.float32)
    models = {}

    # Depthwise + dilated + strided convs, BN, HardSwish, ceil-mode MaxPool, AveragePool with pads.
    nodes = [
        helper.make_node("Conv", ["x", "w_dw", "b_dw"], ["dw"], group=8, kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[2, 2]),
        helper.make_node("BatchNormalization", ["dw", "g", "beta", "mean", "var"], ["bn"], epsilon=1e-3),
        helper.make_node("HardSwish", ["bn"], ["hs"]),
        helper.make_node("Conv", ["hs", "w_dil"], ["dil"], kernel_shape=[3, 3], dilations=[2, 2], pads=[2, 1, 2, 3]),
        helper.make_node("MaxPool", ["dil"], ["mp"], kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1),
        helper.make_node("AveragePool", ["mp"], ["ap"], kernel_shape=[3, 3], pads=[1, 1, 1, 1], count_include_pad=0),
        helper.make_node("Clip", ["ap", "lo", "hi"], ["clip"]),
        helper.make_node("GlobalAveragePool", ["clip"], ["gap"]),
        helper.make_node("Flatten", ["gap"], ["flat"]),
        helper.make_node("Gemm", ["flat", "wf", "bf"], ["fc"], transB=1, alpha=0.5, beta=2.0),
        helper.make_node("Softmax", ["fc"], ["y"], axis=-1),
    ]
    inits = [_init("w_dw", f32(8, 1, 3, 3)), _init("b_dw", f32(8)), _init("g", f32(8)), _init("beta", f32(8)),
             _init("mean", f32(8)), _init("var", (rng.random(8) + 0.5).astype(np.float32)),
             _init("w_dil", f32(12, 8, 3, 3)), _init("lo", np.array(-0.5, np.float32)), _init("hi", np.array(0.8, np.float32)),
             _init("wf", f32(10, 12)), _init("bf", f32(10))]
    g = helper.make_graph(nodes, "convmix", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 8, 17, 15])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 10])], inits)
    models["op-mix-conv (opset 17)"] = (helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), (8, 17, 15))

    # Shape arithmetic and data movement, as PyTorch exports of view/flatten/cat produce.
    nodes = [
        helper.make_node("Pad", ["x", "pads"], ["padded"], mode="reflect"),
        helper.make_node("Slice", ["padded", "starts", "ends", "axes", "steps"], ["sliced"]),
        helper.make_node("Transpose", ["sliced"], ["t"], perm=[0, 2, 3, 1]),
        helper.make_node("Shape", ["t"], ["shape"]),
        helper.make_node("Gather", ["shape", "zero_scalar"], ["batch"], axis=0),
        helper.make_node("Unsqueeze", ["batch", "zero"], ["batch1"]),
        helper.make_node("Concat", ["batch1", "minus1"], ["newshape"], axis=0),
        helper.make_node("Reshape", ["t", "newshape"], ["flat"]),
        helper.make_node("Concat", ["flat", "flat"], ["twice"], axis=1),
        helper.make_node("MatMul", ["twice", "wm"], ["mm"]),
        helper.make_node("Relu", ["mm"], ["r"]),
        helper.make_node("LeakyRelu", ["r"], ["lr"], alpha=0.1),
        helper.make_node("ReduceMean", ["lr"], ["rm"], axes=[1], keepdims=1),
        helper.make_node("Sub", ["lr", "rm"], ["centered"]),
        helper.make_node("LogSoftmax", ["centered"], ["y"], axis=1),
    ]
    inits = [_init("pads", np.array([0, 0, 1, 2, 0, 0, 2, 1], np.int64)),
             _init("starts", np.array([1, 0], np.int64)), _init("ends", np.array([100, -1], np.int64)),
             _init("axes", np.array([2, 3], np.int64)), _init("steps", np.array([2, 1], np.int64)),
             _init("zero", np.array([0], np.int64)), _init("zero_scalar", np.array(0, np.int64)),
             _init("minus1", np.array([-1], np.int64))]
    # x [N,3,9,9] -> pad [N,3,12,12] -> slice [N,3,6,11] -> transpose [N,6,11,3] -> flat [N,198] -> twice [N,396]
    inits.append(_init("wm", f32(396, 7)))
    g = helper.make_graph(nodes, "shapemix", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 9, 9])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 7])], inits)
    models["op-mix-shape (opset 13)"] = (helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), (3, 9, 9))
    for m, _ in models.values():
        m.ir_version = 8
        onnx.checker.check_model(m)
    return models


def run_ort(path: str, x: np.ndarray, threads: int, optimize: bool = True) -> np.ndarray:
    so = ort.SessionOptions()
    if not optimize:
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    s = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    return s.run(None, {s.get_inputs()[0].name: x})[0]


def run_hddnn(hddnn: str, path: str, x: np.ndarray, work: str, threads: int) -> np.ndarray:
    xin, yout = os.path.join(work, "x.npy"), os.path.join(work, "y.npy")
    np.save(xin, x)
    r = subprocess.run([hddnn, "infer", path, "--input", xin, "--output", yout, "--threads", str(threads)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"hddnn infer failed on {path}: {r.stderr.strip()}")
    return np.load(yout)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--hddnn", default=os.path.join(ROOT, ".build/release/hddnn"), help="the hddnn binary")
    p.add_argument("--batch", type=int, default=4, help="images per run (default 4)")
    p.add_argument("--threads", type=int, default=1, help="threads for both engines (default 1)")
    p.add_argument("--seed", type=int, default=0, help="seed of weights and inputs")
    p.add_argument("--out", default=os.path.join(ROOT, "docs/engine-parity.md"), help="Markdown report to write")
    p.add_argument("--skip-paper", action="store_true", help="only the small operator-mix models")
    args = p.parse_args()
    rng = np.random.default_rng(args.seed)

    with tempfile.TemporaryDirectory() as work:
        models: list[tuple[str, str, tuple[int, ...]]] = []
        for name, (m, shape) in operator_mix_models(rng).items():
            path = os.path.join(work, name.split()[0] + ".onnx")
            onnx.save(m, path)
            models.append((name, path, shape))
        if not args.skip_paper:
            print("exporting the paper's networks with random weights ...", flush=True)
            subprocess.run([sys.executable, os.path.join(ROOT, "training/export_random.py"), "--out", work,
                            "--seed", str(args.seed), "--no-check"], check=True)
            for f, label in [("paper-mobilenet.onnx", "MobileNet v1 0.5, 20 classes"),
                             ("paper-resnet34.onnx", "ResNet-34, 100 classes"),
                             ("paper-wrn28-10.onnx", "WRN-28-10, 100 classes")]:
                models.append((label, os.path.join(work, f), (3, 32, 32)))

        rows, ok = [], True
        for name, path, shape in models:
            x = rng.standard_normal((args.batch, *shape)).astype(np.float32)
            ref = run_ort(path, x, args.threads)
            # ORT against itself with its graph optimizations off: the float-rounding spread
            # that any other summation order shows, for scale.
            spread = float(np.max(np.abs(run_ort(path, x, args.threads, optimize=False) - ref)))
            got = run_hddnn(args.hddnn, path, x, work, args.threads)
            diff = float(np.max(np.abs(got - ref))) if got.shape == ref.shape else float("inf")
            passed = got.shape == ref.shape and bool(np.all(np.abs(got - ref) <= ATOL + RTOL * np.abs(ref)))
            ok &= passed
            worst = float(np.max(np.abs(got - ref) / (ATOL + RTOL * np.abs(ref)))) if got.shape == ref.shape else float("inf")
            rows.append((name, f"{args.batch}x{'x'.join(map(str, shape))}", str(list(ref.shape)), f"{diff:.2e}",
                         f"{spread:.2e}", f"{float(np.max(np.abs(ref))):.3g}", f"{worst:.2f}", "pass" if passed else "FAIL"))
            print(f"{name:32s} max|diff| {diff:.2e}  {'pass' if passed else 'FAIL'}", flush=True)

    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    lines = [
        "# Engine output parity with ONNX Runtime",
        "",
        f"Generated by `{' '.join(['.venv/bin/python', 'bench/ort-parity.py'] + sys.argv[1:])}` on "
        f"{datetime.date.today()}: {cpu}, {os.cpu_count()} cores, {args.threads} thread(s) for both engines, "
        f"ONNX Runtime {ort.__version__} (CPUExecutionProvider), onnx {onnx.__version__}, seed {args.seed}.",
        "",
        f"Pass: every element within atol {ATOL:g} + rtol {RTOL:g} x |ORT|. Random weights and inputs "
        "(standard normal); the paper's networks come from `training/export_random.py` with "
        "BatchNormalization as separate nodes and non-trivial running statistics. "
        "\"ORT vs ORT unoptimized\" is ONNX Runtime's own output with graph optimizations off against "
        "its default: the spread that float rounding alone gives with another summation order. "
        "\"worst diff / tolerance\" above 1 fails.",
        "",
        "| model | input | output | max abs diff | ORT vs ORT unoptimized | max abs ORT output | worst diff / tolerance | result |",
        "|---|---|---|---|---|---|---|---|",
    ] + [f"| {' | '.join(r)} |" for r in rows]
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {args.out}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
