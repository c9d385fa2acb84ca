"""Timing helpers shared by every benchmark in bench/.

Only the standard library is imported at the top: this file is also the entry point of the worker subprocesses,
which may run under fastai's venv (`.bench-venv`) where learnlib's own dependencies are not promised.

The pieces:
- `learnlib_python()`, `fastai_python()` : the interpreter for each side; the fastai venv is created on demand.
- `run_worker(python, file, func, **kwargs)` : call `func(**kwargs)` from `file` in a fresh subprocess of `python`
  and get back its dict, plus the subprocess's peak memory: its own peak RSS, and the peak PSS of it and all its
  descendants (DataLoader workers) sampled every 0.25 s.
- `alternate(contenders, repeats)` : run contenders round by round, rotating who goes first, so that machine noise
  lands on all of them alike; `ratios(runs, a, b, key)` then gives per-round ratios.
- `stats`, `fmt_stats`, `fmt_ratio`, `md_table`, `machine_line` : reporting.
- `collect(script, quick)` : run another engineer's bench script by the convention of bench/README.md
  (`main(quick: bool) -> list[dict]`) in its own subprocess.
"""
from __future__ import annotations
import importlib.util, json, os, platform, resource, statistics, subprocess, sys, threading, time, traceback
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / 'out'                      # git-ignored: logs, quick-mode data subsets, raw JSON
FASTAI_VENV = ROOT / '.bench-venv'       # git-ignored
FASTAI_PINS = ['fastai', 'torch==2.14.1', 'torchvision==0.29.1']
RESULT_MARK = '@@BENCH_RESULT@@ '


# ---------------------------------------------------------------- interpreters
def learnlib_python() -> str:
    "The project's venv python (`.venv`), or the current one when that venv is missing."
    venv = ROOT / '.venv' / 'bin' / 'python'
    return str(venv) if venv.exists() else sys.executable

_checked: set[str] = set()   # venvs already seen to import fastai in this process (the check costs seconds)

def _has_fastai(python: Path) -> bool:
    if str(python) in _checked: return True
    if not python.exists(): return False
    ok = subprocess.run([str(python), '-c', 'import fastai.vision.all'], capture_output=True).returncode == 0
    if ok: _checked.add(str(python))
    return ok

def fastai_python(create: bool = True, log: Callable[[str], Any] = print) -> str:
    "Python of the fastai venv at `.bench-venv`, created on demand (once: a few minutes and ~6 GB)."
    python = FASTAI_VENV / 'bin' / 'python'
    if _has_fastai(python): return str(python)
    if not create: raise RuntimeError(f'fastai venv missing at {FASTAI_VENV}: run bench/run.py without --no-fastai '
                                      f'to create it, or `python3 -m venv {FASTAI_VENV} && {FASTAI_VENV}/bin/pip '
                                      f'install {" ".join(FASTAI_PINS)}`')
    log(f'[bench] creating the fastai venv at {FASTAI_VENV} (one time: a few minutes, ~6 GB) ...')
    t0 = time.perf_counter()
    if not python.exists(): subprocess.run([sys.executable if sys.version_info >= (3, 10) else 'python3',
                                            '-m', 'venv', str(FASTAI_VENV)], check=True)
    subprocess.run([str(python), '-m', 'pip', 'install', '-q', *FASTAI_PINS], check=True)
    if not _has_fastai(python): raise RuntimeError(f'installed fastai into {FASTAI_VENV} but `import fastai` fails')
    log(f'[bench] fastai venv ready in {time.perf_counter() - t0:.0f} s')
    return str(python)


# ---------------------------------------------------------------- workers
def peak_rss_mb() -> dict:
    "Peak resident memory (MB) of this process and of its largest finished child (DataLoader workers)."
    to_mb = (1 / 1024) if sys.platform != 'darwin' else 1 / 2**20   # ru_maxrss: KB on Linux, bytes on macOS
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * to_mb
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * to_mb
    return {'peak_rss_mb': round(own, 1), 'children_peak_rss_mb': round(kids, 1)}

def _pss_kb(pid: int) -> int:
    "Proportional set size of `pid` in KB (shared pages split among their sharers), from /proc; 0 when gone."
    try:
        for line in open(f'/proc/{pid}/smaps_rollup'):
            if line.startswith('Pss:'): return int(line.split()[1])
    except OSError: pass
    return 0

