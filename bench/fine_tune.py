"""Case 4: transfer learning as in the book's chapter 1 — ANIMALS (10 classes), pretrained MobileNetV2, 64 px,
`fine_tune(1)` (one frozen epoch, then one unfrozen), learnlib vs fastai, time and error rate.

Both sides read the same PNG folder (`untar_data(URLs.ANIMALS)/'images'`, label in the file name), split it with
`RandomSplitter(0.2, seed=42)`, resize each item to 64×64 RGB, normalise with ImageNet stats, bs 64, seed 42, and
load torchvision's `mobilenet_v2-b0353104.pth` from the torch hub cache. fastai has no `model_meta` entry for
MobileNetV2 (and 2.8's `vision_learner` ignores its `cut` argument for torchvision archs), so its side adds one
(`cut=-1`: keep `features`; learnlib's 3-group split features[:7] | features[7:] | head; ImageNet stats, so fastai adds `Normalize` itself) as a fastai user would; torchvision ≥ 0.13 takes `weights=` rather than `pretrained=`, hence the one-line wrapper
(asking for `IMAGENET1K_V1`, the checkpoint above).
"""
from __future__ import annotations
import os, re, shutil, time
from pathlib import Path
from common import (OUT, alternate, fastai_python, first_error, fmt_ratio, fmt_stats, learnlib_python, md_table,
                    ratios, run_worker, set_threads, values)

SEED, BS, SIZE = 42, 64, 64
LABEL_RE = r'^(.+)_\d+\.png$'
WEIGHTS = 'mobilenet_v2-b0353104.pth'
THIS = Path(__file__).resolve()


def animals_path() -> Path:
    "learnlib's ANIMALS folder (images/<class>_<n>.png); `BENCH_ANIMALS` overrides."
    if os.environ.get('BENCH_ANIMALS'): return Path(os.environ['BENCH_ANIMALS'])
    from learnlib.download import URLs, untar_data
    return untar_data(URLs.ANIMALS)

def ensure_weights() -> None:
    "Put MobileNetV2's ImageNet checkpoint where torch.hub looks, through learnlib (both sides then read that file)."
    import torch
    if (Path(torch.hub.get_dir()) / 'checkpoints' / WEIGHTS).exists(): return
    from learnlib.download import weights_file
    weights_file(WEIGHTS)

def subset(path: Path, n_per_class: int) -> Path:
    "A copy of the first `n_per_class` images (by number) of each class, for quick runs; built once, atomically."
    dest = OUT / 'data' / f'animals_{n_per_class}'
    if dest.exists(): return dest
    tmp = dest.with_name(dest.name + f'.tmp{os.getpid()}')
    (tmp / 'images').mkdir(parents=True)
    by_class: dict[str, list[Path]] = {}
    for f in (path / 'images').glob('*.png'): by_class.setdefault(re.match(LABEL_RE, f.name).group(1), []).append(f)
    for files in by_class.values():
        for f in sorted(files, key=lambda p: int(p.stem.rsplit('_', 1)[1]))[:n_per_class]:
            shutil.copyfile(f, tmp / 'images' / f.name)
    tmp.rename(dest)
    return dest


# ---------------------------------------------------------------- contenders
def animal_label(path) -> str:
    "The class from a file name like `cat_17.png` (the book uses a `RegexLabeller` on the name; same result)."
    return re.match(LABEL_RE, Path(path).name).group(1)

def learnlib(path: str, epochs: int = 1, seed: int = SEED, threads: int | None = None) -> dict:
    "learnlib as the book's chapter 1 writes it."
    from torchvision.models import mobilenet_v2
    from learnlib.core import set_seed
    from learnlib.blocks import CategoryBlock, ImageBlock
    from learnlib.datablock import DataBlock
    from learnlib.getters import RandomSplitter, get_image_files
    from learnlib.transforms import Resize
    from learnlib.metrics import error_rate
    from learnlib.vision_learner import vision_learner
    threads = set_threads(threads)
    set_seed(seed)
    t0 = time.perf_counter()
    dls = DataBlock(blocks=(ImageBlock, CategoryBlock), get_items=get_image_files,
                    splitter=RandomSplitter(0.2, seed=seed), get_y=animal_label,
                    item_tfms=Resize(SIZE)).dataloaders(Path(path) / 'images', bs=BS)
    setup_s = time.perf_counter() - t0
    set_seed(seed)
    learn = vision_learner(dls, mobilenet_v2, metrics=error_rate)
    t0 = time.perf_counter()
    with learn.no_bar(): learn.fine_tune(epochs)
    return {'setup_s': setup_s, 'fit_s': time.perf_counter() - t0, 'error_rate': float(learn.recorder.values[-1][-1]),
            'n_train': len(dls.train_ds), 'n_valid': len(dls.valid_ds), 'threads': threads}


