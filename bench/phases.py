"""Where an epoch's time goes, per batch and per phase: learnlib's `Learner` against the plain loop (issue 21).

    .venv/bin/python bench/phases.py [--threads default|N] [--rounds 3] [--n 60000]

The chapter-13 MNIST CNN, bs 64, `fit_one_cycle(1, 0.1)`, in one process, at the thread count asked for (`default`:
nothing set, torch uses every core). Per round, alternating who goes first:
- `learnlib, first epoch` : fresh DataLoaders from the PNG folders, so the cache fills during the epoch;
- `learnlib, later epoch` : a fresh model on the same, now cached, DataLoaders;
- `plain` : a bare loop over the uint8 tensors of learnlib's filled cache (so both read the very same bytes).
Each batch's wall time is cut into phases with `time.perf_counter()` (no `torch.profiler`: it adds its own cost per
op): `data` (from the end of one batch to the start of the next: fetch, collate, batch transforms), `forward`,
`loss`, `backward`, `step` (optimizer step and zero_grad; the scheduler too), `rest` (callbacks after the step).
Validation is one phase of its own. Prints a markdown table of milliseconds per training batch (median of the rounds).
"""
from __future__ import annotations
import argparse, statistics, sys, time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
MNIST_STATS = (0.1307, 0.3081)
BS, LR, SEED = 64, 0.1, 42
PHASES = ('data', 'forward', 'loss', 'backward', 'step', 'rest')


def _learnlib(path: Path, dls=None) -> tuple[dict, object]:
    "One `fit_one_cycle(1)` with a phase clock as a callback; builds the DataLoaders when `dls` is None."
    from learnlib.callbacks import Callback
    from learnlib.blocks import CategoryBlock, ImageBlock
    from learnlib.datablock import DataBlock
    from learnlib.getters import GrandparentSplitter, get_image_files, parent_label
    from learnlib.learner import Learner
    from learnlib.transforms import Normalize
    from learnlib.image import PILImageBW
    from learnlib.metrics import accuracy
    from learnlib.core import set_seed
    from learnlib.models import simple_cnn
    set_seed(SEED)
    if dls is None:
        dls = DataBlock(blocks=(ImageBlock(cls=PILImageBW), CategoryBlock), get_items=get_image_files,
                        splitter=GrandparentSplitter('training', 'testing'), get_y=parent_label,
                        batch_tfms=Normalize.from_stats(*MNIST_STATS)).dataloaders(path, bs=BS)

    class Clock(Callback):
        order = 100   # after every other callback of the batch
        def before_fit(self): self.t = {p: 0. for p in PHASES} | {'valid': 0., 'epoch': 0.}
        def before_train(self): self.start = self.last = time.perf_counter()
        def _lap(self, phase: str):
            now = time.perf_counter(); self.t[phase] += now - self.last; self.last = now
        def before_batch(self):
            if self.learn.training: self._lap('data')
        def after_pred(self):
            if self.learn.training: self._lap('forward')
        def after_loss(self):
            if self.learn.training: self._lap('loss')
        def after_backward(self): self._lap('backward')
        def after_step(self): self._lap('step')
        def after_batch(self):
            if self.learn.training: self._lap('rest')
        def before_validate(self): self.v0 = time.perf_counter()
        def after_validate(self): self.t['valid'] += time.perf_counter() - self.v0
        def after_epoch(self): self.t['epoch'] = time.perf_counter() - self.start

    clock = Clock()
    learn = Learner(dls, simple_cnn(), metrics=accuracy, cbs=clock)
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(1, LR)
    n = len(dls.train)
    res = {p: clock.t[p] / n * 1e3 for p in PHASES}   # the zero_grad after the step falls into 'rest'
    res.update(valid_s=clock.t['valid'], epoch_s=clock.t['epoch'], accuracy=float(learn.recorder.values[-1][-1]))
    return res, dls


