"""The console scripts' contract with the shell, checked on any installed aim_nb (chapter nbs/94_commands).

    python tools/contract.py                  # the console scripts beside this Python
    python tools/contract.py --bin DIR        # the console scripts in DIR (run it with that environment's Python)
    python tools/contract.py --out FILE.json  # also write every case's result, for the chapter's tables

Every case runs an installed console script as a user would, in a process of its own, in a temporary folder
that holds the files the cases need, and must end with its exit status, its message on one line and no
traceback or warning. Three tables: the mistakes a user can make (one line each), the faults of real disks,
clusters and terminals, and resuming after each kind of stop, on each kind of data, which must end with the
weights of a run that was never stopped (tolerance 0). The last line is 'N cases passed, M failed'.

Most processes fork from one server that imported aim_nb once: a fresh interpreter per case would spend
most of the time importing PyTorch. The cases about the interpreter's own start (closed output, the output's
encoding, a home folder that cannot be written) start fresh ones.
"""
import argparse, fcntl, json, os, shlex, shutil, signal, socket, subprocess, sys, tempfile, threading, time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SERVER = r'''
import json, os, runpy, sys
import aim_nb.cli, aim_nb.eval_cli, aim_nb.bench        # imported once: every case forks from this process

def child(request):
    os.chdir(request['cwd'])
    os.environ.update(request['env'])
    if request['group']: os.setpgid(0, 0)
    for fd, name in ((1, 'out'), (2, 'err')):
        f = os.open(request[name], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(f, fd)
        os.close(f)
    if request['no_space_after'] is not None: fill_the_disk_after(request['no_space_after'])
    sys.argv = [request['script'], *request['args']]
    try:
        runpy.run_path(request['script'], run_name='__main__')
        status = 0
    except SystemExit as e: status = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)

def fill_the_disk_after(limit):
    "Where no small disk can be mounted: every file aim_nb writes atomically fails (ENOSPC) past `limit` bytes in all."
    import errno, aim_nb.core
    written = [0]
    class Full:
        def __init__(self, f): self.f = f
        def write(self, data):
            written[0] += len(data)
            if written[0] > limit: raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            return self.f.write(data)
        def __getattr__(self, name): return getattr(self.f, name)
        def __enter__(self): return self
        def __exit__(self, *exc): self.f.close()
    fdopen = os.fdopen
    aim_nb.core.os = type('os', (), dict(vars(os), fdopen=lambda *a, **k: Full(fdopen(*a, **k))))

print(json.dumps('ready'), flush=True)
for line in sys.stdin:
    request = json.loads(line)
    if request['op'] == 'start':
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0: child(request)
        print(json.dumps(pid), flush=True)
    else:                                              # poll: the status once the process has ended, else None
        pid, status = os.waitpid(request['pid'], os.WNOHANG)
        print(json.dumps(os.waitstatus_to_exitcode(status) if pid else None), flush=True)
'''


@dataclass
class Result:
    status: int
    out: str
    err: str

    @property
    def message(self) -> str:
        "The last line on stderr: the command's one line."
        lines = self.err.strip().splitlines()
        return lines[-1] if lines else ''


class Forked:
    "A console script running in a process forked by the server."
    def __init__(self, runner, pid:int, out:Path, err:Path):
        self.runner, self.pid, self.out, self.err, self.status = runner, pid, out, err, None

    def send(self, sig, group:bool=False):
        (os.killpg if group else os.kill)(self.pid, sig)

    def poll(self):
        "The exit status once the process has ended, else None."
        if self.status is None: self.status = self.runner.ask(dict(op='poll', pid=self.pid))
        return self.status

    def wait(self, timeout:float=600) -> Result:
        end = time.time() + timeout
        while self.poll() is None:
            if time.time() > end: raise TimeoutError(f"process {self.pid} still runs after {timeout} s")
            time.sleep(0.05)
        return Result(self.status, self.out.read_text(errors='replace'), self.err.read_text(errors='replace'))


class Runner:
    "Starts console scripts from `bin_dir` in `cwd`: forked from a server that imported aim_nb, or fresh."
    def __init__(self, bin_dir:Path, cwd:Path):
        self.bin_dir, self.cwd, self.count, self.lock = bin_dir, cwd, 0, threading.Lock()
        self.env = dict(os.environ, OMP_NUM_THREADS='1')        # no PYTHONWARNINGS: a warning fails the case
        self.server = subprocess.Popen([str(bin_dir / 'python'), '-c', SERVER], stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE, text=True, env=self.env, cwd=cwd)
        if self.ask(None) != 'ready': raise RuntimeError("the fork server did not start")

    def ask(self, request):
        "Send `request` to the server (None: only read), and read its answer."
        with self.lock:
            if request is not None:
                self.server.stdin.write(json.dumps(request) + '\n')
                self.server.stdin.flush()
            line = self.server.stdout.readline()
        if not line: raise RuntimeError("the fork server stopped: importing aim_nb failed?")
        return json.loads(line)

    def start(self, line:str, env:dict=None, group:bool=False, no_space_after:int=None) -> Forked:
        "Fork a process that runs `line` (a console script and its flags)."
        command, *args = shlex.split(line)
        with self.lock: self.count += 1
        out, err = self.cwd / f'.out{self.count}', self.cwd / f'.err{self.count}'
        request = dict(op='start', script=str(self.bin_dir / command), args=args, cwd=str(self.cwd), env=env or {},
                       group=group, out=str(out), err=str(err), no_space_after=no_space_after)
        return Forked(self, self.ask(request), out, err)

    def run(self, line:str, **kw) -> Result:
        return self.start(line, **kw).wait()

    def fresh(self, line:str, env:dict=None, **popen) -> subprocess.Popen:
        "A fresh interpreter that runs `line`."
        command, *args = shlex.split(line)
        env = dict(self.env, **(env or {}))
        return subprocess.Popen([str(self.bin_dir / command), *args], cwd=self.cwd, env=env, text=True, **popen)

    def close(self):
        self.server.stdin.close()
        self.server.wait(timeout=60)


