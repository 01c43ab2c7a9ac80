"""An AReaL trainer log read back (``evalkit train-log LOGFILE``): steps, rewards, health warnings.

Two formats, found line by line (a log may hold either; colour codes are removed first, since both AReaL
releases log through colorlog, which writes ANSI colour codes even into a pipe or file, and Ray colours its
``(master_worker/0 pid=..., ip=...)`` prefix):

- AReaL v0.2 (master worker, the guide's lines): ``Epoch e/E step s/S (global step g) finishes. ...``,
  ``RPC name actor_train returns {...}`` (a Python dict literal, checked to be a plain literal before
  ``ast.literal_eval``; never ``eval``) and ``Dumped recover info to file.``. v0.2.0 logs to stdout only:
  read the copy ``evalkit train`` appends to ``<fileroot>/logs/<user>/<exp>/<trial>/evalkit_train.log``.
- AReaL 1.0 (``StatsLogger.commit``): ``Epoch e/E Step s/S Train step g/G done.``, then ``Stats (i/n):`` and a
  ``tabulate`` "fancy_grid" table of ``key | value`` pairs (``ppo_actor/task_reward/avg`` ...), and
  ``Saved recover checkpoint to ...``. There is no step time in these lines: it is taken from the
  timestamps of two consecutive commits.

Lines that look like one of these but do not parse are counted as malformed and skipped.
``follow`` reads a growing log (``--follow``).
"""

import ast
import math
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")
STEP = re.compile(
    r"Epoch (\d+)/(\d+) step (\d+)/(\d+) \(global step (\d+)\) finishes\..*?"
    r"#End to end# execution time: \*([\d.]+)\*s\. Total time consumption: ([\d.]+)s\."
    r"(?: Estimated remaining time: ([\d.]+)s\.)?"
)
RPC = re.compile(r"RPC name (\w+) returns (\{.*\})\s*$")
RECOVER = "Dumped recover info to file."
AREAL_1_STEP = re.compile(r"Epoch (\d+)/(\d+) Step (\d+)/(\d+) Train step (\d+)/(\d+) done\.")
AREAL_1_STATS = re.compile(r"StatsLogger \w+: Stats \(\d+/\d+\):")
AREAL_1_RECOVER = "Saved recover checkpoint to "
TIMESTAMP = re.compile(r"(\d{8}-\d{2}:\d{2}:\d{2})\.(\d{3}) ")
STATS = ("task_reward", "actor_clip_ratio", "importance_weight", "avg_seq_len", "no_eos_ratio")
# AReaL 1.0's statistics (stats_tracker keys, PPOActor's "ppo_actor" scope) for the same columns.
AREAL_1_KEYS = {
    "task_reward": "ppo_actor/task_reward/avg",
    "actor_clip_ratio": "ppo_actor/update/clip_ratio/avg",
    "importance_weight": "ppo_actor/update/importance_weight/avg",
    "avg_seq_len": "ppo_actor/seq_len/avg",
    "no_eos_ratio": "ppo_actor/no_eos_ratios/avg",
}
IMPORTANCE_TOLERANCE = 0.05
CLIP_RATIO_LIMIT = 0.1
_NON_FINITE = {"nan": math.nan, "inf": math.inf}
V02, V10 = "areal-v0.2", "areal-1.0"


@dataclass(slots=True)
class Step:
    """One finished training step with its statistics (v0.2: the actor_train RPC reported just before it;
    1.0: the table committed with it). ``stats`` holds the table's columns (``STATS``), ``raw`` every
    number the trainer reported for the step. Times are seconds; None where the log does not say."""

    epoch: int
    epochs: int
    epoch_step: int
    epoch_steps: int
    global_step: int
    step_time: float | None
    total_time: float | None
    eta: float | None
    stats: dict[str, float] = field(default_factory=dict)
    raw: dict[str, float] = field(default_factory=dict)
    format: str = V02


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


def strip_ansi(text: str) -> str:
    """``text`` without terminal escape sequences (colours)."""
    return ANSI.sub("", text)


def _timestamp(line: str) -> float | None:
    m = TIMESTAMP.search(line)
    if not m:
        return None
    try:
        return datetime.strptime(m[1], "%Y%m%d-%H:%M:%S").timestamp() + int(m[2]) / 1000
    except ValueError:
        return None


def _number(cell: str) -> float | None:
    try:
        return float(cell)
    except ValueError:
        return None


