"""``evalkit watch CKPT_ROOT --output_path OUT``: evaluate every new training checkpoint as it appears.

Each settled persistent checkpoint (complete, unchanged across two polls, never a trainer's recover
checkpoint: see ``checkpoints``) is evaluated by
``python -m evalkit eval`` in a subprocess, with the flags of an ``EvalConfig`` built from watch's
evaluation flags and ``--eval_args`` (``--python`` of its own environment, its own GPUs via
``--cuda_visible_devices``). Results go to ``OUT/<step tag>/<benchmark>/``; ``OUT/watch.json`` keeps the
per-step table (greedy_acc and sample_pass@1 per benchmark), printed and plotted to ``OUT/watch.png``.
"""

import argparse
import json
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from evalkit.cli import eval_and_aggregate
from evalkit.run.config import EvalConfig, default
from evalkit.training.checkpoints import Checkpoint, discover, merge, signature, weightless
from evalkit.errors import UsageError

METRICS = ("greedy_acc", "sample_pass@1")
Metrics = dict[str, dict[str, float | None]]
Evaluator = Callable[[Checkpoint], Metrics]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("ckpt_root", help="directory the trainer writes checkpoints under")
    parser.add_argument("--output_path", required=True)
    parser.add_argument("--interval", type=float, default=300.0, help="seconds between polls")
    parser.add_argument("--once", action="store_true", help="evaluate what is there now, then exit")
    parser.add_argument(
        "--settle", type=float, default=5.0, help="with --once: seconds between the two polls"
    )
    parser.add_argument("--merge", action="store_true", help="merge veRL FSDP shards to HF before evaluating")
    parser.add_argument(
        "--retries", type=int, default=2, help="times a failed evaluation is tried again (on later polls)"
    )
    parser.add_argument("--python", default=sys.executable, help="python of the evaluation environment")
    parser.add_argument("--cuda_visible_devices", help="GPUs for the evaluation, e.g. 6,7")
    parser.add_argument("--data_names", default=",".join(default(EvalConfig, "benchmarks")))
    parser.add_argument("--backend")
    parser.add_argument("--n_sampling", type=int)
    parser.add_argument("--max_gen_tokens", type=int)
    parser.add_argument("--data_dir")
    parser.add_argument(
        "--eval_args", default="", help="further eval_and_aggregate flags, quoted as one string"
    )


def eval_config(args: argparse.Namespace, model_path: str, tag: str) -> EvalConfig:
    """The evaluation of one checkpoint: watch's eval flags and ``--eval_args``, read as
    ``eval_and_aggregate`` reads its flags (an unknown or conflicting one fails here, naming it)."""
    argv = [
        "--model_path",
        model_path,
        "--output_path",
        args.output_path,
        "--model_tag",
        tag,
        "--data_names",
        args.data_names,
        "--no_areal_files",
    ]  # fmt: skip  (AReaL's layout: one model a path)
    for flag in ("backend", "n_sampling", "max_gen_tokens", "data_dir"):
        if getattr(args, flag) is not None:
            argv += [f"--{flag}", str(getattr(args, flag))]
    parser = argparse.ArgumentParser(prog="evalkit watch --eval_args", add_help=False)
    eval_and_aggregate.add_arguments(parser)
    return EvalConfig.from_args(parser.parse_args(argv + shlex.split(args.eval_args)))


def eval_command(args: argparse.Namespace, ckpt: Checkpoint) -> list[str]:
    """The ``eval_and_aggregate`` command for one checkpoint: the flags of its ``eval_config``."""
    return [args.python, "-m", "evalkit", "eval", *eval_config(args, str(ckpt.path), ckpt.tag).to_argv()]


def read_metrics(output_path: str | Path, tag: str, data_names: str) -> Metrics:
    """greedy_acc and sample_pass@1 of each benchmark, from ``OUT/<tag>/<benchmark>/samples.jsonl``."""
    from evalkit.reporting.metrics import aggregate
    from evalkit.run.store import read_records

    out: Metrics = {}
    for bench in filter(None, (b.strip() for b in data_names.split(","))):
        records = read_records(Path(output_path) / tag / bench / "samples.jsonl")
        summary = aggregate(records, ks=(), maj_ks=()) if records else {}
        out[bench] = {m: summary.get(m) for m in METRICS}
    return out


