"""Each new training checkpoint evaluated as it appears (``evalkit watch CKPT_ROOT --output_path OUT``).

Each settled persistent checkpoint (complete, unchanged across two polls, never a trainer's recover
checkpoint: see ``checkpoints``) is evaluated by the ``command`` given to :func:`subprocess_evaluator`
(``evalkit watch`` passes ``python -m evalkit eval`` with the flags of the checkpoint's ``EvalConfig``),
in a subprocess with its own python and GPUs. Results go to ``OUT/<step tag>/<benchmark>/``;
``OUT/watch.json`` keeps the per-step table (greedy_acc and sample_pass@1 per benchmark), printed and
plotted to ``OUT/watch.png``.
"""

import json
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import MISSING, dataclass, field
from pathlib import Path
from typing import Any

from evalkit.run.config import EvalConfig, default
from evalkit.training.checkpoints import Checkpoint, MergeError, discover, merge, signature, weightless

METRICS = ("greedy_acc", "sample_pass@1")
Metrics = dict[str, dict[str, float | None]]
Evaluator = Callable[[Checkpoint], Metrics]


def _flag(default: Any = MISSING, help: str | None = None) -> Any:
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True, slots=True)
class WatchConfig:
    """What to watch, how often, and where to evaluate: each default and flag help of ``evalkit watch`` is
    written here once (its flags are generated from these fields, in this order)."""

    ckpt_root: str = _flag(help="directory the trainer writes checkpoints under")
    output_path: str = _flag()
    interval: float = _flag(300.0, "seconds between polls")
    once: bool = _flag(False, "evaluate what is there now, then exit")
    settle: float = _flag(5.0, "with --once: seconds between the two polls")
    merge: bool = _flag(False, "merge veRL FSDP shards to HF before evaluating")
    merge_python: str | None = _flag(
        None, "python of an environment with veRL, for --merge's merger (default: --python)"
    )
    retries: int = _flag(2, "times a failed evaluation is tried again (on later polls)")
    python: str = _flag(sys.executable, "python of the evaluation environment")
    cuda_visible_devices: str | None = _flag(None, "GPUs for the evaluation, e.g. 6,7")
    data_names: str = _flag(",".join(default(EvalConfig, "benchmarks")))


def read_metrics(output_path: str | Path, tag: str, data_names: str) -> Metrics:
    """greedy_acc and sample_pass@1 of each benchmark (a suite: each of its benchmarks), from
    ``OUT/<tag>/<benchmark>/samples.jsonl``."""
    from evalkit.benchmarks.loading import expand_names
    from evalkit.reporting.metrics import aggregate
    from evalkit.run.store import read_records

    out: Metrics = {}
    for bench in expand_names(filter(None, (b.strip() for b in data_names.split(",")))):
        records = read_records(Path(output_path) / tag / bench / "samples.jsonl")
        summary = aggregate(records, ks=(), maj_ks=()).to_dict() if records else {}
        out[bench] = {m: summary.get(m) for m in METRICS}
    return out


def subprocess_evaluator(config: WatchConfig, command: Callable[[Checkpoint], list[str]]) -> Evaluator:
    """Evaluate by running ``command(checkpoint)`` in a subprocess with its own GPUs; a failure raises
    ``RuntimeError``."""
    env = dict(
        os.environ, PYTHONSAFEPATH="1"
    )  # a folder named evalkit in the cwd must not shadow the package
    if config.cuda_visible_devices is not None:
        env["CUDA_VISIBLE_DEVICES"] = config.cuda_visible_devices

    def evaluate(ckpt: Checkpoint) -> Metrics:
        cmd = command(ckpt)
        print(f"evaluating step {ckpt.global_step}: {shlex.join(cmd)}", file=sys.stderr, flush=True)
        try:
            rc = subprocess.run(cmd, env=env).returncode
        except OSError as e:  # --python does not exist or cannot run: a failure like any other
            raise RuntimeError(f"evaluation could not start ({e}): {shlex.join(cmd)}") from e
        if rc != 0:
            raise RuntimeError(f"evaluation exited with {rc}: {shlex.join(cmd)}")
        return read_metrics(config.output_path, ckpt.tag, config.data_names)

    return evaluate


