"""What one training step of each autoregressive model costs, on the fast attention path and on the dense one.

    python benchmarks/ar_models.py [--presets tiny base] [--runs 5] [--batch N] [--models saim semaim mapet aim] [--devices cpu cuda]

For every preset (`tiny`: 28 px grayscale, L = 49; `base`: ViT-B/16 at 224 px, L = 196) and every model
(SAIM, SemAIM, MaPeT and the raster-prefix AIM baseline), builds the model with a fixed seed, a batch
of random normalised images and AdamW (betas 0.9, 0.95), then times a training step: forward,
backward, optimiser step, gradients cleared; bf16 autocast on CUDA, fp32 on the CPU. SemAIM's step
includes its no-grad scoring pass, which is part of the method's cost. The same model object runs
both attention paths, switched through `model.attention`: 'fast' (tokens gathered into each
sample's order, fused causal SDPA) and 'dense' (the public formulation: raster order, per-sample
boolean masks, eager attention). Per path it reports the median ± IQR step time of `--runs` steps
after 2 warm-up steps (CUDA synchronised before every clock read), images/s, the bytes the forward
saves for backward per image (`aim_nb.attention.saved_tensors`, one count per storage, parameters
excluded), and whether an attention map or mask is among them: a saved tensor shaped (batch, heads,
Lq, Lk), batch or heads possibly 1 but not both, with Lq, Lk >= L. A mask shared by the whole batch,
(1, 1, Lq, Lk), is not counted, nor the input images (B, C, H, W) that the patch embedding saves.
On CUDA it adds the peak allocated memory of one step and the MFU against the H100 bf16 dense peak
(989.4 TFLOP/s): the FLOPs of one forward + backward (SemAIM's scoring pass included, AdamW's
elementwise update not) are counted once by `FlopCounterMode` on the dense path, so attention counts
as full Lq x Lk products, and divided by each path's step time.
A ratio row per model gives the speed-up (dense ms / fast ms) and the memory ratios (fast / dense).

MaPeT's tokenizer is a stand-in: every patch's mean pixel, squashed and quantised into the
vocabulary (8192 ids at base, 512 at tiny); the ids do not change the cost. Default batch: 64 for
tiny, 64 for base on CUDA and 4 for base on the CPU (a ViT-B/16 two-stream step costs seconds per
image on a small CPU), where the default is also 3 runs instead of 5.
"""
import argparse
import torch
from einops import reduce
from timing import devices, add_devices_arg, timed, peak_mib, autocast, train_step, step_flops
from aim_nb.ar import SAIM, SemanticOrder, MaPeT, PrefixAIM
from aim_nb.encoder import ViTConfig
from aim_nb.attention import saved_tensors

PEAK_FLOPS, PEAK_NAME = 989.4e12, 'H100 bf16 dense peak, 989.4 TFLOP/s'
PATHS, WARMUP, MIB = ('fast', 'dense'), 2, 2**20
VOCAB = dict(tiny=512, base=8192)


def patch_mean_tokenizer(cfg:ViTConfig, vocab_size:int):
    "Stand-in tokenizer, imgs -> (B, L) long: each patch's mean pixel through a sigmoid, quantised into `vocab_size` bins."
    def tokenize(imgs):
        means = reduce(imgs.float(), 'b c (h p) (w q) -> b (h w)', 'mean', p=cfg.patch_size, q=cfg.patch_size)
        return (means.sigmoid() * vocab_size).long().clamp(max=vocab_size - 1)
    return tokenize


MODELS = dict(saim=('SAIM', lambda preset: SAIM(ViTConfig.preset(preset))),
              semaim=('SemAIM', lambda preset: SAIM(ViTConfig.preset(preset), order=SemanticOrder())),
              mapet=('MaPeT', lambda preset: MaPeT(patch_mean_tokenizer(ViTConfig.preset(preset), VOCAB[preset]),
                                                   VOCAB[preset], ViTConfig.preset(preset, init_values=.1))),
              aim=('AIM', lambda preset: PrefixAIM(ViTConfig.preset(preset))))



def setup(name:str, preset:str, device, batch:int) -> tuple:
    "The seeded model `name` at `preset` on `device`, AdamW over it, and a batch of random normalised images."
    torch.manual_seed(0)
    model = MODELS[name][1](preset).to(device)
    cfg = model.cfg
    imgs = torch.randn(batch, cfg.in_chans, *(g * cfg.patch_size for g in cfg.grid), device=device)   # (B, C, H, W)
    return model, torch.optim.AdamW(model.parameters(), betas=(.9, .95)), imgs



def dense_step_flops(model, imgs) -> int:
    "FLOPs of one forward + backward on the dense path, counted by `FlopCounterMode`; the gradients are dropped."
    model.attention = 'dense'
    return step_flops(model, imgs)


