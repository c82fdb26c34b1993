"""The real training loop against the benchmark's step: `aim_pretrain` on synthetic images for a number of steps,
eager and compiled, its "training loop: N images/s" line read back, its MFU from the counted FLOPs, and the
`aim_bench` step of the same model and batch beside it (from aim_bench's results.json).

    python benchmarks/loop.py --devices cuda --preset base --bs 256 --steps 200 --bench runs/aim_bench
    python benchmarks/loop.py --devices cpu --preset tiny --bs 64 --steps 30      # checks the script on a CPU
"""
import argparse, json, re, subprocess, sys
from pathlib import Path
import torch
from aim_nb.bench import bench_model, bench_images, counted_flops, device_peak

RATE = re.compile(r'training loop: ([\d,.]+) images/s')

def loop_rate(recipe:str, preset:str, bs:int, steps:int, compile:str, out:Path) -> float:
    "Images/s of `aim_pretrain`'s own loop over `steps` steps of random images (its printed line)."
    cmd = [sys.executable, str(Path(__file__).parent / 'aim.py'), 'aim_pretrain', '--recipe', recipe, '--preset', preset, '--data', f'synthetic:{bs * steps}', '--bs', str(bs),
           '--epochs', '1', '--compile', compile, '--out', str(out), '--overwrite']
    run = subprocess.run(cmd, capture_output=True, text=True)
    found = RATE.search(run.stdout)
    if run.returncode or not found: sys.exit(f"{' '.join(cmd)} failed ({run.returncode}):\n{run.stdout[-2000:]}\n{run.stderr[-2000:]}")
    return float(found.group(1).replace(',', ''))

def bench_rates(folder) -> dict:
    "{recipe: fast-path images/s} of an aim_bench results.json, if there is one."
    f = Path(folder or '') / 'results.json'
    return {r['recipe']: r['fast']['img_s'] for r in json.loads(f.read_text())['results']} if folder and f.is_file() else {}

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--devices', default='cuda'); p.add_argument('--preset', default='base')
    p.add_argument('--bs', type=int, default=256); p.add_argument('--steps', type=int, default=200)
    p.add_argument('--recipes', default='mae,saim'); p.add_argument('--out', default='runs/loop')
    p.add_argument('--bench', default=None, help='aim_bench --out folder measured eager (its compiled twin: FOLDER-compiled)')
    a = p.parse_args()
    device = torch.device(a.devices)
    peak, peak_name = device_peak(device)
    rows = ['| recipe | compiled | loop img/s | loop MFU | aim_bench step img/s | loop / step |', '|---|---|---|---|---|---|']
    for recipe in a.recipes.split(','):
        model = bench_model(recipe, a.preset).to(device)
        flops = counted_flops(model, bench_images(model, 2, device))
        for compile in ('no', 'yes'):
            rate = loop_rate(recipe, a.preset, a.bs, a.steps, compile, Path(a.out) / f'{recipe}-{compile}')
            bench = bench_rates(a.bench and (a.bench + ('-compiled' if compile == 'yes' else ''))).get(recipe)
            mfu = f"{rate * flops / peak:.1%}" if peak else '–'
            rows.append(f"| {recipe} | {compile} | {rate:,.0f} | {mfu} | {'–' if bench is None else f'{bench:,.0f}'} | "
                        f"{'–' if bench is None else f'{rate / bench:.2f}'} |")
            print(rows[-1], flush=True)
    print(f"\n{a.preset}, batch {a.bs}, {a.steps} steps of synthetic images on {device}; MFU: {peak_name}\n")
    print('\n'.join(rows))

if __name__ == '__main__': main()
