# The twin of examples/common.hpp: what the PyTorch trainers share (flags, MNIST from its IDX
# files, the optimizer choice, EpochLog, evaluation, the per-class report), so each script keeps
# only its model and its loop, as its C++ twin does. Needs only the standard library and torch
# (torchvision isn't packaged with Debian's python3-torch).
import collections
import gzip
import json
import os
import struct
import sys
import time
import zlib

import torch
import torch.nn.functional as F


def add_training_flags(p):
    """The flags every (Fashion-)MNIST trainer takes, with mnist_mlp's defaults. All but --plot
    (viz::MetricsLog's SVG): --save/--load use safetensors, so weights move between the twins."""
    p.add_argument("--data", metavar="DIR", default="/usr/share/datasets/fashion-mnist",
                   help="folder with the four IDX files (raw or .gz) of MNIST or Fashion-MNIST")
    p.add_argument("--epochs", type=int, default=5, help="passes over the training set")
    p.add_argument("--batch-size", type=int, default=64, help="examples per training step")
    p.add_argument("--lr", type=float, default=1e-3, help="learning rate")
    p.add_argument("--optimizer", choices=["adam", "sgd"], default="adam", help="adam, or sgd (momentum 0.9)")
    p.add_argument("--seed", type=int, default=1, help="manual_seed for initial weights and shuffling")
    p.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    p.add_argument("--save", metavar="FILE", help="write the trained weights to FILE (safetensors, as xgrad's nn::save)")
    p.add_argument("--load", metavar="FILE", help="start from the weights in FILE (safetensors, e.g. written by the C++ twin)")
    p.add_argument("--eval-only", action="store_true", help="skip training: evaluate the (loaded) model on the test set")
    p.add_argument("--quiet", action="store_true", help="print only the per-epoch summaries and the final accuracy")
    p.add_argument("--metrics", metavar="FILE", help="write per-epoch train loss, test loss and test accuracy as CSV to FILE")
    p.add_argument("--limit", type=int, default=0, help="use only the first N training and N test images (0: all), for a quick run")


def limited(dataset, args):
    """The first args.limit images of dataset (all of them when the limit is 0 or larger), as xgrad's limited()."""
    n = len(dataset) if args.limit == 0 else min(args.limit, len(dataset))
    return torch.utils.data.Subset(dataset, range(n))


def data_folder_exists(args, program):
    if os.path.isdir(args.data):
        return True
    print(f"{program}: data folder '{args.data}' does not exist.\n"
          "  Fashion-MNIST: apt-get install dataset-fashion-mnist (installs /usr/share/datasets/fashion-mnist)\n"
          "  MNIST digits:  bash scripts/download-mnist.sh DIR (needs internet; checks checksums), then --data DIR",
          file=sys.stderr)
    return False


def read_idx(root, name):
    """The IDX file root/name (or root/name.gz) as a uint8 tensor shaped by its header."""
    path = os.path.join(root, name)
    if not os.path.isfile(path):
        path += ".gz"
    with (gzip.open if path.endswith(".gz") else open)(path, "rb") as f:
        data = bytearray(f.read())
    if data[:3] != b"\0\0\x08":
        raise ValueError(f"{path}: bad magic {bytes(data[:4]).hex()} (expected an IDX file of unsigned bytes)")
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return torch.frombuffer(data, dtype=torch.uint8, offset=4 + 4 * ndim).reshape(dims)


def MNIST(root, train=True):
    """What torchvision.datasets.MNIST(root, train, transform=ToTensor()) gives, and xgrad's
    data::MNIST: images [N, 1, 28, 28] as pixel / 255 (no Normalize), labels [N] as class indices."""
    prefix = "train" if train else "t10k"
    images = read_idx(root, prefix + "-images-idx3-ubyte")
    labels = read_idx(root, prefix + "-labels-idx1-ubyte")
    return torch.utils.data.TensorDataset(images.unsqueeze(1).float() * (1.0 / 255.0), labels.long())


# safetensors without its package (Debian's python3-torch doesn't bring it): an 8-byte little-endian
# header size, a JSON header {name: {dtype, shape, data_offsets}}, then the raw little-endian data.
SAFETENSORS_DTYPES = {"F32": torch.float32, "F64": torch.float64, "F16": torch.float16, "BF16": torch.bfloat16,
                      "I64": torch.int64, "I32": torch.int32, "U8": torch.uint8}


def save_safetensors(tensors, path):
    header, chunks, offset = {}, [], 0
    for name, t in tensors.items():
        data = t.detach().contiguous().cpu().numpy().tobytes()
        dtype = next(k for k, v in SAFETENSORS_DTYPES.items() if v == t.dtype)
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the data starts 8-byte aligned
    with open(path, "wb") as f:
        f.write(len(text).to_bytes(8, "little") + text + b"".join(chunks))


def load_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + n])
    header.pop("__metadata__", None)
    data = bytearray(raw[8 + n:])
    tensors = {}
    for name, h in header.items():
        begin, end = h["data_offsets"]
        dtype = SAFETENSORS_DTYPES[h["dtype"]]
        flat = torch.frombuffer(data[begin:end], dtype=dtype) if end > begin else torch.empty(0, dtype=dtype)
        tensors[name] = flat.reshape(h["shape"]).clone()
    return tensors


def make_optimizer(args, params):
    """--optimizer adam: Adam(lr=args.lr); sgd: SGD(lr=args.lr, momentum 0.9)."""
    if args.optimizer == "adam":
        return torch.optim.Adam(params, lr=args.lr)
    return torch.optim.SGD(params, lr=args.lr, momentum=0.9)


