"""How fast aim_nb builds a batch of orders, next to a per-sample Python loop doing the same.

    python benchmarks/orders.py [--runs 20] [--batch 256] [--grid 14]

For B images on a 14 x 14 grid (L = 196, ViT-B/16 at 224 px), times every ordering strategy of
`aim_nb.orders` (ranks for the whole batch), the conversion to a permutation and the dense
two-stream visibility, against a reference that builds one image at a time in Python, the way
order generators inside a Dataset or a model's Python helpers do. The loops below are the *slow
reference*: straightforward, one image at a time, with per-patch Python for the grid geometry,
and the same distribution of orders. Times are the median of `--runs` runs (torch.utils.benchmark)
after warm-up, with the spread given as the interquartile range; on CUDA the device is synchronised
before every clock read. Runs on the CPU, and on CUDA when there is one.
"""
import argparse, math
import torch
from timing import devices, print_speedups
from aim_nb.orders import (raster_ranks, snake_ranks, random_ranks, center_ring_ranks, semantic_center_ranks,
                           similarity_ranks, semantic_ring_ranks, mapet_ranks, prefix_ranks, ranks_to_perm,
                           content_visibility, query_visibility)


# ---- slow references: one image at a time ---------------------------------------------------
def steps_of(keys):
    "Ranks 0..L-1 of one image from sort keys (a list), as a float tensor."
    order = sorted(range(len(keys)), key=keys.__getitem__)
    steps = [0] * len(keys)
    for t, i in enumerate(order): steps[i] = t
    return steps


def raster_loop(B, gh, gw, device, g):
    return torch.stack([torch.tensor([float(r * gw + c) for r in range(gh) for c in range(gw)], device=device)
                        for _ in range(B)])


def snake_loop(B, gh, gw, device, g):
    def steps(): return [float(r * gw + (c if r % 2 == 0 else gw - 1 - c)) for r in range(gh) for c in range(gw)]
    return torch.stack([torch.tensor(steps(), device=device) for _ in range(B)])


def random_loop(B, gh, gw, device, g):
    "SAIM, per image: a random permutation and its inverse."
    return torch.stack([torch.randperm(gh * gw, device=device, generator=g).argsort().float() for _ in range(B)])


def ring_loop(B, gh, gw, device, g):
    "Centre-out rings, per image: ring of every patch in Python, random order inside a ring."
    out = []
    for _ in range(B):
        u = torch.rand(gh * gw, generator=g, device=device).tolist()
        ring = [max(abs(2 * r - (gh - 1)), abs(2 * c - (gw - 1))) // 2 for r in range(gh) for c in range(gw)]
        keys = list(zip(ring, u))
        out.append(torch.tensor(steps_of(keys), device=device).float())
    return torch.stack(out)


def semantic_loop(scores, gh, gw, g, metric):
    "SemAIM, per image: argmax, grid distance of every patch in Python, 1e-3 U(0, 1) tie-breaker, argsort."
    out = []
    for s in scores:
        cr, cc = divmod(int(s.argmax()), gw)
        u = torch.rand(gh * gw, generator=g, device=s.device).tolist()
        dist = [metric(r - cr, c - cc) for r in range(gh) for c in range(gw)]
        out.append(torch.tensor(steps_of([d + 1e-3 * x for d, x in zip(dist, u)]), device=s.device).float())
    return torch.stack(out)


def similarity_loop(scores, gh, gw, g):
    return torch.stack([(-s).argsort(stable=True).argsort().float() for s in scores])


def mapet_loop(B, gh, gw, device, g, K):
    "MaPeT, per image: a permutation, the first K are context (rank 0), the rest 1..P."
    out = []
    for _ in range(B):
        perm = torch.randperm(gh * gw, device=device, generator=g)
        r = torch.zeros(gh * gw, device=device)
        r[perm[K:]] = torch.arange(1., gh * gw - K + 1, device=device)
        out.append(r)
    return torch.stack(out)


def prefix_loop(B, gh, gw, device, g):
    "AIM, per image: a prefix length, then the ranks in Python."
    out = []
    for _ in range(B):
        k = int(torch.randint(1, gh * gw, (1,), generator=g, device=device))
        out.append(torch.tensor([0.] * k + [float(i) for i in range(1, gh * gw - k + 1)], device=device))
    return torch.stack(out)


def perm_loop(ranks):
    perms = [r.argsort(stable=True) for r in ranks]
    return torch.stack(perms), torch.stack([p.argsort() for p in perms])


def visibility_loop(ranks):
    "Both streams per image, with the cls row and column."
    hs, gs = [], []
    for r in ranks:
        L = len(r)
        h = torch.ones(L + 1, L + 1, dtype=torch.bool, device=r.device)
        g_ = h.clone()
        h[1:, 1:] = r[None, :] <= r[:, None]
        g_[1:, 1:] = r[None, :] < r[:, None]
        h[0, 1:] = False
        g_[0, 1:] = False
        hs.append(h)
        gs.append(g_)
    return torch.stack(hs), torch.stack(gs)


def cases(device, B, gh, gw):
    "(name, batched, loop) for every strategy on `device`."
    g = torch.Generator(device).manual_seed(0)
    L, grid = gh * gw, (gh, gw)
    K = round(L * .25)
    scores = torch.rand(B, L, device=device, generator=g).softmax(1)                # a score map per image
    ranks = random_ranks(B, grid, generator=g)
    euclid, cheb = (lambda dr, dc: math.hypot(dr, dc)), (lambda dr, dc: max(abs(dr), abs(dc)))
    return [
        ('raster', lambda: raster_ranks(B, grid, device), lambda: raster_loop(B, gh, gw, device, g)),
        ('snake', lambda: snake_ranks(B, grid, device), lambda: snake_loop(B, gh, gw, device, g)),
        ('random (SAIM)', lambda: random_ranks(B, grid, generator=g), lambda: random_loop(B, gh, gw, device, g)),
        ('centre rings', lambda: center_ring_ranks(B, grid, generator=g), lambda: ring_loop(B, gh, gw, device, g)),
        ('semantic centre', lambda: semantic_center_ranks(scores, grid, g),
         lambda: semantic_loop(scores, gh, gw, g, euclid)),
        ('similarity', lambda: similarity_ranks(scores, grid, g), lambda: similarity_loop(scores, gh, gw, g)),
        ('semantic rings', lambda: semantic_ring_ranks(scores, grid, g),
         lambda: semantic_loop(scores, gh, gw, g, cheb)),
        ('MaPeT', lambda: mapet_ranks(B, grid, generator=g), lambda: mapet_loop(B, gh, gw, device, g, K)),
        ('AIM prefix', lambda: prefix_ranks(B, grid, generator=g), lambda: prefix_loop(B, gh, gw, device, g)),
        ('ranks_to_perm', lambda: ranks_to_perm(ranks), lambda: perm_loop(ranks)),
        ('visibility, both', lambda: (content_visibility(ranks), query_visibility(ranks)),
         lambda: visibility_loop(ranks)),
    ]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--runs', type=int, default=20)
    ap.add_argument('--batch', type=int, default=256)
    ap.add_argument('--grid', type=int, default=14)
    args = ap.parse_args()
    print(f"B = {args.batch}, grid {args.grid} x {args.grid} (L = {args.grid ** 2}); "
          f"median ± IQR of {args.runs} runs, ms; "
          f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads")
    for device in devices():
        print_speedups(device, cases(device, args.batch, args.grid, args.grid), args.runs, width=20)

if __name__ == '__main__': main()
