"""The timing harness the component benchmark scripts (orders, masks, teachers) share: median and spread
of repeated calls, measured by torch.utils.benchmark as `aim_nb.bench.measured` does it, the devices to
run on, and one table layout. Whole models are benchmarked by the `aim_bench` command (aim_nb.bench).
Benchmarks print numbers; they are never timed asserts in tests."""
import torch
from aim_nb.bench import measured


def devices(only=None) -> list:
    "The CPU, and the GPU when there is one; `only` (e.g. ['cuda']) keeps those types."
    found = [torch.device('cpu')] + ([torch.device('cuda')] if torch.cuda.is_available() else [])
    return [d for d in found if not only or d.type in only]


def add_devices_arg(ap):
    "The `--devices` option every benchmark takes."
    ap.add_argument('--devices', nargs='+', choices=['cpu', 'cuda'], help='default: the CPU and the GPU when there is one')


def timed(fn, runs:int, warmup:int=3) -> tuple:
    "Median and interquartile range (ms) of `runs` timed calls of `fn` after `warmup` untimed ones (`aim_nb.bench.measured`; CUDA synchronised)."
    m = measured(fn, runs, warmup)
    return m.median * 1e3, m.iqr * 1e3


def print_speedups(device, cases, runs:int, width:int=24):
    "Time every (name, batched, loop) of `cases` on `device` and print batched vs loop with the speed-up."
    name = torch.cuda.get_device_name() if device.type == 'cuda' else 'cpu'
    print(f"\n{name}\n{'strategy':<{width}}{'batched':>18}{'per-sample loop':>22}{'speed-up':>10}")
    for strategy, fast, slow in cases:
        (f, f_iqr), (s, s_iqr) = timed(fast, runs), timed(slow, runs)
        print(f"{strategy:<{width}}{f:>10.3f} ± {f_iqr:<6.3f}{s:>13.1f} ± {s_iqr:<6.1f}{s / f:>9.0f}x")
