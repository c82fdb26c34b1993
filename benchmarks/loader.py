"""How fast `aim_nb.folders.folder_dls` feeds images from a folder of JPEGs, next to torchvision's `ImageFolder`
doing the same augmentation, and how long a large folder takes to start.

    python benchmarks/loader.py [--images 2000] [--workers 0 2] [--batches 20] [--rounds 5]
                                [--interpolations bilinear bicubic] [--start-files 100000] [--record FILE]

Throughput: `--images` JPEG photos of 500 × 375 (quality 90, the typical ImageNet size), made from the sample
photos scikit-image ships (random crops, flips and resizes, so that every file differs), in 10 class folders.
Both loaders cut `RandomResizedCrop(224, scale=(0.2, 1))` + a horizontal flip from every photo, batch 64, shuffled,
with the same number of worker processes and the same resize filter (each of `--interpolations`): aim_nb through
its `DataLoaders` on the CPU (uint8 crops from the decode, then `IntToFloatTensor` + `Normalize` on the batch, in
the main process), torchvision's `ImageFolder` + `RandomResizedCrop` + `RandomHorizontalFlip` + `ToTensor` (float,
in the workers) through a torch `DataLoader`. A third row, `aim_nb uint8`, is aim_nb's batches as they leave the
workers, before the float conversion and normalisation (on a GPU those run on the device). aim_nb decodes with
bicubic resizing; the bilinear rows set its decoder's `resample` for the benchmark. Rounds alternate between the
loaders, in an order reversed every other round (a fresh iterator, so a round includes starting the workers); a
round reads `--batches` batches after one untimed batch. Printed: images/s per worker (the main process counts
as the one worker when there are none), the median over rounds and the spread (min-max), aim_nb / torchvision
with the same filter, and each loader's bicubic / bilinear. `--record FILE` writes the same numbers as JSON
with what ran, the commit and the machine.

Start time: `--start-files` files in 100 folders (hard links to a few JPEGs), from the `folder_dls` call to the
first training batch, next to the time its scan alone takes and the time opening every file (the eager check
`folder_dls` made before) would add in one process, extrapolated from 2,000 files.
"""
import argparse, json, os, platform, shutil, statistics, tempfile, time
from pathlib import Path
import numpy as np
import torch
from PIL import Image
from aim_nb.folders import folder_dls, scan_folder, readable_images
from provenance import provenance, shell

FILTERS = {'bilinear': Image.BILINEAR, 'bicubic': Image.BICUBIC}   # PIL's filters, by torchvision's names

PHOTOS = ['astronaut', 'chelsea', 'coffee', 'rocket', 'hubble_deep_field', 'immunohistochemistry', 'motorcycle_left', 'retina']


def sample_photos() -> list:
    "scikit-image's sample photos as RGB arrays (grayscale ones left out)."
    from skimage import data
    found = [getattr(data, n)() for n in PHOTOS if hasattr(data, n)]
    return [p[..., :3] for p in found if p.ndim == 3]


def make_jpegs(folder:Path, n:int, size=(500, 375), classes:int=10, seed:int=0) -> Path:
    "`n` differing JPEGs of `size` (width, height), quality 90, in `classes` sub-folders: random crops, flips, resizes of the photos."
    rng, photos = np.random.default_rng(seed), [Image.fromarray(p) for p in sample_photos()]
    for i in range(n):
        img = photos[i % len(photos)]
        W, H = img.size
        s = rng.uniform(0.5, 1.0)
        w, h = int(W * s), int(H * s)
        x, y = rng.integers(0, W - w + 1), rng.integers(0, H - h + 1)
        out = img.crop((x, y, x + w, y + h)).resize(size, Image.BILINEAR)
        if rng.random() < 0.5: out = out.transpose(Image.FLIP_LEFT_RIGHT)
        (folder / f'c{i % classes}').mkdir(parents=True, exist_ok=True)
        out.save(folder / f'c{i % classes}' / f'{i:06d}.jpg', quality=90)
    return folder


def aim_batches(folder, workers:int, bs:int, interpolation:str, batch_tfms:bool=True):
    "aim_nb's training batches, decoded with the filter `interpolation`; without `batch_tfms` as the workers send them."
    dl = folder_dls(folder, size=224, bs=bs, device='cpu', num_workers=workers, valid_pct=0.01).train
    for decode in dl.dataset.tls[0].tfms.fs: decode.decode.resample = FILTERS[interpolation]   # both splits' decoders
    return lambda: iter(dl if batch_tfms else dl.new(after_batch=None))


def torchvision_batches(folder, workers:int, bs:int, interpolation:str):
    from torchvision import datasets, transforms as T
    mode = T.InterpolationMode[interpolation.upper()]
    crop = T.RandomResizedCrop(224, scale=(0.2, 1), interpolation=mode)
    ds = datasets.ImageFolder(folder, T.Compose([crop, T.RandomHorizontalFlip(), T.ToTensor()]))
    dl = torch.utils.data.DataLoader(ds, batch_size=bs, shuffle=True, num_workers=workers, drop_last=True)
    return lambda: iter(dl)


def timed_round(make_iter, batches:int, bs:int) -> float:
    "Images/s over `batches` batches of a fresh iterator, after one untimed batch."
    it = make_iter()
    next(it)
    start = time.perf_counter()
    for _ in range(batches): next(it)
    rate = batches * bs / (time.perf_counter() - start)
    del it
    return rate


