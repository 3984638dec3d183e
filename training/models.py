"""The network architectures: the three shipped Fashion-MNIST models and the paper's three.

HDDNN (Wang et al., Sec. 3.2 and Fig. 2) puts a different network on each tier:

* end devices: MobileNet v1 (Howard et al. 2017), width multiplier alpha = 0.5, depth
  multiplier 1, answering with the *coarse* label (20 CIFAR-100 superclasses);
* edge devices: ResNet-34 (He et al. 2016), answering with the *fine* label (100 classes);
* the cloud: Wide ResNet WRN-28-10 (Zagoruyko & Komodakis 2016), fine label.

`paper_mobilenet`, `paper_resnet34` and `paper_wrn28_10` rebuild those for 3x32x32 input. The
paper's code was never published, so two details come from its Table 4, which lists the first
layer of each edge/cloud network (the layer that HDDNN runs on a dependable node before data
leaves it): ResNet-34 starts with a 7x7 stride-2 convolution to 64 channels *with* bias
(16x16x64 output, 7*7*3*64 + 64 = 9,472 parameters), i.e. the ImageNet stem kept unchanged on
32x32 input, and WRN-28-10 with a 3x3 convolution to 16 channels without bias (3*3*3*16 = 432).
We keep the ImageNet ResNet's 3x3 stride-2 max pool after that stem too (the paper says only
that the input size was changed), so its stages run at 8, 4, 2 and 1 pixels.

The shipped models are smaller members of the same three families for 1x28x28 Fashion-MNIST,
small enough to live in the repository and to train in minutes:

* `end_mobilenet`: MobileNet v1 alpha 0.5 with the stem at stride 1 (28x28 is already small),
  5 coarse classes;
* `edge_resnet`: ResNet-20, the CIFAR ResNet of He et al. Sec. 4.2 (3 stages of 3 basic blocks,
  16/32/64 channels), with 1x1 projection shortcuts (option B) instead of zero padding, 10 fine
  classes;
* `cloud_wrn`: WRN-16-4 (3 stages of 2 pre-activation wide blocks, 64/128/256 channels), 10 fine
  classes.

Choices that keep the ONNX graphs within a small operator set for the Swift engine: ReLU
everywhere (the MobileNet paper uses ReLU; Keras' ReLU6 would need Clip), no dropout, global
average pooling then one Linear layer (Gemm). Every BatchNormalization stays a separate node in
the exported ONNX (train.py exports without Conv+BN fusion), so the engine's own BN folding is
exercised.

Trained models start with `InputNorm`: they take pixel/255 in [0, 1] and normalize inside their
graph, so a caller needs no preprocessing beyond scaling bytes to [0, 1].
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn as nn
import torch.nn.functional as F


# --------------------------------------------------------------------------------------------
# Building blocks


class InputNorm(nn.Module):
    """Fixed per-channel (x - mean) / std, exported as one ONNX BatchNormalization node.

    Written with `F.batch_norm(training=False)` rather than Sub/Div so that the graph needs no
    operator beyond those the networks already use; its statistics are buffers, never trained.
    CUDA's batch_norm refuses epsilon 0, so the stored variance is std**2 - EPS and the node
    computes (x - mean) / sqrt(var + EPS) = (x - mean) / std.
    """

    EPS = 1e-5

    def __init__(self, mean: list[float], std: list[float]):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32))
        self.register_buffer("var", torch.tensor(std, dtype=torch.float32) ** 2 - self.EPS)
        self.register_buffer("weight", torch.ones(len(mean)))
        self.register_buffer("bias", torch.zeros(len(mean)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.batch_norm(x, self.mean, self.var, self.weight, self.bias, False, 0.0, self.EPS)


def conv_bn_relu(cin: int, cout: int, k: int, stride: int, groups: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


# --------------------------------------------------------------------------------------------
# MobileNet v1


class DepthwiseSeparable(nn.Module):
    """MobileNet v1's block (Howard et al. Fig. 3): 3x3 depthwise conv-BN-ReLU, then 1x1
    pointwise conv-BN-ReLU. The paper's Fig. 2 draws these as the green and red blocks."""

    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.dw = conv_bn_relu(cin, cin, 3, stride, groups=cin)
        self.pw = conv_bn_relu(cin, cout, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pw(self.dw(x))


# (output channels at width 1, stride) of the 13 depthwise-separable blocks, Howard et al. Table 1
MOBILENET_V1_BLOCKS = [
    (64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
    (512, 1), (512, 1), (512, 1), (512, 1), (512, 1),
    (1024, 2), (1024, 1),
]


class MobileNetV1(nn.Module):
    """MobileNet v1 with width multiplier `width` (alpha); depth multiplier 1.

    `stem_stride` is 2 in the original (224x224 input, and the paper's 32x32 too); the shipped
    28x28 model uses 1 so that the last blocks still see 2x2 maps rather than 1x1.
    """

    def __init__(self, num_classes: int, width: float = 0.5, in_channels: int = 3,
                 stem_stride: int = 2):
        super().__init__()
        c = lambda ch: max(8, int(ch * width))  # noqa: E731
        self.stem = conv_bn_relu(in_channels, c(32), 3, stem_stride)
        blocks, cin = [], c(32)
        for cout, stride in MOBILENET_V1_BLOCKS:
            blocks.append(DepthwiseSeparable(cin, c(cout), stride))
            cin = c(cout)
        self.blocks = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(self.blocks(self.stem(x)))
        return self.fc(torch.flatten(x, 1))


# --------------------------------------------------------------------------------------------
# ResNet (post-activation, He et al. 2016)


class BasicBlock(nn.Module):
    """ResNet's basic block (the paper's yellow block): conv3x3-BN-ReLU-conv3x3-BN, plus the
    shortcut (identity, or 1x1 conv-BN where shape changes: option B), then ReLU."""

    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = None
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                          nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        skip = x if self.shortcut is None else self.shortcut(x)
        return F.relu(out + skip)


class ResNet(nn.Module):
    """A ResNet of basic blocks.

    imagenet_stem=True: 7x7 stride-2 conv (with bias, as the paper's Table 4 counts 9,472
    parameters for ResNet-34's first layer) - BN - ReLU - 3x3 stride-2 max pool.
    imagenet_stem=False: the CIFAR stem, 3x3 stride-1 conv - BN - ReLU.
    """

    def __init__(self, blocks_per_stage: list[int], widths: list[int], num_classes: int,
                 in_channels: int = 3, imagenet_stem: bool = True):
        super().__init__()
        if imagenet_stem:
            self.stem = nn.Sequential(
                nn.Conv2d(in_channels, widths[0], 7, 2, 3, bias=True),
                nn.BatchNorm2d(widths[0]),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(3, 2, 1),
            )
        else:
            self.stem = conv_bn_relu(in_channels, widths[0], 3, 1)
        stages, cin = [], widths[0]
        for i, (n, w) in enumerate(zip(blocks_per_stage, widths)):
            layers = []
            for j in range(n):
                layers.append(BasicBlock(cin, w, 2 if (j == 0 and i > 0) else 1))
                cin = w
            stages.append(nn.Sequential(*layers))
        self.stages = nn.Sequential(*stages)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(self.stages(self.stem(x)))
        return self.fc(torch.flatten(x, 1))


# --------------------------------------------------------------------------------------------
# Wide ResNet (pre-activation, Zagoruyko & Komodakis 2016)


class WideBlock(nn.Module):
    """WRN's block B(3,3) (the paper's blue block): BN-ReLU-conv3x3-BN-ReLU-conv3x3, added to the
    input; where the shape changes the shortcut is a 1x1 conv of the pre-activated input, as in
    the WRN reference code."""

    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.shortcut = None
        if stride != 1 or cin != cout:
            self.shortcut = nn.Conv2d(cin, cout, 1, stride, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        o = F.relu(self.bn1(x))
        skip = x if self.shortcut is None else self.shortcut(o)
        out = self.conv1(o)
        out = self.conv2(F.relu(self.bn2(out)))
        return out + skip


class WideResNet(nn.Module):
    """WRN-depth-k: 3x3 conv to 16 channels (no bias: 432 weights on 3 channels, Table 4), three
    stages of (depth - 4) / 6 wide blocks with 16k, 32k, 64k channels, BN-ReLU, average pool,
    Linear."""

    def __init__(self, depth: int, k: int, num_classes: int, in_channels: int = 3):
        super().__init__()
        if (depth - 4) % 6:
            raise ValueError("WRN depth must be 6n + 4")
        n = (depth - 4) // 6
        widths = [16 * k, 32 * k, 64 * k]
        self.stem = nn.Conv2d(in_channels, 16, 3, 1, 1, bias=False)
        stages, cin = [], 16
        for i, w in enumerate(widths):
            layers = []
            for j in range(n):
                layers.append(WideBlock(cin, w, 2 if (j == 0 and i > 0) else 1))
                cin = w
            stages.append(nn.Sequential(*layers))
        self.stages = nn.Sequential(*stages)
        self.bn = nn.BatchNorm2d(cin)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.bn(self.stages(self.stem(x))))
        return self.fc(torch.flatten(self.pool(x), 1))


# --------------------------------------------------------------------------------------------
# Registry: what train.py, export_random.py and the model cards need to know about each model


@dataclass
class ModelSpec:
    """A model train.py knows by name.

    level: which label the model answers ('coarse' or 'fine').
    paper_classes: the class count of the paper's original (CIFAR-100) head, for paper models.
    lr/weight_decay/batch_size/epochs: the training recipe train.py uses by default.
    """

    name: str
    family: str
    description: str
    level: str
    input_shape: tuple[int, int, int]  # C, H, W
    onnx_file: str
    shipped: bool
    epochs: int
    lr: float
    weight_decay: float
    batch_size: int = 256
    crop_pad: int = 2
    paper_classes: int | None = None
    builder_args: dict = field(default_factory=dict)


SPECS: dict[str, ModelSpec] = {
    "end": ModelSpec(
        "end", "MobileNet v1", "MobileNet v1, width 0.5, stem stride 1, 28x28x1 -> 5 coarse",
        "coarse", (1, 28, 28), "end-mobilenet.onnx", True, epochs=20, lr=0.2, weight_decay=4e-5),
    "edge": ModelSpec(
        "edge", "ResNet", "ResNet-20 (CIFAR ResNet, 16/32/64, projection shortcuts), 28x28x1 -> 10 fine",
        "fine", (1, 28, 28), "edge-resnet.onnx", True, epochs=30, lr=0.2, weight_decay=5e-4),
    "cloud": ModelSpec(
        "cloud", "Wide ResNet", "WRN-16-4 (pre-activation, 64/128/256), 28x28x1 -> 10 fine",
        "fine", (1, 28, 28), "cloud-wrn.onnx", True, epochs=30, lr=0.2, weight_decay=5e-4),
    "paper-mobilenet": ModelSpec(
        "paper-mobilenet", "MobileNet v1", "paper's MobileNet v1 alpha 0.5, 3x32x32 (20 coarse on CIFAR-100)",
        "coarse", (3, 32, 32), "paper-mobilenet.onnx", False, epochs=30, lr=0.2, weight_decay=4e-5,
        crop_pad=4, paper_classes=20),
    "paper-resnet34": ModelSpec(
        "paper-resnet34", "ResNet", "paper's ResNet-34, 7x7/2 stem + max pool, 3x32x32 (100 fine on CIFAR-100)",
        "fine", (3, 32, 32), "paper-resnet34.onnx", False, epochs=30, lr=0.1, weight_decay=5e-4,
        crop_pad=4, paper_classes=100),
    "paper-wrn28-10": ModelSpec(
        "paper-wrn28-10", "Wide ResNet", "paper's WRN-28-10, 3x32x32 (100 fine on CIFAR-100)",
        "fine", (3, 32, 32), "paper-wrn28-10.onnx", False, epochs=30, lr=0.1, weight_decay=5e-4,
        crop_pad=4, paper_classes=100),
}


def build_arch(name: str, num_classes: int) -> nn.Module:
    """The bare architecture (no input normalization) of a registered model."""
    c = SPECS[name].input_shape[0]
    if name == "end":
        return MobileNetV1(num_classes, width=0.5, in_channels=c, stem_stride=1)
    if name == "edge":
        return ResNet([3, 3, 3], [16, 32, 64], num_classes, in_channels=c, imagenet_stem=False)
    if name == "cloud":
        return WideResNet(16, 4, num_classes, in_channels=c)
    if name == "paper-mobilenet":
        return MobileNetV1(num_classes, width=0.5, in_channels=c, stem_stride=2)
    if name == "paper-resnet34":
        return ResNet([3, 4, 6, 3], [64, 128, 256, 512], num_classes, in_channels=c,
                      imagenet_stem=True)
    if name == "paper-wrn28-10":
        return WideResNet(28, 10, num_classes, in_channels=c)
    raise KeyError(name)


class Normalized(nn.Module):
    """InputNorm then the network; ONNX node names read /norm/... then /net/stem/... ."""

    def __init__(self, norm: InputNorm, net: nn.Module):
        super().__init__()
        self.norm = norm
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(self.norm(x))


def build_trained(name: str, num_classes: int, mean: float, std: float) -> nn.Module:
    """The model as train.py trains and exports it: InputNorm followed by the architecture."""
    c = SPECS[name].input_shape[0]
    return Normalized(InputNorm([mean] * c, [std] * c), build_arch(name, num_classes))


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def count_macs(model: nn.Module, input_shape: tuple[int, ...]) -> int:
    """Multiply-accumulates of one forward pass of one sample, over Conv2d and Linear layers.

    BatchNorm, ReLU, Add and pooling are left out: they are a few element-wise operations per
    activation, negligible beside the convolutions, and BN folds away at inference anyway.
    """
    total = 0

    def conv_hook(m: nn.Conv2d, _inp, out):
        nonlocal total
        kh, kw = m.kernel_size
        total += out.numel() * (m.in_channels // m.groups) * kh * kw

    def linear_hook(m: nn.Linear, _inp, out):
        nonlocal total
        total += out.numel() * m.in_features

    hooks = []
    for mod in model.modules():
        if isinstance(mod, nn.Conv2d):
            hooks.append(mod.register_forward_hook(conv_hook))
        elif isinstance(mod, nn.Linear):
            hooks.append(mod.register_forward_hook(linear_hook))
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(torch.zeros(1, *input_shape))
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    return total


if __name__ == "__main__":
    for n, s in SPECS.items():
        classes = s.paper_classes or (5 if s.level == "coarse" else 10)
        m = build_arch(n, classes)
        print(f"{n:16s} classes {classes:3d}  params {count_params(m):>11,}  "
              f"MACs {count_macs(m, s.input_shape):>14,}  first layer "
              f"{sum(p.numel() for p in next(mm for mm in m.modules() if isinstance(mm, nn.Conv2d)).parameters()):,}")
