"""The README's main job as a user runs it, as the record `default_run`: `aim_pretrain`, then `aim_eval --baseline`
and `aim_finetune` on its encoder: what they printed, their seconds and accuracies, the commit, the machine, the load.

    python benchmarks/default_run.py

The README and the index cite this record's numbers.
"""
import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from aim_nb.records import recording

ENCODER = 'runs/saim-tiny/encoder.safetensors'
COMMANDS = (['aim_pretrain'],
            ['aim_eval', '--encoder', ENCODER, '--baseline'],
            ['aim_finetune', '--encoder', ENCODER])
PERCENT = r'([\d.]+)%'
NUMBERS = dict(   # name: (command index, pattern of a percentage (as a fraction) or minutes in what it printed)
    trained_min=(0, r'trained \d+ epochs in ([\d.]+) min'),
    knn_pretrained=(0, r'k-NN top-1 on the embedded validation images: ' + PERCENT + ' pretrained'),
    knn_random=(0, r'pretrained, ' + PERCENT + ' for random encoders'),
    probe_pretrained=(1, r'pretrained\s+knn top-1 [\d.]+%\s+probe top-1 ' + PERCENT),
    probe_random=(1, r'random\s+knn top-1 [\d.]+%\s+probe top-1 ' + PERCENT),
    finetune_epochs=(2, r'fine-tuned (\d+) epochs'),
    finetune_min=(2, r'fine-tuned \d+ epochs in ([\d.]+) min'),
    finetune=(2, r'fine-tuned \d+ epochs in [\d.]+ min; validation top-1 ' + PERCENT),
)
MODULES = ['commands', 'cli', 'eval_cli', 'training', 'learner', 'recipes', 'ar', 'models', 'attention', 'orders',
           'targets', 'encoder', 'data', 'augment', 'evaluate']


def run_commands(bin_dir:Path, folder:Path) -> list:
    "Each command, run in `folder` as a user would type it: its wall time, exit status and output."
    runs = []
    for command in COMMANDS:
        start = time.perf_counter()
        done = subprocess.run([str(bin_dir / command[0]), *command[1:]], cwd=folder, capture_output=True, text=True)
        runs.append(dict(command=' '.join(command), seconds=round(time.perf_counter() - start, 1),
                         status=done.returncode, output=done.stdout.splitlines()))
        if done.returncode:
            sys.exit(f"{command[0]} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return runs


def numbers(runs:list) -> dict:
    "The numbers of `NUMBERS` read from what the commands printed (percentages as fractions), and their seconds."
    found = {}
    for name, (i, pattern) in NUMBERS.items():
        match = re.search(pattern, '\n'.join(runs[i]['output']))
        if match is None:
            sys.exit(f"{runs[i]['command']} printed nothing like {pattern!r}")
        value = float(match.group(1))
        found[name] = round(value / 100, 4) if PERCENT in pattern else value
    found.update({f"{run['command'].split()[0]}_seconds": run['seconds'] for run in runs})
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--bin', default=str(Path(sys.executable).parent), help="folder of aim_nb's console scripts")
    args = parser.parse_args()
    what = "the README's main job: aim_pretrain, aim_eval --baseline and aim_finetune as a user types them"
    with recording('default_run', what=what, ran='python benchmarks/default_run.py', modules=MODULES) as rec:
        with tempfile.TemporaryDirectory() as folder:
            runs = run_commands(Path(args.bin), Path(folder))
        rec['numbers'] = numbers(runs)
        rec['table'] = dict(columns=['command', 'seconds', 'exit status'],
                            rows=[[run['command'], run['seconds'], run['status']] for run in runs])
        rec['runs'] = runs
        rec['notes'] = 'the three commands ran one after another in one new temporary folder; `runs` holds their output'
    print(rec['numbers'])


if __name__ == '__main__':
    main()
