"""How fast a teacher's features come: computed on the fly, or read from a cache built once.

    python benchmarks/teachers.py [--runs N] [--batch N] [--teachers effnet clip vit] [--devices cpu cuda]
                                  [--record NAME]

For every teacher (the ImageNet EfficientNet-Lite0 at 224 px, a 7x7 map; CLIP ViT-B/16 with random
weights, MILAN's teacher, tokens (B, 197, 512) and cls attention; timm's ViT-Ti/16 with random
weights) and every device, a batch of B random normalised 224 px images (a ViT-B/16 student's batch,
grid 14x14) goes through three paths:

- *on the fly*: `teacher(imgs, 14)`, what a training step pays without a cache (bf16 autocast on
  CUDA, fp32 on the CPU);
- *cache, RAM -> device*: `cache[idx]` for a random batch of indices on the device, on a `FeatureCache`
  loaded in host memory: the rows are gathered there and copied to the device in float16, what a
  training step pays with a cache too big for the device;
- *cache on device* (CUDA only): the same with the cache moved to the GPU first.

The cache is built by `cache_teacher` over 2B images (not timed) and loaded once; its load time from
the file (just written, so in the OS page cache) is given per image, with its size per image
(float16 tokens + float32 attention). Times are the median ± IQR of `--runs` batches timed by
torch.utils.benchmark after warm-up, CUDA synchronised before every clock read; throughput is images
per second. Defaults: batch 64 and 10 runs on CUDA, batch 8 and 3 runs on the CPU.

With `--record NAME` (one device) the table goes to the record `benchmarks/records/NAME.json`, with each
teacher's images/s as the numbers `<teacher>_fly`, `<teacher>_ram` and (CUDA) `<teacher>_device`: the record
`teachers_gpu` the teacher-once chapter cites is `python benchmarks/teachers.py --devices cuda --record teachers_gpu`.
"""
import argparse, sys, tempfile, time
import torch
from timing import devices, add_devices_arg, timed
from aim_nb.bench import autocast
from aim_nb.teachers import EfficientNetTeacher, ClipTeacher, TimmTeacher
from aim_nb.feature_crops import FeatureCache, cache_teacher
from aim_nb.records import recording

GRID, SIZE = 14, 224
TEACHERS = dict(effnet=('EfficientNet-Lite0 (ImageNet)', lambda: EfficientNetTeacher()),
                clip=('CLIP ViT-B/16 (random)', lambda: ClipTeacher('ViT-B-16')),
                vit=('timm ViT-Ti/16 (random)', lambda: TimmTeacher('vit_tiny_patch16_224')))


def on_the_fly(teacher, imgs) -> callable:
    "One teacher forward on a batch, under autocast."
    def fn():
        with autocast(imgs.device): return teacher(imgs, GRID)
    return fn


def from_cache(cache:FeatureCache, batch:int, device) -> callable:
    "The features of a random batch of the cache on `device` (`cache[idx]` returns them on idx's device)."
    g = torch.Generator().manual_seed(0)
    return lambda: cache[torch.randperm(len(cache), generator=g)[:batch].to(device)]


def build_cache(teacher, batch:int, device, folder) -> tuple:
    "A cache of 2 x batch random images (built, not timed), its load time per image (ms) and its size per image (KiB)."
    images = torch.randn(2 * batch, 3, SIZE, SIZE, generator=torch.Generator().manual_seed(0))
    with autocast(device):
        path = cache_teacher(teacher, images, GRID, folder, bs=batch, device=device, progress=False).path
    start = time.perf_counter()
    cache = FeatureCache(path)
    load_ms = (time.perf_counter() - start) * 1e3
    return cache, load_ms / len(cache), path.stat().st_size / len(cache) / 2**10


def rate(ms:float, iqr:float, batch:int) -> list:
    "Table cells: ms per batch (median ± IQR) and images per second."
    return [f"{ms:.2f} ± {iqr:.2f}", f"{batch / ms * 1e3:,.0f}"]


