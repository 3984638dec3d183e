"""Fashion-MNIST from its IDX gz files, and batches with on-device augmentation.

Why not torchvision: PyPI's torchvision wheel is a CUDA build whose import fails on the CPU torch
used here (`operator torchvision::nms does not exist`), and the format is simple enough to read
directly. The IDX format (LeCun's MNIST format, reused unchanged by Fashion-MNIST) is a big-endian
header -- two zero bytes, a type byte (0x08 = unsigned byte), a dimension count -- then one
big-endian uint32 per dimension, then the raw data.

The Debian package `dataset-fashion-mnist` installs the four files in
/usr/share/datasets/fashion-mnist/; `--data` in train.py points elsewhere (the GPU machine gets a
copy in .data/fashion-mnist/ because /usr/share does not travel there).

Batches are made from whole-split tensors that live on the training device (60,000 x 28 x 28
uint8 is 47 MB), so on a GPU there is no data loader, no host-to-device copy per step, and the
augmentation (random crop with zero padding, horizontal flip: the standard CIFAR recipe that the
HDDNN paper follows for its models) runs as a few batched tensor ops.
"""

from __future__ import annotations

import gzip
import os
import struct
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from taxonomy import FINE_TO_COARSE

DEFAULT_DATA_DIR = "/usr/share/datasets/fashion-mnist"

FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}

# Per-pixel mean and standard deviation of the 60,000 training images, on pixel/255 in [0, 1].
# Measured with `python training/fashion_mnist.py --stats` (0.28604, 0.35302); the models apply
# them inside their graph (models.InputNorm), so callers feed plain pixel/255.
PIXEL_MEAN = 0.2860
PIXEL_STD = 0.3530


def read_idx(path: str) -> np.ndarray:
    """Read one IDX file (optionally gzip-compressed) into a numpy array of its declared shape."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, dtype_code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0:
        raise ValueError(f"{path}: not an IDX file (magic {data[:4].hex()})")
    if dtype_code != 0x08:
        raise ValueError(f"{path}: IDX type 0x{dtype_code:02x} is not unsigned byte")
    shape = struct.unpack(">" + "I" * ndim, data[4 : 4 + 4 * ndim])
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    expected = int(np.prod(shape))
    if body.size != expected:
        raise ValueError(f"{path}: {body.size} bytes of data, header says {shape}")
    return body.reshape(shape)


def load_split(data_dir: str, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Return (images uint8 [N, 28, 28], fine labels int64 [N]) of 'train' or 'test'."""
    image_file, label_file = FILES[split]
    images = read_idx(os.path.join(data_dir, image_file))
    labels = read_idx(os.path.join(data_dir, label_file)).astype(np.int64)
    if images.shape[0] != labels.shape[0]:
        raise ValueError(f"{split}: {images.shape[0]} images but {labels.shape[0]} labels")
    if labels.min() < 0 or labels.max() > 9:
        raise ValueError(f"{split}: labels outside 0..9")
    return images, labels


@dataclass
class DeviceSplit:
    """One split held as tensors on the training device.

    images: uint8 [N, 1, 28, 28]; fine, coarse: int64 [N].
    """

    images: torch.Tensor
    fine: torch.Tensor
    coarse: torch.Tensor

    def __len__(self) -> int:
        return self.images.shape[0]


def to_device_split(images: np.ndarray, fine: np.ndarray, device: torch.device) -> DeviceSplit:
    fine_t = torch.from_numpy(fine).to(device)
    coarse_t = torch.tensor(FINE_TO_COARSE, dtype=torch.int64, device=device)[fine_t]
    return DeviceSplit(torch.from_numpy(images.copy()).unsqueeze(1).to(device), fine_t, coarse_t)


def prepare(x_uint8: torch.Tensor, size: int, channels: int) -> torch.Tensor:
    """uint8 [B, 1, 28, 28] -> float [B, channels, size, size] in [0, 1].

    The paper's architectures take 3x32x32 (CIFAR-100). CIFAR-100 cannot be downloaded here, so
    they are trained on Fashion-MNIST zero-padded from 28 to 32 pixels (2 on each side: no
    resampling, the digit-sized object stays intact) and replicated to three channels.
    """
    x = x_uint8.float().div_(255.0)
    if size != x.shape[-1]:
        extra = size - x.shape[-1]
        if extra < 0:
            raise ValueError(f"cannot shrink {x.shape[-1]} to {size}")
        x = F.pad(x, (extra // 2, extra - extra // 2, extra // 2, extra - extra // 2))
    if channels != x.shape[1]:
        x = x.expand(-1, channels, -1, -1)
    return x


def augment(x: torch.Tensor, pad: int, generator: torch.Generator) -> torch.Tensor:
    """Random crop with zero padding `pad` and random horizontal flip, batched, on x's device.

    Each sample gets its own offsets; the crop is one advanced-indexing gather of the padded
    batch, so it costs about one copy of the batch whatever the device.
    """
    b, c, h, w = x.shape
    dev = x.device
    if pad > 0:
        xp = F.pad(x, (pad, pad, pad, pad))
        oy = torch.randint(0, 2 * pad + 1, (b,), device=dev, generator=generator)
        ox = torch.randint(0, 2 * pad + 1, (b,), device=dev, generator=generator)
        rows = (oy[:, None] + torch.arange(h, device=dev)[None, :])[:, None, :, None]
        cols = (ox[:, None] + torch.arange(w, device=dev)[None, :])[:, None, None, :]
        bi = torch.arange(b, device=dev)[:, None, None, None]
        ci = torch.arange(c, device=dev)[None, :, None, None]
        x = xp[bi, ci, rows, cols]
    flip = torch.rand(b, device=dev, generator=generator) < 0.5
    x = torch.where(flip[:, None, None, None], x.flip(3), x)
    return x


def pixel_stats(data_dir: str) -> tuple[float, float]:
    images, _ = load_split(data_dir, "train")
    x = images.astype(np.float64) / 255.0
    return float(x.mean()), float(x.std())


if __name__ == "__main__":
    import argparse

    p = argparse.ArgumentParser(description="Check the Fashion-MNIST files and print statistics.")
    p.add_argument("--data", default=DEFAULT_DATA_DIR, help="folder with the four IDX .gz files")
    p.add_argument("--stats", action="store_true", help="also compute the training pixel mean/std")
    a = p.parse_args()
    for split in ("train", "test"):
        im, lab = load_split(a.data, split)
        counts = np.bincount(lab, minlength=10).tolist()
        print(f"{split}: images {im.shape} {im.dtype}, labels per class {counts}")
    if a.stats:
        m, s = pixel_stats(a.data)
        print(f"train pixel mean {m:.5f} std {s:.5f}")
