"""Run learnlib's benchmarks and print one markdown report (also written to bench/out/report-<mode>.md).

    .venv/bin/python bench/run.py --quick      # a few minutes: data subsets, 2 rounds; checks the harness works
    .venv/bin/python bench/run.py              # full: full data sets, 3 rounds, 5-epoch accuracy; run on a quiet machine
    .venv/bin/python bench/run.py --cases 1,4 --repeats 5 --threads 2 --no-fastai
    .venv/bin/python bench/run.py --cases 1 --threads default   # nothing set: torch's threads on every core

Cases (issue 9): 1 chapter-13 MNIST CNN (learnlib vs plain PyTorch floor vs fastai), 2 Learner loop overhead,
3 lr_find, 4 fine_tune (ANIMALS, MobileNetV2), 5 data pipeline, 6 peak memory of case 1 (from case 1's runs).
fastai runs in its own venv, `.bench-venv`, created here on first use (a few minutes, ~6 GB) unless --no-fastai.
See bench/README.md for how a case script plugs in.
"""
from __future__ import annotations
import argparse, importlib.util, inspect, json, sys, time, traceback
from pathlib import Path

BENCH = Path(__file__).resolve().parent
if str(BENCH) not in sys.path: sys.path.insert(0, str(BENCH))
from common import OUT, ROOT, collect, fastai_python, load_now, machine_line, md_table, set_threads

CASES = {   # case number -> (title, script)
    '1': ('Chapter-13 MNIST CNN: learnlib vs plain PyTorch vs fastai (and case 6, memory)', 'mnist_cnn.py'),
    '2': ('Loop overhead: Learner.fit vs a plain loop', 'loop_overhead.py'),
    '3': ('lr_find vs fastai', 'lr_find.py'),
    '4': ('fine_tune: ANIMALS, MobileNetV2, 64 px', 'fine_tune.py'),
    '5': ('Data pipeline: images/s of dls.train', 'data_pipeline.py'),
}


def _import(script: Path):
    spec = importlib.util.spec_from_file_location(f'bench_{script.stem}', script)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod

def run_case(script: Path, quick: bool, repeats: int, threads: int | None, with_fastai: bool, log_dir: Path,
             log) -> tuple[str, object]:
    """One script, by the convention of bench/README.md: `run(quick, repeats, threads, with_fastai, log_dir, log)`
    -> (markdown, raw) when it has one with those parameters, else `main(quick) -> list[dict]` in a subprocess,
    rendered as a table."""
    name = script.relative_to(ROOT)
    if not script.exists(): return f'_{name} does not exist yet._', None
    try: mod = _import(script)
    except Exception as e:
        return f'_{name} failed to import: `{type(e).__name__}: {str(e).splitlines()[0][:200]}`._', None
    run = getattr(mod, 'run', None)
    if callable(run) and {'quick', 'repeats', 'threads', 'with_fastai', 'log_dir'} <= set(inspect.signature(run).parameters):
        try: return run(quick, repeats, threads, with_fastai, log_dir, log=log)
        except Exception as e:
            traceback.print_exc()
            return f'_{name} raised `{type(e).__name__}: {str(e).splitlines()[0][:300]}`._', None
    main = getattr(mod, 'main', None)
    if not callable(main) or 'quick' not in inspect.signature(main).parameters:
        return (f'_{name} does not follow the convention yet (`main(quick: bool) -> list[dict]`, see bench/README.md); '
                f'run it by hand: `.venv/bin/python {name} --help`._'), None
    res = collect(script, quick, log=log_dir / f'{script.stem}.log')
    if 'error' in res: return f'_{name}: main(quick={quick}) failed: `{res["error"]}` (log: {log_dir / script.stem}.log)._', res
    return md_table(res['rows']), res


def _threads(value: str) -> int | None:
    "`--threads`: a number, or 'default' for none set (torch then uses every core)."
    return None if value == 'default' else int(value)

def main(argv=None) -> str:
    ap = argparse.ArgumentParser(description='learnlib benchmarks (issue 9)')
    ap.add_argument('--quick', action='store_true', help='subsets and 2 rounds: a few minutes, to check the harness')
    ap.add_argument('--cases', default='1,2,3,4,5,6', help='comma-separated case numbers (6 comes with 1)')
    ap.add_argument('--repeats', type=int, default=None, help='alternating rounds (default: 2 quick, 3 full)')
    ap.add_argument('--threads', type=_threads, default=None, metavar='N|default',
                    help="torch threads in every contender; 'default' (the default): nothing set, as a reader runs")
    ap.add_argument('--no-fastai', action='store_true', help='skip the fastai contenders (no venv needed)')
    args = ap.parse_args(argv)
    repeats = args.repeats or (2 if args.quick else 3)
    wanted = {c.strip() for c in args.cases.split(',') if c.strip()}
    if '6' in wanted: wanted.add('1')
    mode = 'quick' if args.quick else 'full'
    log_dir = OUT / 'logs' / mode
    log_dir.mkdir(parents=True, exist_ok=True)
    def log(msg): print(msg, file=sys.stderr, flush=True)

    threads = set_threads(args.threads)
    with_fastai = not args.no_fastai
    if with_fastai: fastai_python(log=log)   # create the venv up front, so no case's timing includes it
    start, load0 = time.time(), load_now()
    setting = 'threads: default (none set)' if args.threads is None else f'threads: --threads {args.threads}'
    head = [f'## learnlib benchmarks — {mode} run', '', f'Machine: {machine_line(threads)}; {setting}', '']
    sections, raw = [], {}
    for case, (title, script) in CASES.items():
        if case not in wanted: continue
        log(f'[bench] === case {case}: {title}')
        t0 = time.time()
        md, res = run_case(BENCH / script, args.quick, repeats, args.threads, with_fastai, log_dir, log)
        raw[case] = res
        sections.append(f'## Case {case} — {title}\n\n{md}\n\n_(case took {time.time() - t0:.0f} s; script: bench/{script})_')
    load1 = load_now()
    head.append(f'Load average (1 min) at start {load0:.2f}, at end {load1:.2f}; whole run {time.time() - start:.0f} s. '
                'Alternating rounds and per-round ratios are there because a shared machine drifts; '
                'when the load is above the core count, read the ratios, not the absolute times.')
    report = '\n'.join(head) + '\n\n' + '\n\n'.join(sections) + '\n'
    (OUT / f'report-{mode}.md').write_text(report)
    (OUT / f'raw-{mode}.json').write_text(json.dumps(raw, indent=1, default=str))
    print(report)
    log(f'[bench] report: {OUT / f"report-{mode}.md"}, raw runs: {OUT / f"raw-{mode}.json"}, logs: {log_dir}')
    return report


if __name__ == '__main__':
    main()
