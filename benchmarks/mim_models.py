"""What one training step of each masked model costs: MAE, MILAN and SemMAE.

    python benchmarks/mim_models.py [--presets tiny base] [--runs 5] [--batch N] [--models mae milan semmae] [--devices cpu cuda] [--compile]

For every preset (`tiny`: 28 px grayscale, L = 49, decoder 128 wide × 2 blocks; `base`: ViT-B/16 at
224 px, L = 196, MAE's decoder 512 wide × 8 blocks) and every model, builds the model with a fixed
seed, a batch of random normalised images and AdamW (betas 0.9, 0.95), then times a training step:
forward, backward, optimiser step, gradients cleared; bf16 autocast on CUDA, fp32 on the CPU. 75 % of
the patches are hidden. MILAN's and SemMAE's teacher is a randomly initialised timm ViT of the
student's size (ViT-B/16 at base: the size of MILAN's CLIP ViT-B/16 image encoder; weights do not
change the cost); its no-grad forward, and SemMAE's per-image k-means, are part of the step.
It reports the median ± IQR step time of `--runs` steps after 2 warm-up steps (CUDA synchronised),
images/s, the bytes saved for backward per image (`aim_nb.attention.saved_tensors`), the FLOPs of one
forward + backward per image counted by `FlopCounterMode` (teacher forward included), and on CUDA the
peak allocated memory and the MFU against the H100 bf16 dense peak (989.4 TFLOP/s).
Default batch: 256 on CUDA, 64 for tiny and 8 for base on the CPU.
"""
import argparse
import timm
import torch
from timing import devices, add_devices_arg, timed, peak_mib, autocast, train_step, step_flops
from aim_nb.mim import MAE, MILAN, SemMAE
from aim_nb.encoder import ViTConfig
from aim_nb.targets import TimmTeacher
from aim_nb.attention import saved_tensors

PEAK_FLOPS, PEAK_NAME = 989.4e12, 'H100 bf16 dense peak, 989.4 TFLOP/s'
WARMUP, MIB = 2, 2**20
DECODERS = dict(tiny=dict(decoder_dim=128, decoder_depth=2, decoder_heads=4),
                base=dict(decoder_dim=512, decoder_depth=8, decoder_heads=16))


def random_teacher(cfg:ViTConfig) -> TimmTeacher:
    "A randomly initialised RGB timm ViT of the student's shape as a teacher (grey students' images are repeated to RGB)."
    vit = timm.create_model('vit_base_patch16_224', pretrained=False, **dict(cfg.timm_kwargs(), in_chans=3))
    return TimmTeacher(vit, in_stats=((0.,) * cfg.in_chans, (1.,) * cfg.in_chans))


MODELS = dict(mae=('MAE', lambda cfg, dec: MAE(cfg, **dec)),
              milan=('MILAN', lambda cfg, dec: MILAN(random_teacher(cfg), cfg, **dec)),
              semmae=('SemMAE', lambda cfg, dec: SemMAE(random_teacher(cfg), cfg, **dec)))



def setup(name:str, preset:str, device, batch:int) -> tuple:
    "The seeded model `name` at `preset` on `device`, AdamW over its trainable parameters, and a batch of random images."
    torch.manual_seed(0)
    cfg = ViTConfig.preset(preset)
    model = MODELS[name][1](cfg, DECODERS[preset]).to(device)
    imgs = torch.randn(batch, cfg.in_chans, *(g * cfg.patch_size for g in cfg.grid), device=device)   # (B, C, H, W)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], betas=(.9, .95))
    return model, opt, imgs




def measure(name:str, preset:str, device, batch:int, runs:int, compile:bool=False) -> dict:
    "Step time, FLOPs, bytes saved for backward per image and peak memory of one model."
    model, opt, imgs = setup(name, preset, device, batch)
    flops = step_flops(model, imgs)
    with autocast(device): _, saved = saved_tensors(model, imgs)
    if compile: model.compile()                    # after counting, in eager; the untimed warm-up steps compile it
    ms, iqr = timed(lambda: train_step(model, opt, imgs), device, runs, WARMUP)
    return dict(ms=ms, iqr=iqr, flops=flops / batch, saved=sum(n for _, n in saved) / batch / MIB,
                peak=peak_mib(lambda: train_step(model, opt, imgs), device))


def row(label:str, preset:str, batch:int, r:dict, cuda:bool) -> list:
    "The table cells of one model."
    cells = [label, preset, str(batch), f"{r['ms']:.1f} ± {r['iqr']:.1f}", f"{batch / r['ms'] * 1e3:,.1f}",
             f"{r['flops'] / 1e9:.2f}", f"{r['saved']:.2f}"]
    return cells + ([f"{r['peak']:,.0f}", f"{r['flops'] * batch / (r['ms'] / 1e3) / PEAK_FLOPS:.1%}"] if cuda else [])


def print_table(device, rows:list, notes:list):
    "One markdown table of `rows` for `device`, under a title naming the device, the precision and `notes`."
    cuda = device.type == 'cuda'
    header = ['model', 'preset', 'batch', 'ms/step (median ± IQR)', 'img/s', 'GFLOP/img (fwd+bwd)', 'saved MiB/img']
    header += ['peak MiB', 'MFU'] if cuda else []
    name = f"{torch.cuda.get_device_name()}, bf16 autocast; MFU against the {PEAK_NAME}" if cuda else 'cpu, fp32'
    print(f"\n{name}; {', '.join(notes)}\n")
    for cells in [header, ['---'] * len(header)] + rows: print('| ' + ' | '.join(cells) + ' |')


def default_batch(preset:str, device) -> int:
    "256 on CUDA; on the CPU 64 for tiny, 8 for ViT-B/16."
    return 256 if device.type == 'cuda' else 8 if preset == 'base' else 64


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--presets', nargs='+', default=['tiny', 'base'], choices=list(DECODERS))
    ap.add_argument('--models', nargs='+', default=['mae', 'milan'], choices=list(MODELS))
    ap.add_argument('--runs', type=int, default=5, help='timed steps per model')
    ap.add_argument('--batch', type=int, help='images per step; default 256 on CUDA, 64 (tiny) or 8 (base) on the CPU')
    ap.add_argument('--compile', action='store_true', help='torch.compile the model (the first steps compile it: use --runs >= 5)')
    add_devices_arg(ap)
    args = ap.parse_args()
    print(f"training step = forward + backward + AdamW step; median ± IQR over {args.runs} timed steps after {WARMUP} "
          f"warm-up steps; torch {torch.__version__}, {torch.get_num_threads()} CPU threads")
    for device in devices(args.devices):
        rows = []
        for preset in args.presets:
            batch = args.batch or default_batch(preset, device)
            rows += [row(MODELS[name][0], preset, batch, measure(name, preset, device, batch, args.runs, args.compile), device.type == 'cuda')
                     for name in args.models]
        notes = [f"{p}: decoder {DECODERS[p]['decoder_dim']} × {DECODERS[p]['decoder_depth']}" for p in args.presets]
        print_table(device, rows, notes + (['torch.compile'] if args.compile else ['eager']))

if __name__ == '__main__': main()
