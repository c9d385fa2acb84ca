"""Issue 18's benchmark: the chapter-13 MNIST CNN epoch on one machine's CPU cores, three ways, same global batch.

- `1 process x 1 thread`  : bs 128, `torch.set_num_threads(1)`
- `1 process x N threads` : bs 128, torch's threads on every core (N = the machine's cores)
- `N processes x 1 thread`: bs 128 / N per process, `torchrun --standalone --nproc_per_node=N`, gloo

Each contender runs in a fresh process (its decode cache cold): `fit_one_cycle(1, 0.1)` on `simple_cnn()` (the first
epoch fills the cache), then the same fit of a fresh model on the now-warm loaders (a later epoch). Rounds alternate
who goes first. Prints a markdown table: seconds per epoch (cold, warm), accuracy after the epoch, ratio to 1 x 1.

    .venv/bin/python bench/distributed.py [--rounds 2] [--every-nth 1]
"""
from __future__ import annotations
import argparse, json, os, statistics, subprocess, sys, time
from pathlib import Path

MARK = '@@DIST_RESULT@@ '
GLOBAL_BS, LR, SEED = 128, 0.1, 42


def worker(every_nth: int) -> None:
    "One contender: build MNIST's loaders, two timed fits (cold cache, then warm); rank 0 prints the result."
    import torch
    from learnlib.blocks import CategoryBlock, ImageBlock
    from learnlib.datablock import DataBlock
    from learnlib.getters import GrandparentSplitter, get_image_files, parent_label
    from learnlib.learner import Learner
    from learnlib.transforms import Normalize
    from learnlib.image import PILImageBW
    from learnlib.download import URLs, untar_data
    from learnlib.losses import CrossEntropyLossFlat
    from learnlib.metrics import accuracy
    from learnlib.distributed import num_distrib, rank0_first, rank_distrib
    from learnlib.core import set_seed
    from learnlib.models import simple_cnn
    world = num_distrib()
    path = rank0_first(untar_data, URLs.MNIST)
    def items(p): return get_image_files(p)[::every_nth]
    dls = DataBlock(blocks=(ImageBlock(cls=PILImageBW), CategoryBlock), get_items=items,
                    splitter=GrandparentSplitter('training', 'testing'), get_y=parent_label,
                    batch_tfms=Normalize()).dataloaders(path, bs=GLOBAL_BS // world)
    res = {'world': world, 'threads': torch.get_num_threads()}
    for key in ('cold', 'warm'):
        set_seed(SEED)
        learn = Learner(dls, simple_cnn(), loss_func=CrossEntropyLossFlat(), metrics=accuracy)
        with learn.no_logging(), learn.distrib_ctx():
            start = time.perf_counter()
            learn.fit_one_cycle(1, LR)
            res[f'{key}_s'] = time.perf_counter() - start
        res[f'{key}_accuracy'] = learn.recorder.values[-1][2]
    if rank_distrib() == 0: print(MARK + json.dumps(res), flush=True)


def run(name: str, every_nth: int, cores: int) -> dict:
    "Run contender `name` in fresh processes; its result dict."
    script = str(Path(__file__).resolve())
    env = {**os.environ, 'OMP_NUM_THREADS': '1' if name != f'1 x {cores}' else str(cores)}
    if name.startswith('1 x'):
        cmd = [sys.executable, script, '--worker', '--every-nth', str(every_nth)]
    else:
        cmd = [sys.executable, '-m', 'torch.distributed.run', '--standalone', f'--nproc_per_node={cores}', script,
               '--worker', '--every-nth', str(every_nth)]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    lines = [l for l in out.stdout.splitlines() if l.startswith(MARK)]
    if out.returncode or not lines: raise RuntimeError(f'{name} failed:\n{out.stderr[-3000:]}')
    return json.loads(lines[-1][len(MARK):])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument('--worker', action='store_true')
    ap.add_argument('--rounds', type=int, default=2)
    ap.add_argument('--every-nth', type=int, default=1, help='use one MNIST image in this many (1: all 60,000)')
    args = ap.parse_args()
    if args.worker: return worker(args.every_nth)
    cores = os.cpu_count() or 2
    names = ['1 x 1', f'1 x {cores}', f'{cores} x 1']
    runs = {n: [] for n in names}
    for r in range(args.rounds):
        for n in names[r % len(names):] + names[:r % len(names)]:
            runs[n].append(run(n, args.every_nth, cores))
            print(n, runs[n][-1], flush=True)
    base = {k: statistics.median(x[k] for x in runs['1 x 1']) for k in ('cold_s', 'warm_s')}
    print(f'\n{args.rounds} rounds, MNIST every {args.every_nth} image(s), global batch {GLOBAL_BS}, {cores} cores\n')
    print('| processes x threads | first epoch (s) | later epoch (s) | accuracy (later) | speed-up, later epoch |')
    print('|---|---|---|---|---|')
    for n in names:
        cold, warm = [x['cold_s'] for x in runs[n]], [x['warm_s'] for x in runs[n]]
        accs = [x['warm_accuracy'] for x in runs[n]]
        print(f"| {n} | {' / '.join(f'{v:.1f}' for v in cold)} | {' / '.join(f'{v:.1f}' for v in warm)} | "
              f"{' / '.join(f'{v:.4f}' for v in accs)} | {base['warm_s'] / statistics.median(warm):.2f}x |")


if __name__ == '__main__': main()