def subprocess_evaluator(args: argparse.Namespace) -> Evaluator:
    """Evaluate in a subprocess with its own python and GPUs; a failure raises ``RuntimeError``."""
    env = dict(
        os.environ, PYTHONSAFEPATH="1"
    )  # a folder named evalkit in the cwd must not shadow the package
    if args.cuda_visible_devices is not None:
        env["CUDA_VISIBLE_DEVICES"] = args.cuda_visible_devices

    def evaluate(ckpt: Checkpoint) -> Metrics:
        cmd = eval_command(args, ckpt)
        print(f"evaluating step {ckpt.global_step}: {shlex.join(cmd)}", file=sys.stderr, flush=True)
        if (rc := subprocess.run(cmd, env=env).returncode) != 0:
            raise RuntimeError(f"evaluation exited with {rc}: {shlex.join(cmd)}")
        return read_metrics(args.output_path, ckpt.tag, args.data_names)

    return evaluate


class Watcher:
    """Poll state: settled-checkpoint detection and the per-step results stored in ``OUT/watch.json``."""

    def __init__(self, args: argparse.Namespace, evaluate: Evaluator) -> None:
        self.args, self.evaluate = args, evaluate
        self.state_path = Path(args.output_path) / "watch.json"
        self.results: dict[str, dict[str, Any]] = (
            json.loads(self.state_path.read_text()) if self.state_path.is_file() else {}
        )
        self.signatures: dict[Path, tuple[int, int, int]] = {}
        self.advised: set[Path] = set()

    def poll(self) -> int:
        """One pass: evaluate settled checkpoints; return how many are still pending (changing or merged)."""
        pending = 0
        self._report_weightless()
        for ckpt in discover(self.args.ckpt_root):
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
        return entry is not None and ("error" not in entry or entry["attempts"] > self.args.retries)

    def _report_weightless(self) -> None:
        """Say once, when it has settled, that a save directory holds no weights (it is not evaluated)."""
        for path in weightless(self.args.ckpt_root):
            sig = signature(path)
            if path in self.advised or self.signatures.get(path) != sig:
                self.signatures[path] = sig
                continue
            self.advised.add(path)
            print(f"checkpoint {path} holds no weight files (*.safetensors, pytorch_model*.bin): not evaluated "
                  "until they appear", file=sys.stderr)  # fmt: skip

    def _unmerged(self, ckpt: Checkpoint) -> int:
        if self.args.merge:
            merge(ckpt, self.args.python)
            return 1
        if ckpt.path not in self.advised:
            self.advised.add(ckpt.path)
            print(f"veRL checkpoint {ckpt.path} holds FSDP shards; merge it to HF first "
                  f"(or pass --merge):\n  {shlex.join(ckpt.merge_command(self.args.python))}", file=sys.stderr)  # fmt: skip
        return 0

    def _evaluate(self, ckpt: Checkpoint) -> None:
        attempts = self.results.get(str(ckpt.path), {}).get("attempts", 0) + 1
        entry: dict[str, Any] = {"trainer": ckpt.trainer, "global_step": ckpt.global_step, "tag": ckpt.tag,
                                 "attempts": attempts}  # fmt: skip
        try:
            entry["metrics"] = self.evaluate(ckpt)
        except RuntimeError as e:
            left = self.args.retries + 1 - attempts
            print(
                f"error (attempt {attempts}, {left} retr{'y' if left == 1 else 'ies'} left): {e}",
                file=sys.stderr,
            )
            entry["error"] = str(e)
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

        from evalkit.training.plots import plot_curves

        rows = self.rows()
        columns = list(dict.fromkeys(k for r in rows for k in r))
        table = PrettyTable(columns)
        for r in rows:
            table.add_row([_fmt(r.get(c)) for c in columns])
        print(table, flush=True)
        out = Path(self.args.output_path)
        (out / "watch_table.json").write_text(json.dumps(rows, indent=2))
        metric_cols = [c for c in columns if c not in ("step", "trainer")]
        plot_curves(out / "watch.png", [r["step"] for r in rows], {c: [r.get(c) for r in rows] for c in metric_cols},
                    xlabel="global step", title="evaluation of training checkpoints")  # fmt: skip


def _fmt(value: Any) -> Any:
    return f"{value:.1f}" if isinstance(value, float) else ("-" if value is None else value)


def watch(args: argparse.Namespace, evaluate: Evaluator) -> Watcher:
    """Poll until interrupted; with ``--once``, until nothing is pending, ``--settle`` seconds apart."""
    watcher = Watcher(args, evaluate)
    while True:
        pending = watcher.poll()
        if args.once and not pending:
            return watcher
        time.sleep(args.settle if args.once else args.interval)


def run(args: argparse.Namespace) -> int:
    if not Path(args.ckpt_root).is_dir():
        print(f"error: checkpoint root not found: {args.ckpt_root}", file=sys.stderr)
        return 2
    try:
        eval_config(args, "CKPT", "TAG")  # a bad --eval_args fails now, not at the first checkpoint
    except UsageError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    try:
        watcher = watch(args, subprocess_evaluator(args))
    except KeyboardInterrupt:
        return 130
    return 1 if any("error" in e for e in watcher.results.values()) else 0