class Parser:
    """Reads a log line by line (``feed``); ``log`` holds what was read so far.

    ``feed`` returns the steps whose statistics are complete with that line: a v0.2 step at its
    ``finishes.`` line, a 1.0 step when its statistics table closes (``follow`` prints them then)."""

    def __init__(self) -> None:
        self.log = TrainLog()
        self._pending: dict[str, float] = {}  # v0.2: the last actor_train statistics, for the next step
        self._table: Step | None = None  # 1.0: the step whose table is being read
        self._last_commit: tuple[int, float] | None = None  # 1.0: (global step, timestamp)

    def feed(self, line: str) -> list[Step]:
        line = strip_ansi(line)
        log = self.log
        if self._table is not None and "│" in line:
            self._table_row(line)
            return []
        if self._table is not None and "╘" in line:  # the table's bottom border
            step, self._table = self._table, None
            return [step]
        if "finishes." in line and "global step" in line:
            if m := STEP.search(line):
                e, ee, s, ss, g = (int(x) for x in m.groups()[:5])
                eta = float(m[8]) if m[8] else None
                raw, self._pending = self._pending, {}
                stats = {k: raw[k] for k in STATS if k in raw}
                step = Step(e, ee, s, ss, g, float(m[6]), float(m[7]), eta, stats, raw, V02)
                log.steps.append(step)
                return [step]
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
                self._pending = {
                    k: float(v)
                    for k, v in stats.items()
                    if isinstance(v, int | float) and not isinstance(v, bool)
                }
        elif RECOVER in line:
            log.recover_dumps += 1
            log.last_recover_step = log.steps[-1].global_step if log.steps else 0
        elif "Train step" in line and "done." in line:
            if m := AREAL_1_STEP.search(line):
                self._commit(line, *(int(x) for x in m.groups()))
            else:
                log.malformed += 1
        elif AREAL_1_STATS.search(line):
            if log.steps and log.steps[-1].format == V10:
                self._table = log.steps[-1]
        elif AREAL_1_RECOVER in line:
            # 1.0 saves for recovery inside a step, before that step's commit: the step is the next one.
            log.recover_dumps += 1
            log.last_recover_step = (log.steps[-1].global_step if log.steps else 0) + 1
        return []

    def _commit(self, line: str, e: int, ee: int, s: int, ss: int, g: int, gg: int) -> None:
        now = _timestamp(line)
        took = None
        if now is not None and self._last_commit and self._last_commit[0] == g - 1:
            took = round(now - self._last_commit[1], 3)
        self._last_commit = (g, now) if now is not None else None
        timed = [x.step_time for x in self.log.steps if x.format == V10 and x.step_time is not None]
        timed += [took] if took is not None else []
        eta = sum(timed) / len(timed) * (gg - g) if timed else None
        self.log.steps.append(Step(e, ee, s, ss, g, took, None, eta, format=V10))
        self._table = None

    def _table_row(self, line: str) -> None:
        cells = [c.strip() for c in line[line.index("│") :].strip().strip("│").split("│")]
        if len(cells) % 2:
            self.log.malformed += 1
            return
        step = self._table
        for key, cell in zip(cells[::2], cells[1::2], strict=True):
            value = _number(cell)
            if key and value is not None:
                step.raw[key] = value
        for column, key in AREAL_1_KEYS.items():
            if key in step.raw:
                step.stats[column] = step.raw[key]

    def finish(self, text: str = "") -> TrainLog:
        """The log read so far, with its warnings (``text``: the log's text, for the failure patterns)."""
        self.log.warnings = check(self.log, text)
        return self.log


def parse(text: str) -> TrainLog:
    """Parse a whole log; never raises on bad lines."""
    parser = Parser()
    for line in text.splitlines():
        parser.feed(line)
    return parser.finish(strip_ansi(text))


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
        if log.steps[-1].format == V10:
            rule = "AReaL 1.0 writes one per the config's recover.freq_epochs/freq_steps/freq_secs"
        else:
            rule = "the first one is written after step 2, then every exp_ctrl.ckpt_freq_secs=600 s"
        warnings.append(f"no recover checkpoint yet: a crash now restarts from scratch ({rule})")
    if log.malformed:
        warnings.append(f"{log.malformed} malformed line(s) skipped")
    return warnings


def row(step: Step) -> list[str]:
    """A step as the table shows it."""
    stats = [f"{step.stats[k]:.4g}" if k in step.stats else "-" for k in STATS]
    return [
        str(step.global_step),
        f"{step.epoch}/{step.epochs}",
        _num(step.step_time),
        _num(step.eta),
        *stats,
    ]


HEADER = ("step", "epoch", "step time (s)", "ETA (s)", *STATS)


def table(log: TrainLog) -> str:
    from prettytable import PrettyTable

    t = PrettyTable(list(HEADER))
    for s in log.steps:
        t.add_row(row(s))
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


@dataclass(slots=True)
class FollowEvent:
    """What one poll of ``follow`` found: finished steps, new failure diagnoses, or a restarted file."""

    steps: list[Step] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    restarted: bool = False


def follow(
    path: str | Path,
    *,
    interval: float = 2.0,
    sleep: Callable[[float], None] = time.sleep,
    max_polls: int | None = None,
    parser: Parser | None = None,
) -> Iterator[FollowEvent]:
    """Read ``path`` as it grows (``tail -f``), yielding what each poll completed.

    Reads only whole lines (a line still being written waits for the next poll), from the start of the
    file, and waits for a file that does not exist yet. A file that shrinks (truncated or replaced) is read
    again from its start with a fresh parser. Runs until the caller stops iterating (Ctrl-C in the CLI) or
    after ``max_polls`` polls; ``sleep`` is called between polls (injected by tests)."""
    from evalkit.sampling.troubleshooting import diagnose

    path = Path(path)
    parser = parser or Parser()
    offset, partial, seen = 0, b"", set()
    polls = 0
    while max_polls is None or polls < max_polls:
        if polls:
            sleep(interval)
        polls += 1
        event = FollowEvent()
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            continue
        if size < offset:
            offset, partial, seen = 0, b"", set()
            parser.__init__()  # the caller's parser, emptied: it holds only the new file's steps
            event.restarted = True
        if size > offset:
            with path.open("rb") as f:
                f.seek(offset)
                chunk = f.read(size - offset)
            offset += len(chunk)
            *lines, partial = (partial + chunk).split(b"\n")
            text = "\n".join(line.decode("utf-8", "replace") for line in lines)
            for line in text.splitlines():
                event.steps += parser.feed(line)
            for d in diagnose(strip_ansi(text)):
                if d.name not in seen:
                    seen.add(d.name)
                    event.warnings.append(f"{d.name}: {d.message} {d.advice}")
        if event.steps or event.warnings or event.restarted:
            yield event
