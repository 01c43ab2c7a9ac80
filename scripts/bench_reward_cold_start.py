"""How long a reward process's first verdict that needs a sympy worker takes, before and after the pool is
started ahead of need (issue 21, item 7). A benchmark that prints figures, not a test.

Each measurement runs in a fresh interpreter (a cold reward process: no grader workers yet):

- before: the first call is the one that needs sympy, the pool starts on demand (what every process paid
  before warm-up existed, and still pays when its very first call needs sympy);
- after: the reward file is loaded by path, as veRL and OpenRLHF load it (or an earlier call decided cheaply,
  as most are: AReaL's reward processes), which starts the workers; the sympy verdict comes ``--gap`` seconds
  later (a rollout's generation takes at least that);
- limit: a cold call with ``time_limit`` below the cold figure returns within it (a time-out verdict, 0)
  instead of overrunning the trainer's own limit (AReaL: 15 s, then 0 and a retry).

``--busy N`` runs N CPU-bound processes meanwhile, as on a trainer's busy node.

    python scripts/bench_reward_cold_start.py [--repeats 3] [--gap 3] [--busy 0]
"""

import argparse
import json
import multiprocessing
import statistics
import subprocess
import sys
import time
from pathlib import Path

REWARDS_FILE = Path(__file__).resolve().parents[1] / "training" / "rewards.py"
PROMPT = "<｜begin▁of▁sentence｜><｜User｜>Simplify.<｜Assistant｜><think>\n"
EOS = "<｜end▁of▁sentence｜>"

COMMON = f"""
import json, time
PROMPT, EOS = {PROMPT!r}, {EOS!r}
def sympy_pair(k):  # a pair the cheap in-process checks cannot decide: it goes to a worker
    return "x\\n</think>\\n\\n\\\\boxed{{\\\\log_2 " + str(2 ** k) + "}}" + EOS, str(k)
"""

BEFORE = (
    COMMON
    + """
from evalkit.training.rewards import AReaLReward
reward = AReaLReward(time_limit=None)
start = time.perf_counter()
value = reward(PROMPT, *sympy_pair(37)[:1], [1], [2], answer=sympy_pair(37)[1])
print(json.dumps({"seconds": time.perf_counter() - start, "reward": value}))
"""
)

AFTER = (
    COMMON
    + """
import importlib.util, sys
spec = importlib.util.spec_from_file_location("reward_func", "@PATH@")  # as OpenRLHF loads it
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)  # starts the grader's workers
time.sleep(@GAP@)
reward = module.AReaLReward(time_limit=None)
start = time.perf_counter()
value = reward(PROMPT, *sympy_pair(37)[:1], [1], [2], answer=sympy_pair(37)[1])
print(json.dumps({"seconds": time.perf_counter() - start, "reward": value}))
"""
)

LIMIT = (
    COMMON
    + """
from evalkit.training.rewards import AReaLReward
reward = AReaLReward(time_limit=@LIMIT@)
start = time.perf_counter()
value = reward(PROMPT, *sympy_pair(37)[:1], [1], [2], answer=sympy_pair(37)[1])
print(json.dumps({"seconds": time.perf_counter() - start, "reward": value}))
"""
)


def run(code: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def burn(stop_at: float) -> None:
    while time.time() < stop_at:
        sum(i * i for i in range(10_000))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--gap", type=float, default=3.0, help="seconds between warm-up and the first sympy verdict"
    )
    parser.add_argument("--busy", type=int, default=0, help="CPU-bound processes to run meanwhile")
    args = parser.parse_args()

    burners = [
        multiprocessing.Process(target=burn, args=(time.time() + 600,), daemon=True) for _ in range(args.busy)
    ]
    for process in burners:
        process.start()
    try:
        before = [run(BEFORE) for _ in range(args.repeats)]
        after = [
            run(AFTER.replace("@PATH@", str(REWARDS_FILE)).replace("@GAP@", str(args.gap)))
            for _ in range(args.repeats)
        ]
        cold = statistics.median(r["seconds"] for r in before)
        limit = round(max(0.05, cold / 2), 2)
        limited = [run(LIMIT.replace("@LIMIT@", str(limit))) for _ in range(args.repeats)]
    finally:
        for process in burners:
            process.terminate()

    warm = statistics.median(r["seconds"] for r in after)
    bounded = statistics.median(r["seconds"] for r in limited)
    print(f"busy processes: {args.busy}, repeats: {args.repeats} (medians)")
    print(
        f"before: first sympy verdict in a cold reward process   {cold:7.3f} s  rewards {[r['reward'] for r in before]}"
    )
    print(
        f"after:  same, {args.gap:g} s after the file was loaded        {warm:7.3f} s  rewards {[r['reward'] for r in after]}"
    )
    print(f"ratio before / after: {cold / warm:.1f}x")
    print(
        f"limit:  cold call with time_limit={limit:g} s returned in {bounded:7.3f} s  rewards "
        f"{[r['reward'] for r in limited]} (a time-out: not credited)"
    )


if __name__ == "__main__":
    main()