class Watcher:
    """Poll state: settled-checkpoint detection and the per-step results stored in ``OUT/watch.json``."""

    def __init__(self, config: WatchConfig, evaluate: Evaluator) -> None:
        self.config, self.evaluate = config, evaluate
        self.state_path = Path(config.output_path) / "watch.json"
        self.results: dict[str, dict[str, Any]] = (
            json.loads(self.state_path.read_text()) if self.state_path.is_file() else {}
        )
        self.signatures: dict[Path, tuple[int, int, int]] = {}
        self.advised: set[Path] = set()

    def poll(self) -> int:
        """One pass: evaluate settled checkpoints; return how many are still pending (changing or merged)."""
        pending = 0
        self._report_weightless()
        for ckpt in discover(self.config.ckpt_root):
            if self._done(str(ckpt.path)):
                continue
            if not ckpt.merged:
                pending += self._unmerged(ckpt)
                continue
            sig = signature(ckpt.path)
            if self.signatures.get(ckpt.path) != sig:
                self.signatures[ckpt.path] = sig
                pending += 1
                continue
            self._evaluate(ckpt)
            pending += not self._done(str(ckpt.path))  # a failure with retries left is tried again
        return pending

    def _done(self, key: str) -> bool:
        """Evaluated, or failed more than ``--retries`` times."""
        entry = self.results.get(key)
        return entry is not None and ("error" not in entry or entry["attempts"] > self.config.retries)

    def _report_weightless(self) -> None:
        """Say once, when it has settled, that a save directory holds no weights (it is not evaluated)."""
        for path in weightless(self.config.ckpt_root):
            sig = signature(path)
            if path in self.advised or self.signatures.get(path) != sig:
                self.signatures[path] = sig
                continue
            self.advised.add(path)
            print(f"checkpoint {path} holds no weight files (*.safetensors, pytorch_model*.bin): not evaluated "
                  "until they appear", file=sys.stderr)  # fmt: skip

    @property
    def merge_python(self) -> str:
        return self.config.merge_python or self.config.python

    def _unmerged(self, ckpt: Checkpoint) -> int:
        """Merge (``--merge``) or advise the merge command; a failed merge is recorded and retried like a failed
        evaluation (``--retries``), then left failed in ``watch.json``: the watcher goes on either way."""
        if self.config.merge:
            try:
                merge(ckpt, self.merge_python)
            except MergeError as e:
                self._record(ckpt, {"stage": "merge"}, e)
                return int(not self._done(str(ckpt.path)))  # retries left: tried again next poll
            return 1  # the merged directory is evaluated once it has settled (next polls)
        if ckpt.path not in self.advised:
            self.advised.add(ckpt.path)
            print(f"veRL checkpoint {ckpt.path} holds FSDP shards; merge it to HF first "
                  f"(or pass --merge):\n  {shlex.join(ckpt.merge_command(self.merge_python))}", file=sys.stderr)  # fmt: skip
        return 0

    def _evaluate(self, ckpt: Checkpoint) -> None:
        try:
            metrics = self.evaluate(ckpt)
        except RuntimeError as e:
            self._record(ckpt, {}, e)
        else:
            self._record(ckpt, {"metrics": metrics})

    def _record(self, ckpt: Checkpoint, extra: dict[str, Any], error: Exception | None = None) -> None:
        """Store one attempt at ``ckpt`` (its metrics, or its error) in ``watch.json`` and print the table."""
        attempts = self.results.get(str(ckpt.path), {}).get("attempts", 0) + 1
        entry: dict[str, Any] = {"trainer": ckpt.trainer, "global_step": ckpt.global_step, "tag": ckpt.tag,
                                 "attempts": attempts, **extra}  # fmt: skip
        if error is not None:
            left = self.config.retries + 1 - attempts
            print(
                f"error (attempt {attempts}, {left} retr{'y' if left == 1 else 'ies'} left): {error}",
                file=sys.stderr,
            )
            entry["error"] = str(error)
        self.results[str(ckpt.path)] = entry
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        self.state_path.write_text(json.dumps(self.results, indent=2))
        self.report()

    def rows(self) -> list[dict[str, Any]]:
        """One row per evaluated step: ``step``, ``trainer`` and ``<benchmark> <metric>`` columns."""
        rows = []
        for entry in sorted(self.results.values(), key=lambda e: e["global_step"]):
            row = {"step": entry["global_step"], "trainer": entry["trainer"]}
            for bench, values in entry.get("metrics", {}).items():
                row |= {f"{bench} {m}": values.get(m) for m in METRICS}
            rows.append(row)
        return rows

    def report(self) -> None:
        """Print the per-step table and write ``watch_table.json`` and ``watch.png``."""
        from prettytable import PrettyTable

        from evalkit.reporting.plots import plot_curves

        rows = self.rows()
        columns = list(dict.fromkeys(k for r in rows for k in r))
        table = PrettyTable(columns)
        for r in rows:
            table.add_row([_fmt(r.get(c)) for c in columns])
        print(table, flush=True)
        out = Path(self.config.output_path)
        (out / "watch_table.json").write_text(json.dumps(rows, indent=2))
        metric_cols = [c for c in columns if c not in ("step", "trainer")]
        plot_curves(out / "watch.png", [r["step"] for r in rows], {c: [r.get(c) for r in rows] for c in metric_cols},
                    xlabel="global step", title="evaluation of training checkpoints")  # fmt: skip


def _fmt(value: Any) -> Any:
    return f"{value:.1f}" if isinstance(value, float) else ("-" if value is None else value)


def watch(config: WatchConfig, evaluate: Evaluator) -> Watcher:
    """Poll until interrupted; with ``--once``, until nothing is pending, ``--settle`` seconds apart."""
    watcher = Watcher(config, evaluate)
    while True:
        pending = watcher.poll()
        if config.once and not pending:
            return watcher
        time.sleep(config.settle if config.once else config.interval)
