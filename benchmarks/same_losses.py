"""Fingerprint every recipe's first training steps, to show a refactoring changed no number.

For each of the nine recipes, `aim_pretrain` trains 3 steps of 64 synthetic images (fp32, no compile,
seed 0, the random-ViT teacher where one is needed) and the script records, bit for bit:
the loss TensorBoard logged at each step, the epoch's losses in metrics.csv and the sha256 of the
exported encoder. Then the default run (`aim_pretrain` with no arguments) is fingerprinted the same
way: its printed losses and its encoder's sha256.

    python benchmarks/same_losses.py --out before.json            # on the commit before
    python benchmarks/same_losses.py --out after.json             # on the commit after
    python benchmarks/same_losses.py --compare before.json after.json

`--compare` prints one line per recipe and exits non-zero when any fingerprint differs.
"""
import argparse, hashlib, json, re, subprocess, sys, tempfile
import torch
from pathlib import Path

TEACHER_RECIPES = ('semaim_feat', 'mapet', 'milan', 'semmae')
STEP_IMAGES = 240   # 80 % train: 192 images, 3 steps of 64

def sha256(path:Path) -> str:
    "sha256 of a safetensors file's tensors and sorted metadata (safetensors orders its metadata per process)."
    from safetensors import safe_open
    digest = hashlib.sha256()
    with safe_open(str(path), 'pt') as f:
        digest.update(json.dumps(sorted((f.metadata() or {}).items())).encode())
        for key in sorted(f.keys()):
            t = f.get_tensor(key)
            digest.update(f'{key}{t.dtype}{tuple(t.shape)}'.encode())
            digest.update(t.contiguous().view(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()

def without_time(line:str) -> str:
    "A metrics.csv row or a printed epoch line without its time."
    return re.sub(r',?\s*(time )?\d\d:\d\d$', '', line)

def step_losses(run:Path) -> list:
    "The train_loss TensorBoard logged at each step, as exact float hex strings."
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    acc = EventAccumulator(str(run / 'tensorboard'), size_guidance={'scalars': 0})
    acc.Reload()
    return [float(e.value).hex() for e in sorted(acc.Scalars('train_loss'), key=lambda e: e.step)]

def aim_pretrain(args:list, cwd:Path) -> list:
    "Run `aim_pretrain` with `args` in `cwd`; its output lines without the timings."
    bin_dir = Path(sys.executable).parent
    done = subprocess.run([str(bin_dir / 'aim_pretrain'), *args], cwd=cwd, capture_output=True, text=True)
    if done.returncode: raise SystemExit(f"aim_pretrain {' '.join(args)} failed:\n{done.stderr}")
    timing = re.compile(r'in [\d.]+ min|images/s')
    return [without_time(line) for line in done.stdout.splitlines() if not timing.search(line)]

def recipe_fingerprint(recipe:str, folder:Path) -> dict:
    "Losses and encoder hash of 3 training steps of `recipe`."
    teacher = ['--teacher', 'random-vit'] if recipe in TEACHER_RECIPES else []
    args = ['--recipe', recipe, *teacher, '--data', f'synthetic:{STEP_IMAGES}', '--epochs', '1', '--bs', '64',
            '--precision', 'fp32', '--compile', 'no', '--log', 'tensorboard', '--out', recipe]
    aim_pretrain(args, folder)
    run = folder / recipe
    return dict(steps=step_losses(run), metrics=[without_time(r) for r in (run / 'metrics.csv').read_text().splitlines()[1:]],
                encoder=sha256(run / 'encoder.safetensors'))

def default_fingerprint(folder:Path) -> dict:
    "The printed losses and the encoder hash of `aim_pretrain` with no arguments."
    lines = aim_pretrain([], folder)
    return dict(output=[line for line in lines if 'loss' in line], encoder=sha256(folder / 'runs/saim-tiny/encoder.safetensors'))

def fingerprints() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = {}
        for recipe in ('saim', 'semaim', 'semaim_ema', 'semaim_feat', 'mapet', 'milan', 'semmae', 'mae', 'aim'):
            out[recipe] = recipe_fingerprint(recipe, Path(tmp))
            print(recipe, out[recipe]['encoder'][:16], out[recipe]['steps'], flush=True)
        out['default run'] = default_fingerprint(Path(tmp))
        print('default run', out['default run']['encoder'][:16], flush=True)
        return out

def compare(before:Path, after:Path) -> int:
    "One line per fingerprint; the number that differ."
    a, b = json.loads(before.read_text()), json.loads(after.read_text())
    differ = 0
    for name in a:
        same = a[name] == b.get(name)
        differ += not same
        print(f"{name:12} {'identical' if same else 'DIFFERS'}")
    return differ

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--out', help='write the fingerprints to this JSON file')
    p.add_argument('--compare', nargs=2, metavar=('BEFORE', 'AFTER'), help='compare two fingerprint files')
    a = p.parse_args()
    if a.compare: sys.exit(1 if compare(*map(Path, a.compare)) else 0)
    Path(a.out).write_text(json.dumps(fingerprints(), indent=1) + '\n')
