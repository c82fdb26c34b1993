"""The timing harness the component benchmark scripts (orders, masks, teachers) share: median and spread
of repeated calls, the devices to run on, and one table layout. Whole models are benchmarked by the
`aim_bench` command (aim_nb.bench). Benchmarks print numbers; they are never timed asserts in tests."""
import statistics, time
import torch


def devices(only=None) -> list:
    "The CPU, and the GPU when there is one; `only` (e.g. ['cuda']) keeps those types."
    found = [torch.device('cpu')] + ([torch.device('cuda')] if torch.cuda.is_available() else [])
    return [d for d in found if not only or d.type in only]


def add_devices_arg(ap):
    "The `--devices` option every benchmark takes."
    ap.add_argument('--devices', nargs='+', choices=['cpu', 'cuda'], help='default: the CPU and the GPU when there is one')


def timed(fn, device, runs:int, warmup:int=3) -> tuple:
    "Median and interquartile range (ms) of `runs` calls of `fn` after `warmup` calls; CUDA is synchronised."
    sync = torch.cuda.synchronize if device.type == 'cuda' else (lambda: None)
    for _ in range(warmup): fn()
    times = []
    for _ in range(runs):
        sync(); t0 = time.perf_counter(); fn(); sync()
        times.append((time.perf_counter() - t0) * 1e3)
    q = statistics.quantiles(times, n=4)
    return statistics.median(times), q[2] - q[0]


def print_speedups(device, cases, runs:int, width:int=24):
    "Time every (name, batched, loop) of `cases` on `device` and print batched vs loop with the speed-up."
    name = torch.cuda.get_device_name() if device.type == 'cuda' else 'cpu'
    print(f"\n{name}\n{'strategy':<{width}}{'batched':>18}{'per-sample loop':>22}{'speed-up':>10}")
    for strategy, fast, slow in cases:
        (f, f_iqr), (s, s_iqr) = timed(fast, device, runs), timed(slow, device, runs)
        print(f"{strategy:<{width}}{f:>10.3f} ± {f_iqr:<6.3f}{s:>13.1f} ± {s_iqr:<6.1f}{s / f:>9.0f}x")


def autocast(device):
    "bf16 autocast on CUDA; a no-op on the CPU, which runs fp32."
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == 'cuda')