# ---------- the files the cases need ----------
def images(folder, n:int, size=(28, 28), names='{:03d}.png', seed:int=0):
    import numpy as np
    from PIL import Image
    rng = np.random.default_rng(seed)
    Path(folder).mkdir(parents=True, exist_ok=True)
    for i in range(n): Image.fromarray(rng.integers(0, 255, size, dtype=np.uint8)).save(Path(folder) / names.format(i))


def run_settings(**changes) -> dict:
    settings = dict(recipe='saim', data='embedded', preset='tiny', teacher=None, teacher_features='step', epochs=None,
                    bs=64, precision='auto', seed=0, opts=None, scale=None, flip=None, jitter=None)
    return dict(settings, **changes)


def has(module:str) -> bool:
    import importlib.util
    return importlib.util.find_spec(module) is not None


def build_files(cwd:Path):
    "Every file and folder the cases read, in `cwd` (relative paths: no local path in the messages)."
    import torch
    from aim_nb.encoder import ViTEncoder, ViTConfig, save_encoder, safetensors_metadata
    from aim_nb.core import atomic_save
    os.chdir(cwd)
    torch.manual_seed(0)
    save_encoder(ViTEncoder(ViTConfig.preset('tiny')), 'enc/encoder.safetensors')
    torch.save(ViTEncoder(ViTConfig.preset('tiny')).state_dict(), 'enc.pth')
    atomic_save(ViTEncoder(ViTConfig.preset('tiny', depth=1)).state_dict(), 'mixed.safetensors',
                metadata=safetensors_metadata('enc/encoder.safetensors'))   # one ViT's metadata, another's tensors
    Path('broken.safetensors').write_bytes(b'\x10\x00\x00\x00\x00\x00\x00\x00{"w": garbage')
    torch.save({'w': torch.zeros(1), 'where': Path('.')}, 'evil.pth')          # unpickling it would build a PosixPath
    Path('file.txt').write_text('not a folder')
    Path('notes').mkdir()
    Path('notes/thesis.txt').write_text('precious')
    Path('empty').mkdir()
    Path('unreadable').mkdir()
    Path('unreadable/a.png').write_bytes(b'not a png')
    images('labelled/shirt', 6)
    images('labelled/shoe', 6, seed=1)
    images('loopy', 6)
    os.symlink('.', 'loopy/loop')
    os.symlink('000.png', 'loopy/twice.png')
    images('loopy/.hidden', 2)
    Path('loopy/bad.png').write_bytes(b'not a png')
    images('nested/cat/young/indoor', 6)
    images('nested/dog/old/indoor', 6, seed=1)
    images(os.fsdecode(b'latin1/caf\xe9'), 6)
    images('latin1/tea', 6, seed=1)
    for run in ('done', 'cut', 'stalled', 'emptyargs', 'nullpreset', 'cutconfig', 'noconfig'):
        Path(run).mkdir()
        Path(run, 'config.json').write_text(json.dumps(dict(args=run_settings())))
    old_checkpoint = {'model': {'w': torch.zeros(1000)}}                      # no settings in it
    for run in ('done', 'emptyargs', 'nullpreset', 'cutconfig', 'noconfig'):
        torch.save(old_checkpoint, f'{run}/checkpoint.pth')
    Path('cut/checkpoint.pth').write_bytes(Path('done/checkpoint.pth').read_bytes()[:1000])    # a checkpoint cut short
    Path('emptyargs/config.json').write_text('{"args": {}}')
    Path('nullpreset/config.json').write_text(json.dumps(dict(args=run_settings(preset=None))))
    Path('cutconfig/config.json').write_text(json.dumps(dict(args=run_settings()))[:40])
    Path('noconfig/config.json').unlink()
    Path('locked').mkdir()
    Path('bench-empty').mkdir()
    Path('bench-empty/results.json').write_text('{}')
    Path('bench-cut').mkdir()
    Path('bench-cut/results.json').write_text('{"results": [{"preset": "tiny", "reci')
    if has('webdataset'): build_shards()


