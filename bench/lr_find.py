"""lr_find: learnlib's `learn.lr_find()` beside fastai's, on the same model, data and seed.

Both sides train the same plain-torch model, `learnlib.models.simple_cnn(n_out=2, norm=False)` (the 08_lr_find
notebook's model), on MNIST_SAMPLE (3s and 7s: 12,396 training images) decoded once into in-memory tensors before
the clock starts, bs 64, each library's default optimizer (Adam) and flattened cross-entropy, `set_seed(42)`
before the model is built (so both start from the same weights). The clock measures one
`lr_find(suggest_funcs=(valley, slide, minimum, steep), show_plot=False)` call: 100 iterations unless the loss
diverges first. Each contender runs in a fresh subprocess and calls it twice on the same learner: the first call pays
for warming torch up, the second is the steady state. fastai runs in `.bench-venv`; when that venv is missing the
table says "fastai venv missing".

Two checks ride along:
- the two libraries' suggestions side by side (they differ a little: the shuffling of the batches differs);
- parity of the suggestion rules: learnlib's `valley`/`slide`/`minimum`/`steep` applied to the curve fastai
  recorded must give exactly fastai's suggestions.

Run: `.venv/bin/python bench/lr_find.py [--quick] [--repeats N] [--threads N]`; prints markdown and writes
bench/out/lr_find.md. For bench/run.py: `run(quick, repeats, threads, with_fastai, log_dir)` and `main(quick)`.
"""
from __future__ import annotations
import argparse, sys, time
from pathlib import Path
BENCH = Path(__file__).resolve().parent
if str(BENCH) not in sys.path: sys.path.insert(0, str(BENCH))
from common import (FASTAI_VENV, OUT, alternate, first_error, fmt_ratio, fmt_stats, learnlib_python, machine_line,
                    md_table, ratios, run_worker, values)

SEED, BS = 42, 64
FUNCS = ('valley', 'slide', 'minimum', 'steep')
THIS = Path(__file__).resolve()


# ---------------------------------------------------------------- data (plain torch + PIL: both venvs have them)
def sample_path() -> str:
    from learnlib.download import URLs, untar_data
    return str(untar_data(URLs.MNIST_SAMPLE))

