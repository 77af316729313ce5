"""Training the U-Net of ``nii/net.py`` with PyTorch on the CPU (the optional extra ``[nii-train]``).

Random crops of the training scans (a quarter of them centred on a concealed item), flips (the physics does not care
which way the belt runs), per-pixel binary cross-entropy plus a soft Dice term. Seeded and single-order: the same
seed, scans and settings give the same weights. Batch normalisation is folded into the convolutions on export, so
the NumPy forward pass needs only conv + ReLU.
"""

from __future__ import annotations

import numpy as np

from smartcustoms.nii.net import N_INPUTS

WIDTHS = (8, 16, 24, 32)


def _require_torch():
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise RuntimeError("training the NII network needs PyTorch: pip install 'smartcustoms[nii-train]'") from exc
    return torch


def build(widths=WIDTHS):
    torch = _require_torch()
    nn = torch.nn

    def block(cin, cout):
        return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(),
                             nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())

    w0, w1, w2, w3 = widths

    class UNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.e0, self.e1, self.e2, self.e3 = block(N_INPUTS, w0), block(w0, w1), block(w1, w2), block(w2, w3)
            self.d2, self.d1, self.d0 = block(w3 + w2, w2), block(w2 + w1, w1), block(w1 + w0, w0)
            self.head = nn.Conv2d(w0, 1, 1)

        def forward(self, x):
            pool, up = nn.functional.max_pool2d, nn.functional.interpolate
            e0 = self.e0(x)
            e1 = self.e1(pool(e0, 2))
            e2 = self.e2(pool(e1, 2))
            e3 = self.e3(pool(e2, 2))
            d2 = self.d2(torch.cat([up(e3, scale_factor=2.0, mode="nearest"), e2], 1))
            d1 = self.d1(torch.cat([up(d2, scale_factor=2.0, mode="nearest"), e1], 1))
            d0 = self.d0(torch.cat([up(d1, scale_factor=2.0, mode="nearest"), e0], 1))
            return self.head(d0)[:, 0]

    return UNet()


def export(model) -> dict:
    """NumPy weights with batch normalisation folded in: {'e0.0.weight', 'e0.0.bias', ..., 'head.weight', ...}."""
    model.eval()
    out = {}
    for name in ("e0", "e1", "e2", "e3", "d2", "d1", "d0"):
        seq = getattr(model, name)
        for i, (c, bn) in enumerate(((seq[0], seq[1]), (seq[3], seq[4]))):
            scale = (bn.weight / (bn.running_var + bn.eps).sqrt()).detach().numpy()
            weight = c.weight.detach().numpy() * scale[:, None, None, None]
            bias = bn.bias.detach().numpy() - bn.running_mean.detach().numpy() * scale
            out[f"{name}.{i}.weight"], out[f"{name}.{i}.bias"] = weight.astype(np.float32), bias.astype(np.float32)
    out["head.weight"] = model.head.weight.detach().numpy().astype(np.float32)
    out["head.bias"] = model.head.bias.detach().numpy().astype(np.float32)
    return out


def _crops(rng, images, masks, boxes, n, size):
    """n crops of size x size (rows, cols): a quarter centred near a concealed item where the image has one."""
    xs = np.empty((n, N_INPUTS, size, size), np.float32)
    ys = np.empty((n, size, size), np.float32)
    for k in range(n):
        i = int(rng.integers(len(images)))
        x, m = images[i], masks[i]
        h, w = m.shape
        if boxes[i] and rng.random() < 0.25:
            r0, c0, r1, c1 = boxes[i][int(rng.integers(len(boxes[i])))]
            cr = int(np.clip((r0 + r1) // 2 - size // 2 + rng.integers(-size // 4, size // 4 + 1), 0, h - size))
            cc = int(np.clip((c0 + c1) // 2 - size // 2 + rng.integers(-size // 4, size // 4 + 1), 0, w - size))
        else:
            cr, cc = int(rng.integers(0, h - size + 1)), int(rng.integers(0, w - size + 1))
        cx, cy = x[:, cr:cr + size, cc:cc + size], m[cr:cr + size, cc:cc + size]
        if rng.random() < 0.5:
            cx, cy = cx[:, :, ::-1], cy[:, ::-1]
        if rng.random() < 0.5:
            cx, cy = cx[:, ::-1], cy[::-1]
        xs[k], ys[k] = cx, cy
    return xs, ys


def train(images: list, masks: list, boxes: list, seed: int = 17, steps: int = 1200, batch: int = 8,
          size: int = 64, lr: float = 3e-3, widths=WIDTHS, progress=None) -> dict:
    """Fit the U-Net on input channels (from ``net.inputs``) and item masks; returns the exported weights."""
    torch = _require_torch()
    torch.manual_seed(seed)
    torch.set_num_threads(1)  # one thread: the same sums in the same order (reproducible), and a shared machine
    rng = np.random.default_rng(seed)
    model = build(widths)
    optimiser = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=lr, total_steps=steps, pct_start=0.15)
    size = min(size, min(m.shape[0] for m in masks), min(m.shape[1] for m in masks))
    size -= size % 8
    model.train()
    for step in range(steps):
        xs, ys = _crops(rng, images, masks, boxes, batch, size)
        x, y = torch.from_numpy(xs), torch.from_numpy(ys)
        logits = model(x)
        bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, y, pos_weight=torch.tensor(1.5))
        p = torch.sigmoid(logits)
        dice = 1 - (2 * (p * y).sum() + 1) / (p.sum() + y.sum() + 1)
        loss = bce + 0.5 * dice
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
        if progress and (step + 1) % 50 == 0:
            progress(step + 1, steps, float(loss.detach()))
    return export(model)