def build_shards():
    "A healthy shard set and damaged copies of it."
    from aim_nb.shards import write_shards
    images('shard-src', 96)
    write_shards('shard-src', 'shards', max_count=32)
    def damaged(name:str):
        shutil.copytree('shards', name)
        return Path(name)
    damaged('shards-nojson').joinpath('dataset.json').write_text('{}')
    damaged('shards-cutjson').joinpath('dataset.json').write_text(Path('shards/dataset.json').read_text()[:50])
    damaged('shards-missing').joinpath('train-000001.tar').unlink()
    damaged('shards-garbage').joinpath('train-000000.tar').write_bytes(os.urandom(20_000))
    cut = damaged('shards-cut').joinpath('train-000000.tar')
    cut.write_bytes(cut.read_bytes()[:cut.stat().st_size // 2 + 100])


# ---------- the mistakes: one line each ----------
VIT = 'timm:vit_tiny_patch16_224:'
MISTAKES = [  # (case, command line, exit status, the message contains)
    ('batch of 0', 'aim_pretrain --bs 0', 2, '--bs 0: must be at least 1'),
    ('negative batch', 'aim_pretrain --bs -1', 2, '--bs -1: must be at least 1'),
    ('not a number', 'aim_pretrain --bs abc', 2, "argument --bs: invalid int value: 'abc'"),
    ('no epochs', 'aim_pretrain --epochs 0', 2, '--epochs 0: must be at least 1'),
    ('negative seed', 'aim_pretrain --seed -1', 2, '--seed -1: must be at least 0'),
    ('save every 0 steps', 'aim_pretrain --save_every 0', 2, '--save_every 0: must be at least 1'),
    ('a flag spelt with hyphens', 'aim_pretrain --save-every 0', 2, '--save_every 0: must be at least 1'),
    ('a flag spelt with hyphens, with =', 'aim_pretrain --teacher-features=twice', 2,
     '--teacher_features twice: choose one of'),
    ('unknown flag', 'aim_pretrain --epoch-count 3', 2, 'unrecognized arguments: --epoch_count 3'),
    ('unknown compile choice', 'aim_pretrain --compile maybe', 2, '--compile maybe: use one of auto, yes, no'),
    ('crop area of 0', 'aim_pretrain --scale 0', 2, '--scale 0.0: must be in (0, 1]'),
    ('flip neither yes nor no', 'aim_pretrain --flip maybe', 2, '--flip maybe: must be yes or no'),
    ('colour jitter of 1', 'aim_pretrain --jitter 1', 2, '--jitter 1.0: must be in [0, 1)'),
    ('unknown log', 'aim_pretrain --log mlflow', 2, '--log mlflow: use tensorboard or wandb'),
    ("flags after torchrun's --", 'aim_pretrain -- --log mlflow', 2, '--log mlflow: use tensorboard or wandb'),
    ('teacher features: unknown', 'aim_pretrain --teacher_features twice', 2,
     '--teacher_features twice: choose one of step, once'),
    ('teacher features once, no teacher', 'aim_pretrain --teacher_features once', 2,
     '--teacher_features once: recipe saim has no teacher'),
    ('teacher features once from a folder',
     'aim_pretrain --recipe milan --teacher efficientnet-lite0 --teacher_features once --data labelled', 2,
     '--teacher_features once needs in-memory data (embedded, fashion-mnist)'),
    ('synthetic count not a number', 'aim_pretrain --data synthetic:many', 2,
     '--data synthetic:many: synthetic:N wants a whole number of images'),
    ('synthetic images fewer than a batch', 'aim_pretrain --data synthetic:10 --out runs/s', 1,
     'synthetic data of 10 images is less than one batch of 64: raise N or lower --bs'),
    ('a batch larger than the data', 'aim_pretrain --bs 5000 --out runs/big', 1,
     '--data embedded has 2,000 training images, fewer than one batch of 5000: add images or lower --bs'),
    ('unknown recipe', 'aim_pretrain --recipe maee', 2, '--recipe maee: unknown; choose one of saim, semaim'),
    ('unknown preset', 'aim_pretrain --preset huge', 2, '--preset huge: unknown; choose one of tiny, small, base'),
    ('unknown precision', 'aim_pretrain --precision fp64', 2, '--precision fp64: choose one of auto, bf16, fp16, fp32'),
    ('heads that do not divide', 'aim_pretrain --opts num_heads=3', 2, '--opts num_heads=3: must divide embed_dim=64'),
    ('no blocks', 'aim_pretrain --opts depth=0', 2, '--opts depth=0:'),
    ('misspelt option', 'aim_pretrain --recipe mae --opts mask_ratoi=0.5', 2, '--opts unknown option(s) mask_ratoi'),
    ('option without value', 'aim_pretrain --opts mask_ratio', 2, '--opts wants key=value pairs'),
    ('ratio that keeps nothing', 'aim_pretrain --recipe mae --opts mask_ratio=0.99', 2,
     '--opts mask_ratio=0.99: keeps no patch of 49'),
    ('size not in patches', 'aim_pretrain --opts img_size=30', 2, 'is not divisible by patch size 4x4'),
    ('teacher missing', 'aim_pretrain --recipe milan', 2, '--recipe milan needs --teacher'),
    ('teacher not wanted', 'aim_pretrain --teacher efficientnet-lite0', 2, '--teacher: recipe saim takes none'),
    ('unknown teacher', 'aim_pretrain --recipe milan --teacher bogus', 2, "--teacher unknown teacher 'bogus'"),
    ('teacher file missing', f'aim_pretrain --recipe milan --teacher {VIT}none.safetensors', 2,
     'no weights file none.safetensors'),
    ('teacher file a refused pickle', f'aim_pretrain --recipe milan --teacher {VIT}evil.pth --out runs/t1', 1,
     'holds pathlib.PosixPath, which aim_nb does not unpickle'),
    ('teacher file damaged', f'aim_pretrain --recipe milan --teacher {VIT}broken.safetensors --out runs/t2', 1,
     'broken.safetensors is not a safetensors file'),
    ('empty --data', "aim_pretrain --data ''", 2, '--data is empty; give an image folder'),
    ('no such folder', 'aim_pretrain --data nowhere', 2, '--data nowhere: no such folder'),
    ('a file as data', 'aim_pretrain --data file.txt', 2, '--data file.txt is a file'),
    ('empty folder', 'aim_pretrain --data empty --out runs/e', 1, 'no readable images'),
    ('only unreadable files', 'aim_pretrain --data unreadable --out runs/u', 1, 'no readable images'),
    ('fewer images than a batch', 'aim_pretrain --data labelled --out runs/l', 1,
     'fewer than one batch of 64: add images or lower --bs'),
    ('--out is a file', 'aim_pretrain --out file.txt', 2, '--out file.txt is a file'),
    ('--out below a file', 'aim_pretrain --out file.txt/run', 2, '--out file.txt/run is below file.txt, a file'),
    ('--out holds other things', 'aim_pretrain --out notes --overwrite', 2, 'holds something else than a run'),
    ('--out holds a run', 'aim_pretrain --out done', 2,
     'already holds a run: add --resume to continue it, --overwrite to replace it'),
    ('--out holds a checkpoint without its config', 'aim_pretrain --out noconfig', 2,
     'already holds a run: add --resume'),
    ('--out in use by another command', 'aim_pretrain --out locked', 1,
     '--out locked is in use by aim_pretrain (process 1 on a-host): wait for it to end'),
    ('resume and overwrite', 'aim_pretrain --out done --resume --overwrite', 2, 'choose one'),
    ('resume nothing', 'aim_pretrain --out nothing --resume', 2, 'holds no run'),
    ('resume with other settings', 'aim_pretrain --out done --resume --epochs 5', 2, 'drop --epochs'),
    ('checkpoint cut short', 'aim_pretrain --out cut --resume', 1, 'is not a readable checkpoint'),
    ('resume a config of {"args": {}}', 'aim_pretrain --out emptyargs --resume', 1,
     'emptyargs cannot be continued: config.json has no recipe, data, preset'),
    ('resume a config whose preset is null', 'aim_pretrain --out nullpreset --resume', 1,
     "config.json has values a flag does not take (preset=None), and checkpoint.pth keeps no settings"),
    ('resume a config cut short', 'aim_pretrain --out cutconfig --resume', 1,
     'config.json is not a config aim_nb wrote (damaged or cut short?), and checkpoint.pth keeps no settings'),
    ('resume without config or settings', 'aim_pretrain --out noconfig --resume', 1,
     'config.json is missing, and checkpoint.pth keeps no settings'),
    ('no --encoder', 'aim_eval', 2, '--encoder is required'),
    ('encoder missing', 'aim_eval --encoder none.safetensors', 2, '--encoder none.safetensors: no such file'),
    ('encoder a .pth', 'aim_eval --encoder enc.pth', 1,
     '--encoder enc.pth is a PyTorch file (torch.save), not safetensors'),
    ('encoder damaged', 'aim_eval --encoder broken.safetensors', 1,
     '--encoder broken.safetensors is not a safetensors file'),
    ('encoder of other tensors than its metadata', 'aim_eval --encoder mixed.safetensors', 1,
     'mixed.safetensors: its tensors are not those of the ViT its metadata describes: 36 missing (blocks.1.norm1'),
    ('no neighbours', 'aim_eval --encoder enc/encoder.safetensors --k 0', 2, '--k 0: must be at least 1'),
    ('zero temperature', 'aim_eval --encoder enc/encoder.safetensors --temperature 0', 2,
     '--temperature 0.0: must be above 0'),
    ('negative probe', 'aim_eval --encoder enc/encoder.safetensors --probe -1', 2, '--probe -1: must be at least 0'),
    ('unknown pool', 'aim_eval --encoder enc/encoder.safetensors --pool max', 2, '--pool max: choose one of cls, mean'),
    ('no images', 'aim_eval --encoder enc/encoder.safetensors --data empty', 1, 'no readable images'),
    ('no class folders', 'aim_eval --encoder enc/encoder.safetensors --data loopy', 1,
     '--data loopy: labels need the images in one sub-folder per class below loopy'),
    ('random images to score', 'aim_eval --encoder enc/encoder.safetensors --data synthetic', 2,
     '--data synthetic: random images have no labels'),
    ('more neighbours than images', 'aim_eval --encoder enc/encoder.safetensors --data labelled --probe 0', 2,
     '--k 20: more neighbours than the 11 training images'),
    ('fine-tune: no epochs', 'aim_finetune --encoder enc/encoder.safetensors --epochs 0', 2,
     '--epochs 0: must be at least 1'),
    ('fine-tune: lr 0', 'aim_finetune --encoder enc/encoder.safetensors --lr 0', 2, '--lr 0.0: must be above 0'),
    ('fine-tune: layer decay above 1', 'aim_finetune --encoder enc/encoder.safetensors --decay 1.5', 2,
     '--decay 1.5: must be in (0, 1]'),
    ('fine-tune: drop path 1', 'aim_finetune --encoder enc/encoder.safetensors --droppath 1', 2,
     '--droppath 1.0: must be in [0, 1)'),
    ('fine-tune: crop of nothing', 'aim_finetune --encoder enc/encoder.safetensors --scale 0', 2,
     '--scale 0.0: must be in (0, 1]'),
    ('fine-tune: unknown preset', 'aim_finetune --encoder enc/encoder.safetensors --preset huge --out ft1', 2,
     '--preset huge: unknown; choose one of tiny, paper'),
    ('fine-tune: bad RandAugment', 'aim_finetune --encoder enc/encoder.safetensors --randaugment 9 --out ft2', 2,
     "--randaugment 9: wants 'num_ops,magnitude'"),
    ('fine-tune: RandAugment magnitude 99',
     'aim_finetune --encoder enc/encoder.safetensors --randaugment 2,99 --out ft2',
     2,
     '--randaugment 2,99: the magnitude must be in [0, 30]'),
    ('fine-tune: RandAugment of -1 ops', 'aim_finetune --encoder enc/encoder.safetensors --randaugment=-1,9 --out ft2',
     2,
     '--randaugment -1,9: the number of ops must be at least 1'),
    ('fine-tune: unknown head', 'aim_finetune --encoder enc/encoder.safetensors --head random --out ft4', 2,
     '--head random: unknown; choose one of probe, zero'),
    ('fine-tune: unknown pool', 'aim_finetune --encoder enc/encoder.safetensors --pool max --out ft3', 2,
     '--pool max: choose one of cls, mean'),
    ('fine-tune: no --encoder', 'aim_finetune', 2, '--encoder is required'),
    ('fine-tune: encoder of other tensors', 'aim_finetune --encoder mixed.safetensors --out ft5', 1,
     'its tensors are not those of the ViT its metadata describes'),
    ('fine-tune: fewer images than a batch', 'aim_finetune --encoder enc/encoder.safetensors --data labelled --out ft4',
     1,
     'fewer than one batch of 64'),
    ('bench: unknown preset', 'aim_bench --preset huge', 2, '--preset: unknown huge'),
    ('bench: unknown model', 'aim_bench --models saim,byol', 2, '--models: unknown byol'),
    ('bench: no runs', 'aim_bench --runs 0', 2, '--runs 0: must be at least 1'),
    ('bench: batch of 1', 'aim_bench --batch 1', 2, '--batch 1: must be at least 2'),
    ('bench: unknown device', 'aim_bench --device tpu', 2, '--device tpu: choose auto, cpu or cuda'),
    ('bench: resume a results.json of {}', 'aim_bench --preset tiny --models mae --out bench-empty --resume', 1,
     '--resume: bench-empty/results.json is not a results.json that aim_bench wrote'),
    ('bench: resume a results.json cut short', 'aim_bench --preset tiny --models mae --out bench-cut --resume', 1,
     '--resume: bench-cut/results.json is not a results.json that aim_bench wrote (damaged or cut short?)'),
]
SHARD_MISTAKES = [
    ('shards: dataset.json of {}', 'aim_pretrain --data shards-nojson --out runs/sh1', 1, "dataset.json"),
    ('shards: dataset.json cut short', 'aim_pretrain --data shards-cutjson --out runs/sh2', 1, 'dataset.json'),
    ('shards: a tar missing', 'aim_pretrain --data shards-missing --out runs/sh3', 1, 'train-000001.tar'),
    ('shards: a tar of garbage', 'aim_pretrain --data shards-garbage --epochs 1 --bs 16 --out runs/sh4', 1,
     'train-000000.tar'),
    ('shards: a tar cut short', 'aim_pretrain --data shards-cut --epochs 1 --bs 16 --out runs/sh5', 1,
     'train-000000.tar'),
]


def machine_cases() -> list:
    "Cases whose words depend on the machine."
    import torch
    from aim_nb.data import FASHION_MNIST_DIR
    cases = []
    if not torch.cuda.is_available():
        cases += [('bf16 on a CPU', 'aim_pretrain --precision bf16', 2,
                   '--precision bf16 needs a GPU; on the CPU use --precision fp32'),
                  ('bench: no GPU', 'aim_bench --device cuda', 2, '--device cuda: no GPU is visible')]
    if not FASHION_MNIST_DIR.exists():
        cases += [('Fashion-MNIST not installed', 'aim_pretrain --data fashion-mnist', 1,
                   'sudo apt-get install dataset-fashion-mnist`, or give --data FOLDER')]
    return cases


def check_one_line(case:str, line:str, r:Result, status:int, expected:str) -> str:
    "'' when `r` is what the case expects, else what is wrong."
    if r.status != status: return f"exit status {r.status}, expected {status}"
    if expected not in r.message: return f"the message is {r.message!r}"
    if 'Traceback' in r.out + r.err: return 'a traceback'
    if 'Warning' in r.err or 'warning:' in r.err: return 'a warning'
    if len(r.err.strip().splitlines()) != 1 and not r.message.startswith(f'{line.split()[0]}: error: argument') \
       and 'unrecognized arguments' not in r.message:
        return f"{len(r.err.strip().splitlines())} lines on stderr"
    return ''


@dataclass
class Row:
    table: str          # 'mistakes', 'data', 'faults' or 'resume'
    case: str
    command: str
    status: int         # the exit status it ended with
    shown: str          # what the user sees: the one line, or what the case checks
    problem: str = ''   # '' when it passed
    losses: dict = None # resume rows: every step's loss, uninterrupted and stopped + resumed


def mistakes(runner:Runner, cases:list) -> list:
    "Every case of `cases`, two at a time."
    holder = hold_lock(Path('locked'))
    started = []
    rows = []
    for i, (case, line, status, expected) in enumerate(cases):
        started.append((case, line, status, expected, runner.start(line)))
        if len(started) == 2 or i == len(cases) - 1:
            for case, line, status, expected, proc in started:
                r = proc.wait()
                problem = check_one_line(case, line, r, status, expected)
                rows.append(Row('mistakes', case, line, r.status, r.message, problem))
            started = []
    os.close(holder)
    return rows


def hold_lock(folder:Path) -> int:
    "Lock `folder` as a running command would (its pid and host made up, for a message that does not change)."
    fd = os.open(folder / '.lock', os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    os.write(fd, b'aim_pretrain (process 1 on a-host)')
    return fd


# ---------- faults ----------
MAE_RUN = 'aim_pretrain --recipe mae --data synthetic:256 --bs 32'   # 8 steps an epoch


def fault(name:str, command:str, r:Result, expected_status:int, checks:dict) -> Row:
    "A row for a fault: `checks` maps what must hold, in words, to whether it does."
    failed = [words for words, ok in checks.items() if not ok]
    if r.status != expected_status: failed.insert(0, f"exit status {r.status}, expected {expected_status}")
    if 'Traceback' in r.out + r.err: failed.append('a traceback')
    shown = r.message if r.status else '; '.join(checks)
    return Row('faults', name, command, r.status, shown, '; '.join(failed))


def temporaries(folder:Path) -> list:
    return sorted(p.name for p in Path(folder).glob('.*.tmp')) if Path(folder).exists() else []


@contextmanager
def small_disk(folder:Path, size:str):
    "A tmpfs of `size` at `folder` where one can be mounted (root on Linux); yields whether it is one."
    folder.mkdir(parents=True, exist_ok=True)
    mount = subprocess.run(['mount', '-t', 'tmpfs', '-o', f'size={size}', 'tmpfs', str(folder)], capture_output=True)
    mounted = mount.returncode == 0
    try: yield mounted
    finally:
        if mounted: subprocess.run(['umount', str(folder)], capture_output=True)


def full_disk(runner:Runner, epochs:int, size:str, limit:int) -> tuple:
    "A run onto a disk that fills: a tmpfs of `size`, else writes that fail past `limit` bytes (the server's wrapper)."
    folder = Path(f'small-{size}')
    line = f'aim_pretrain --recipe mae --epochs {epochs} --data synthetic:256 --bs 32 --out {folder}/run'
    with small_disk(folder, size) as mounted:
        r = runner.run(line, no_space_after=None if mounted else limit)
        left = temporaries(folder / 'run')
        checkpoint = folder / 'run' / 'checkpoint.pth'
        epoch = read_epoch(checkpoint) if checkpoint.exists() else None
    how = f"tmpfs of {size}" if mounted else f"writes fail past {limit:,} bytes"
    return line, r, left, epoch, how


def read_epoch(file:Path):
    "The epoch a checkpoint is in (None without one)."
    from aim_nb.checkpoint import read_checkpoint
    return read_checkpoint(file)['epoch'] if file.exists() else None


def read_args(file:Path) -> dict:
    "The settings a config.json keeps ({} without one)."
    return json.loads(file.read_text())['args'] if file.exists() else {}


def faults(runner:Runner) -> list:
    rows = []
    line, r, left, epoch, how = full_disk(runner, 1, '1m', 100_000)
    rows.append(fault(f'a full disk before the first checkpoint ({how})', line, r, 1, {
        'no space left, nothing saved': 'No space left on device; no checkpoint was written yet' in r.message,
        'no temporary file left': not left}))
    line, r, left, epoch, how = full_disk(runner, 2, '6m', 6_000_000)
    rows.append(fault(f'a full disk after a checkpoint ({how})', line, r, 1, {
        'the last complete checkpoint named': 'holds the run at epoch 1 of 2, step 8 of 8' in r.message,
        'that checkpoint intact': epoch == 0,
        'no temporary file left': not left}))

    first = runner.start(f'{MAE_RUN} --epochs 3 --out runs/shared')
    wait_for(lambda: Path('runs/shared/config.json').exists(), first)
    second_line = 'aim_pretrain --recipe saim --epochs 1 --out runs/shared --overwrite'
    second = runner.run(second_line)
    done = first.wait()
    config = read_args(Path('runs/shared/config.json'))
    holder = f'in use by aim_pretrain (process {first.pid} on {socket.gethostname()})'
    rows.append(fault('two commands on one --out', second_line, second, 1, {
        'the second names the first': holder in second.message,
        'the first finishes': done.status == 0,
        "the folder holds the first's run": config.get('recipe') == 'mae',
        'with its encoder': Path('runs/shared/encoder.safetensors').exists()}))

    first = runner.run(f'{MAE_RUN} --epochs 1 --out runs/noconfig')
    Path('runs/noconfig/config.json').unlink()
    line = 'aim_pretrain --out runs/noconfig --resume'
    r = runner.run(line)
    restored = read_args(Path('runs/noconfig/config.json'))
    rows.append(fault("a run's config.json deleted: resumed from its checkpoint", line, r, 0, {
        'says so in one warning': 'config.json is missing; continuing with the settings its checkpoint keeps' in r.err,
        'config.json written again': restored.get('data') == 'synthetic:256' and first.status == 0}))

    line = f'{MAE_RUN} --epochs 1 --out runs/closed'
    proc = runner.fresh(line, stdout=None, stderr=subprocess.PIPE, preexec_fn=lambda: os.close(1))
    err = proc.communicate(timeout=600)[1]
    r = Result(proc.returncode, '', err)
    rows.append(fault('standard output closed (>&-)', line + ' >&-', r, 0, {
        'trains and saves': Path('runs/closed/encoder.safetensors').exists(), 'nothing on stderr': not err.strip()}))

    line = f'{MAE_RUN} --epochs 2 --out runs/piped'
    proc = runner.fresh(line, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first_line = proc.stdout.readline()
    proc.stdout.close()                                      # as `| head -1` does once it has its line
    err = proc.stderr.read()
    proc.wait(timeout=600)
    r = Result(proc.returncode, '', err)
    rows.append(fault('output into `| head -1`', line + ' | head -1', r, 0, {
        'the first line read': first_line.startswith('synthetic images'),
        'trains every epoch and saves': read_epoch(Path('runs/piped/checkpoint.pth')) == 1,
        'nothing on stderr': not err.strip()}))

    line = 'aim_eval --encoder enc/encoder.safetensors --data latin1 --k 5 --probe 1 --out scores-latin1'
    proc = runner.fresh(line, env=dict(PYTHONIOENCODING='utf-8:strict'), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.communicate(timeout=600)
    r = Result(proc.returncode, out, err)
    rows.append(fault('a class folder named in Latin-1, output strict UTF-8', line, r, 0, {
        'the name printed with an escape': 'caf\\xe9' in out,
        'scores written': Path('scores-latin1/eval.json').exists()}))

    line = 'aim_finetune --encoder enc/encoder.safetensors --data latin1 --bs 4 --epochs 1 --out ft-latin1'
    r = runner.run(line)
    rows.append(fault('fine-tuning on a class folder named in Latin-1', line, r, 0, {
        'its confusion matrix drawn': Path('ft-latin1/confusion.png').exists()}))

    line = 'aim_eval --encoder enc/encoder.safetensors --data nested --k 5 --probe 1 --out scores-nested'
    r = runner.run(line)
    rows.append(fault('nested class folders (cat/young/indoor, dog/old/indoor)', line, r, 0, {
        'labelled by the first level: cat, dog': 'cat, dog' in r.out and 'indoor' not in r.out}))

    line = 'aim_pretrain --recipe maee'
    env = {k: v for k, v in runner.env.items() if k not in ('MPLCONFIGDIR', 'XDG_CONFIG_HOME', 'XDG_CACHE_HOME')}
    env['HOME'] = str(runner.cwd / 'file.txt' / 'home')
    proc = subprocess.Popen([str(runner.bin_dir / 'aim_pretrain'), '--recipe', 'maee'], cwd=runner.cwd, text=True,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.communicate(timeout=600)
    r = Result(proc.returncode, out, err)
    rows.append(fault('a home folder that cannot be written', 'HOME=file.txt/home ' + line, r, 2, {
        'one line on stderr': len(err.strip().splitlines()) == 1}))
    if has('webdataset'):
        line = 'aim_pretrain --recipe mae --data shards-badmember --epochs 1 --bs 43 --out runs/badmember'
        r = runner.run(line)
        rows.append(fault('a shard member that is not an image', line, r, 0, {
            'skipped and counted': 'unreadable' in r.out,
            'trains and saves': Path('runs/badmember/encoder.safetensors').exists()}))
    return rows


def wait_for(condition, proc, timeout:float=600):
    "Wait until `condition()` holds (or `proc` ended)."
    end = time.time() + timeout
    while not condition() and proc.poll() is None and time.time() < end: time.sleep(0.02)


# ---------- images as they are stored ----------
def decoding() -> list:
    "Images whose pixels need more than a plain read, decoded by this environment's aim_nb (what every loader uses)."
    import io
    import numpy as np
    import torch
    from PIL import Image, ExifTags
    from aim_nb.folders import crop_decoder
    rows = []
    ramp = np.tile((np.arange(256) * 257).astype(np.uint16), (256, 1))        # 0 to 65,535, left to right
    png = io.BytesIO()
    Image.fromarray(ramp).save(png, 'PNG')
    decoded = crop_decoder(256, augment=False, channels=1)(png.getvalue())[0, 0]  # the whole image, not resized
    ok = torch.equal(decoded, torch.arange(256, dtype=torch.uint8))
    rows.append(Row('data', '16-bit grayscale PNG, 0 to 65,535', 'crop_decoder(..., augment=False)(file)', 0,
                    f"decodes to 0 to 255 (first {decoded[:3].tolist()}, last {decoded[-1].item()})",
                    '' if ok else f"decoded {decoded[::64].tolist()}, not the 8-bit ramp"))
    upright = np.zeros((60, 90, 3), np.uint8)
    upright[:, :30, 0] = 255                                                 # red on the left: which way is up shows
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6                                      # shown turned a quarter clockwise
    stored = Image.fromarray(upright).transpose(Image.Transpose.ROTATE_90)
    jpegs = {}
    for name, img, extra in (('upright', Image.fromarray(upright), {}), ('sideways', stored, dict(exif=exif)),
                             ('as stored', stored, {})):
        buf = io.BytesIO()
        img.save(buf, 'JPEG', quality=95, **extra)
        jpegs[name] = crop_decoder(30, augment=False)(buf.getvalue()).float()
    shown = (jpegs['upright'] - jpegs['sideways']).abs().mean().item()
    read_as_stored = (jpegs['upright'] - jpegs['as stored']).abs().mean().item()
    rows.append(Row('data', 'JPEG stored sideways, EXIF orientation 6', 'crop_decoder(..., augment=False)(file)', 0,
                    f"decodes as shown: {shown:.1f} from the upright photo, of 255 (as stored: {read_as_stored:.0f})",
                    '' if shown < 3 < 20 < read_as_stored else f"{shown:.1f} from the upright photo"))
    return rows


# ---------- resume, after every kind of stop, on every kind of data ----------
DATA = {  # kind: (--data and its flags, steps an epoch)
    'embedded': '--data embedded --bs 64',
    'folder (2 workers, a damaged file)': '--data folder --bs 16',
    'shards (2 workers)': '--data folder-shards --bs 16',
    'synthetic': '--data synthetic:512 --bs 16',
}
STOPS = [  # (data kind, how it stops, signal, to the process group, extra flags)
    ('embedded', 'SIGINT in the second epoch', signal.SIGINT, False, ''),
    ('embedded', 'SIGHUP (terminal closed)', signal.SIGHUP, False, ''),
    ('embedded', 'SIGINT, then SIGTERM: at once', 'twice', False, '--save_every 5'),
    ('folder (2 workers, a damaged file)', 'SIGINT to the process group', signal.SIGINT, True, ''),
    ('shards (2 workers)', 'SIGTERM to the process group', signal.SIGTERM, True, ''),
    ('synthetic', 'SIGKILL after the first checkpoint', signal.SIGKILL, False, ''),
    ('synthetic', 'SIGINT in the second epoch', signal.SIGINT, False, ''),
]


def encoders_equal(a:Path, b:Path) -> str:
    "'' when the two runs' encoders are equal tensor for tensor, else how many differ."
    from safetensors.torch import load_file
    if not (a / 'encoder.safetensors').exists() or not (b / 'encoder.safetensors').exists(): return 'no encoder written'
    x, y = load_file(a / 'encoder.safetensors'), load_file(b / 'encoder.safetensors')
    differ = [k for k in x if k not in y or not (x[k] == y[k]).all()]
    return f"{len(differ)} of {len(x)} tensors differ from the uninterrupted run's" if differ else ''


def epochs_listed(run:Path) -> list:
    if not (run / 'metrics.csv').exists(): return []
    return [line.split(',')[0] for line in (run / 'metrics.csv').read_text().splitlines()[1:]]


def stop_and_resume(runner:Runner, kind:str, how:str, sig, group:bool, extra:str, n:int) -> Row:
    run = Path(f'runs/stop{n}')
    line = f"aim_pretrain --recipe mae --epochs 2 {DATA[kind]} {extra} --out {run}".replace('  ', ' ')
    proc = runner.start(line, group=group)
    if sig == signal.SIGKILL:
        wait_for(lambda: (run / 'checkpoint.pth').exists(), proc)
        proc.send(signal.SIGKILL)
    else:
        saved = lambda: len(epochs_listed(run)) >= 1 and (run / 'checkpoint.pth').exists()
        wait_for(saved, proc)                               # the first epoch ended and is saved: the second has begun
        time.sleep(0.3)
        if sig == 'twice':                                   # two signals (two kinds: the system would merge two alike)
            proc.send(signal.SIGINT)
            proc.send(signal.SIGTERM)
        else: proc.send(sig, group=group)
    stopped = proc.wait()
    expected = {'twice': 143, signal.SIGKILL: -9}.get(sig) or 128 + int(sig)
    printed = stopped.message.split('continue with: ')
    resume_line = printed[-1] if len(printed) == 2 else f'aim_pretrain --out {run} --resume'
    resumed = runner.run(resume_line)
    problems = []
    if stopped.status != expected: problems.append(f"stopped with {stopped.status}, expected {expected}")
    if sig != signal.SIGKILL and len(printed) != 2: problems.append(f"no resume line: {stopped.message!r}")
    if resumed.status != 0: problems.append(f"the resume ended with {resumed.status}: {resumed.message}")
    if 'Traceback' in stopped.err + resumed.err: problems.append('a traceback')
    problems.append(encoders_equal(Path(f'runs/whole-{list(DATA).index(kind)}'), run))
    if epochs_listed(run) != ['0', '1']: problems.append(f"metrics.csv lists epochs {epochs_listed(run)}")
    shown = stopped.message if sig != signal.SIGKILL else '(killed: no message)'
    row = Row('resume', f"{kind}: {how}", line, stopped.status, shown, '; '.join(p for p in problems if p))
    row.losses = dict(whole=step_losses(Path(f'runs/whole-{list(DATA).index(kind)}')), resumed=step_losses(run),
                      stopped_at=stopped_step(stopped.message))
    return row


def step_losses(run:Path) -> list:
    "Every training step's loss of a run, from its checkpoint."
    from aim_nb.checkpoint import read_checkpoint
    if not (run / 'checkpoint.pth').exists(): return []
    return [float(x) for x in read_checkpoint(run / 'checkpoint.pth')['history']['losses']]


def stopped_step(message:str):
    "The training step a run stopped after, over the whole run, from its message ('at epoch 2 of 2, step 3 of 31')."
    import re
    m = re.search(r'at epoch (\d+) of \d+, step (\d+) of (\d+)', message)
    return (int(m[1]) - 1) * int(m[3]) + int(m[2]) if m else None


def resumes(runner:Runner) -> list:
    kinds = [k for k in DATA if has('webdataset') or not k.startswith('shards')]
    wholes = [runner.start(f"aim_pretrain --recipe mae --epochs 2 {DATA[k]} --out runs/whole-{list(DATA).index(k)}")
              for k in kinds]
    for proc in wholes:
        r = proc.wait()
        if r.status: raise RuntimeError(f"an uninterrupted run failed: {r.err[-2000:]}")
    stops = [s for s in STOPS if s[0] in kinds]
    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(lambda s: stop_and_resume(runner, *s[1], n=s[0]), enumerate(stops)))


def build_resume_data():
    "A folder with a damaged file the start-up check does not open, its shards, and shards with a damaged member."
    from aim_nb.folders import scan_folder
    images('folder/a', 100)
    images('folder/b', 100, seed=1)
    Path('folder/a/000b.png').write_bytes(b'not a png, and not among the files checked at start')
    assert '000b.png' not in ' '.join(scan_folder('folder').unreadable), 'the damaged file is among those checked'
    if has('webdataset'):
        from aim_nb.shards import write_shards
        write_shards('folder', 'folder-shards', max_count=64)
        write_shards('shard-src', 'shards-badmember', max_count=32)
        replace_member(Path('shards-badmember/train-000000.tar'), 3, b'this member is text, not an image')


def replace_member(tar_file:Path, index:int, data:bytes):
    "Rewrite `tar_file` with the image of its `index`-th sample replaced by `data`."
    import io, tarfile
    members = []
    with tarfile.open(tar_file) as tar:
        for m in tar.getmembers(): members.append((m, tar.extractfile(m).read()))
    images_seen = -1
    with tarfile.open(tar_file, 'w') as tar:
        for m, content in members:
            if m.name.endswith(('.png', '.jpg')):
                images_seen += 1
                if images_seen == index: content = data
            m.size = len(content)
            tar.addfile(m, io.BytesIO(content))


# ---------- the report ----------
def markdown(rows:list, table:str) -> str:
    head = ['| case | command | exit | what the user sees |', '|---|---|---|---|']
    cells = [f"| {r.case} | `{r.command}` | {r.status} | {r.shown.replace('|', '/')} |"
             for r in rows if r.table == table]
    return '\n'.join(head + cells)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--bin', type=Path, default=Path(sys.executable).parent, help='the console scripts\' folder')
    parser.add_argument('--out', type=Path, help='write every row as JSON to this file')
    parser.add_argument('--only', default='mistakes,data,faults,resume', help='tables to run, comma-separated')
    args = parser.parse_args()
    only = args.only.split(',')
    out = args.out.resolve() if args.out else None
    bin_dir = args.bin.absolute()                        # before the cases' folder becomes the current one
    cwd = Path(tempfile.mkdtemp(prefix='aim_nb-contract-'))
    build_files(cwd)
    if 'resume' in only or 'faults' in only: build_resume_data()
    runner = Runner(bin_dir, cwd)
    rows = []
    try:
        if 'mistakes' in only:
            rows += mistakes(runner, MISTAKES + machine_cases() + (SHARD_MISTAKES if has('webdataset') else []))
        if 'data' in only: rows += decoding()
        if 'faults' in only: rows += faults(runner)
        if 'resume' in only: rows += resumes(runner)
    finally:
        runner.close()
        os.chdir('/')
        shutil.rmtree(cwd, ignore_errors=True)
    for table in ('mistakes', 'data', 'faults', 'resume'):
        if any(r.table == table for r in rows): print(f"\n## {table}\n\n{markdown(rows, table)}")
    failed = [r for r in rows if r.problem]
    for r in failed: print(f"FAILED {r.table}: {r.case}: {r.problem}")
    if out: out.write_text(json.dumps([vars(r) for r in rows], indent=1))
    print(f"{len(rows) - len(failed)} cases passed, {len(failed)} failed")
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    main()
