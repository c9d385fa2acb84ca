"""How long `weights_file` takes to fail when no source can be reached (issue 17's point 4): every request goes
through a proxy on this machine that either refuses connections (`refused`: no route, no network) or accepts them and
never answers (`mute`: a network that swallows packets, a captive portal). pip's own configuration (mirrors, local
wheels) is switched off, so that the registry too is out of reach.

    .venv/bin/python bench/offline.py               # this checkout
    .venv/bin/python bench/offline.py --rev 8f10639 # another commit (before the fix its `mute` case took 617 s)
"""
import argparse, os, socket, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SNIPPET = """
import time
from learnlib.download import weights_file
t = time.time()
try: weights_file('mobilenet_v2-b0353104.pth')
except Exception as e: print(type(e).__name__, str(e).splitlines()[1:3])
print(f'{time.time() - t:.1f}')
"""

def fail_time(mode: str, package_dir: str) -> tuple[float, str]:
    srv = socket.socket(); srv.bind(('127.0.0.1', 0)); port = srv.getsockname()[1]
    if mode == 'mute': srv.listen(64)   # the kernel accepts; nobody answers
    else: srv.close()                   # nothing listens: refused
    with tempfile.TemporaryDirectory() as tmp:
        proxy = f'http://127.0.0.1:{port}'
        env = {**os.environ, 'HTTPS_PROXY': proxy, 'HTTP_PROXY': proxy, 'https_proxy': proxy, 'http_proxy': proxy,
               'LEARNLIB_HOME': f'{tmp}/home', 'TORCH_HOME': f'{tmp}/torch', 'PIP_CONFIG_FILE': os.devnull, 'PIP_FIND_LINKS': ''}
        out = subprocess.run([sys.executable, '-c', SNIPPET], env=env, cwd=package_dir, capture_output=True, text=True).stdout
    srv.close()
    lines = out.strip().splitlines()
    return float(lines[-1]), ' '.join(lines[:-1])

def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--rev', default=None, help='measure learnlib at this commit instead of this checkout')
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        where = str(ROOT)
        if args.rev:
            archive = subprocess.run(['git', 'archive', args.rev, 'learnlib'], cwd=ROOT, capture_output=True, check=True).stdout
            subprocess.run(['tar', '-x', '-C', tmp], input=archive, check=True)
            where = tmp
        for mode in ('refused', 'mute'):
            secs, message = fail_time(mode, where)
            print(f'{args.rev or "this checkout"}, {mode}: failed after {secs:.1f} s; {message[:300]}')

if __name__ == '__main__': main()
