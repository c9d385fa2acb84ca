"""Case 1 (and case 6): the book's chapter-13 MNIST CNN, one-cycle, bs 64, full MNIST read from PNG files.

Three contenders, each in a fresh subprocess per round (so their peak memory is their own, case 6):
- `plain`   : the floor. A plain PyTorch loop over in-memory uint8 tensors (decoded once, before the clock starts),
              AdamW + torch's OneCycleLR set to fastai's one-cycle numbers. No library at all.
- `learnlib`: DataBlock from the PNG folders -> Learner(simple_cnn()) -> fit_one_cycle(1, 0.1), learnlib's venv.
- `fastai`  : the same with fastai 2.8, in `.bench-venv`.
Same folders, model builder (`learnlib.models.simple_cnn`, plain torch), seed, bs, normalisation stats, schedule.

`fit_s` is the wall time of the fit call (train + validation, one epoch); `setup_s` is items -> DataLoaders;
`process_s` is the whole subprocess (interpreter start and imports included).
"""
from __future__ import annotations
import os, shutil, time
from pathlib import Path
from common import (OUT, alternate, fastai_python, first_error, fmt_ratio, fmt_stats, learnlib_python, md_table,
                    ratios, run_worker, set_threads, stats, values)

MNIST_STATS = (0.1307, 0.3081)   # mean and std of MNIST's training pixels; fixed so every side normalises alike
SEED, BS, LR = 42, 64, 0.1
THIS = Path(__file__).resolve()


# ---------------------------------------------------------------- data
def mnist_path() -> Path:
    "learnlib's MNIST PNG folders (`untar_data(URLs.MNIST)`: training/<digit>/*.png, testing/...); `BENCH_MNIST` overrides."
    if os.environ.get('BENCH_MNIST'): return Path(os.environ['BENCH_MNIST'])
    from learnlib.download import URLs, untar_data
    return untar_data(URLs.MNIST)

def subset(path: Path, n_train: int, n_valid: int) -> Path:
    "A copy of the first `n_train` / `n_valid` PNGs (sorted by name) of each digit, for quick runs; built once."
    dest = OUT / 'data' / f'mnist_{n_train}_{n_valid}'
    if dest.exists(): return dest
    tmp = dest.with_name(dest.name + f'.tmp{os.getpid()}')
    for split, n in (('training', n_train), ('testing', n_valid)):
        for digit in sorted(p for p in (path / split).iterdir() if p.is_dir()):
            (tmp / split / digit.name).mkdir(parents=True, exist_ok=True)
            for f in sorted(digit.glob('*.png'))[:n]: shutil.copyfile(f, tmp / split / digit.name / f.name)
    tmp.rename(dest)   # atomic: a half-copied subset is never used
    return dest


# ---------------------------------------------------------------- contenders (each runs in its own subprocess)
def _preimport() -> float:
    """Import `torch._dynamo` off the clock; returns the seconds it took. A process's first `torch.optim` optimizer
    imports it (4-8 s here): learnlib's Learner (torch's AdamW) and the plain loop would pay it inside their first fit,
    fastai (its own optimizer) never does. It is a one-off per process, reported apart, not an epoch cost."""
    t0 = time.perf_counter()
    import torch._dynamo  # noqa: F401
    return time.perf_counter() - t0

def _fits(train, warm: bool) -> dict:
    """Call `train()` (fresh seeded model, fit, -> (seconds, epoch seconds, accuracy)); with `warm`, call it again on the
    same DataLoaders: the second fit is a later epoch (learnlib's decode cache full, the OS file cache warm)."""
    dynamo_s = _preimport()
    fit_s, epoch_s, acc = train()
    res = {'fit_s': fit_s, 'epoch_s': epoch_s, 'accuracy': acc, 'dynamo_import_s': dynamo_s}
    if warm: res['warm_fit_s'] = train()[0]
    return res

