"""The teacher-once chapter's two tables: how well the crop of a full-view teacher cache agrees with the teacher on
the crop, and how much faster a MILAN step is with the cache. Each is written to a record in benchmarks/records/.

    python benchmarks/teacher_once.py agreement [--crops 8] [--threads 1]      # record teacher_once_agreement
    python benchmarks/teacher_once.py steps [--rounds 7 5] [--threads 1]       # record teacher_once_steps

agreement: the ImageNet EfficientNet-Lite0 on eight scikit-image photos, `--crops` random resized crops of each
(the data pipeline's `BatchRandomResizedCrop`, bicubic) at min scale 0.2, 0.5, 0.8 and 1.0, on a 7 × 7 grid
(112 px photos, the teacher at 224 px) and a 14 × 14 one (224 px photos, the teacher at 448 px), as `make_teacher`
builds it for the tiny and the small preset: `crop_agreement`'s medians. Not a timing.

steps: one MILAN training step (forward, backward and AdamW step on one batch) with the teacher on the fly and with
the cache, two models built alike and timed in turns, a warm-up round left out; the tiny preset (28 px grey images,
batch 64, 128 + 32 images) and the small one (224 px RGB, batch 8, 64 + 16 images) on embedded Fashion-MNIST, with
`efficientnet-lite0` as `make_teacher` builds it; and the time `teacher_once` takes to build the cache. The clock
is the process's CPU time, which other loads of a shared machine do not inflate; with one thread (`--threads 1`,
the default) it is the step's compute time.
"""
import argparse, statistics, sys, tempfile, time
import torch
from torch import Tensor
from fastai.torch_core import set_seed
from aim_nb.augment import IMAGENET_STATS
from aim_nb.data import arrays_dls, embedded_arrays, example_photo, FASHION_MNIST_CLASSES
from aim_nb.teachers import EfficientNetTeacher
from aim_nb.feature_crops import crop_agreement, teacher_once, _ItemLog, _crop_of
from aim_nb.recipes import build_recipe
from aim_nb.records import recording

PHOTOS = ('astronaut', 'chelsea', 'coffee', 'rocket', 'hubble_deep_field', 'immunohistochemistry', 'retina', 'camera')
SCALES = (.2, .5, .8, 1.)
SHORT = {'patch cos median': 'median', 'patch cos p10': 'p10', 'crop ignored, median': 'ignored',
         'global pooled': 'global_pooled', 'global full view': 'global_full', 'top-25 % overlap': 'top25',
         'Spearman': 'spearman'}


def agreement_rows(crops:int) -> list:
    "(grid, min scale, `crop_agreement`'s dict) for both grids and every min scale."
    rows = []
    for grid in (7, 14):
        photos = torch.stack([example_photo(n, 16 * grid) for n in PHOTOS])        # 112 or 224 px, patch 16
        teacher = EfficientNetTeacher(IMAGENET_STATS, img_size=32 * grid)          # its map is the grid
        for scale in SCALES:
            rows.append((grid, scale, crop_agreement(teacher, photos, grid, scale, n_crops=crops)))
            print(f'  grid {grid}, min scale {scale}: done', flush=True)
    return rows


def agreement_numbers(rows:list) -> dict:
    "Every cell as `<column>_<grid>_s<10 × min scale>`, and the range over all rows of the columns prose cites."
    numbers = {f'{SHORT[k]}_{grid}_s{round(10 * scale)}': round(v, 4)
               for grid, scale, found in rows for k, v in found.items()}
    found = [f for _, _, f in rows]
    spans = {'gain': [f['patch cos median'] - f['crop ignored, median'] for f in found],
             'global': [f[k] for f in found for k in ('global pooled', 'global full view')],
             'spearman': [f['Spearman'] for f in found], 'top25': [f['top-25 % overlap'] for f in found]}
    for name, values in spans.items():
        numbers[f'{name}_min'], numbers[f'{name}_max'] = round(min(values), 4), round(max(values), 4)
    return numbers