def bench(key:str, device, batch:int, runs:int, folder) -> tuple:
    "The table row of one teacher on one device, and its images/s by path."
    name, make = TEACHERS[key]
    torch.manual_seed(0)
    teacher = make().to(device)
    imgs = torch.randn(batch, 3, SIZE, SIZE, device=device)
    fly = timed(on_the_fly(teacher, imgs), runs, warmup=2 if device.type == 'cuda' else 1)
    cache, load_ms, kib = build_cache(teacher, batch, device, folder)
    ram = timed(from_cache(cache, batch, device), runs)
    cells = [name, str(batch), *rate(*fly, batch), *rate(*ram, batch)]
    per_second = {f'{key}_fly': batch / fly[0] * 1e3, f'{key}_ram': batch / ram[0] * 1e3}
    if device.type == 'cuda':
        on_device = timed(from_cache(cache.to(device), batch, device), runs)
        cells += rate(*on_device, batch)
        per_second[f'{key}_device'] = batch / on_device[0] * 1e3
    return cells + [f"{fly[0] / ram[0]:,.0f}x", f"{kib:,.0f}", f"{load_ms * 1e3:,.0f}"], per_second


def header(device) -> list:
    "The table's columns on `device`."
    columns = ['teacher', 'batch', 'on the fly ms/batch', 'on the fly img/s', 'cache RAM→device ms/batch',
               'cache RAM→device img/s']
    columns += ['cache on device ms/batch', 'cache on device img/s'] if device.type == 'cuda' else []
    return columns + ['speed-up (RAM cache)', 'cache KiB/img', 'load µs/img']


def title(device, runs:int) -> str:
    "What ran, in one line."
    cpu = f"cpu ({torch.get_num_threads()} threads), fp32"
    name = f"{torch.cuda.get_device_name()}, bf16 autocast" if device.type == 'cuda' else cpu
    return f"{name}; median ± IQR of {runs} timed batches; grid {GRID}x{GRID}, {SIZE} px student images"


def print_table(device, rows:list, runs:int):
    "One markdown table for `device`."
    print(f"\n{title(device, runs)}\n")
    for cells in [header(device), ['---'] * len(header(device))] + rows: print('| ' + ' | '.join(cells) + ' |')


def measure(args, device) -> tuple:
    "The table rows and the images/s of every teacher on `device`."
    cuda = device.type == 'cuda'
    batch, runs = args.batch or (64 if cuda else 8), args.runs or (10 if cuda else 3)
    with tempfile.TemporaryDirectory() as folder:
        found = [bench(key, device, batch, runs, folder) for key in args.teachers]
    return [cells for cells, _ in found], {k: round(v) for _, rates in found for k, v in rates.items()}, runs


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--teachers', nargs='+', default=list(TEACHERS), choices=list(TEACHERS))
    ap.add_argument('--runs', type=int, help='timed batches per path; default 10 on CUDA, 3 on the CPU')
    ap.add_argument('--batch', type=int, help='images per batch; default 64 on CUDA, 8 on the CPU')
    ap.add_argument('--record', help="write the table to this record in benchmarks/records/ (one device)")
    add_devices_arg(ap)
    args = ap.parse_args()
    chosen = devices(args.devices)
    if args.record and len(chosen) != 1: ap.error('--record measures one device: name it with --devices')
    print(f"teacher features on the fly vs from a cache; torch {torch.__version__}")
    for device in chosen:
        if not args.record:
            rows, _, runs = measure(args, device)
            print_table(device, rows, runs)
            continue
        what = "images/s of a teacher's features computed on the fly and read from a FeatureCache"
        with recording(args.record, what=what, ran=' '.join(['python', *sys.argv]),
                       modules=['teachers', 'feature_crops']) as rec:
            rows, rec['numbers'], runs = measure(args, device)
            rec['table'] = dict(columns=header(device), rows=rows)
            rec['notes'] = title(device, runs)
        print_table(device, rows, runs)

if __name__ == '__main__': main()
