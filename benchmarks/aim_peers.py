"""AIM's and MaPeT's attention formulations side by side, and lightly's AIM next to aim_nb's: one training step each.

    python benchmarks/aim_peers.py [--shapes base s64 tiny] [--groups aim mapet saim] [--rounds 5] [--devices cpu cuda]
                                   [--record NAME]

With `--record NAME` (one device) the table is also written to the record `benchmarks/records/NAME.json`, with
each case's median as a number `<group>_<n>_<shape>` (n: the case's place in its group) and its ratio to the
group's first case as `<group>_<n>_<shape>_ratio`: `OMP_NUM_THREADS=1 python benchmarks/aim_peers.py --shapes base
--groups aim saim --devices cpu --record aim_peers_cpu` writes the attention chapter's table.

Shapes: `base` is ViT-B/16 at 224 px with 4 images; `s64` a ViT-S-like encoder on 64-px images (patch 8,
width 384, depth 12, 6 heads, L = 64) with 64 images. A step is forward + backward (bf16 autocast on a GPU,
fp32 on a CPU), gradients cleared; no optimiser step, which would cost every case the same. The cases of a
group run in interleaved rounds (one step of each per round, after one untimed step), so a load that comes
and goes on a shared machine hits every case alike; the table gives the median and the interquartile range
of the rounds, and the ratio of medians to the group's first case. On a CPU the clock is the process's
CPU time by default (`--clock cpu`), which other loads on a shared machine do not inflate as they do wall
time; with one thread (`OMP_NUM_THREADS=1`) it is the step's compute time, with more it sums the threads.
On a GPU it is wall time, synchronised. Every case of a group uses the same
weights, images and ranks, and the script checks that the formulations give the same loss before timing.

- aim: `PrefixAIM`'s fast path, one SDPA call a block with the per-sample prefix-causal mask (the default);
  the split formulation it replaced (causal call, then a second call over the tied prefix,
  `block_causal_attention` below, checked against the dense reference before timing); and lightly's AIM
  (`MaskedCausalVisionTransformer`, one SDPA call a block with a mask it builds in every block), set up as
  lightly's example (no cls token, one residual-MLP `AIMPredictionHead` block, MSE on every patch) with the
  same prefix lengths, and its head as wide as the encoder (lightly's default is 2048) so that it costs about
  what aim_nb's MLP head costs. lightly is not a dependency of aim_nb: the case runs where `import lightly`
  works (e.g. `pip install --target DIR --no-deps lightly` and `PYTHONPATH=DIR`) and is skipped with a note
  elsewhere.
- mapet: `MaPeT`'s fast path, one SDPA call with the boolean mask shared by the batch (the default), against
  the same call with that mask as an additive float bias (-inf where hidden), built once per step.
- saim: `SAIM`'s fast path on a random order (causal calls, `is_causal=True`), against the same model
  forced onto boolean masks (`ties=True`), which is what a layout assumes under torch.compile.
"""
import argparse, os, sys, time
from dataclasses import replace
from contextlib import contextmanager
import torch
import torch.nn.functional as F
from einops import rearrange
from timing import devices, add_devices_arg
import aim_nb.ar as ar
from aim_nb.ar import PrefixAIM, MaPeT, SAIM, MapetPermuted
from aim_nb.attention import PermutedOrder, causal_attention, dense_attention
from aim_nb.bench import autocast
from aim_nb.encoder import ViTConfig
from aim_nb.orders import prefix_ranks, mapet_ranks, random_ranks, content_visibility
from aim_nb.patches import patchify
from aim_nb.targets import TokenTarget
from aim_nb.records import recording

SHAPES = dict(base=(ViTConfig.preset('base'), 4),
              s64=(ViTConfig(img_size=64, patch_size=8, embed_dim=384, depth=12, num_heads=6), 64),
              tiny=(ViTConfig(img_size=32, patch_size=8, embed_dim=64, depth=2, num_heads=2), 4))   # a smoke test