def plain(path: str, epochs: int = 1, bs: int = BS, lr: float = LR, seed: int = SEED, threads: int | None = None,
          warm: bool = False) -> dict:
    "The floor: decode every PNG once into a uint8 tensor, then a bare loop (AdamW, OneCycleLR) over it."
    import numpy as np, torch, torch.nn.functional as F
    from PIL import Image
    from learnlib.models import simple_cnn
    threads = set_threads(threads)
    t0 = time.perf_counter()
    def load(split):
        digits = sorted(p.name for p in (Path(path) / split).iterdir() if p.is_dir())
        files = [(f, i) for i, d in enumerate(digits) for f in sorted((Path(path) / split / d).glob('*.png'))]
        x = torch.from_numpy(np.stack([np.array(Image.open(f)) for f, _ in files]))[:, None]   # N×1×28×28 uint8
        return x, torch.tensor([i for _, i in files])
    (x_train, y_train), (x_valid, y_valid) = load('training'), load('testing')
    setup_s = time.perf_counter() - t0

    mean, std = MNIST_STATS
    def prep(xb): return (xb.float().div_(255.) - mean) / std

    def train() -> tuple[float, list, float]:
        torch.manual_seed(seed)
        model = simple_cnn()
        # fastai's defaults: Adam with decoupled wd 0.01, betas (0.9, 0.99), eps 1e-5; no wd on batchnorm and biases
        no_wd = [p for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d) for p in m.parameters()]
        no_wd += [m.bias for m in model.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)) and m.bias is not None]
        ids = {id(p) for p in no_wd}
        groups = [{'params': [p for p in model.parameters() if id(p) not in ids], 'weight_decay': 0.01},
                  {'params': no_wd, 'weight_decay': 0.}]
        t0, epoch_s = time.perf_counter(), []
        opt = torch.optim.AdamW(groups, lr=lr, betas=(0.9, 0.99), eps=1e-5)
        n_iter = epochs * (len(x_train) // bs)   # drop_last on the training set, as fastai does
        # fastai's one-cycle: lr_max/25 -> lr_max (cosine, 25% of steps) -> lr_max/1e5; momentum 0.95 -> 0.85 -> 0.95
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=n_iter, pct_start=0.25, div_factor=25.,
                                                    final_div_factor=1e5 / 25., base_momentum=0.85, max_momentum=0.95)
        for _ in range(epochs):
            te = time.perf_counter()
            model.train()
            idx = torch.randperm(len(x_train))
            for i in range(0, len(idx) - bs + 1, bs):
                b = idx[i:i + bs]
                loss = F.cross_entropy(model(prep(x_train[b])), y_train[b])
                loss.backward()
                opt.step(); opt.zero_grad(); sched.step()
            model.eval()
            correct = 0
            with torch.no_grad():
                for i in range(0, len(x_valid), bs):
                    correct += (model(prep(x_valid[i:i + bs])).argmax(1) == y_valid[i:i + bs]).sum().item()
            epoch_s.append(time.perf_counter() - te)
        return time.perf_counter() - t0, epoch_s, correct / len(x_valid)

    res = _fits(train, warm)
    return {'setup_s': setup_s, **res, 'n_train': len(x_train), 'n_valid': len(x_valid), 'threads': threads}


def learnlib(path: str, epochs: int = 1, bs: int = BS, lr: float = LR, seed: int = SEED, threads: int | None = None,
             warm: bool = False) -> dict:
    "learnlib as a reader writes it (chapter 13), learnlib's venv."
    import torch
    from learnlib.core import set_seed
    from learnlib.blocks import CategoryBlock, ImageBlock
    from learnlib.datablock import DataBlock
    from learnlib.getters import GrandparentSplitter, get_image_files, parent_label
    from learnlib.callbacks import Callback
    from learnlib.transforms import Normalize
    from learnlib.image import PILImageBW
    from learnlib.learner import Learner
    from learnlib.metrics import accuracy
    from learnlib.models import simple_cnn
    threads = set_threads(threads)
    set_seed(seed)
    t0 = time.perf_counter()
    dblock = DataBlock(blocks=(ImageBlock(cls=PILImageBW), CategoryBlock), get_items=get_image_files,
                       splitter=GrandparentSplitter('training', 'testing'), get_y=parent_label,
                       batch_tfms=Normalize.from_stats(*MNIST_STATS))
    dls = dblock.dataloaders(path, bs=bs)
    setup_s = time.perf_counter() - t0

    class EpochTimer(Callback):
        def before_fit(self): self.times = []
        def before_epoch(self): self.t = time.perf_counter()
        def after_epoch(self): self.times.append(time.perf_counter() - self.t)
    def train() -> tuple[float, list, float]:
        set_seed(seed)
        timer = EpochTimer()
        learn = Learner(dls, simple_cnn(), metrics=accuracy, cbs=timer)
        t0 = time.perf_counter()
        with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(epochs, lr)
        return time.perf_counter() - t0, timer.times, float(learn.recorder.values[-1][-1])

    return {'setup_s': setup_s, **_fits(train, warm),
            'n_train': len(dls.train_ds), 'n_valid': len(dls.valid_ds), 'threads': threads,
            'num_workers': getattr(dls.train, 'num_workers', None)}


