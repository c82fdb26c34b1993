"""How fast aim_nb's loaders feed images: a folder of JPEGs through `folder_dls`, next to torchvision's `ImageFolder`
doing the same augmentation; in-memory arrays through `arrays_dls`, with and without worker processes; and how long
a large folder takes to start. Written to the record `benchmarks/records/loader.json`.

    python benchmarks/loader.py [--images 2000] [--workers 0 2] [--batches 12] [--rounds 3]
                                [--interpolations bilinear bicubic] [--arrays 20000] [--start-files 100000]

Folders: `--images` JPEG photos of 500 × 375 (quality 90, the typical ImageNet size), made from the sample
photos scikit-image ships (random crops, flips and resizes, so that every file differs), in 10 class folders.
Both loaders cut `RandomResizedCrop(224, scale=(0.2, 1))` + a horizontal flip from every photo, batch 64, shuffled,
with the same number of worker processes and the same resize filter (each of `--interpolations`): aim_nb through
its `DataLoaders` on the CPU (uint8 crops from the decode, then `IntToFloatTensor` + `Normalize` on the batch, in
the main process), torchvision's `ImageFolder` + `RandomResizedCrop` + `RandomHorizontalFlip` + `ToTensor` (float,
in the workers) through a torch `DataLoader`. A third loader, `aim_nb uint8`, is aim_nb's batches as they leave the
workers, before the float conversion and normalisation (on a GPU those run on the device). aim_nb decodes with
bicubic resizing; the bilinear rows set its decoder's `resample` for the benchmark. Rounds alternate between the
loaders, in an order reversed every other round (a fresh iterator, so a round includes starting the workers); a
round reads `--batches` batches after one untimed batch. The table: images/s per worker process (the main process
counts as the one worker when there are none), median and range over the rounds, aim_nb / torchvision with the
same filter, and aim_nb's bicubic / bilinear.

Arrays: `--arrays` random 28 × 28 uint8 images (Fashion-MNIST's size) through `arrays_dls` with its default
augmentation, one epoch a round, in the main process and with two worker processes.

Start time: `--start-files` files in 100 folders (hard links to a few JPEGs), from the `folder_dls` call to the
first training batch, next to the time its scan alone takes and the time opening every file before training would
add in one process, extrapolated from 2,000 files.
"""
import argparse, os, shutil, statistics, sys, tempfile, time
from pathlib import Path
import numpy as np
import torch
from PIL import Image
from aim_nb.data import arrays_dls
from aim_nb.folders import folder_dls, scan_folder, readable_images
from aim_nb.records import recording

FILTERS = {'bilinear': Image.BILINEAR, 'bicubic': Image.BICUBIC}   # PIL's filters, by torchvision's names
LOADERS = ('aim_nb', 'aim_nb uint8', 'torchvision')
PHOTOS = ['astronaut', 'chelsea', 'coffee', 'rocket', 'hubble_deep_field', 'immunohistochemistry', 'motorcycle_left',
          'retina']
IMAGENET_FILES = 1_281_167   # the training images of ImageNet-1k


def sample_photos() -> list:
    "scikit-image's sample photos as RGB arrays (grayscale ones left out)."
    from skimage import data
    found = [getattr(data, n)() for n in PHOTOS if hasattr(data, n)]
    return [p[..., :3] for p in found if p.ndim == 3]


def make_jpegs(folder:Path, n:int, size=(500, 375), classes:int=10, seed:int=0) -> Path:
    "`n` differing JPEGs of `size` (width, height), quality 90, in `classes` sub-folders: crops, flips, resizes."
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
    "torchvision's training batches of the same crops, flips and filter."
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


def folder_rates(folder, workers:int, batches:int, rounds:int, interpolations:list, bs:int=64) -> dict:
    "{(loader, interpolation): images/s per worker of every round}, the loaders in interleaved rounds."
    loaders = loaders_of(folder, workers, bs, interpolations)
    rates = {k: [] for k in loaders}
    for r in range(rounds):
        for key in (list(loaders) if r % 2 == 0 else list(loaders)[::-1]):   # interleaved, alternating the order
            rates[key].append(round(timed_round(loaders[key], batches, bs) / max(1, workers), 1))
    return rates


def spread(rates:list) -> str:
    "'360 (355–370)': the median and the range of `rates`."
    return f"{statistics.median(rates):.0f} ({min(rates):.0f}–{max(rates):.0f})"


def table_rows(workers:int, rates:dict, interpolations:list) -> list:
    "One table row per filter: the three loaders' rates, aim_nb / torchvision and aim_nb's rate / its first filter's."
    med = {k: statistics.median(v) for k, v in rates.items()}
    rows = []
    for mode in interpolations:
        vs_first = round(med['aim_nb', mode] / med['aim_nb', interpolations[0]], 3)
        rows.append([workers, mode, *[spread(rates[name, mode]) for name in LOADERS],
                     round(med['aim_nb', mode] / med['torchvision', mode], 3), vs_first])
        print(' | '.join(map(str, rows[-1])))
    return rows