def attention_maps(saved:list, L:int, heads:int) -> list:
    "The saved (B | 1, H | 1, Lq, Lk) tensors with Lq, Lk >= L, per sample or per head (not one mask shared by the batch)."
    return [(shape, n) for shape, n in saved
            if len(shape) == 4 and shape[1] in (1, heads) and min(shape[-2:]) >= L and shape[0] * shape[1] > 1]


def measure(model, opt, imgs, path:str, runs:int) -> dict:
    "Step time, bytes saved for backward per image, saved attention maps and peak memory of `model` on `path`."
    model.attention, B, device = path, len(imgs), imgs.device
    ms, iqr = timed(lambda: train_step(model, opt, imgs), device, runs, WARMUP)
    with autocast(device): _, saved = saved_tensors(model, imgs)
    maps = attention_maps(saved, model.cfg.num_patches, model.cfg.num_heads)
    return dict(ms=ms, iqr=iqr, saved=sum(n for _, n in saved) / B / MIB, maps=len(maps),
                maps_mib=sum(n for _, n in maps) / B / MIB, peak=peak_mib(lambda: train_step(model, opt, imgs), device))


def bench(name:str, preset:str, device, batch:int, runs:int) -> tuple:
    "Both paths of one model: a dict per path, and the dense-path FLOPs of a step on CUDA (else None)."
    model, opt, imgs = setup(name, preset, device, batch)
    flops = dense_step_flops(model, imgs) if device.type == 'cuda' else None
    return {path: measure(model, opt, imgs, path, runs) for path in PATHS}, flops


def path_row(label:str, preset:str, batch:int, path:str, r:dict, flops, cuda:bool) -> list:
    "The table cells of one path."
    maps = f"yes: {r['maps']}, {r['maps_mib']:.2f} MiB/img" if r['maps'] else 'no'
    cells = [label, preset, str(batch), path, f"{r['ms']:.1f} ± {r['iqr']:.1f}", f"{batch / r['ms'] * 1e3:.1f}", f"{r['saved']:.2f}"]
    if cuda: cells += [f"{r['peak']:.0f}", f"{flops / (r['ms'] / 1e3) / PEAK_FLOPS:.1%}"]
    return cells + [maps]


def ratio_row(label:str, preset:str, batch:int, fast:dict, dense:dict, cuda:bool) -> list:
    "The cells of the fast-vs-dense row: speed-up dense ms / fast ms, memory ratios fast / dense."
    cells = [label, preset, str(batch), 'fast vs dense', f"{dense['ms'] / fast['ms']:.2f}x speed-up", '',
             f"{fast['saved'] / dense['saved']:.2f}x"]
    return cells + ([f"{fast['peak'] / dense['peak']:.2f}x", ''] if cuda else []) + ['']


def print_table(device, rows:list, notes:list):
    "One markdown table of `rows` for `device`, under a title naming the device, the precision and `notes`."
    cuda = device.type == 'cuda'
    header = ['model', 'preset', 'batch', 'path', 'ms/step (median ± IQR)', 'img/s', 'saved MiB/img']
    header += ['peak MiB', 'MFU'] if cuda else []
    header += ['L×L saved?']
    name = f"{torch.cuda.get_device_name()}, bf16 autocast; MFU against the {PEAK_NAME}, FLOPs of the dense path" if cuda else 'cpu, fp32'
    print(f"\n{name}; {', '.join(notes)}\n")
    for cells in [header, ['---'] * len(header)] + rows: print('| ' + ' | '.join(cells) + ' |')


def default_batch(preset:str, device) -> int:
    "64, except ViT-B/16 on the CPU: 4."
    return 4 if preset == 'base' and device.type == 'cpu' else 64


def default_runs(preset:str, device) -> int:
    "5, except ViT-B/16 on the CPU: 3."
    return 3 if preset == 'base' and device.type == 'cpu' else 5


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--presets', nargs='+', default=['tiny', 'base'], choices=list(VOCAB))
    ap.add_argument('--models', nargs='+', default=list(MODELS), choices=list(MODELS))
    ap.add_argument('--runs', type=int, help='timed steps per path; default 5 (3 for base on the CPU)')
    ap.add_argument('--batch', type=int, help='images per step; default 64 (4 for base on the CPU)')
    add_devices_arg(ap)
    args = ap.parse_args()
    print(f"training step = forward + backward + AdamW step; median ± IQR over timed steps after {WARMUP} warm-up steps; "
          f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads")
    for device in devices(args.devices):
        rows, notes = [], []
        for preset in args.presets:
            batch, runs = args.batch or default_batch(preset, device), args.runs or default_runs(preset, device)
            notes.append(f"{preset}: {runs} timed steps")
            for name in args.models:
                label = MODELS[name][0]
                r, flops = bench(name, preset, device, batch, runs)
                rows += [path_row(label, preset, batch, path, r[path], flops, device.type == 'cuda') for path in PATHS]
                rows.append(ratio_row(label, preset, batch, r['fast'], r['dense'], device.type == 'cuda'))
        print_table(device, rows, notes)

if __name__ == '__main__': main()