# ---- the alternative formulations ------------------------------------------------------------
def block_causal_attention(q, k, v,     # (B, H, L, Dh) each, in order
                           end,         # (B,) long: rows start..end-1 also see keys up to end-1
                           start=0,     # first row of the bidirectional block (1 after a cls that sees itself)
                           n=None):     # int(end.max()), computed once per step; None: here (a host sync)
    "The split formulation: causal attention, then rows `start..end[b]-1` attend keys `0..end[b]-1` in a second call."
    out = causal_attention(q, k, v)
    n = int(end.max()) if n is None else n
    if n <= start + 1: return out                                             # blocks of one row: plain causal
    idx = torch.arange(n, device=q.device)
    keys = rearrange(idx < rearrange(end, 'b -> b 1'), 'b n -> b 1 1 n')     # (B, 1, 1, n) key padding
    block = F.scaled_dot_product_attention(q[:, :, start:n], k[:, :, :n], v[:, :, :n], attn_mask=keys)
    in_block = rearrange(idx[start:] < rearrange(end, 'b -> b 1'), 'b n -> b 1 n 1')
    return torch.cat([out[:, :, :start], torch.where(in_block, block, out[:, :, start:n]), out[:, :, n:]], 2)


def check_block_causal():
    "The split formulation equals the dense reference in float64: a cls row that sees itself, tied blocks of 1, 3, 6."
    B, H, L, Dh = 3, 2, 8, 4
    q, k, v = torch.randn(3, B, H, L, Dh, dtype=torch.float64).unbind(0)
    end = torch.tensor([2, 4, 7])                                     # cls + 1, 3 and 6 tied patches
    ranks = (torch.arange(L - 1) - (end[:, None] - 2)).clamp(min=0)   # (B, L-1): tied block at rank 0, then 1, 2, ...
    reference = dense_attention(q, k, v, content_visibility(ranks))
    torch.testing.assert_close(block_causal_attention(q, k, v, end, start=1), reference, rtol=0, atol=1e-12)


class SplitOrder(PermutedOrder):
    "The split formulation: the causal call, then a second SDPA call over each tied block (one host read a step)."
    def __init__(self, ranks, ties=None):
        super().__init__(ranks, ties)
        self.block_end = int(self.lead.max()) + 1
    def content(self, q, k, v): return block_causal_attention(q, k, v, self.lead + 1, start=1, n=self.block_end)


class MapetBias(MapetPermuted):
    "MaPeT's shared mask as an additive float bias, built once per step."
    def __init__(self, ranks, context=None):
        super().__init__(ranks, context)
        self.bias = torch.zeros(self.visible.shape, device=ranks.device).masked_fill(~self.visible, float('-inf'))
    def attend(self, q, k, v): return F.scaled_dot_product_attention(q, k, v, attn_mask=self.bias.to(q.dtype))


@contextmanager
def layouts(order=None, mapet=None):
    "Run aim_nb's models with other layout classes."
    saved = ar.order_layout, ar.mapet_layout
    if order: ar.order_layout = lambda ranks, attention='fast', ties=None: order(ranks, ties)
    if mapet: ar.mapet_layout = lambda ranks, attention='fast', context=None: mapet(ranks, context)
    try: yield
    finally: ar.order_layout, ar.mapet_layout = saved


# ---- lightly's AIM -------------------------------------------------------------------------------
def lightly_aim(cfg):
    "lightly's AIM as its example builds it, or None where lightly is not importable."
    try:
        from lightly.models.modules import AIMPredictionHead, MaskedCausalVisionTransformer
        from lightly.models import utils
    except ImportError: return None
    vit = MaskedCausalVisionTransformer(img_size=cfg.img_size, patch_size=cfg.patch_size, embed_dim=cfg.embed_dim,
                                        depth=cfg.depth, num_heads=cfg.num_heads, qk_norm=False, class_token=False,
                                        no_embed_class=True, global_pool='avg', num_classes=0)   # no cls: avg pooling
    head = AIMPredictionHead(input_dim=cfg.embed_dim, output_dim=3 * cfg.patch_size ** 2, hidden_dim=cfg.embed_dim,
                             num_blocks=1)
    def loss(imgs, is_prefix):
        features = vit._pos_embed(vit.forward_features(imgs, mask=~is_prefix))    # mask True: causal, after the prefix
        return F.mse_loss(head(features), utils.normalize_mean_var(utils.patchify(imgs, cfg.patch_size), dim=-1))
    return torch.nn.ModuleList([vit, head]), loss


