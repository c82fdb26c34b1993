"""`aim_bench --preset tiny` as a user runs it, stored as the record `bench_tiny`: the whole command's wall time, and
per recipe the fast path against the public formulation (images/s, counted FLOPs, saved bytes, L×L maps, draw time).

    python benchmarks/bench_tiny.py

The benchmark chapter shows the record's table; the README cites its `seconds`.
"""
import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from aim_nb.records import recording

MODULES = ['bench', 'commands', 'recipes', 'models', 'ar', 'mim', 'attention', 'encoder', 'orders', 'masks', 'targets',
           'teachers', 'tokenizer', 'kmeans']
COLUMNS = ['recipe', 'model', 'img/s fast', 'img/s public', 'fast / public', 'MFLOP/img fast', 'MFLOP/img public',
           'saved MiB/img fast', 'saved MiB/img public', 'L×L maps fast', 'L×L maps public', 'draw ms fast']


def run_command(bin_dir:Path, out:Path) -> float:
    "Run `aim_bench --preset tiny --out out` as a user types it; its wall time in seconds."
    command = [str(bin_dir / 'aim_bench'), '--preset', 'tiny', '--out', str(out)]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode:
        sys.exit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return seconds


def row(r:dict) -> list:
    "One recipe's row of the record's table."
    fast, public = r['fast'], r['public']
    return [r['recipe'], r['model'], round(fast['img_s'], 1), round(public['img_s'], 1), round(r['speedup'], 2),
            round(fast['flops'] / 1e6, 1), round(public['flops'] / 1e6, 1), round(fast['saved_mib'], 2),
            round(public['saved_mib'], 2), fast['maps'], public['maps'], round(fast['draw_ms'], 2)]


def numbers(results:list, settings:dict, seconds:float) -> dict:
    "The named numbers prose cites: the command's seconds, its settings, and each recipe's ratios and draw time."
    found = dict(seconds=round(seconds, 1), batch=results[0]['batch'], runs=settings['runs'], warmup=settings['warmup'])
    for r in results:
        name = r['recipe']
        found[f'speedup_{name}'] = round(r['speedup'], 3)
        found[f'flop_ratio_{name}'] = round(r['public']['flops'] / r['fast']['flops'], 3)
        found[f'saved_ratio_{name}'] = round(r['saved_ratio'], 3)
        found[f'draw_ms_{name}'] = round(r['fast']['draw_ms'], 3)
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--bin', default=str(Path(sys.executable).parent), help="folder of aim_nb's console scripts")
    args = parser.parse_args()
    what = 'aim_bench --preset tiny: every recipe, fast path against public formulation, and the whole command\'s time'
    with tempfile.TemporaryDirectory() as folder, \
         recording('bench_tiny', what=what, ran='python benchmarks/bench_tiny.py', modules=MODULES) as rec:
        out = Path(folder) / 'bench'
        seconds = run_command(Path(args.bin), out)
        saved = json.loads((out / 'results.json').read_text())
        rec['numbers'] = numbers(saved['results'], saved, seconds)
        rec['table'] = dict(columns=COLUMNS, rows=[row(r) for r in saved['results']])
        rec['notes'] = f"seconds: the wall time of `aim_bench --preset tiny`, start to exit. {saved['title']}"
    print(json.dumps(rec['numbers'], indent=1))


if __name__ == '__main__':
    main()
