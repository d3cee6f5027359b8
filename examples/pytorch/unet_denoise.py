#!/usr/bin/python3
# The PyTorch script that examples/unet_denoise.cpp mirrors line for line: a small U-Net (two levels
# down with max pooling, two up with ConvTranspose2d and concatenated skips) removes Gaussian noise
# from Fashion-MNIST; reports the PSNR of the noisy and the denoised test images and writes a PNG
# grid of noisy / denoised / clean rows. Same parameter names, so --save/--load move weights both ways.
#   /usr/bin/python3 examples/pytorch/unet_denoise.py [--sigma 0.3] [--channels 16] [--epochs 2] ...
import argparse

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from common import (EpochLog, MNIST, add_training_flags, data_folder_exists, limited, load_safetensors, make_optimizer,
                    save_safetensors, write_png_gray)


class DoubleConv(nn.Module):
    """conv 3x3 -> ReLU -> conv 3x3 -> ReLU; padding 1 keeps the size: [N, in, H, W] -> [N, out, H, W]."""

    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, 1, 1)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, 1, 1)

    def forward(self, x):
        return F.relu(self.conv2(F.relu(self.conv1(x))))


class Down(nn.Module):
    """One level down: 2x2 max pooling halves the size, then a DoubleConv."""

    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.pool = nn.MaxPool2d(2)
        self.conv = DoubleConv(in_channels, out_channels)

    def forward(self, x):
        return self.conv(self.pool(x))


