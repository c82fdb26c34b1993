"""Where a stored benchmark record came from: the command, the commit (and whether the tree differs from it),
the machine and its load. The scripts that write records (loader.py, default_run.py) share it."""
import hashlib
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def shell(*cmd) -> str:
    "What a command prints, run in the repository's root."
    return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT).stdout.strip()


def cpu_model() -> str:
    "The CPU's model name (Linux), else what `platform` knows."
    cpuinfo = Path('/proc/cpuinfo')
    lines = cpuinfo.read_text().splitlines() if cpuinfo.exists() else []
    return next((l.split(':', 1)[1].strip() for l in lines if l.startswith('model name')), platform.processor())


def provenance(files=()) -> dict:
    "The command, the commit, whether the tree differs, the sha256 of `files` (paths below the root), machine, load."
    return dict(command=' '.join([Path(sys.executable).name, *sys.argv]), commit=shell('git', 'rev-parse', 'HEAD'),
                dirtied=bool(shell('git', 'status', '--porcelain')),
                sha256={f: hashlib.sha256((ROOT / f).read_bytes()).hexdigest()[:16] for f in files},
                machine=dict(nproc=os.cpu_count(), cpu=cpu_model(), OMP_NUM_THREADS=os.environ.get('OMP_NUM_THREADS')),
                load_before=shell('uptime'))
