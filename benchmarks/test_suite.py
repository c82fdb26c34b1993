"""The README's test command, timed, as the record `test_suite`: `nbdev_test --timing --do_print` from the repository's
root, its total seconds, each notebook's seconds, how many notebooks passed and failed.

    python benchmarks/test_suite.py

Run it on a machine doing nothing else: the record says the load, and the README cites its time.
"""
import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from aim_nb.records import recording, repository_root

MODULES = sorted(p.stem for p in (Path(__file__).resolve().parents[1] / 'aim_nb').glob('[a-z]*.py'))


def notebook_seconds(printed:str) -> list:
    "[notebook, seconds] for each 'NAME.ipynb: N secs' line that `nbdev_test --timing` printed, slowest first."
    return [[name, int(secs)] for name, secs in re.findall(r'^(\S+\.ipynb): (\d+) secs$', printed, re.M)]


def failed_notebooks(errors:str) -> list:
    "The notebooks nbdev_test lists under 'Tests Failed On The Following Notebooks'."
    tail = errors.split('Tests Failed On The Following Notebooks:', 1)[1:]
    return re.findall(r'^\t(\S+\.ipynb)$', tail[0], re.M) if tail else []


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--bin', default=str(Path(sys.executable).parent), help='folder of the nbdev_test command')
    args = parser.parse_args()
    root = repository_root()
    what = "the README's test command: every notebook's tests on the CPU, `nbdev_test --timing`"
    with recording('test_suite', what=what, ran='python benchmarks/test_suite.py', modules=MODULES) as rec:
        start = time.perf_counter()
        command = [str(Path(args.bin) / 'nbdev_test'), '--timing', '--do_print']
        done = subprocess.run(command, cwd=root, capture_output=True, text=True)
        seconds = round(time.perf_counter() - start, 1)
        times, failed = notebook_seconds(done.stdout), failed_notebooks(done.stderr)
        notebooks = done.stdout.count('Starting /')   # parallel workers can print on one line
        rec['numbers'] = dict(seconds=seconds, minutes=round(seconds / 60, 1), notebooks=notebooks,
                              passed=notebooks - len(failed), failed=len(failed), workers=min(os.cpu_count(), 8))
        rec['table'] = dict(columns=['notebook', 'seconds'], rows=times)
        rec['notes'] = (f"failed: {', '.join(failed)}; nbdev_test prints no per-notebook times when any fails"
                        if failed or done.returncode else 'nbdev_test runs min(cores, 8) notebooks at a time')
    print(f"{rec['numbers']}\n{done.stderr[-3000:] if done.returncode else ''}")
    sys.exit(done.returncode)


if __name__ == '__main__':
    main()