def fastai(path: str, epochs: int = 1, bs: int = BS, lr: float = LR, seed: int = SEED, threads: int | None = None,
           warm: bool = False) -> dict:
    "fastai 2.8 as the book writes it (chapter 13), in `.bench-venv`; fastai's default DataLoader workers."
    import torch
    from fastai.vision.all import (Callback, CategoryBlock, DataBlock, GrandparentSplitter, ImageBlock, Learner,
                                   Normalize, PILImageBW, accuracy, get_image_files, parent_label, set_seed)
    from learnlib.models import simple_cnn  # the same plain-torch builder as the other sides
    threads = set_threads(threads)
    set_seed(seed)
    t0 = time.perf_counter()
    dblock = DataBlock(blocks=(ImageBlock(cls=PILImageBW), CategoryBlock), get_items=get_image_files,
                       splitter=GrandparentSplitter('training', 'testing'), get_y=parent_label,
                       batch_tfms=Normalize.from_stats([MNIST_STATS[0]], [MNIST_STATS[1]]))
    dls = dblock.dataloaders(path, bs=bs)
    setup_s = time.perf_counter() - t0

    class EpochTimer(Callback):
        def before_fit(self): self.times = []
        def before_epoch(self): self.t = time.perf_counter()
        def after_epoch(self): self.times.append(time.perf_counter() - self.t)
    def train() -> tuple[float, list, float]:
        set_seed(seed)
        timer = EpochTimer()
        learn = Learner(dls, simple_cnn(), metrics=accuracy, cbs=timer)
        t0 = time.perf_counter()
        with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(epochs, lr)
        return time.perf_counter() - t0, timer.times, float(learn.recorder.values[-1][-1])

    return {'setup_s': setup_s, **_fits(train, warm),
            'n_train': len(dls.train_ds), 'n_valid': len(dls.valid_ds), 'threads': threads,
            'num_workers': dls.train.num_workers}