def _descendants(pid: int) -> list[int]:
    kids = []
    try:
        for tid in os.listdir(f'/proc/{pid}/task'):
            with open(f'/proc/{pid}/task/{tid}/children') as f: kids += [int(k) for k in f.read().split()]
    except OSError: pass
    return kids + [d for k in kids for d in _descendants(k)]

class TreeMemory(threading.Thread):
    """Samples the PSS of this process plus all its descendants (DataLoader workers) every `interval` seconds and
    keeps the peak: a fair 'memory in use' for a process tree, where summing RSS would count shared pages twice."""
    def __init__(self, interval: float = 0.25):
        super().__init__(daemon=True)
        self.interval, self.peak_kb, self.ok = interval, 0, os.path.exists(f'/proc/{os.getpid()}/smaps_rollup')
        self._stop_event = threading.Event()
    def sample(self) -> None:
        me = os.getpid()
        self.peak_kb = max(self.peak_kb, sum(_pss_kb(p) for p in [me, *_descendants(me)]))
    def run(self) -> None:
        while self.ok and not self._stop_event.wait(self.interval): self.sample()
    def stop(self) -> float | None:
        "Stop sampling; the peak in MB (None where /proc can't tell)."
        self._stop_event.set()
        if not self.ok: return None
        self.sample()
        return round(self.peak_kb / 1024, 1)

def set_threads(threads: int | None) -> int:
    "Set torch's intra-op threads (None: leave torch's default); returns the number in use."
    import torch
    if threads: torch.set_num_threads(threads)
    return torch.get_num_threads()

def _load(file: str | Path):
    file = Path(file).resolve()
    spec = importlib.util.spec_from_file_location(f'bench_{file.stem}', file)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod

def _worker_main(argv: list[str]) -> None:
    "Entry point of a worker subprocess: `python common.py worker FILE FUNC JSON_KWARGS`."
    file, func, kwargs = argv[0], argv[1], json.loads(argv[2])
    # bench/ for `from common import ...`; the repo root for `learnlib.models` (plain torch: usable from both venvs)
    for p in (str(BENCH), str(ROOT)):
        if p not in sys.path: sys.path.insert(0, p)
    mem = TreeMemory(); mem.start()
    try:
        res = getattr(_load(file), func)(**kwargs)
        res = res if isinstance(res, dict) else {'rows': res}
        res.update(peak_rss_mb())
        res['peak_pss_tree_mb'] = mem.stop()
    except BaseException as e:   # report, don't hang the harness
        traceback.print_exc()
        res = {'error': f'{type(e).__name__}: {e}'.splitlines()[0][:300]}
    sys.stdout.flush()
    print(RESULT_MARK + json.dumps(res, default=str), flush=True)

def run_worker(python: str, file: str | Path, func: str, timeout: float = 3600, log: Path | None = None,
               env: dict | None = None, **kwargs) -> dict:
    "Run `func(**kwargs)` from `file` in a fresh `python` subprocess; its dict comes back (`error` on failure)."
    cmd = [python, str(Path(__file__).resolve()), 'worker', str(Path(file).resolve()), func, json.dumps(kwargs)]
    full_env = {**os.environ, 'PYTHONUNBUFFERED': '1', **(env or {})}
    t0 = time.perf_counter()
    try: p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=full_env, cwd=str(ROOT))
    except subprocess.TimeoutExpired: return {'error': f'timed out after {timeout:.0f} s'}
    wall = time.perf_counter() - t0
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, 'a') as f: f.write(f'$ {" ".join(cmd)}\n{p.stdout}{p.stderr}\n')
    lines = [l for l in p.stdout.splitlines() if l.startswith(RESULT_MARK)]
    if not lines:
        tail = (p.stderr or p.stdout).strip().splitlines()[-1:] or ['no output']
        return {'error': f'exit {p.returncode}: {tail[0][:300]}', 'process_s': wall}
    res = json.loads(lines[-1][len(RESULT_MARK):])
    res['process_s'] = wall   # interpreter start + imports + setup + work: what a user waits for, all in
    return res


# ---------------------------------------------------------------- alternating runs
def alternate(contenders: dict[str, Callable[[], dict]], repeats: int, log: Callable[[str], Any] = print) -> dict[str, list[dict]]:
    """Run each contender once per round for `repeats` rounds; the starting contender rotates every round.
    Round i of every contender is paired in `ratios`, so slow stretches of a shared machine hit both sides."""
    names, runs = list(contenders), {n: [] for n in contenders}
    for r in range(repeats):
        order = names[r % len(names):] + names[:r % len(names)]
        for n in order:
            res = contenders[n]()
            runs[n].append(res)
            shown = {k: (round(v, 3) if isinstance(v, float) else v) for k, v in res.items() if k != 'rows'}
            log(f'[bench]   round {r + 1}/{repeats} {n}: {shown}')
    return runs

