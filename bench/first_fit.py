"""A fresh Python that imports the learner and trains a tiny model once, at this checkout and at another commit,
alternating: the import, the first `fit`, and whether `torch._dynamo` was imported. For issue 17's point 5 (the
first optimizer step used to import the compiler).

    .venv/bin/python bench/first_fit.py 8f10639 --rounds 5

The other commit's `learnlib/` is unpacked with `git archive` into a temporary folder put first on PYTHONPATH.
"""
import argparse, json, os, statistics, subprocess, sys, tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SNIPPET = """
import time; t0 = time.time()
import json, sys, torch
from learnlib.learner import Learner
from learnlib.metrics import accuracy
from learnlib.data import DataLoaders
t1 = time.time()
x, y = torch.randn(64, 10), torch.randint(0, 2, (64,))
learn = Learner(DataLoaders.from_tensors(x, y, x, y, bs=16, device='cpu'), torch.nn.Linear(10, 2), metrics=accuracy)
with learn.no_logging(): learn.fit(1)
print(json.dumps({'import': t1 - t0, 'first_fit': time.time() - t1, 'dynamo': 'torch._dynamo' in sys.modules}))
"""

def run(pythonpath: str) -> dict:
    env = {**os.environ, 'PYTHONPATH': pythonpath, 'OMP_NUM_THREADS': '1'}
    # run in that folder: `python -c` puts the current folder first on sys.path
    out = subprocess.run([sys.executable, '-c', SNIPPET], env=env, cwd=pythonpath, capture_output=True, text=True,
                         check=True).stdout
    return json.loads(out.strip().splitlines()[-1])

def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('rev', help='the other commit')
    parser.add_argument('--rounds', type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(['git', 'archive', args.rev, 'learnlib'], cwd=ROOT, capture_output=True, check=True).stdout
        subprocess.run(['tar', '-x', '-C', tmp], input=archive, check=True)
        sides = {'this checkout': str(ROOT), args.rev: tmp}
        results = {k: [] for k in sides}
        for i in range(args.rounds):
            for k in (list(sides) if i % 2 else list(sides)[::-1]): results[k].append(run(sides[k]))
    for k, rs in results.items():
        med = lambda key: statistics.median(r[key] for r in rs)
        span = lambda key: f"{min(r[key] for r in rs):.2f}-{max(r[key] for r in rs):.2f}"
        print(f"{k}: import {med('import'):.2f} s ({span('import')}), first fit {med('first_fit'):.2f} s "
              f"({span('first_fit')}), torch._dynamo imported in {sum(r['dynamo'] for r in rs)} of {len(rs)} runs")

if __name__ == '__main__': main()