def loaders_of(folder, workers:int, bs:int, interpolations:list) -> dict:
    "{(loader, interpolation): a function that starts an iterator of its training batches}."
    out = {}
    for mode in interpolations:
        out['aim_nb', mode] = aim_batches(folder, workers, bs, mode)
        out['aim_nb uint8', mode] = aim_batches(folder, workers, bs, mode, batch_tfms=False)
        out['torchvision', mode] = torchvision_batches(folder, workers, bs, mode)
    return out


def throughput(folder, workers:int, batches:int, rounds:int, interpolations:list, bs:int=64) -> list:
    "Interleaved rounds of every loader and filter; printed, and returned as one record row per loader and filter."
    loaders = loaders_of(folder, workers, bs, interpolations)
    rates = {k: [] for k in loaders}
    for r in range(rounds):
        for key in (list(loaders) if r % 2 == 0 else list(loaders)[::-1]):   # interleaved, alternating the order
            rates[key].append(timed_round(loaders[key], batches, bs) / max(1, workers))
    med = {k: statistics.median(v) for k, v in rates.items()}
    rows = []
    for (name, mode), v in rates.items():
        row = dict(workers=workers, loader=name, interpolation=mode, rates=[round(x, 1) for x in v],
                   median=round(med[name, mode], 1), min=round(min(v), 1), max=round(max(v), 1))
        if name != 'torchvision': row['vs_torchvision'] = round(med[name, mode] / med['torchvision', mode], 3)
        first = interpolations[0]
        if mode != first: row[f'vs_{first}'] = round(med[name, mode] / med[name, first], 3)
        rows.append(row)
        ratios = '  '.join(f"{k[3:]} {x:.2f}x" for k, x in row.items() if k.startswith('vs_'))
        print(f"{workers:>7} {name:<14}{mode:<10}{row['median']:>8.0f} ({row['min']:.0f}-{row['max']:.0f})  {ratios}")
    return rows


def record_provenance() -> dict:
    "`provenance` of the loaders' code, with the versions of the libraries that decode."
    import torchvision, PIL
    return dict(provenance(('aim_nb/data.py', 'benchmarks/loader.py')),
                versions=dict(python=platform.python_version(), torch=torch.__version__,
                              torchvision=torchvision.__version__, pillow=PIL.__version__))


def start_time(tmp:Path, n:int, folders:int=100):
    "Seconds from `folder_dls` to the first training batch on `n` hard-linked files, and for the scan alone."
    src = make_jpegs(tmp / 'src', 8)
    originals = sorted(src.rglob('*.jpg'))
    big = tmp / 'big'
    for i in range(n):
        d = big / f'f{i % folders:03d}'
        if i < folders: d.mkdir(parents=True)
        os.link(originals[i % len(originals)], d / f'{i:07d}.jpg')
    start = time.perf_counter(); scan = scan_folder(big); scanned = time.perf_counter() - start
    start = time.perf_counter()
    dls = folder_dls(big, size=224, bs=64, device='cpu', num_workers=0)
    next(iter(dls.train)); first = time.perf_counter() - start
    start = time.perf_counter(); readable_images(scan.files[:2000]); check = (time.perf_counter() - start) / 2000 * len(scan.files)
    print(f"\nstart on {len(scan.files):,} files: scan {scanned:.1f} s, folder_dls to the first batch {first:.1f} s "
          f"(files opened before training: {scan.checked}); opening every file first, as before, would add "
          f"{check:.0f} s in one process (from 2,000 of them)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--images', type=int, default=2000)
    ap.add_argument('--workers', type=int, nargs='+', default=[0, 2])
    ap.add_argument('--batches', type=int, default=20)
    ap.add_argument('--rounds', type=int, default=5)
    ap.add_argument('--interpolations', nargs='+', choices=list(FILTERS), default=['bilinear', 'bicubic'],
                    help='resize filters to compare, the first the reference of the ratios')
    ap.add_argument('--start-files', type=int, default=100_000, help='0 to skip the start-time measurement')
    ap.add_argument('--record', type=Path, help='write the numbers, what ran and the machine to this JSON file')
    args = ap.parse_args()
    record, tmp = record_provenance(), Path(tempfile.mkdtemp())
    try:
        folder = make_jpegs(tmp / 'photos', args.images)
        print(f"{args.images} JPEGs 500x375 q90, RandomResizedCrop(224, scale=(0.2, 1)) + flip, batch 64, {os.cpu_count()} CPUs")
        print(f"{'workers':>7} {'loader':<14}{'filter':<10}{'img/s/worker (min-max)':>22}  ratios of medians")
        rows = []
        for w in args.workers: rows += throughput(folder, w, args.batches, args.rounds, args.interpolations)
        if args.start_files: start_time(tmp, args.start_files)
    finally: shutil.rmtree(tmp)
    if args.record:
        record.update(images=args.images, batches=args.batches, rounds=args.rounds, bs=64, size=224,
                      unit='images/s per worker process (the main process when there are none)', rows=rows,
                      load_after=shell('uptime'))
        args.record.parent.mkdir(parents=True, exist_ok=True)
        args.record.write_text(json.dumps(record, indent=1) + '\n')


if __name__ == '__main__':
    main()