def _plain(xs, ys, xv, yv) -> dict:
    "The floor, with the same phase clock: AdamW with fastai's numbers, torch's OneCycleLR."
    import torch, torch.nn.functional as F
    from learnlib.models import simple_cnn
    torch.manual_seed(SEED)
    model = simple_cnn()
    no_wd = [p for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d) for p in m.parameters()]
    no_wd += [m.bias for m in model.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)) and m.bias is not None]
    ids = {id(p) for p in no_wd}
    opt = torch.optim.AdamW([{'params': [p for p in model.parameters() if id(p) not in ids], 'weight_decay': 0.01},
                             {'params': no_wd, 'weight_decay': 0.}], lr=LR, betas=(0.9, 0.99), eps=1e-5)
    n_iter = len(xs) // BS
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=LR, total_steps=n_iter, pct_start=0.25, div_factor=25.,
                                                final_div_factor=1e5 / 25., base_momentum=0.85, max_momentum=0.95)
    mean, std = MNIST_STATS
    def prep(xb): return (xb.float().div_(255.) - mean) / std
    t = {p: 0. for p in PHASES}
    start = last = time.perf_counter()
    def lap(phase):
        nonlocal last
        now = time.perf_counter(); t[phase] += now - last; last = now
    model.train()
    idx = torch.randperm(len(xs))
    for i in range(0, len(idx) - BS + 1, BS):
        b = idx[i:i + BS]; xb, yb = prep(xs[b]), ys[b]; lap('data')
        out = model(xb); lap('forward')
        loss = F.cross_entropy(out, yb); lap('loss')
        loss.backward(); lap('backward')
        opt.step(); opt.zero_grad(); sched.step(); lap('step')
    v0 = time.perf_counter()
    model.eval(); correct = 0
    with torch.no_grad():
        for i in range(0, len(xv), BS): correct += (model(prep(xv[i:i + BS])).argmax(1) == yv[i:i + BS]).sum().item()
    end = time.perf_counter()
    res = {p: t[p] / n_iter * 1e3 for p in PHASES}
    res.update(valid_s=end - v0, epoch_s=end - start, accuracy=correct / len(xv))
    return res


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--threads', default='default', help="'default' (nothing set) or a number of torch threads")
    ap.add_argument('--rounds', type=int, default=3)
    args = ap.parse_args(argv)
    import torch
    if args.threads != 'default': torch.set_num_threads(int(args.threads))
    import torch._dynamo  # noqa: F401  (a process's first torch.optim optimizer imports it: off the clock)
    sys.path.insert(0, str(BENCH))
    from mnist_cnn import mnist_path
    sys.path.remove(str(BENCH))
    path = mnist_path()
    runs = {'learnlib, first epoch': [], 'learnlib, later epoch': [], 'plain': []}
    for r in range(args.rounds):
        first, dls = _learnlib(path)
        tensors = (dls.train_ds._stacked[0], dls.train_ds.targets[0], dls.valid_ds._stacked[0], dls.valid_ds.targets[0])
        order = [('learnlib, later epoch', lambda: _learnlib(path, dls)[0]), ('plain', lambda: _plain(*tensors))]
        if r % 2: order.reverse()
        runs['learnlib, first epoch'].append(first)
        for name, f in order: runs[name].append(f())
        print(f"round {r}: " + ', '.join(f"{k} {v[-1]['epoch_s']:.2f} s" for k, v in runs.items()), file=sys.stderr, flush=True)
    med = lambda rs, k: statistics.median(x[k] for x in rs)
    print(f"threads: {torch.get_num_threads()} ({args.threads}), {args.rounds} rounds, medians; ms per training batch")
    print('| run | ' + ' | '.join(PHASES) + ' | sum | validation (s) | epoch (s) | × plain | accuracy |')
    print('|---' * (len(PHASES) + 6) + '|')
    plain_s = med(runs['plain'], 'epoch_s')
    for name, rs in runs.items():
        cells = [f"{med(rs, p):.2f}" for p in PHASES]
        print(f"| {name} | {' | '.join(cells)} | {sum(med(rs, p) for p in PHASES):.2f} | {med(rs, 'valid_s'):.2f} | "
              f"{med(rs, 'epoch_s'):.2f} | {med(rs, 'epoch_s') / plain_s:.2f} | {med(rs, 'accuracy'):.4f} |")


if __name__ == '__main__': main()