# ---- cases -------------------------------------------------------------------------------------------
def step_of(model, imgs, loss):
    "One forward + backward of `loss()`, gradients cleared."
    def step():
        with autocast(imgs.device): value = loss()
        value.backward()
        model.zero_grad(set_to_none=True)
    return step


def aim_cases(cfg, B, device, g):
    torch.manual_seed(0)
    model = PrefixAIM(cfg).to(device)
    imgs = torch.randn(B, 3, cfg.img_size, cfg.img_size, generator=g).to(device)
    ranks = prefix_ranks(B, cfg.grid, generator=g).to(device)
    is_prefix = ranks == 0
    aim_loss = lambda: model(imgs, ranks).loss
    def split_loss():
        with layouts(order=SplitOrder): return model(imgs, ranks).loss
    with torch.no_grad(): torch.testing.assert_close(split_loss(), aim_loss(), rtol=1e-4, atol=1e-5)
    cases = [('AIM, one call (aim_nb)', step_of(model, imgs, aim_loss)),
             ('AIM, split', step_of(model, imgs, split_loss))]
    peer = lightly_aim(cfg)
    if peer is None: print("lightly is not importable here: its AIM is left out")
    else:
        lightly_model, lightly_loss = peer[0].to(device), peer[1]
        cases.append(("lightly's AIM", step_of(lightly_model, imgs, lambda: lightly_loss(imgs, is_prefix))))
    return cases


def mapet_cases(cfg, B, device, g):
    torch.manual_seed(0)
    vocab = torch.randn(3 * cfg.patch_size ** 2, 512, generator=g).to(device)
    def tokens(self, x): return (patchify(x, cfg.patch_size) @ vocab).argmax(-1)      # (B, L) ids in [0, 512)
    tokenizer = type('Tokens', (torch.nn.Module,), dict(vocab_size=512, forward=tokens))()
    model = MaPeT(replace(cfg, init_values=.1), target=TokenTarget(tokenizer)).to(device)
    imgs = torch.randn(B, 3, cfg.img_size, cfg.img_size, generator=g).to(device)
    ranks = mapet_ranks(B, cfg.grid, generator=g).to(device)
    mask_loss = lambda: model(imgs, ranks).loss
    def bias_loss():
        with layouts(mapet=MapetBias): return model(imgs, ranks).loss
    with torch.no_grad(): torch.testing.assert_close(bias_loss(), mask_loss(), rtol=1e-4, atol=1e-5)
    return [('MaPeT, boolean mask (aim_nb)', step_of(model, imgs, mask_loss)),
            ('MaPeT, float bias', step_of(model, imgs, bias_loss))]


def saim_cases(cfg, B, device, g):
    torch.manual_seed(0)
    model = SAIM(cfg).to(device)
    imgs = torch.randn(B, 3, cfg.img_size, cfg.img_size, generator=g).to(device)
    ranks = random_ranks(B, cfg.grid, generator=g).to(device)
    causal_loss = lambda: model(imgs, ranks).loss
    def mask_loss():
        with layouts(order=lambda r, ties: PermutedOrder(r, ties=True)): return model(imgs, ranks).loss
    with torch.no_grad(): torch.testing.assert_close(mask_loss(), causal_loss(), rtol=1e-4, atol=1e-5)
    return [('SAIM, is_causal (aim_nb)', step_of(model, imgs, causal_loss)),
            ('SAIM, boolean masks', step_of(model, imgs, mask_loss))]

GROUPS = dict(aim=aim_cases, mapet=mapet_cases, saim=saim_cases)


# ---- timing --------------------------------------------------------------------------------------
def clock(device, kind:str):
    "The clock and the synchronisation: wall time (CUDA synchronised), or on a CPU the process's CPU time."
    if device.type == 'cuda': return time.perf_counter, torch.cuda.synchronize
    return (time.process_time if kind == 'cpu' else time.perf_counter), (lambda: None)


def rounds(cases, n:int, device, kind:str='cpu') -> dict:
    "Seconds of every case in `n` interleaved rounds, after one untimed step each."
    now, sync = clock(device, kind)
    for _, step in cases: step()
    times = {name: [] for name, _ in cases}
    for _ in range(n):
        for name, step in cases:
            sync()
            t = now()
            step()
            sync()
            times[name].append(now() - t)
    return times


