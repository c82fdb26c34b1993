"""What each setting of `aim_finetune`'s tiny preset buys: one SAIM encoder from `aim_pretrain`'s default run,
fine-tuned on the embedded data with each row's flags, stored as the record `finetune_ablation`.

    python benchmarks/finetune_ablation.py [--seed 0] [--threads N]

The encoder is pretrained once, by the console script with no flags (SAIM, tiny, 10 epochs on the embedded
Fashion-MNIST images). Each row then runs `aim_finetune --encoder ENCODER FLAGS` in this process (the command's
own `finetune_command`, without the start of a fresh interpreter per row), with the same seed, and keeps the
validation top-1 it reports on the 500 embedded validation images. The first row is the linear probe of the frozen
encoder that the tiny preset's head starts from (`--head probe`). `--threads 1` keeps a busy machine's cores from
being oversubscribed (PyTorch's default is one thread per core).

Numbers: `probe` (the probe's top-1, a fraction), `tiny_gain` (the points of top-1 the tiny preset adds to its
probe), and each row's top-1 under the row's name in `ROWS` (`tiny`: the tiny preset; `mae_crops`: MAE's head with
crops down to half the area; ...).
"""
import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path
import torch
from aim_nb.records import recording
from aim_nb.commands import aim_finetune, declared_flags
from aim_nb.eval_cli import finetune_command

MAE_CROPS = dict(scale=0.5, head='zero')     # MAE's near-zero head, crops down to half the area, flips
ROWS = (   # (name of the number, what the row changes, its flags)
    ('mae_crops', "MAE's head, crops down to half the area and flips", MAE_CROPS),
    ('mae', "MAE's head, no augmentation", dict(head='zero')),
    ('probe_crops', 'head from the probe, crops down to half the area and flips', dict(scale=0.5)),
    ('tiny', '**the tiny preset: head from the probe, no augmentation**', {}),
    ('tiny_lr_low', '… with a lower learning rate', dict(lr=5e-3)),
    ('tiny_no_droppath', '… with no stochastic depth', dict(droppath=0.0)),
)


def pretrain(folder:Path) -> Path:
    "`aim_pretrain`'s default run, by its console script, into `folder`; the encoder it exported."
    command = [str(Path(sys.executable).parent / 'aim_pretrain'), '--out', str(folder)]
    threads = dict(OMP_NUM_THREADS=str(torch.get_num_threads()))    # the threads this process uses
    subprocess.run(command, check=True, env=dict(os.environ, **threads))
    return folder / 'encoder.safetensors'


def flags_text(settings:dict) -> str:
    "The row's settings as the flags a user types."
    return ' '.join(f'--{k} {v}' for k, v in settings.items()) or '(none)'


def finetune(encoder:Path, settings:dict, out:Path, seed:int) -> dict:
    "`aim_finetune --encoder ENCODER` with `settings` as flags, into `out`: what it returns (top-1, the probe's)."
    declared = declared_flags(aim_finetune)
    flags = {name: p.default for name, p in declared.items()}
    flags.update(settings, encoder=str(encoder), out=str(out), seed=seed)
    return finetune_command(flags, declared)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--seed', type=int, default=0, help='the seed of every fine-tuning run')
    parser.add_argument('--threads', type=int, default=None, help="PyTorch's threads (default: one per core)")
    args = parser.parse_args()
    if args.threads: torch.set_num_threads(args.threads)
    ran = ' '.join(['python benchmarks/finetune_ablation.py', *sys.argv[1:]])
    what = ("validation top-1 of aim_finetune with each row's flags, on one encoder of aim_pretrain's default run "
            "(the embedded Fashion-MNIST images, one seed)")
    with recording('finetune_ablation', what=what, ran=ran,
                   modules=['eval_cli', 'evaluate', 'learner', 'training', 'recipes', 'encoder']) as rec, \
            tempfile.TemporaryDirectory() as folder:
        encoder = pretrain(Path(folder) / 'run')
        results = {name: finetune(encoder, s, Path(folder) / name, args.seed) for name, _, s in ROWS}
        probe, tiny = results['tiny']['probe_top1'], results['tiny']['top1']
        rows = [['frozen encoder, linear probe (the head `--head probe` starts from)', '', probe]]
        rows += [[what, flags_text(s), results[name]['top1']] for name, what, s in ROWS]
        rec['table'] = dict(columns=['aim_finetune settings', 'flags', 'validation top-1'], rows=rows)
        rec['numbers'] = dict({name: r['top1'] for name, r in results.items()},
                              probe=probe, tiny_gain=round(100 * (tiny - probe), 1))
        rec['notes'] = (f"seed {args.seed}, {torch.get_num_threads()} PyTorch threads; the flags are aim_finetune's, "
                        "over the tiny preset's defaults")
    print(rec['table'])


if __name__ == '__main__':
    main()
