"""learnlib as checked out against learnlib at another commit, in one process, alternating: the training loop and the
data path. For refactors that must not change speed (or batches).

    .venv/bin/python bench/ab_commit.py 5020d7f

The other commit's `learnlib/` is unpacked with `git archive` into a temporary folder as the package `learnlib_<rev>`
(its imports are relative, so it runs under that name). Both sides use one torch thread.
"""
import argparse, importlib, statistics, subprocess, sys, tempfile, time
from pathlib import Path
import torch

ROOT = Path(__file__).resolve().parent.parent

def other_version(rev: str, folder: Path):
    "learnlib at `rev`, imported as the package `learnlib_<rev>`."
    name = f'learnlib_{rev}'
    archive = subprocess.run(['git', 'archive', rev, 'learnlib'], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(['tar', '-x', '-C', str(folder)], input=archive, check=True)
    (folder/'learnlib').rename(folder/name)
    sys.path.insert(0, str(folder))
    return importlib.import_module(f'{name}.all')

def alternate(runs: dict, rounds: int, clock) -> dict:
    "Each run `rounds` times, the order swapped every round; the times per run."
    times = {k: [] for k in runs}
    for i in range(rounds):
        for k in (list(runs) if i % 2 else list(runs)[::-1]):
            t = clock(); runs[k](); times[k].append(clock() - t)
    return times

def report(what: str, times: dict):
    (a, ta), (b, tb) = times.items()
    ratios = [x / y for x, y in zip(ta, tb)]
    print(f"{what}: {a} {statistics.median(ta):.4f}s, {b} {statistics.median(tb):.4f}s; {a}/{b} per round "
          f"{statistics.median(ratios):.3f} ({min(ratios):.3f}-{max(ratios):.3f})")

def loop_run(L, x, y):
    "A `Learner.fit(1)` of a tiny MLP over in-memory tensors (case 2's tiny model), warmed up once."
    dls = L.DataLoaders.from_tensors(x, y, x[:2048], y[:2048], bs=64, device='cpu')
    model = torch.nn.Sequential(torch.nn.Linear(784, 32), torch.nn.ReLU(), torch.nn.Linear(32, 2))
    learn = L.Learner(dls, model, loss_func=torch.nn.functional.cross_entropy)
    learn.remove_cb(L.ProgressCallback)
    def run():
        with learn.no_logging(): learn.fit(1)
    run()
    return run

def data_run(L, path):
    "An epoch of a cached DataBlock loader over the MNIST training PNGs (no model); the first epoch's seconds."
    db = L.DataBlock(blocks=(L.ImageBlock(L.PILImageBW), L.CategoryBlock), get_items=L.get_image_files,
                     splitter=L.GrandparentSplitter('training', 'testing'), get_y=L.parent_label,
                     batch_tfms=L.Normalize.from_stats(*L.mnist_stats))
    dl = db.dataloaders(path, bs=64, device='cpu').train
    t = time.perf_counter(); sum(1 for _ in dl); first = time.perf_counter() - t
    return (lambda: sum(1 for _ in dl)), first, dl

def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('rev', help='the commit to compare with, e.g. 5020d7f')
    parser.add_argument('--rounds', type=int, default=20)
    args = parser.parse_args()
    torch.set_num_threads(1)
    import learnlib.all as here
    from learnlib.download import untar_data, URLs
    with tempfile.TemporaryDirectory() as tmp:
        there = other_version(args.rev, Path(tmp))
        versions = {'here': here, args.rev: there}
        x, y = torch.randn(12288, 784), torch.randint(0, 2, (12288,))
        report('loop, tiny MLP, CPU s/epoch', alternate({k: loop_run(L, x, y) for k, L in versions.items()},
                                                        args.rounds, time.process_time))
        path = untar_data(URLs.MNIST)
        data = {k: data_run(L, path) for k, L in versions.items()}
        print('first epoch, filling the cache (no model): ' + ', '.join(f'{k} {d[1]:.2f}s' for k, d in data.items()))
        report('cached epoch, no model, wall s', alternate({k: d[0] for k, d in data.items()}, args.rounds // 2,
                                                           time.perf_counter))
        firsts = [next(iter(d[2].new(shuffle=False))) for d in data.values()]
        print('same batches:', all(torch.equal(a, b) for a, b in zip(*firsts)))

if __name__ == '__main__': main()