COLUMNS = ['shape', 'case', 'median ms', 'IQR ms', 'vs first']


def table_rows(rows) -> list:
    "[shape, case, median ms, IQR ms, ratio to the first case of its group] of (shape, case, times, first) rows."
    out, first = [], None
    for shape, name, times, lead in rows:
        t = torch.tensor(times) * 1e3
        med, q1, q3 = t.median().item(), t.quantile(.25).item(), t.quantile(.75).item()
        if lead: first = med
        out.append([shape, name, round(med, 1), round(q3 - q1, 1), round(med / first, 3)])
    return out


def table(rows) -> str:
    "Markdown table of (shape, case, times) rows: median and IQR in ms, and the ratio to the first case of its group."
    out = ['| ' + ' | '.join(COLUMNS) + ' |', '|---|---|---:|---:|---:|']
    for shape, name, med, iqr, ratio in table_rows(rows):
        out.append(f'| {shape} | {name} | {med:.0f} | {iqr:.0f} | {ratio:.2f} |')
    return '\n'.join(out)


def measure(args, device) -> list:
    "(shape label, case, seconds of every round, first of its group) of every case of every shape and group."
    rows = []
    for shape in args.shapes:
        cfg, B = SHAPES[shape]
        label = f'{shape} (B={B}, L={cfg.num_patches})'
        for group in args.groups:
            cases = GROUPS[group](cfg, B, device, torch.Generator().manual_seed(0))
            times = rounds(cases, args.rounds, device, args.clock)
            rows += [(label, case, times[case], i == 0, group, shape, i) for i, (case, _) in enumerate(cases)]
            print(f'  {label} {group}: done', flush=True)
    return rows


def record_numbers(rows) -> dict:
    "Every case's median ms as `<group>_<n>_<shape>` and its ratio to its group's first as `..._ratio`."
    numbers = {}
    for (*_, group, shape, i), (_, _, med, _, ratio) in zip(rows, table_rows([r[:4] for r in rows])):
        numbers[f'{group}_{i}_{shape}'], numbers[f'{group}_{i}_{shape}_ratio'] = med, ratio
    return numbers


def write_record(args, device, header:str):
    "Measure on `device` inside `recording`: the table and the numbers in the record `args.record`."
    what = ("milliseconds of one training step (forward + backward) of aim_nb's AIM, MaPeT and SAIM with their "
            "attention formulations side by side")
    ran = ' '.join(['python', *sys.argv])
    if os.environ.get('OMP_NUM_THREADS'): ran = f"OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']} {ran}"
    with recording(args.record, what=what, ran=ran, modules=['ar', 'attention', 'models', 'orders']) as rec:
        rows = measure(args, device)
        rec['table'] = dict(columns=COLUMNS, rows=table_rows([r[:4] for r in rows]))
        rec['numbers'] = record_numbers(rows)
        rec['notes'] = header
    print(table([r[:4] for r in rows]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--shapes', nargs='+', choices=list(SHAPES), default=['base', 's64'])
    ap.add_argument('--groups', nargs='+', choices=list(GROUPS), default=list(GROUPS))
    ap.add_argument('--rounds', type=int, default=5)
    ap.add_argument('--clock', choices=['cpu', 'wall'], default='cpu',
                    help="on a CPU: the process's CPU time (default) or wall time")
    ap.add_argument('--record', help="write the table to this record in benchmarks/records/ (one device)")
    add_devices_arg(ap)
    args = ap.parse_args()
    check_block_causal()
    chosen = devices(args.devices)
    if args.record and len(chosen) != 1: ap.error('--record measures one device: name it with --devices')
    for device in chosen:
        cpu = f'cpu, {torch.get_num_threads()} threads, {args.clock} time'
        name = torch.cuda.get_device_name() if device.type == 'cuda' else cpu
        header = (f"{name}; median and IQR of {args.rounds} interleaved rounds, one step = forward + backward")
        print(f"\n{header}; torch {torch.__version__}")
        if args.record: write_record(args, device, header)
        else: print(table([r[:4] for r in measure(args, device)]))

if __name__ == '__main__': main()