def values(runs: list[dict], key: str) -> list[float]:
    return [r[key] for r in runs if isinstance(r.get(key), (int, float))]

def ratios(runs: dict[str, list[dict]], a: str, b: str, key: str) -> list[float]:
    "Per-round `a/b` of `key` (only rounds where both succeeded)."
    return [ra[key] / rb[key] for ra, rb in zip(runs[a], runs[b])
            if isinstance(ra.get(key), (int, float)) and isinstance(rb.get(key), (int, float)) and rb[key] > 0]

def stats(xs: list[float]) -> dict | None:
    if not xs: return None
    return {'median': statistics.median(xs), 'min': min(xs), 'max': max(xs), 'n': len(xs)}

def fmt_stats(xs: list[float], unit: str = 's', digits: int = 2) -> str:
    "`median (min–max)` with a unit; one value prints alone; none prints —."
    s = stats(xs)
    if s is None: return '—'
    if s['n'] == 1: return f"{s['median']:.{digits}f}{unit}"
    return f"{s['median']:.{digits}f}{unit} ({s['min']:.{digits}f}–{s['max']:.{digits}f})"

def fmt_ratio(xs: list[float]) -> str:
    return fmt_stats(xs, unit='×', digits=2)

def first_error(runs: list[dict]) -> str | None:
    errs = [r['error'] for r in runs if 'error' in r]
    return errs[0] if errs else None


# ---------------------------------------------------------------- reporting
def md_table(rows: list[dict], columns: list[str] | None = None) -> str:
    "A markdown table; columns are the union of the rows' keys in first-seen order unless given."
    if not rows: return '_(no rows)_'
    if columns is None:
        columns = []
        for r in rows: columns += [k for k in r if k not in columns]
    def cell(v):
        if v is None: return ''
        if isinstance(v, float): v = f'{v:.4g}'
        return str(v).replace('|', '\\|').replace('\n', ' ')
    lines = ['| ' + ' | '.join(columns) + ' |', '|' + '---|' * len(columns)]
    lines += ['| ' + ' | '.join(cell(r.get(c)) for c in columns) + ' |' for r in rows]
    return '\n'.join(lines)

def _cpu_model() -> str:
    try:
        for line in open('/proc/cpuinfo'):
            if line.startswith('model name'): return line.split(':', 1)[1].strip()
    except OSError: pass
    return platform.processor() or platform.machine()

def machine_line(threads: int | None = None) -> str:
    "One line naming the machine: cores, CPU, torch version and threads, load average, date."
    import torch
    cores = len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count()
    load = ', '.join(f'{x:.2f}' for x in os.getloadavg()) if hasattr(os, 'getloadavg') else 'n/a'
    return (f'{cores} cores ({_cpu_model()}), Python {platform.python_version()}, torch {torch.__version__}, '
            f'{threads or torch.get_num_threads()} torch threads, load average {load} (1/5/15 min), '
            f'{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC')

def load_now() -> float:
    return os.getloadavg()[0] if hasattr(os, 'getloadavg') else float('nan')


# ---------------------------------------------------------------- other engineers' scripts
def _collect_main(script: str, quick: bool) -> dict:
    "Worker side of `collect`: import the script, call its `main(quick)`, check the convention."
    rows = _load(script).main(quick=quick)
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise TypeError(f'{Path(script).name}: main(quick) must return a list of dicts (see bench/README.md), '
                        f'got {type(rows).__name__}')
    return {'rows': rows}

def collect(script: str | Path, quick: bool, timeout: float = 3600, log: Path | None = None) -> dict:
    "Run `script`'s `main(quick)` in a learnlib-venv subprocess; returns {'rows': [...]} or {'error': ...}."
    script = Path(script)
    if not script.exists(): return {'error': f'{script.relative_to(ROOT)} does not exist yet'}
    return run_worker(learnlib_python(), __file__, '_collect_main', timeout=timeout, log=log,
                      script=str(script.resolve()), quick=quick)  # not `file=`: run_worker's own argument


if __name__ == '__main__':
    if len(sys.argv) >= 2 and sys.argv[1] == 'worker': _worker_main(sys.argv[2:])
    else: print(machine_line())
