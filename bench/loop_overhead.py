"""How much does `Learner.fit` cost over a plain PyTorch loop?

The same model, optimizer (AdamW, fastai's defaults), in-memory tensors and batch order are trained by a plain loop
and by `Learner.fit` (with its default Recorder and progress callbacks and an accuracy metric), alternating, several
repeats, for a tiny and a medium model. Prints seconds per epoch and the ratio Learner / plain (goal: ≤ 1.05).

    OMP_NUM_THREADS=1 python bench/loop_overhead.py [--repeats 10] [--epochs 1] [--profile]
"""
from __future__ import annotations
import argparse, cProfile, math, pstats, statistics, time
import torch, torch.nn.functional as F
from torch import nn
from learnlib.learner import Learner
from learnlib.optimizer import Adam, norm_bias_params
from learnlib.metrics import accuracy
from learnlib.losses import CrossEntropyLossFlat


class TensorLoader:
    "Batches of (x, y) slices of in-memory tensors; a fixed permutation per epoch so both loops see the same order."
    def __init__(self, x, y, bs, shuffle):
        self.x, self.y, self.bs, self.shuffle, self.epoch = x, y, bs, shuffle, 0
    def __len__(self): return math.ceil(len(self.x) / self.bs)
    def __iter__(self):
        if self.shuffle:
            self.epoch += 1
            idx = torch.randperm(len(self.x), generator=torch.Generator().manual_seed(self.epoch))
        else: idx = None
        for i in range(0, len(self.x), self.bs):
            if idx is None: yield self.x[i:i + self.bs], self.y[i:i + self.bs]
            else: j = idx[i:i + self.bs]; yield self.x[j], self.y[j]


class Data:
    def __init__(self, x_train, y_train, x_valid, y_valid, bs):
        self.train, self.valid = TensorLoader(x_train, y_train, bs, True), TensorLoader(x_valid, y_valid, 1024, False)
        self.device = torch.device('cpu')


def plain_fit(model, dls, n_epoch, lr):
    "What a careful PyTorch user writes: train, then validation loss and accuracy weighted by batch size."
    # the same optimizer setup as the Learner's: no weight decay on biases and batchnorm (a second param group,
    # which by itself costs ~10 µs per step in torch's optimizer, so leaving it out would bias the comparison)
    no_wd = {id(p) for p in norm_bias_params(model)}
    opt = Adam([{'params': [p for p in model.parameters() if id(p) not in no_wd]},
                {'params': [p for p in model.parameters() if id(p) in no_wd], 'weight_decay': 0.}], lr=lr)
    for epoch in range(n_epoch):
        model.train()
        for xb, yb in dls.train:
            loss = F.cross_entropy(model(xb), yb)
            loss.backward(); opt.step(); opt.zero_grad()
        model.eval()
        total, correct, n = torch.zeros(()), torch.zeros(()), 0
        with torch.no_grad():
            for xb, yb in dls.valid:
                pred = model(xb)
                total += F.cross_entropy(pred, yb) * len(yb); correct += (pred.argmax(1) == yb).sum(); n += len(yb)
        _ = (float(total) / n, float(correct) / n)  # read once per epoch, as the Recorder does


def learner_fit(model, dls, n_epoch, lr, loss_func=F.cross_entropy):
    "The same loss as the plain loop, so the difference is the loop: events, Recorder, progress, metric."
    learn = Learner(dls, model, loss_func, lr=lr, metrics=accuracy)
    with learn.no_logging(): learn.fit(n_epoch)

def learner_flat_fit(model, dls, n_epoch, lr):
    "As a user gets it by default: `CrossEntropyLossFlat` (it flattens, so a few more tensor ops per batch)."
    learner_fit(model, dls, n_epoch, lr, CrossEntropyLossFlat())


MODELS = {
    'tiny (784-32-2 MLP, bs 64)': (lambda: nn.Sequential(nn.Linear(784, 32), nn.ReLU(), nn.Linear(32, 2)), (784,), 64),
    'medium (CNN 3 convs + BN, bs 64)': (lambda: nn.Sequential(
        nn.Conv2d(1, 16, 3, stride=2, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
        nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
        nn.Conv2d(32, 64, 3, stride=2, padding=1), nn.BatchNorm2d(64), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 2)), (1, 28, 28), 64),
}


def measure(name, make_model, shape, bs, repeats, n_epoch, n_train, profile=False) -> dict:
    torch.manual_seed(0)
    x = torch.randn(n_train + 2048, *shape); y = (x.flatten(1).mean(1) > 0).long()
    dls = Data(x[:n_train], y[:n_train], x[n_train:], y[n_train:], bs)
    plain_fit(make_model(), dls, 1, 1e-3); learner_fit(make_model(), dls, 1, 1e-3)  # warm-up: imports, allocator
    if profile:
        prof = cProfile.Profile(); prof.enable(); learner_fit(make_model(), dls, n_epoch, 1e-3); prof.disable()
        pstats.Stats(prof).sort_stats('tottime').print_stats(15)
    times = {'plain': [], 'learner': [], 'flat': []}
    for r in range(repeats):
        order = [('plain', plain_fit), ('learner', learner_fit), ('flat', learner_flat_fit)]
        if r % 2: order.reverse()  # alternate which goes first
        for key, fit in order:
            model = make_model()
            # CPU time of this process: on a shared machine, wall time mostly measures the neighbours
            start = time.process_time(); fit(model, dls, n_epoch, 1e-3)
            times[key].append((time.process_time() - start) / n_epoch)
    plain, learner, flat = (statistics.median(times[k]) for k in ('plain', 'learner', 'flat'))
    print(f'{name}: {len(dls.train)} batches/epoch; CPU-s per epoch (median of {repeats}): plain {plain:.4f}, '
          f'Learner {learner:.4f}, Learner+CrossEntropyLossFlat {flat:.4f}\n'
          f'    ratio Learner/plain {learner / plain:.3f} (min-based {min(times["learner"]) / min(times["plain"]):.3f}); '
          f'with CrossEntropyLossFlat {flat / plain:.3f} (min-based {min(times["flat"]) / min(times["plain"]):.3f})', flush=True)
    return {'model': name, 'batches/epoch': len(dls.train), 'plain CPU-s/epoch': round(plain, 4),
            'Learner CPU-s/epoch': round(learner, 4), 'Learner / plain': round(learner / plain, 3),
            'with CrossEntropyLossFlat / plain': round(flat / plain, 3), 'repeats': repeats}


def main(quick: bool = False) -> list[dict]:
    "bench/run.py's convention: one row per model, CPU time per epoch, median of alternating repeats, 1 thread."
    torch.set_num_threads(1)
    return [measure(name, make_model, shape, bs, 5 if quick else 20, 1, 4096 if quick else 12288)
            for name, (make_model, shape, bs) in MODELS.items()]


if __name__ == '__main__':
    parser = argparse.ArgumentParser()
    parser.add_argument('--repeats', type=int, default=10)
    parser.add_argument('--epochs', type=int, default=1)
    parser.add_argument('--n_train', type=int, default=12288)
    parser.add_argument('--profile', action='store_true')
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f'torch {torch.__version__}, 1 thread, {args.repeats} alternating repeats of {args.epochs} epochs')
    for name, (make_model, shape, bs) in MODELS.items():
        measure(name, make_model, shape, bs, args.repeats, args.epochs, args.n_train, args.profile)
