"""How fast aim_nb builds a batch of keep-sets, next to a per-sample Python loop doing the same.

    python benchmarks/masks.py [--runs 20] [--batch 256]

For B images of L = 196 patches (ViT-B/16 at 224 px), times each strategy of `aim_nb.masks`
(MAE random keep, MILAN attention-sampled keep, SemMAE budgets + keep for given parts, and the
k-means part discovery on D = 768 features, separately) against a reference that loops over the
images in Python, the way mask generators inside a Dataset do. The loops below are the *slow
reference*: straightforward, one image at a time, same distribution. Times are the median of
`--runs` runs (torch.utils.benchmark) after warm-up, with the spread given as the interquartile
range; on CUDA the device is synchronised before every clock read. Runs on the CPU, and on CUDA when
there is one.
"""
import argparse
import torch
from timing import devices, print_speedups
from aim_nb.masks import num_keep, random_keep, milan_keep, semmae_lambda, PartKeep
from aim_nb.kmeans import kmeans_parts

L, K_PARTS, D, MASK_RATIO, EPOCH, EPOCHS = 196, 7, 768, 0.75, 10, 100


# ---- slow references: one image at a time ---------------------------------------------------
def mae_loop(B, device, g):
    "Reference MAE: per image, argsort uniform noise."
    keep, restore = [], []
    for _ in range(B):
        ids_shuffle = torch.rand(L, device=device, generator=g).argsort()
        keep.append(ids_shuffle[:num_keep(L, MASK_RATIO)])
        restore.append(ids_shuffle.argsort())
    return torch.stack(keep), torch.stack(restore)


def milan_loop(w, g):
    "Reference MILAN, as the public code per image: torch.multinomial without replacement, first K kept."
    keep, restore = [], []
    for wb in w:
        ids_shuffle = torch.multinomial(wb, L, replacement=False, generator=g)
        keep.append(ids_shuffle[:num_keep(L, MASK_RATIO)])
        restore.append(ids_shuffle.argsort())
    return torch.stack(keep), torch.stack(restore)


def semmae_loop(parts, g):
    "Reference SemMAE: per image and per part in Python, then a random fix of the total."
    lam, K = semmae_lambda(EPOCH, EPOCHS), num_keep(L, MASK_RATIO)
    M, keep, restore = L - K, [], []
    for pb in parts:
        members = [torch.nonzero(pb == j).flatten() for j in range(K_PARTS)]
        sizes = [len(m) for m in members]
        n2, before = [0] * K_PARTS, 0
        for j in torch.randperm(K_PARTS, device=pb.device, generator=g).tolist():
            n2[j] = min(sizes[j], max(M - before, 0))
            before += sizes[j]
        n = [round(lam * round(a * MASK_RATIO) + (1 - lam) * b) for a, b in zip(sizes, n2)]
        hidden = torch.zeros(L, dtype=torch.bool, device=pb.device)
        for m, nj in zip(members, n):
            hidden[m[torch.randperm(len(m), device=pb.device, generator=g)[:nj]]] = True
        ids_shuffle = (hidden + torch.rand(L, device=pb.device, generator=g)).argsort()
        keep.append(ids_shuffle[:K])
        restore.append(ids_shuffle.argsort())
    return torch.stack(keep), torch.stack(restore)


def kmeans_loop(tokens, g):
    "Reference part discovery: the same k-means, one image at a time."
    return torch.cat([kmeans_parts(t[None], K_PARTS, generator=g) for t in tokens])


def cases(device, B):
    "(name, batched, loop) for every strategy on `device`."
    g = torch.Generator(device).manual_seed(0)
    w = torch.rand(B, L, device=device, generator=g).pow(4)              # peaked importance, like attention
    parts = torch.randint(K_PARTS, (B, L), device=device, generator=g)
    tokens = torch.randn(B, L, D, device=device, generator=g)
    part_keep = PartKeep(None, parts=K_PARTS, mask_ratio=MASK_RATIO)    # parts given: no teacher asked
    part_keep.start_epoch(EPOCH, EPOCHS)
    return [('MAE random keep', lambda: random_keep(B, L, MASK_RATIO, device, g), lambda: mae_loop(B, device, g)),
            ('MILAN sampled keep', lambda: milan_keep(w, MASK_RATIO, g), lambda: milan_loop(w, g)),
            ('SemMAE counts + keep', lambda: part_keep.keep_from_parts(parts, g), lambda: semmae_loop(parts, g)),
            (f'k-means parts (D={D})', lambda: kmeans_parts(tokens, K_PARTS, generator=g),
             lambda: kmeans_loop(tokens, g))]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--runs', type=int, default=20)
    ap.add_argument('--batch', type=int, default=256)
    args = ap.parse_args()
    print(f"B = {args.batch}, L = {L}, k = {K_PARTS}, mask ratio {MASK_RATIO}; median ± IQR of {args.runs} runs, ms; "
          f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads")
    for device in devices():
        print_speedups(device, cases(device, args.batch), args.runs)

if __name__ == '__main__': main()
