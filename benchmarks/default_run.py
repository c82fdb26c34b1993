"""The README's main job as a user runs it, stored as a record: `aim_pretrain`, then `aim_eval --baseline` and
`aim_finetune` on its encoder, with what they printed, the commit, the machine and its load.

    python benchmarks/default_run.py --record benchmarks/records/default_run.json

The numbers the README and the index state about the default run are read from this record (the index
checks them against it).
"""
import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from provenance import provenance, shell

ENCODER = 'runs/saim-tiny/encoder.safetensors'
COMMANDS = (['aim_pretrain'],
            ['aim_eval', '--encoder', ENCODER, '--baseline'],
            ['aim_finetune', '--encoder', ENCODER])
NUMBERS = dict(   # name: (command index, pattern of a percentage or a time in what it printed)
    trained_min=(0, r'trained \d+ epochs in ([\d.]+) min'),
    knn_pretrained=(0, r'k-NN top-1 on the embedded validation images: ([\d.]+)% pretrained'),
    knn_random=(0, r'pretrained, ([\d.]+)% for random encoders'),
    probe_pretrained=(1, r'pretrained\s+knn top-1 [\d.]+%\s+probe top-1 ([\d.]+)%'),
    probe_random=(1, r'random\s+knn top-1 [\d.]+%\s+probe top-1 ([\d.]+)%'),
    finetune_min=(2, r'fine-tuned \d+ epochs in ([\d.]+) min'),
    finetune=(2, r'fine-tuned \d+ epochs in [\d.]+ min; validation top-1 ([\d.]+)%'),
)


def run_commands(bin_dir:Path, folder:Path) -> list:
    "Each command, run in `folder` as a user would type it; its wall time, exit status and output."
    runs = []
    for command in COMMANDS:
        start = time.time()
        res = subprocess.run([str(bin_dir / command[0]), *command[1:]], cwd=folder, capture_output=True, text=True)
        runs.append(dict(command=' '.join(command), seconds=round(time.time() - start, 1), status=res.returncode,
                         output=res.stdout.splitlines()))
        if res.returncode: sys.exit(f"{command[0]} failed ({res.returncode}):\n{res.stderr[-3000:]}")
    return runs


def numbers(runs:list) -> dict:
    "The numbers of `NUMBERS`, read from what the commands printed."
    found = {}
    for name, (i, pattern) in NUMBERS.items():
        match = re.search(pattern, '\n'.join(runs[i]['output']))
        if match is None: sys.exit(f"{runs[i]['command']} printed nothing like {pattern!r}")
        found[name] = float(match.group(1))
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--record', default='benchmarks/records/default_run.json', help='where to write the record')
    parser.add_argument('--bin', default=str(Path(sys.executable).parent), help="folder of aim_nb's console scripts")
    args = parser.parse_args()
    record = provenance()
    with tempfile.TemporaryDirectory() as folder:
        record['runs'] = run_commands(Path(args.bin), Path(folder))
    record['load_after'] = shell('uptime')
    record['numbers'] = numbers(record['runs'])
    Path(args.record).parent.mkdir(parents=True, exist_ok=True)
    Path(args.record).write_text(json.dumps(record, indent=1) + '\n')
    print(json.dumps(record['numbers'], indent=1))


if __name__ == '__main__':
    main()
