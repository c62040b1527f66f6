#!/usr/bin/env python3
"""PyTorch timings of the three networks at the sizes of `cargo bench --bench cpu_models`.

The comparison issue 3 asks for: our CPU path against PyTorch at the same thread count, on the
same machine and in the same window. The networks are written here from ../shared/docs/models.md
and load the real checkpoints where ../shared has them as PyTorch files (RIFE, SRVGG animevideov3;
x4plus is there as ncnn only, so it runs with PyTorch's initial weights: same cost).

Usage: scripts/bench-pytorch.py [--threads 2] [--runs 10] [--models DIR] [--channels-last]
Needs torch (any recent version, CPU is enough); not part of the test suite.
Prints one line per model: the median and the fastest of --runs timed calls after two warm-ups.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F


def lrelu():
    return nn.LeakyReLU(0.2)


def conv(i, o, s=1):
    return nn.Conv2d(i, o, 3, s, 1)


class ResConv(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = conv(c, c)
        self.beta = nn.Parameter(torch.ones(1, c, 1, 1))
        self.act = lrelu()

    def forward(self, x):
        return self.act(self.conv(x) * self.beta + x)


class IFBlock(nn.Module):
    def __init__(self, cin, c):
        super().__init__()
        self.conv0 = nn.Sequential(
            nn.Sequential(conv(cin, c // 2, 2), lrelu()),
            nn.Sequential(conv(c // 2, c, 2), lrelu()),
        )
        self.convblock = nn.Sequential(*[ResConv(c) for _ in range(8)])
        self.lastconv = nn.Sequential(nn.ConvTranspose2d(c, 52, 4, 2, 1), nn.PixelShuffle(2))

    def forward(self, x, flow, scale):
        x = F.interpolate(x, scale_factor=1.0 / scale, mode="bilinear", align_corners=False)
        if flow is not None:
            f = F.interpolate(flow, scale_factor=1.0 / scale, mode="bilinear", align_corners=False)
            x = torch.cat((x, f / scale), 1)
        t = self.lastconv(self.convblock(self.conv0(x)))
        t = F.interpolate(t, scale_factor=scale, mode="bilinear", align_corners=False)
        return t[:, 0:4] * scale, t[:, 4:5], t[:, 5:13]


class Head(nn.Module):
    def __init__(self):
        super().__init__()
        self.cnn0 = conv(3, 16, 2)
        self.cnn1 = conv(16, 16)
        self.cnn2 = conv(16, 16)
        self.cnn3 = nn.ConvTranspose2d(16, 4, 4, 2, 1)
        self.act = lrelu()

    def forward(self, x):
        x = self.act(self.cnn0(x.clamp(0, 1)))
        x = self.act(self.cnn1(x))
        return self.cnn3(self.act(self.cnn2(x)))


def warp(x, flow):
    n, _, h, w = x.shape
    gx = torch.linspace(-1, 1, w).view(1, 1, w).expand(n, h, w)
    gy = torch.linspace(-1, 1, h).view(1, h, 1).expand(n, h, w)
    fx = flow[:, 0] / ((w - 1) / 2)
    fy = flow[:, 1] / ((h - 1) / 2)
    grid = torch.stack((gx + fx, gy + fy), 3)
    return F.grid_sample(x, grid, "bilinear", "border", align_corners=True)


class IFNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.encode = Head()
        for k, c in enumerate((192, 128, 96, 64, 32)):
            setattr(self, f"block{k}", IFBlock(15 if k == 0 else 28, c))

    def forward(self, img0, img1, t):
        f0, f1 = self.encode(img0), self.encode(img1)
        tt = torch.full_like(img0[:, :1], t)
        w0, w1, flow, mask, feat = img0, img1, None, None, None
        for k, scale in enumerate((16, 8, 4, 2, 1)):
            block = getattr(self, f"block{k}")
            if flow is None:
                flow, mask, feat = block(torch.cat((img0, img1, f0, f1, tt), 1), None, scale)
            else:
                x = torch.cat(
                    (w0, w1, warp(f0, flow[:, :2]), warp(f1, flow[:, 2:4]), tt, mask, feat), 1
                )
                d, mask, feat = block(x, flow, scale)
                flow = flow + d
            w0, w1 = warp(img0, flow[:, :2]), warp(img1, flow[:, 2:4])
        m = torch.sigmoid(mask)
        return w0 * m + w1 * (1 - m)


class RDB(nn.Module):
    def __init__(self, nf, gc):
        super().__init__()
        for k in range(1, 6):
            setattr(self, f"conv{k}", conv(nf + (k - 1) * gc, nf if k == 5 else gc))
        self.act = lrelu()

    def forward(self, x):
        feats = [x]
        for k in range(1, 5):
            feats.append(self.act(getattr(self, f"conv{k}")(torch.cat(feats, 1))))
        return self.conv5(torch.cat(feats, 1)) * 0.2 + x


class RRDB(nn.Module):
    def __init__(self, nf, gc):
        super().__init__()
        self.rdb1, self.rdb2, self.rdb3 = RDB(nf, gc), RDB(nf, gc), RDB(nf, gc)

    def forward(self, x):
        return self.rdb3(self.rdb2(self.rdb1(x))) * 0.2 + x


class RRDBNet(nn.Module):
    """x4 only (the benchmark's x4plus): no pixel unshuffle."""

    def __init__(self, nf=64, nb=23, gc=32):
        super().__init__()
        self.conv_first = conv(3, nf)
        self.body = nn.Sequential(*[RRDB(nf, gc) for _ in range(nb)])
        self.conv_body = conv(nf, nf)
        self.conv_up1, self.conv_up2 = conv(nf, nf), conv(nf, nf)
        self.conv_hr, self.conv_last = conv(nf, nf), conv(nf, 3)
        self.act = lrelu()

    def forward(self, x):
        f = self.conv_first(x)
        f = f + self.conv_body(self.body(f))
        f = self.act(self.conv_up1(F.interpolate(f, scale_factor=2, mode="nearest")))
        f = self.act(self.conv_up2(F.interpolate(f, scale_factor=2, mode="nearest")))
        return self.conv_last(self.act(self.conv_hr(f)))


class SRVGG(nn.Module):
    def __init__(self, nf=64, num_conv=16, scale=4):
        super().__init__()
        layers = [conv(3, nf), nn.PReLU(nf)]
        for _ in range(num_conv):
            layers += [conv(nf, nf), nn.PReLU(nf)]
        layers.append(conv(nf, 3 * scale * scale))
        self.body = nn.Sequential(*layers)
        self.up = nn.PixelShuffle(scale)
        self.scale = scale

    def forward(self, x):
        base = F.interpolate(x, scale_factor=self.scale, mode="nearest")
        return self.up(self.body(x)) + base


def state_dict(path):
    sd = torch.load(path, map_location="cpu", weights_only=True)
    for key in ("params_ema", "params"):
        if isinstance(sd, dict) and key in sd:
            sd = sd[key]
    sd = {k.removeprefix("module."): v for k, v in sd.items()}
    return {k: v for k, v in sd.items() if not k.startswith(("teacher.", "caltime."))}


def timed(fn, runs):
    with torch.inference_mode():
        fn()
        fn()
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
    return statistics.median(times), min(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=10)
    default_models = Path(__file__).resolve().parent.parent.parent / "shared" / "models"
    ap.add_argument("--models", type=Path, default=default_models)
    ap.add_argument(
        "--channels-last",
        action="store_true",
        help="run in PyTorch's channels-last memory format (often faster with oneDNN)",
    )
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    cases = [
        ("rife_256x256", IFNet(), "rife-v4.25/flownet.pkl", 256, True),
        # ../shared has x4plus as ncnn files only: PyTorch's own initialisation stands in for
        # the weights, which do not change the arithmetic's cost.
        ("rrdb_x4plus_64x64", RRDBNet(), None, 64, False),
        ("srvgg_256x256", SRVGG(), "realesrgan/realesr-animevideov3.pth", 256, False),
    ]
    layout = "channels-last" if args.channels_last else "NCHW"
    print(f"torch {torch.__version__}, {args.threads} threads, {args.runs} runs, {layout}")
    for name, net, file, size, rife in cases:
        if file is not None:
            path = args.models / file
            if not path.is_file():
                print(f"{name}: skipped, {path} is absent", file=sys.stderr)
                continue
            net.load_state_dict(state_dict(path))
        net.eval()
        a, b = torch.rand(1, 3, size, size), torch.rand(1, 3, size, size)
        if args.channels_last:
            net = net.to(memory_format=torch.channels_last)
            a = a.contiguous(memory_format=torch.channels_last)
            b = b.contiguous(memory_format=torch.channels_last)
        call = (lambda: net(a, b, 0.5)) if rife else (lambda: net(a))
        median, best = timed(call, args.runs)
        print(f"{name}: median {median:.3f} s, fastest {best:.3f} s")


if __name__ == "__main__":
    main()