def step_times(preset:str, size:int, channels:int, bs:int, n:int, nv:int, rounds:int) -> dict:
    "CPU seconds of a MILAN step on the fly and cached (every round), and of building the cache."
    (x, y), (xv, yv) = embedded_arrays()['train'], embedded_arrays()['test']
    dls = arrays_dls((x[:n], y[:n]), (xv[:nv], yv[:nv]), FASHION_MNIST_CLASSES, bs=bs, size=size, channels=channels,
                     device='cpu')
    models = {}
    for mode in ('step', 'once'):
        set_seed(0)
        models[mode] = build_recipe('milan', dls, preset, teacher='efficientnet-lite0').model
    start = time.process_time()
    teacher_once(models['once'], dls, tempfile.mkdtemp(), progress=False)
    build = time.process_time() - start
    cached, log = models['once'].keep.teacher, _ItemLog(dls.train)
    imgs = next(iter(dls.train))[0].as_subclass(Tensor)
    idx, mat = log.last(len(imgs)), _crop_of(dls.train).mat
    log.remove()
    opts = {m: torch.optim.AdamW([p for p in models[m].parameters() if p.requires_grad], 1e-4) for m in models}
    times = {m: [] for m in models}
    for r in range(rounds + 1):                                                # round 0 warms up
        for m in ('step', 'once') if r % 2 else ('once', 'step'):
            if m == 'once': cached.set_batch(imgs, idx, mat)
            start = time.process_time()
            models[m](imgs).loss.backward()
            opts[m].step()
            opts[m].zero_grad()
            if r: times[m].append(time.process_time() - start)
    assert cached.misses == 0, 'the cached model ran its teacher'
    return dict(fly=times['step'], once=times['once'], build=build, images=n + nv, bs=bs)


def steps_table(found:dict) -> tuple:
    "The record's table and numbers of `step_times` per preset."
    columns = ['preset', 'on the fly, s', 'on the fly, range', 'cached, s', 'cached, range', 'speed-up',
               'cache build, s', 'ms per image']
    rows, numbers = [], {}
    for label, (preset, t) in found.items():
        fly, once = statistics.median(t['fly']), statistics.median(t['once'])
        span = lambda v: f'{min(v):.3f}–{max(v):.3f}'
        per_image = 1000 * t['build'] / t['images']
        rows.append([label, round(fly, 3), span(t['fly']), round(once, 3), span(t['once']), round(fly / once, 1),
                     round(t['build'], 1), round(per_image)])
        numbers |= {f'fly_{preset}': round(fly, 3), f'once_{preset}': round(once, 3),
                    f'speedup_{preset}': round(fly / once, 2), f'build_{preset}': round(t['build'], 1),
                    f'build_ms_{preset}': round(per_image, 1), f'fly_ms_{preset}': round(1000 * fly / t['bs'], 1)}
    return dict(columns=columns, rows=rows), numbers


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('part', choices=['agreement', 'steps'])
    ap.add_argument('--crops', type=int, default=8, help='agreement: random crops of every photo')
    ap.add_argument('--rounds', type=int, nargs=2, default=[7, 5], help='steps: timed rounds, tiny and small preset')
    ap.add_argument('--threads', type=int, default=1, help='torch threads')
    ap.add_argument('--record', help="the record's name (default: teacher_once_<part>)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    ran = ' '.join(['python', *sys.argv])
    if args.part == 'agreement':
        what = ("agreement of the crop of EfficientNet-Lite0's full-view cache with the teacher on the crop: "
                "per-patch cosine, global feature, MILAN's importance")
        with recording(args.record or 'teacher_once_agreement', what=what, ran=ran,
                       modules=['feature_crops', 'teachers', 'augment']) as rec:
            rows = agreement_rows(args.crops)
            columns = ['grid', 'min scale', *SHORT]
            rec['table'] = dict(columns=columns, rows=[[f'{g} × {g}', s, *(round(v, 3) for v in found.values())]
                                                       for g, s, found in rows])
            rec['numbers'] = agreement_numbers(rows)
            rec['notes'] = f'{len(PHOTOS)} photos, {args.crops} crops each; medians over patches or crops'
    else:
        what = "CPU seconds of one MILAN training step with EfficientNet-Lite0 on the fly and from teacher_once's cache"
        with recording(args.record or 'teacher_once_steps', what=what, ran=ran,
                       modules=['feature_crops', 'teachers', 'mim', 'recipes']) as rec:
            found = {'tiny (28 px, batch 64)': ('tiny', step_times('tiny', 28, 1, 64, 128, 32, args.rounds[0])),
                     'small (224 px, batch 8)': ('small', step_times('small', 224, 3, 8, 64, 16, args.rounds[1]))}
            rec['table'], rec['numbers'] = steps_table(found)
            rec['notes'] = (f'{args.threads} thread(s), process CPU time; median and range of the rounds after a '
                            'warm-up round; the cache build: teacher_once over every image of the arrays')
    print(rec['numbers'])


if __name__ == '__main__':
    main()