# ---------------------------------------------------------------- the case, run from bench/run.py
def run(quick: bool, repeats: int, threads: int | None, with_fastai: bool, log_dir: Path, log=print) -> tuple[str, dict]:
    "Cases 1 and 6. Returns (markdown, raw runs)."
    full = mnist_path()
    path = subset(full, 1000, 200) if quick else full
    what = 'subset: 1,000 train + 200 valid PNGs per digit' if quick else 'full MNIST: 60,000 train + 10,000 valid PNGs'
    pythons = {'plain': learnlib_python(), 'learnlib': learnlib_python()}
    if with_fastai: pythons['fastai'] = fastai_python(log=log)
    def contender(name, epochs):
        return lambda: run_worker(pythons[name], THIS, name, log=log_dir / f'mnist_{name}.log',
                                  path=str(path), epochs=epochs, threads=threads, warm=True)
    log(f'[bench] case 1: MNIST CNN, {what}, {repeats} rounds')
    runs = alternate({n: contender(n, 1) for n in pythons}, repeats, log=log)
    for r in (x for n in pythons for x in runs[n]):   # what a reader waits for: PNG folders to a trained model
        if 'fit_s' in r and 'setup_s' in r: r['total_s'] = r['setup_s'] + r['fit_s']

    rows = []
    for n in pythons:
        r = runs[n]
        rows.append({'contender': n, 'first epoch': fmt_stats(values(r, 'fit_s')),
                     '× plain (first)': fmt_ratio(ratios(runs, n, 'plain', 'fit_s')),
                     'later epoch': fmt_stats(values(r, 'warm_fit_s')),
                     '× plain (later)': fmt_ratio(ratios(runs, n, 'plain', 'warm_fit_s')),
                     'setup (items → dls)': fmt_stats(values(r, 'setup_s')),
                     'setup + first epoch': fmt_stats(values(r, 'total_s')),
                     '× plain (total)': fmt_ratio(ratios(runs, n, 'plain', 'total_s')),
                     'accuracy, 1 epoch': fmt_stats(values(r, 'accuracy'), unit='', digits=4),
                     'error': first_error(r) or ''})
    goals = []
    def goal(a, b, key, label, bound, at_most):
        xs = ratios(runs, a, b, key)
        if not xs: return
        met = (stats(xs)['median'] <= bound) if at_most else (stats(xs)['median'] >= bound)
        goals.append(f"- {a} / {b}, {label}: {fmt_ratio(xs)} (goal {'≤' if at_most else '≥'} {bound:.2f}×: "
                     f"{'met' if met else 'NOT met'} by the median)")
    for key, label in (('warm_fit_s', 'later epoch'), ('fit_s', 'first epoch'), ('total_s', 'setup + first epoch')):
        goal('learnlib', 'plain', key, label, 1.3, True)
    if with_fastai:
        for key, label in (('fit_s', 'first epoch'), ('warm_fit_s', 'later epoch'), ('total_s', 'setup + first epoch')):
            goal('fastai', 'learnlib', key, label, 3., False)
    md = [f'### Case 1 — chapter-13 MNIST CNN ({what}, bs {BS}, fit_one_cycle(1, {LR}))', '',
          f'Median (min–max) over {repeats} alternating rounds; each `× plain` is a per-round ratio. '
          '"first epoch": `fit_one_cycle(1)` on fresh DataLoaders (learnlib decodes the PNGs into its cache during it; '
          'the plain loop decoded them in its setup, off the clock). "later epoch": a second, fresh model fitted on '
          'the same DataLoaders. "setup + first epoch": PNG folders to a trained model. Every contender imports '
          '`torch._dynamo` before its clock starts (a process\'s first `torch.optim` optimizer pays 4–8 s for it here; '
          'see `dynamo_import_s` in the raw runs).', '',
          md_table(rows), '', *goals]

    if not quick:   # accuracy after 5 epochs: one run each, not a timing
        log('[bench] case 1: 5-epoch accuracy runs')
        five = {n: run_worker(pythons[n], THIS, n, log=log_dir / f'mnist_{n}_5ep.log', path=str(path), epochs=5,
                              threads=threads) for n in pythons}
        runs['five_epochs'] = five
        md += ['', 'Accuracy after `fit_one_cycle(5, 0.1)` (one run each):', '',
               md_table([{'contender': n, 'accuracy, 5 epochs': f"{r['accuracy']:.4f}" if 'accuracy' in r else '',
                          'epoch 1': f"{r['epoch_s'][0]:.2f}s" if r.get('epoch_s') else '',
                          'epochs 2–5': fmt_stats(r.get('epoch_s', [])[1:]),
                          'whole fit': f"{r['fit_s']:.2f}s" if 'fit_s' in r else '',
                          'error': r.get('error', '')} for n, r in five.items()])]

    mem_rows = [{'contender': n, 'peak RSS, main process': fmt_stats(values(runs[n], 'peak_rss_mb'), ' MB', 0),
                 'peak PSS, process + workers': fmt_stats(values(runs[n], 'peak_pss_tree_mb'), ' MB', 0),
                 'DataLoader workers': ', '.join(sorted({str(x.get('num_workers', 0)) for x in runs[n] if 'error' not in x}))}
                for n in pythons]
    md += ['', f'### Case 6 — peak memory of case 1 ({what})', '',
           'Each contender ran in its own fresh subprocess. RSS: `ru_maxrss` of the main process. PSS: the peak, '
           'sampled every 0.25 s, of the proportional set size of the process and its DataLoader workers together '
           '(pages shared between them counted once).', '', md_table(mem_rows)]
    return '\n'.join(md), runs