def load_tensors(path: str, n_train: int | None = None):
    "MNIST_SAMPLE as float tensors in [0, 1] (N×1×28×28) and 0/1 labels (3 → 0, 7 → 1), files in sorted order."
    import numpy as np, torch
    from PIL import Image
    def split(name, n):
        files = [(f, label) for label, digit in enumerate(['3', '7'])
                 for f in sorted((Path(path) / name / digit).glob('*.png'))[:n]]
        x = torch.from_numpy(np.stack([np.array(Image.open(f)) for f, _ in files]))[:, None].float() / 255
        return x, torch.tensor([label for _, label in files])
    return split('train', n_train), split('valid', None if n_train is None else max(n_train // 5, 64))

def _threads(threads: int | None):
    import torch
    import torch._dynamo  # noqa: the first `torch.optim` optimizer of a process imports it (~4 s): not lr_find's cost
    if threads: torch.set_num_threads(threads)
    return torch.get_num_threads()

def _time_calls(learn, funcs, calls: int = 2) -> dict:
    "Time `calls` lr_find calls on the same learner (it is restored after each)."
    times, res = [], None
    for _ in range(calls):
        t0 = time.perf_counter()
        res = learn.lr_find(suggest_funcs=funcs, show_plot=False)
        times.append(time.perf_counter() - t0)
    rec = learn.recorder
    # the curve goes under 'rows', which the harness's log lines leave out
    return {'first_s': times[0], 'second_s': times[-1], 'suggestions': dict(zip(FUNCS, [float(v) for v in res])),
            'iterations': len(rec.lrs), 'rows': [[float(lr), float(loss)] for lr, loss in zip(rec.lrs, rec.losses)]}


# ---------------------------------------------------------------- contenders (each in its own subprocess)
def learnlib(path: str, n_train: int | None = None, threads: int | None = None) -> dict:
    "learnlib, learnlib's venv."
    import warnings
    from learnlib.core import set_seed
    from learnlib.data import DataLoaders
    from learnlib.learner import Learner
    from learnlib.lr_find import valley, slide, minimum, steep
    from learnlib.models import simple_cnn
    threads = _threads(threads)
    (xt, yt), (xv, yv) = load_tensors(path, n_train)
    set_seed(SEED)   # before the loaders too: fastai seeds its shuffling from the global RNG when it is built
    dls = DataLoaders.from_tensors(xt, yt, xv, yv, bs=BS)
    set_seed(SEED)
    learn = Learner(dls, simple_cnn(n_out=2, norm=False))
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')   # quick mode: "only N batches" is expected there
        res = _time_calls(learn, (valley, slide, minimum, steep))
    return {**res, 'n_batches': len(dls.train), 'threads': threads}

def fastai(path: str, n_train: int | None = None, threads: int | None = None) -> dict:
    "fastai 2.8, `.bench-venv`; in-memory tensors through fastai's own DataLoader."
    import torch
    from fastai.vision.all import (CrossEntropyLossFlat, DataLoaders, Learner, set_seed, valley, slide, minimum, steep)
    from learnlib.models import simple_cnn  # plain torch: the same builder as the learnlib side
    threads = _threads(threads)
    (xt, yt), (xv, yv) = load_tensors(path, n_train)
    train_ds, valid_ds = list(zip(xt, yt)), list(zip(xv, yv))
    set_seed(SEED)
    dls = DataLoaders.from_dsets(train_ds, valid_ds, bs=BS, device=torch.device('cpu'))
    set_seed(SEED)
    learn = Learner(dls, simple_cnn(n_out=2, norm=False), loss_func=CrossEntropyLossFlat())
    with learn.no_bar(), learn.no_logging(): res = _time_calls(learn, (valley, slide, minimum, steep))
    return {**res, 'n_batches': len(dls.train), 'threads': threads}


# ---------------------------------------------------------------- the comparison
def _parity(fastai_run: dict) -> str:
    "learnlib's suggestion rules on fastai's recorded curve, against fastai's own suggestions."
    import torch
    from learnlib import lr_find as L
    num_it = 100
    curve = torch.tensor(fastai_run['rows'], dtype=torch.float64)[num_it // 10:-5]
    lrs, losses = curve[:, 0], curve[:, 1]
    nans = (~losses.isfinite()).nonzero()
    if len(nans): lrs, losses = lrs[:int(nans[0])], losses[:int(nans[0])]
    diffs = []
    for name in FUNCS:
        ours, theirs = getattr(L, name)(lrs, losses, num_it)[0], fastai_run['suggestions'][name]
        rel = abs(ours - theirs) / theirs
        diffs.append(f'{name} {"equal" if rel < 1e-5 else f"DIFFERS ({ours:.3e} vs {theirs:.3e})"}')
    return ', '.join(diffs)

def _fastai_python() -> str | None:
    python = FASTAI_VENV / 'bin' / 'python'
    if not python.exists(): return None
    import subprocess
    ok = subprocess.run([str(python), '-c', 'import fastai.vision.all'], capture_output=True).returncode == 0
    return str(python) if ok else None

def _rows(runs: dict, pythons: dict, with_fastai: bool) -> list[dict]:
    "One table row per library, the same keys in every row."
    rows = []
    for n in ('learnlib', 'fastai'):
        r = runs.get(n, [])
        ok = [x for x in r if 'suggestions' in x]
        row = {'library': n, 'lr_find(), 1st call': fmt_stats(values(r, 'first_s')),
               'lr_find(), 2nd call': fmt_stats(values(r, 'second_s')),
               'iterations': str(ok[-1]['iterations']) if ok else ''}
        for f in FUNCS: row[f] = f"{ok[-1]['suggestions'][f]:.2e}" if ok else ''
        if n not in pythons: row['error'] = 'fastai venv missing' if with_fastai else 'not run (--no-fastai)'
        else: row['error'] = first_error(r) or ''
        rows.append(row)
    return rows

def run(quick: bool, repeats: int, threads: int | None, with_fastai: bool, log_dir: Path, log=print) -> tuple[str, dict]:
    "Returns (markdown, raw runs). `threads=None` leaves torch's default (use 1 on a loaded machine)."
    path = sample_path()
    n_train = 1000 if quick else None   # quick: 1,000 images per digit, 31 batches (lr_find then runs 4 epochs)
    what = 'subset: 1,000 train images per digit' if quick else 'MNIST_SAMPLE: 12,396 train images'
    pythons = {'learnlib': learnlib_python()}
    fastai_py = _fastai_python() if with_fastai else None
    if fastai_py: pythons['fastai'] = fastai_py
    def contender(name):
        return lambda: run_worker(pythons[name], THIS, name, log=log_dir / f'lr_find_{name}.log',
                                  path=path, n_train=n_train, threads=threads)
    log(f'[bench] lr_find: {what}, {repeats} rounds, threads: {threads or "torch default"}')
    runs = alternate({n: contender(n) for n in pythons}, repeats, log=log)
    md = [f'### lr_find — simple_cnn(norm=False) on {what}, bs {BS}, 100 iterations, threads: {threads or "torch default"}',
          '', f'Median (min–max) over {repeats} alternating rounds, each a fresh process; suggestions from the last round. '
          'The 1st call includes warming torch up (first kernels, allocations), the 2nd is the steady state. Both '
          'workers import `torch._dynamo` before the clock: the first `torch.optim` optimizer of a process imports it '
          '(about 4 s here), which learnlib\'s Learner (torch\'s AdamW) would otherwise pay inside its first call and '
          'fastai (its own optimizer class) never pays.', '', md_table(_rows(runs, pythons, with_fastai))]
    if 'fastai' in pythons and runs['fastai'] and not first_error(runs['fastai']):
        for key, label in (('second_s', '2nd call'), ('first_s', '1st call')):
            md.append(f'- fastai / learnlib time, {label}: {fmt_ratio(ratios(runs, "fastai", "learnlib", key))}')
        md.append(f'- suggestion rules, learnlib\'s applied to fastai\'s recorded curve: {_parity(runs["fastai"][-1])}')
    return '\n'.join(md), runs

def main(quick: bool = False) -> list[dict]:
    "bench/README.md convention: one formatted row per library (1 thread: the machine is shared)."
    _, runs = run(quick, 1 if quick else 3, 1, True, OUT / 'logs', log=lambda *a: None)
    return _rows(runs, {n: None for n in runs}, True)

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--quick', action='store_true'); ap.add_argument('--no-fastai', action='store_true')
    ap.add_argument('--repeats', type=int, default=3)
    ap.add_argument('--threads', type=int, default=1, help='torch threads (0: torch default)')
    args = ap.parse_args()
    md, _ = run(args.quick, args.repeats, args.threads or None, not args.no_fastai, OUT / 'logs')
    md = f'{md}\n\nMachine: {machine_line(args.threads or None)}\n'
    OUT.mkdir(parents=True, exist_ok=True); (OUT / 'lr_find.md').write_text(md)
    print(md)
