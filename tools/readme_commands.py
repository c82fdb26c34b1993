"""The README's shell commands as CI runs them: every ```sh block of README.md, in order, scaled by one mapping.

    python tools/readme_commands.py --home DIR --script readme.sh
    HOME=DIR bash readme.sh          # in a fresh virtualenv, from the repository root

It prints the mapping and every command as it will run, makes the small image folders the mapped data paths name
(class sub-folders of PNGs from the embedded Fashion-MNIST, under DIR, the HOME the script runs with), and writes
a bash script that runs each block with `set -e` and prints the time each block took. The mapping replaces only
what must shrink on a CI machine or cannot exist there; everything else runs as the README writes it.
"""
import argparse
import re
import shlex
from pathlib import Path

root = Path(__file__).resolve().parents[1]

MAPPING = (   # (pattern, replacement, why): applied in this order to every block
    (r'^pip install -e "\.\[dev\]"$', r'# run by .ci/run step 1, in its own fresh virtualenv: \g<0>',
     "the development install is CI's first step; the users' virtualenv stays without the dev tools"),
    (r'^nbdev_test$', r'# run by .ci/run test step: \g<0>', 'the whole test suite runs once, in its own step'),
    (r' --index-url https://download\.pytorch\.org/whl/cpu', '',
     "CI reaches only the package registries; pip's configured index gives the same torch"),
    (r'--epochs \d+', '--epochs 1', 'one epoch proves the command'),
    (r'--data fashion-mnist', '--data embedded',
     "the full Fashion-MNIST is Debian's dataset-fashion-mnist, not installed on CI: its embedded subset"),
    (r'--preset (base|small)', '--preset tiny --epochs 1',
     "CPU-sized, one epoch: ViT-S/16's and ViT-B/16's default epochs are the paper's, hours each on a CPU"),
    (r'--nnodes \d+', '--nnodes 1', 'one machine'),
    (r'--nproc_per_node \d+', '--nproc_per_node 2', "two processes: the CI machine's cores"),
    (r'\$HEAD\b', 'localhost', 'the only node is this one'),
    (r'--bs \d+', '--bs 16', 'a batch per process that the small image folder fills'),
    (r'--save_every \d+', '--save_every 5', 'a checkpoint within the short run'),
    (r'(?<![\w~.$])/data/', '$HOME/data/', 'no /data on a CI machine: a small image folder under HOME'),
    (r'(?<![\w~.$])/checkpoints/', '$HOME/checkpoints/', 'no /checkpoints on a CI machine: a folder under HOME'),
    (r'tensorboard --logdir', 'tensorboard --inspect --logdir', 'the server never ends: read the logs once instead'),
)
IMAGE_FOLDERS = {'photos': 20, 'data/imagenet/train': 20, 'data/imagenet/valid': 5}   # under HOME: images per class


def sh_blocks(readme:Path) -> list:
    "Every ```sh block of `readme`, in order, as (section heading, text)."
    blocks, section = [], ''
    for part in re.split(r'(^```sh\n.*?^```$)', readme.read_text(), flags=re.S | re.M):
        if part.startswith('```sh\n'):
            blocks.append((section, part[len('```sh\n'):-len('```')].rstrip('\n')))
        else:
            prose = re.sub(r'^```.*?^```$', '', part, flags=re.S | re.M)     # other code blocks hold no headings
            section = ([section] + re.findall(r'^#+ (.+)$', prose, re.M))[-1]
    return blocks


def scaled(block:str) -> str:
    "`block` with the mapping applied, line by line."
    lines = block.splitlines()
    for pattern, replacement, _ in MAPPING:
        lines = [re.sub(pattern, replacement, line) for line in lines]
    return '\n'.join(lines)


def write_images(home:Path) -> list:
    "The image folders of `IMAGE_FOLDERS` under `home`: one sub-folder per class of PNGs from the embedded data."
    from PIL import Image
    from aim_nb.data import embedded_arrays
    arrays = embedded_arrays()
    images, labels = arrays['train']
    used = 0
    for folder, per_class in IMAGE_FOLDERS.items():
        for label, name in enumerate(arrays['classes']):
            (home / folder / re.sub(r'\W+', '-', name)).mkdir(parents=True, exist_ok=True)
            for i in (labels == label).nonzero()[0][used:used + per_class]:
                Image.fromarray(images[i]).save(home / folder / re.sub(r'\W+', '-', name) / f'{i}.png')
        used += per_class
    return [home / f for f in IMAGE_FOLDERS]


def bash_script(blocks:list) -> str:
    "A bash script that runs each scaled block in its own `bash -e`, stops at the first that fails, times each."
    lines = ['#!/usr/bin/env bash', "# written by tools/readme_commands.py: the README's sh blocks, scaled",
             'set -uo pipefail']
    for i, (section, block) in enumerate(blocks, 1):
        head = f'README block {i}/{len(blocks)} ({section})'
        failed = f'{{ echo {shlex.quote(head + " failed")}; exit 1; }}'
        lines += ['', f'echo; echo {shlex.quote("--- " + head)}', 'start=$(date +%s)',
                  f'bash -e -o pipefail -c {shlex.quote(scaled(block))} || {failed}',
                  f'echo "--- {head}: $(( $(date +%s) - start )) s"']
    return '\n'.join(lines) + '\n'


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--readme', default=str(root / 'README.md'), help='the README to read')
    parser.add_argument('--home', help='make the image folders the mapped data paths name under this folder')
    parser.add_argument('--script', help='write the bash script here')
    args = parser.parse_args()
    blocks = sh_blocks(Path(args.readme))
    unused = [p for p, _, _ in MAPPING if not any(re.search(p, l, re.M) for _, b in blocks for l in b.splitlines())]
    if unused:
        parser.error(f"mapping entries that match no README command (drop them): {unused}")
    print('the mapping, applied in order to every README command:')
    for pattern, replacement, why in MAPPING:
        print(f'  {pattern}  ->  {replacement}\n      {why}')
    for i, (section, block) in enumerate(blocks, 1):
        print(f'\nREADME block {i}/{len(blocks)} ({section}), as it will run:')
        print('    ' + scaled(block).replace('\n', '\n    '))
    if args.home:
        for folder in write_images(Path(args.home)):
            print(f'\nimages: {folder} ({len(list(folder.rglob("*.png")))} PNGs)')
    if args.script:
        Path(args.script).write_text(bash_script(blocks))


if __name__ == '__main__':
    main()
