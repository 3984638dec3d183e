"""ONNX export and verification shared by train.py and export_random.py.

The contract every exported file keeps, because the Swift engine and its ONNX Runtime parity
scripts rely on it:

* opset 17; one input named "input" (float32, NCHW) and one output named "logits", both with a
  dynamic batch dimension "batch";
* exported in eval mode with the legacy TorchScript exporter (`dynamo=False`), whose output is
  a flat graph of plain operators (Conv, BatchNormalization, Relu, Add, MaxPool,
  GlobalAveragePool, Flatten, Gemm);
* every BatchNormalization is its own node. The legacy exporter in TrainingMode.EVAL runs an
  "eval peephole" pass that folds Conv+BN into one Conv; the engine is meant to do that folding
  itself (DESIGN.md: "a compiled execution plan (BN folding, ...)"), so we export with
  TrainingMode.PRESERVE on a model already in eval mode: BN becomes the inference-form
  BatchNormalization node (training_mode=0, running statistics as initializers) and no fusion
  pass runs. `check_graph` asserts that the count of BatchNormalization nodes equals the count
  of batch-norm modules, so a fused export cannot slip through.
"""

from __future__ import annotations

import collections
import warnings

import numpy as np
import torch
import torch.nn as nn

from models import InputNorm

OPSET = 17


def batchnorm_count(model: nn.Module) -> int:
    return sum(isinstance(m, (nn.BatchNorm2d, InputNorm)) for m in model.modules())


def export_onnx(model: nn.Module, path: str, input_shape: tuple[int, int, int]) -> None:
    """Export `model` (moved to CPU float32, eval mode) to `path` under the contract above."""
    model = model.to("cpu", torch.float32, memory_format=torch.contiguous_format).eval()
    dummy = torch.zeros(2, *input_shape)
    with warnings.catch_warnings():
        # The legacy exporter is deprecated in favour of dynamo=True; we choose it on purpose.
        warnings.simplefilter("ignore", category=DeprecationWarning)
        warnings.simplefilter("ignore", category=FutureWarning)
        # PRESERVE on an eval-mode model exports inference BN; the warning about constant
        # folding in "training-amenable mode" concerns models left in train mode.
        warnings.filterwarnings("ignore", message=".*constant folding be turned off.*")
        torch.onnx.export(
            model,
            (dummy,),
            path,
            dynamo=False,
            export_params=True,
            opset_version=OPSET,
            do_constant_folding=True,
            training=torch.onnx.TrainingMode.PRESERVE,
            input_names=["input"],
            output_names=["logits"],
            dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
        )
    inline_identity_initializers(path)


def inline_identity_initializers(path: str) -> None:
    """Replace `Identity(initializer)` nodes by a copy of the initializer.

    The legacy exporter stores equal-valued parameters once and aliases the others through
    Identity nodes (it happens whenever two BN layers still hold their initial zeros/ones, as in
    a freshly initialised model). An engine would then need Identity just to read its weights;
    a copy under the aliased name costs a few bytes and keeps every weight an initializer.
    """
    import onnx

    proto = onnx.load(path)
    inits = {t.name: t for t in proto.graph.initializer}
    keep = []
    for node in proto.graph.node:
        if node.op_type == "Identity" and node.input[0] in inits:
            copy = onnx.TensorProto()
            copy.CopyFrom(inits[node.input[0]])
            copy.name = node.output[0]
            proto.graph.initializer.append(copy)
        else:
            keep.append(node)
    if len(keep) != len(proto.graph.node):
        del proto.graph.node[:]
        proto.graph.node.extend(keep)
        onnx.save(proto, path)


def check_graph(path: str, model: nn.Module) -> dict[str, int]:
    """Validate the file with onnx.checker and check the contract; return operator counts."""
    import onnx

    proto = onnx.load(path)
    onnx.checker.check_model(proto)
    ops = collections.Counter(n.op_type for n in proto.graph.node)
    imports = {o.domain: o.version for o in proto.opset_import}
    if imports.get("", imports.get("ai.onnx")) != OPSET:
        raise AssertionError(f"{path}: opset {imports}, expected {OPSET}")
    if [i.name for i in proto.graph.input] != ["input"]:
        raise AssertionError(f"{path}: inputs {[i.name for i in proto.graph.input]}")
    if [o.name for o in proto.graph.output] != ["logits"]:
        raise AssertionError(f"{path}: outputs {[o.name for o in proto.graph.output]}")
    dim0 = proto.graph.input[0].type.tensor_type.shape.dim[0]
    if dim0.dim_param != "batch":
        raise AssertionError(f"{path}: batch dimension is not dynamic ({dim0})")
    expected_bn = batchnorm_count(model)
    if ops.get("BatchNormalization", 0) != expected_bn:
        raise AssertionError(
            f"{path}: {ops.get('BatchNormalization', 0)} BatchNormalization nodes, "
            f"model has {expected_bn} (was BN folded into Conv?)")
    return dict(sorted(ops.items()))


def verify_onnxruntime(path: str, model: nn.Module, x: torch.Tensor,
                       threads: int | None = None) -> dict:
    """Run the ONNX file with ONNX Runtime (CPU) and the PyTorch model (CPU, float32) on the
    same batch; return the largest absolute logit difference and the share of equal argmaxes.
    Raises if they disagree beyond float32 rounding (1e-3 absolute, relative to logits of order
    10, leaves room for a different summation order but not for a wrong graph)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    if threads:
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    model = model.to("cpu", torch.float32, memory_format=torch.contiguous_format).eval()
    x = x.to("cpu", torch.float32).contiguous()
    with torch.no_grad():
        ref = model(x).numpy()
    got = sess.run(["logits"], {"input": x.numpy()})[0]
    diff = float(np.max(np.abs(ref - got)))
    agree = float(np.mean(ref.argmax(1) == got.argmax(1)))
    scale = float(np.max(np.abs(ref))) or 1.0
    if diff > 1e-3 * max(1.0, scale / 10):
        raise AssertionError(f"{path}: ONNX Runtime differs from PyTorch by {diff:.3g} "
                             f"(logit scale {scale:.3g})")
    return {"batch": int(x.shape[0]), "max_abs_diff": diff, "argmax_agreement": agree}