def fastai(path: str, epochs: int = 1, seed: int = SEED, threads: int | None = None) -> dict:
    "fastai 2.8 as the book's chapter 1 writes it, in `.bench-venv`."
    import torchvision
    from fastai.vision.all import (CategoryBlock, DataBlock, ImageBlock, RandomSplitter, Resize, L, params,
                                   error_rate, get_image_files, imagenet_stats, model_meta, set_seed, vision_learner)
    # IMAGENET1K_V1 is the checkpoint learnlib ships (b0353104); torchvision's DEFAULT is V2, which can't be had offline
    def mobilenet_v2(pretrained=True): return torchvision.models.mobilenet_v2(weights='IMAGENET1K_V1' if pretrained else None)
    # fastai 2.8's vision_learner drops its `cut` argument for torchvision archs; a model_meta entry is the way
    # learnlib's split for it, so fine_tune's slice(lr/100, lr) spreads over the same three groups
    def split(m): return L(m[0][0][:7], m[0][0][7:], m[1:]).map(params)
    model_meta[mobilenet_v2] = {'cut': -1, 'split': split, 'stats': imagenet_stats}
    threads = set_threads(threads)
    set_seed(seed)
    t0 = time.perf_counter()
    dls = DataBlock(blocks=(ImageBlock, CategoryBlock), get_items=get_image_files,
                    splitter=RandomSplitter(0.2, seed=seed), get_y=animal_label,
                    item_tfms=Resize(SIZE)).dataloaders(Path(path) / 'images', bs=BS)
    setup_s = time.perf_counter() - t0
    set_seed(seed)
    learn = vision_learner(dls, mobilenet_v2, metrics=error_rate)
    t0 = time.perf_counter()
    with learn.no_bar(), learn.no_logging(): learn.fine_tune(epochs)
    return {'setup_s': setup_s, 'fit_s': time.perf_counter() - t0, 'error_rate': float(learn.recorder.values[-1][-1]),
            'n_train': len(dls.train_ds), 'n_valid': len(dls.valid_ds), 'threads': threads,
            'num_workers': dls.train.num_workers}


# ---------------------------------------------------------------- the case
def run(quick: bool, repeats: int, threads: int | None, with_fastai: bool, log_dir: Path, log=print) -> tuple[str, dict]:
    ensure_weights()
    full = animals_path()
    path = subset(full, 100) if quick else full
    what = 'subset: 100 images per class, 1,000 in all' if quick else 'all 10,000 images'
    pythons = {'learnlib': learnlib_python()}
    if with_fastai: pythons['fastai'] = fastai_python(log=log)
    log(f'[bench] case 4: fine_tune, ANIMALS {what}, {repeats} rounds')
    runs = alternate({n: (lambda n=n: run_worker(pythons[n], THIS, n, log=log_dir / f'fine_tune_{n}.log',
                                                 path=str(path), threads=threads)) for n in pythons}, repeats, log=log)
    rows = [{'contender': n, 'fine_tune(1) time': fmt_stats(values(r, 'fit_s')),
             'setup (items → dls)': fmt_stats(values(r, 'setup_s')), 'whole process': fmt_stats(values(r, 'process_s')),
             '× learnlib (time)': fmt_ratio(ratios(runs, n, 'learnlib', 'fit_s')),
             'error rate': fmt_stats(values(r, 'error_rate'), unit='', digits=4), 'error': first_error(r) or ''}
            for n, r in runs.items()]
    md = [f'### Case 4 — fine_tune(1): ANIMALS ({what}), MobileNetV2 pretrained, {SIZE} px, bs {BS}', '',
          f'Median (min–max) over {repeats} alternating rounds; `fine_tune(1)` = one frozen epoch + one unfrozen.',
          '', md_table(rows)]
    return '\n'.join(md), runs