class Up(nn.Module):
    """One level up: a 2x2 ConvTranspose2d of stride 2 doubles the size and halves the channels, the
    skip from the way down is concatenated in front, a DoubleConv mixes the two. Called as up(x, skip)."""

    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.up = nn.ConvTranspose2d(in_channels, in_channels // 2, 2, stride=2)
        self.conv = DoubleConv(in_channels, out_channels)

    def forward(self, x, skip):
        return self.conv(torch.cat([skip, self.up(x)], 1))


class UNet(nn.Module):
    """c = --channels: 1 -> c (28x28) -> 2c (14x14) -> 4c (7x7) -> 2c (14x14) -> c (28x28) -> 1.
    The output is the denoised image itself, no activation (MSE regression to the clean pixels)."""

    def __init__(self, c):
        super().__init__()
        self.inc = DoubleConv(1, c)
        self.down1 = Down(c, 2 * c)
        self.down2 = Down(2 * c, 4 * c)
        self.up1 = Up(4 * c, 2 * c)
        self.up2 = Up(2 * c, c)
        self.outc = nn.Conv2d(c, 1, 1)

    def forward(self, x):
        x1 = self.inc(x)  # [N, c, 28, 28]
        x2 = self.down1(x1)  # [N, 2c, 14, 14]
        x3 = self.down2(x2)  # [N, 4c, 7, 7]
        y = self.up1(x3, x2)  # [N, 2c, 14, 14]
        return self.outc(self.up2(y, x1))  # [N, c, 28, 28] -> [N, 1, 28, 28]


# The test images' noise, the same as the C++ twin's (see test_noise there): draw k of splitmix64
# seeded with `key` is mix(key + (k + 1)·γ), computed for every k at once in numpy's uint64 (which
# wraps as C++'s does), then Box-Muller in double on pairs of draws, rounded to float (where numpy's
# log/cos/sin and libm's agree, though not always in the last bit of a double).
def splitmix64(key, k):
    with np.errstate(over="ignore"):
        z = np.uint64(key) + (k + np.uint64(1)) * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def test_noise(n, key=12):
    """n standard normal numbers (float32): pair j gives r·cos(2πu2) and r·sin(2πu2), r = √(-2 ln u1)."""
    j = np.arange((n + 1) // 2, dtype=np.uint64)
    u1 = ((splitmix64(key, 2 * j) >> np.uint64(11)) + np.uint64(1)).astype(np.float64) * 2.0**-53
    u2 = (splitmix64(key, 2 * j + np.uint64(1)) >> np.uint64(11)).astype(np.float64) * 2.0**-53
    r = np.sqrt(-2.0 * np.log(u1))
    return np.stack([r * np.cos(2 * np.pi * u2), r * np.sin(2 * np.pi * u2)], 1).reshape(-1)[:n].astype(np.float32)


def add_test_noise(clean, sigma):
    """clean + sigma·noise, not clamped to [0, 1] (see the C++ twin), computed in double from floats."""
    noise = test_noise(clean.numel()).reshape(clean.shape)
    return torch.from_numpy((clean.numpy().astype(np.float64) + sigma * noise.astype(np.float64)).astype(np.float32))


def psnr_sum(a, clean):
    """The sum over the images of each one's PSNR against clean (dB, peak 1), in double; reported as
    the mean over the test set of the per-image PSNR (not the PSNR of the total MSE)."""
    mse = ((a.double() - clean.double()) ** 2).flatten(1).mean(1)
    return (-10.0 * torch.log10(mse)).sum().item()


@torch.no_grad()
def evaluate_denoising(model, test_loader):
    """The denoised test images' MSE and the mean PSNR of the noisy and of the denoised ones."""
    model.eval()
    test_mse = noisy_psnr = denoised_psnr = 0.0
    for noisy, clean in test_loader:
        out = model(noisy)
        test_mse += F.mse_loss(out, clean).item() * clean.shape[0]
        noisy_psnr += psnr_sum(noisy, clean)
        denoised_psnr += psnr_sum(out, clean)
    n = len(test_loader.dataset)
    return test_mse / n, noisy_psnr / n, denoised_psnr / n


def main():
    p = argparse.ArgumentParser(description="Train a small U-Net to remove Gaussian noise from Fashion-MNIST and report the PSNR.",
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    add_training_flags(p)
    p.set_defaults(epochs=2, batch_size=64, threads=2)
    p.add_argument("--sigma", type=float, default=0.3, help="standard deviation of the Gaussian noise added to the images (pixels in [0, 1])")
    p.add_argument("--channels", type=int, default=8, help="channels at the top level (doubled at each level down)")
    p.add_argument("--png", metavar="FILE", default="unet_denoise.png", help="where to write the grid of noisy, denoised and clean test images")
    p.add_argument("--images", type=int, choices=range(1, 201), default=20, metavar="1..200",
                   help="test images in the grid (10 per row)")
    args = p.parse_args()

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    if not data_folder_exists(args, "unet_denoise"):
        return 2
    train_set, test_set = MNIST(args.data, True), MNIST(args.data, False)
    train_loader = torch.utils.data.DataLoader(limited(train_set, args), batch_size=args.batch_size, shuffle=True)
    # The test set, noisy and clean, with the fixed noise of test_noise(): the C++ twin's, bit for bit.
    test_clean = test_set.tensors[0][:len(limited(test_set, args))]  # [N, 1, 28, 28]
    test_noisy = add_test_noise(test_clean, args.sigma)
    test_loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(test_noisy, test_clean), batch_size=1000)
    side = 28

    model = UNet(args.channels)
    if args.load:
        model.load_state_dict(load_safetensors(args.load))
    if not args.quiet:
        print(model, end="\n\n")
    opt = make_optimizer(args, model.parameters())  # --optimizer adam|sgd

    # Per epoch: train mse, test mse and the two PSNRs, in the log's curves for --metrics.
    log = EpochLog(len(train_loader), args.quiet)  # running loss, progress line, time
    epochs = 0 if args.eval_only else args.epochs
    for epoch in range(1, epochs + 1):
        model.train()
        log.start_epoch(epoch)
        for x, y in train_loader:
            noisy = x + args.sigma * torch.randn(x.shape)  # fresh noise each time
            opt.zero_grad()
            loss = F.mse_loss(model(noisy), x)  # the target is the clean image
            loss.backward()
            opt.step()
            log.step(loss, x.shape[0])
        test_mse, noisy_psnr, denoised_psnr = evaluate_denoising(model, test_loader)
        print(f"epoch {epoch}: train mse {log.train_loss():.5f}, test mse {test_mse:.5f}, test PSNR noisy "
              f"{noisy_psnr:.2f} dB, denoised {denoised_psnr:.2f} dB, {log.train_seconds():.1f} s", flush=True)
        log.curves[epoch].update({"train mse": log.train_loss(), "test mse": test_mse,
                                  "test PSNR noisy (dB)": noisy_psnr, "test PSNR denoised (dB)": denoised_psnr})
    _, final_noisy, final_denoised = evaluate_denoising(model, test_loader)

    # The grid: 10 images per row, in groups of three rows: noisy, denoised, clean.
    shown = min(args.images, len(test_clean))
    with torch.no_grad():
        noisy, clean = test_noisy[:shown], test_clean[:shown]
        denoised = model(noisy)
    per_row = 10
    groups = (shown + per_row - 1) // per_row
    grid = torch.zeros(groups * 3 * side, per_row * side, dtype=torch.uint8)

    def paste(batch, i, gx, gy):
        grid[gy * side:(gy + 1) * side, gx * side:(gx + 1) * side] = (batch[i, 0].clamp(0, 1) * 255 + 0.5).to(torch.uint8)
    for i in range(shown):
        paste(noisy, i, i % per_row, 3 * (i // per_row))
        paste(denoised, i, i % per_row, 3 * (i // per_row) + 1)
        paste(clean, i, i % per_row, 3 * (i // per_row) + 2)
    write_png_gray(args.png, grid)
    print(f"\nwrote {args.png}: {shown} test images, rows of noisy, denoised and clean")
    log.write_curves(args)
    print(f"test PSNR (mean over {len(test_clean)} images, sigma {args.sigma:g}): noisy {final_noisy:.3f} dB, "
          f"denoised {final_denoised:.3f} dB")
    if args.save:
        save_safetensors(model.state_dict(), args.save)
        print(f"saved the weights to {args.save}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