def array_rates(n:int, rounds:int, workers:int, bs:int=64) -> list:
    "Images/s of `arrays_dls` over `n` random 28 × 28 images, one epoch a round, with `workers` worker processes."
    rng = np.random.default_rng(0)
    train = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), np.arange(n) % 10
    valid = train[0][:bs], train[1][:bs]
    dl = arrays_dls(train, valid, [str(c) for c in range(10)], bs=bs, device='cpu', num_workers=workers).train
    rates = []
    for _ in range(rounds):
        start = time.perf_counter()
        count = sum(len(b[0]) for b in dl)
        rates.append(round(count / (time.perf_counter() - start), 1))
    return rates


def start_times(tmp:Path, n:int, folders:int=100) -> dict:
    "Seconds from `folder_dls` to the first training batch on `n` hard-linked files, for the scan alone, and more."
    originals = sorted(make_jpegs(tmp / 'src', 8).rglob('*.jpg'))
    big = tmp / 'big'
    for i in range(n):
        d = big / f'f{i % folders:03d}'
        if i < folders: d.mkdir(parents=True)
        os.link(originals[i % len(originals)], d / f'{i:07d}.jpg')
    start = time.perf_counter()
    scan = scan_folder(big)
    scanned = time.perf_counter() - start
    start = time.perf_counter()
    next(iter(folder_dls(big, size=224, bs=64, device='cpu', num_workers=0).train))
    first = time.perf_counter() - start
    start = time.perf_counter()
    readable_images(scan.files[:2000])
    per_file = (time.perf_counter() - start) / 2000
    return dict(start_files=len(scan.files), scan_s=round(scanned, 2), first_batch_s=round(first, 2),
                files_opened=scan.checked, open_all_s=round(per_file * len(scan.files), 1),
                open_ms=round(per_file * 1e3, 3), open_imagenet_min=round(per_file * IMAGENET_FILES / 60, 1))


def measure(args, tmp:Path) -> dict:
    "The record's table and numbers."
    folder = make_jpegs(tmp / 'photos', args.images)
    rows, numbers = [], {}
    for workers in args.workers:
        rates = folder_rates(folder, workers, args.batches, args.rounds, args.interpolations)
        rows += table_rows(workers, rates, args.interpolations)
        last = args.interpolations[-1]
        numbers[f'vs_torchvision_{workers}'] = rows[-1][-2]
        numbers[f'{last}_cost_{workers}'] = round(1 - rows[-1][-1], 3)
        numbers[f'uint8_vs_torchvision_{workers}'] = round(
            statistics.median(rates['aim_nb uint8', last]) / statistics.median(rates['torchvision', last]), 3)
    for workers in (0, 2):
        numbers[f'arrays_{workers}'] = statistics.median(array_rates(args.arrays, args.rounds, workers))
    if args.start_files: numbers |= start_times(tmp, args.start_files)
    columns = ['workers', 'filter', *LOADERS, 'aim_nb / torchvision', f'aim_nb / its {args.interpolations[0]}']
    return dict(table=dict(columns=columns, rows=rows), numbers=numbers)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--images', type=int, default=2000, help='JPEGs in the folder the loaders read')
    ap.add_argument('--workers', type=int, nargs='+', default=[0, 2])
    ap.add_argument('--batches', type=int, default=12, help='timed batches a round')
    ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--interpolations', nargs='+', choices=list(FILTERS), default=['bilinear', 'bicubic'],
                    help='resize filters to compare, the first the reference of the ratios')
    ap.add_argument('--arrays', type=int, default=20_000, help='28 × 28 images in the arrays')
    ap.add_argument('--start-files', type=int, default=100_000, help='0 to skip the start-time measurement')
    ap.add_argument('--record', default='loader', help="the record's name in benchmarks/records/")
    args = ap.parse_args()
    what = ('images/s per worker process of folder_dls and of torchvision ImageFolder cropping 500x375 JPEGs to 224, '
            'of arrays_dls in memory, and the seconds a large folder takes to its first batch')
    with recording(args.record, what=what, ran=' '.join(['python', *sys.argv]),
                   modules=['folders', 'augment', 'data']) as rec:
        tmp = Path(tempfile.mkdtemp())
        try: rec |= measure(args, tmp)
        finally: shutil.rmtree(tmp)
        rec['notes'] = (f"{args.images} JPEGs, batch 64, {args.rounds} interleaved rounds of {args.batches} batches "
                        f"after one untimed batch; rates: median (min–max) over the rounds; "
                        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}")
    print(rec['numbers'])


if __name__ == '__main__':
    main()
