"""An AReaL v0.2 master-worker log read back (``evalkit train-log LOGFILE``): steps, rewards, health warnings.

v0.2.0 logs to stdout only: read the copy ``evalkit train`` appends to
``<fileroot>/logs/<user>/<exp>/<trial>/evalkit_train.log``.

Reads the guide's three line kinds: ``Epoch e/E step s/S (global step g) finishes. ...``,
``RPC name actor_train returns {...}`` (a Python dict literal, checked to be a plain literal before
``ast.literal_eval``; never ``eval``) and ``Dumped recover info to file.``. Lines that look like one of
them but do not parse are counted as malformed and skipped.
"""

import ast
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STEP = re.compile(
    r"Epoch (\d+)/(\d+) step (\d+)/(\d+) \(global step (\d+)\) finishes\..*?"
    r"#End to end# execution time: \*([\d.]+)\*s\. Total time consumption: ([\d.]+)s\."
    r"(?: Estimated remaining time: ([\d.]+)s\.)?"
)
RPC = re.compile(r"RPC name (\w+) returns (\{.*\})\s*$")
RECOVER = "Dumped recover info to file."
AREAL_1_STEP = re.compile(r"Train step \d+/\d+ done\.")
STATS = ("task_reward", "actor_clip_ratio", "importance_weight", "avg_seq_len", "no_eos_ratio")
IMPORTANCE_TOLERANCE = 0.05
CLIP_RATIO_LIMIT = 0.1
_NON_FINITE = {"nan": math.nan, "inf": math.inf}


@dataclass(slots=True)
class Step:
    """One finished training step with the actor_train statistics reported just before it."""

    epoch: int
    epochs: int
    epoch_step: int
    epoch_steps: int
    global_step: int
    step_time: float
    total_time: float
    eta: float | None
    stats: dict[str, float] = field(default_factory=dict)


@dataclass(slots=True)
class TrainLog:
    steps: list[Step] = field(default_factory=list)
    last_recover_step: int | None = None
    recover_dumps: int = 0
    malformed: int = 0
    warnings: list[str] = field(default_factory=list)


class _BindNonFinite(ast.NodeTransformer):
    """Python prints non-finite floats as bare ``nan`` / ``inf``: turn those names into constants."""

    def visit_Name(self, node: ast.Name) -> ast.Constant:
        return ast.copy_location(ast.Constant(_NON_FINITE[node.id]), node)


def literal_dict(text: str) -> dict[str, Any]:
    """A dict of plain literals (strings, numbers, nan/inf); anything else raises ``ValueError``."""
    tree = ast.parse(text, mode="eval")
    if not isinstance(tree.body, ast.Dict):
        raise ValueError("not a dict literal")
    allowed = (ast.Expression, ast.Dict, ast.Constant, ast.UnaryOp, ast.USub, ast.UAdd, ast.Name, ast.Load)
    for node in ast.walk(tree):
        if not isinstance(node, allowed) or (isinstance(node, ast.Name) and node.id not in _NON_FINITE):
            raise ValueError(f"not a plain literal: {type(node).__name__}")
    return ast.literal_eval(_BindNonFinite().visit(tree))


def parse(text: str) -> TrainLog:
    """Parse a whole log; never raises on bad lines."""
    log = TrainLog()
    pending: dict[str, float] = {}
    for line in text.splitlines():
        if "finishes." in line and "global step" in line:
            if m := STEP.search(line):
                e, ee, s, ss, g = (int(x) for x in m.groups()[:5])
                eta = float(m[8]) if m[8] else None
                log.steps.append(Step(e, ee, s, ss, g, float(m[6]), float(m[7]), eta, pending))
                pending = {}
            else:
                log.malformed += 1
        elif "RPC name" in line and "returns" in line:
            m = RPC.search(line)
            try:
                stats = literal_dict(m[2]) if m else None
            except (ValueError, SyntaxError):
                stats = None
            if stats is None:
                log.malformed += 1
            elif m[1] == "actor_train":
                pending = {k: float(v) for k, v in stats.items() if k in STATS and isinstance(v, int | float)}
        elif RECOVER in line:
            log.recover_dumps += 1
            log.last_recover_step = log.steps[-1].global_step if log.steps else 0
    log.warnings = check(log, text)
    return log


def check(log: TrainLog, text: str) -> list[str]:
    """The guide's troubleshooting symptoms found in the log."""
    from evalkit.sampling.troubleshooting import diagnose

    warnings = [f"{d.name}: {d.message} {d.advice}" for d in diagnose(text)]
    far = [
        s.global_step
        for s in log.steps
        if abs(s.stats.get("importance_weight", 1.0) - 1) > IMPORTANCE_TOLERANCE
    ]
    if far:
        warnings.append(f"importance_weight far from 1 (|w-1| > {IMPORTANCE_TOLERANCE}) at steps {far}")
    clipped = [s.global_step for s in log.steps if s.stats.get("actor_clip_ratio", 0.0) > CLIP_RATIO_LIMIT]
    if clipped:
        warnings.append(f"actor_clip_ratio above {CLIP_RATIO_LIMIT} at steps {clipped}")
    if log.steps and log.recover_dumps == 0:
        warnings.append(
            "no recover checkpoint yet: a crash now restarts from scratch (the first one is written after "
            "step 2, then every exp_ctrl.ckpt_freq_secs=600 s)"
        )
    if log.malformed:
        warnings.append(f"{log.malformed} malformed line(s) skipped")
    if not log.steps and AREAL_1_STEP.search(text):
        warnings.append(
            "an AReaL 1.0 log: train-log reads AReaL v0.2's master-worker lines; "
            "AReaL 1.0's statistics are in its stats_logger (wandb, tensorboard)"
        )
    return warnings


def table(log: TrainLog) -> str:
    from prettytable import PrettyTable

    t = PrettyTable(["step", "epoch", "step time (s)", "ETA (s)", *STATS])
    for s in log.steps:
        stats = [f"{s.stats[k]:.4g}" if k in s.stats else "-" for k in STATS]
        t.add_row([s.global_step, f"{s.epoch}/{s.epochs}", f"{s.step_time:.1f}", _num(s.eta), *stats])
    return f"{t}\nlast recover point: {'none' if log.last_recover_step is None else f'step {log.last_recover_step}'}"


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def plot(log: TrainLog, path: str | Path) -> Path:
    from evalkit.reporting.plots import plot_curves

    series = {"step time (s)": [s.step_time for s in log.steps]}
    series |= {k: [s.stats.get(k) for s in log.steps] for k in STATS}
    return plot_curves(
        path, [s.global_step for s in log.steps], series, xlabel="global step", title="training log"
    )