class EpochLog:
    """The bookkeeping around the four lines of an epoch: running loss, progress line, training
    time (start_epoch to the last step, without evaluation), the summary line, the curves."""

    def __init__(self, batches_per_epoch, quiet):
        self.batches, self.quiet, self.tty = batches_per_epoch, quiet, sys.stdout.isatty()
        self.curves = collections.defaultdict(dict)  # epoch -> {metric: value}, for --metrics

    def start_epoch(self, epoch):
        self.epoch, self.loss_sum, self.done, self.samples, self.last_draw = epoch, 0.0, 0, 0, -1.0
        self.start = self.last_step = time.perf_counter()

    def step(self, loss, batch_size):
        """After opt.step(): `loss` is the batch's mean loss, weighted by its batch_size examples."""
        self.loss_sum += loss.item() * batch_size
        self.samples += batch_size
        self.done += 1
        self.last_step = time.perf_counter()
        if not self.quiet:
            self.draw_progress()

    def train_loss(self):
        return self.loss_sum / self.samples

    def train_seconds(self):
        return self.last_step - self.start

    def end_epoch(self, *summary):
        """The epoch's line, as C++'s two overloads: end_epoch(result) for a classifier (train loss,
        test loss, test accuracy, time); end_epoch(loss_name, test_loss) for a named loss alone."""
        if len(summary) == 1:
            result, = summary
            print(f"epoch {self.epoch}: train loss {self.train_loss():.4f}, test loss {result.loss:.4f}, "
                  f"test accuracy {result.accuracy:.2f}%, {self.train_seconds():.1f} s "
                  f"({self.samples / self.train_seconds():.0f} samples/s)", flush=True)
            self.curves[self.epoch].update({"train loss": self.train_loss(), "test loss": result.loss,
                                            "test accuracy (%)": result.accuracy})
        else:
            loss_name, test_loss = summary
            print(f"epoch {self.epoch}: train {loss_name} {self.train_loss():.5f}, "
                  f"test {loss_name} {test_loss:.5f}, {self.train_seconds():.1f} s", flush=True)
            self.curves[self.epoch].update({"train " + loss_name: self.train_loss(), "test " + loss_name: test_loss})

    def write_curves(self, args):
        if args.metrics:
            names = list(dict.fromkeys(name for row in self.curves.values() for name in row))
            with open(args.metrics, "w") as f:
                f.write(",".join(["epoch"] + names) + "\n")
                for epoch, row in self.curves.items():
                    f.write(",".join([str(epoch)] + [f"{row[n]:g}" if n in row else "" for n in names]) + "\n")

    def draw_progress(self):
        elapsed = self.train_seconds()
        if self.tty:
            if elapsed - self.last_draw < 0.1 and self.done != self.batches:
                return
            self.last_draw = elapsed
            filled = 30 * self.done // self.batches
            left = elapsed * (self.batches - self.done) / self.done
            print(f"\repoch {self.epoch} [{'=' * filled}{' ' * (30 - filled)}] {self.done}/{self.batches}  "
                  f"{self.samples / elapsed:6.0f} samples/s  loss {self.train_loss():.4f}  {left:3.0f}s left ",
                  end="\n" if self.done == self.batches else "", flush=True)
        elif self.done * 4 // self.batches != (self.done - 1) * 4 // self.batches and self.done != self.batches:
            print(f"epoch {self.epoch}: {self.done}/{self.batches} batches, {self.samples / elapsed:.0f} samples/s, "
                  f"loss {self.train_loss():.4f}", flush=True)


Evaluation = collections.namedtuple("Evaluation", "loss accuracy confusion")  # confusion[true][predicted]


@torch.no_grad()
def evaluate(model, loader):
    model.eval()
    total_loss, confusion = 0.0, torch.zeros(10, 10, dtype=torch.int64)
    for x, y in loader:
        out = model(x)
        total_loss += F.cross_entropy(out, y, reduction="sum").item()
        confusion += torch.bincount(y * 10 + out.argmax(1), minlength=100).reshape(10, 10)
    n = confusion.sum().item()
    return Evaluation(total_loss / n, 100.0 * confusion.trace().item() / n, confusion)


def print_per_class(e, fashion):
    fashion_names = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                     "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
    print("\nper-class accuracy and confusion matrix (rows: true class, columns: predicted)")
    print(f"{'class':<14} {'acc':>7}  " + "".join(f"{c:5d}" for c in range(10)))
    for t in range(10):
        total = e.confusion[t].sum().item()
        name = f"{t} {fashion_names[t]}" if fashion else str(t)
        acc = 100.0 * e.confusion[t][t].item() / total if total else 0.0
        print(f"{name:<14} {acc:6.2f}%  " + "".join(f"{v:5d}" for v in e.confusion[t].tolist()))


def finish_training(args, model, result, log):
    """After training: --metrics, the per-class report, the final accuracy, --save."""
    log.write_curves(args)
    if not args.quiet:
        print_per_class(result, "fashion" in args.data)
    print(f"\nfinal test accuracy: {result.accuracy:.2f}%")
    if args.save:
        save_safetensors(model.state_dict(), args.save)
        print(f"saved the weights to {args.save}")


def write_png_gray(path, pixels):
    """pixels, a [h, w] uint8 tensor, as an 8-bit grayscale PNG (xgrad's viz::write_png_gray)."""
    h, w = pixels.shape
    raw = b"".join(b"\0" + bytes(row) for row in pixels.tolist())  # filter type 0 before each row

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)) +
                chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
