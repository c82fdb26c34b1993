"""The real training loop against the benchmark's step: `aim_pretrain` on synthetic images for a number of steps,
eager and compiled, its "training loop: N images/s" line read back, its MFU from the counted FLOPs, the whole run's
seconds (the compiled one's include its compilation), and the `aim_bench` step of the same model and batch beside it
(from aim_bench's results.json). With `--record NAME` the table goes to benchmarks/records/NAME.json.

    python benchmarks/loop.py --devices cuda --preset base --bs 256 --steps 200 --bench runs/aim_bench
    python benchmarks/loop.py --devices cpu --preset tiny --bs 64 --steps 30 --recipes mae --record loop_cpu_tiny
"""
import argparse
import json
import re
import subprocess
import sys
import time
from contextlib import nullcontext
from pathlib import Path
import torch
from aim_nb.bench import bench_model, bench_images, counted_flops, device_peak
from aim_nb.records import recording

RATE = re.compile(r'training loop: ([\d,.]+) images/s')
COLUMNS = ['recipe', 'compiled', 'loop img/s', 'loop MFU', 'aim_bench step img/s', 'loop / step', 'run s']
MODEL_MODULES = dict(mae='mim', milan='mim', semmae='mim')   # the rest are autoregressive: 'ar'


def loop_rate(recipe:str, preset:str, bs:int, steps:int, compile:str, out:Path) -> tuple:
    "Images/s of `aim_pretrain`'s own loop over `steps` steps of random images (its printed line); the run's seconds."
    cmd = [sys.executable, str(Path(__file__).parent / 'aim.py'), 'aim_pretrain', '--recipe', recipe,
           '--preset', preset, '--data', f'synthetic:{bs * steps}', '--bs', str(bs),
           '--epochs', '1', '--compile', compile, '--out', str(out), '--overwrite']
    start = time.perf_counter()
    run = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    found = RATE.search(run.stdout)
    if run.returncode or not found:
        sys.exit(f"{' '.join(cmd)} failed ({run.returncode}):\n{run.stdout[-2000:]}\n{run.stderr[-2000:]}")
    return float(found.group(1).replace(',', '')), seconds


def bench_rates(folder) -> dict:
    "{recipe: fast-path images/s} of an aim_bench results.json, if there is one."
    f = Path(folder or '') / 'results.json'
    if not (folder and f.is_file()): return {}
    return {r['recipe']: r['fast']['img_s'] for r in json.loads(f.read_text())['results']}


def measure(a, device) -> list:
    "One row of `COLUMNS` per recipe and compile choice (numbers as numbers; None where not measured)."
    peak, _ = device_peak(device)
    rows = []
    for recipe in a.recipes.split(','):
        model = bench_model(recipe, a.preset).to(device)
        flops = counted_flops(model, bench_images(model, 2, device))
        for compile in ('no', 'yes'):
            rate, seconds = loop_rate(recipe, a.preset, a.bs, a.steps, compile, Path(a.out) / f'{recipe}-{compile}')
            bench = bench_rates(a.bench and (a.bench + ('-compiled' if compile == 'yes' else ''))).get(recipe)
            mfu = rate * flops / peak if peak else None
            rows.append([recipe, compile, rate, mfu, bench, None if bench is None else rate / bench, seconds])
            print(rows[-1], flush=True)
    return rows


def markdown(rows:list) -> str:
    "The rows as a Markdown table."
    def cell(v, fmt): return '–' if v is None else fmt.format(v)
    lines = ['| ' + ' | '.join(COLUMNS) + ' |', '|' + '---|' * len(COLUMNS)]
    for recipe, compile, rate, mfu, bench, ratio, seconds in rows:
        cells = [recipe, compile, cell(rate, '{:,.0f}'), cell(mfu, '{:.1%}'), cell(bench, '{:,.0f}'),
                 cell(ratio, '{:.2f}'), cell(seconds, '{:.0f}')]
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def numbers(rows:list) -> dict:
    "Named numbers of the rows: '{recipe}_{eager|compiled}_img_s' and '..._s' (the whole run's seconds)."
    found = {}
    for recipe, compile, rate, _, _, _, seconds in rows:
        kind = 'compiled' if compile == 'yes' else 'eager'
        found[f'{recipe}_{kind}_img_s'], found[f'{recipe}_{kind}_s'] = round(rate, 1), round(seconds, 1)
    return found


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--devices', default='cuda')
    p.add_argument('--preset', default='base')
    p.add_argument('--bs', type=int, default=256)
    p.add_argument('--steps', type=int, default=200)
    p.add_argument('--recipes', default='mae,saim')
    p.add_argument('--out', default='runs/loop')
    p.add_argument('--bench', default=None,
                   help='aim_bench --out folder measured eager (its compiled twin: FOLDER-compiled)')
    p.add_argument('--record', default=None, help='write the table to benchmarks/records/RECORD.json')
    a = p.parse_args()
    device = torch.device(a.devices)
    recipes = a.recipes.split(',')
    models = {MODEL_MODULES.get(r, 'ar') for r in recipes}
    modules = sorted({'scale', 'cli', 'training', 'learner', 'recipes', 'bench', *models})
    what = (f"aim_pretrain's training loop in images/s, eager and compiled, {a.preset} preset, batch {a.bs}, "
            f"{a.steps} steps of synthetic images on {device}, with each whole run's seconds")
    ran = ' '.join(['python', 'benchmarks/loop.py', *sys.argv[1:]])
    with recording(a.record, what=what, ran=ran, modules=modules) if a.record else nullcontext({}) as rec:
        rows = measure(a, device)
        rec['table'] = dict(columns=COLUMNS, rows=rows)
        rec['numbers'] = numbers(rows)
        rec['notes'] = ("loop img/s: aim_pretrain's own 'training loop' line (after its first steps); run s: the "
                        "command's wall time, start-up and, compiled, the compilation included")
    mfu = device_peak(device)[1]
    print(f"\n{a.preset}, batch {a.bs}, {a.steps} steps of synthetic images on {device}; MFU: {mfu}\n")
    print(markdown(rows))


if __name__ == '__main__':
    main()
