"""Discover Hugging Face checkpoints written by RL trainers, each with its global step.

=============  ===========================================================================
trainer        layout
=============  ===========================================================================
AReaL v0.2     ``<fileroot>/checkpoints/<user>/<exp>/<trial>/actor/epoch{E}epochstep{S}globalstep{G}/``
AReaL 1.0      ``<fileroot>/checkpoints/<user>/<exp>/<trial>/default/epoch{E}epochstep{S}globalstep{G}/``
veRL           ``<default_local_dir>/global_step_{N}/actor/`` (FSDP shards: merge to HF first)
TRL            ``<output_dir>/checkpoint-{N}/``
=============  ===========================================================================

``global_step`` is the number of training steps the checkpoint has seen, as the trainers' logs count
them: AReaL v0.2 names directories from 1 (``globalstep{G}`` after G steps), AReaL 1.0 from 0
(``globalstep{G}`` after G + 1 steps, logged as "Train step G+1").

Recover checkpoints are never returned: AReaL writes them to ``<role>/recover_checkpoint/`` and deletes
and rewrites that directory at the next recover save (every ``ckpt_freq_secs`` / ``recover.freq_secs``);
v0.2 also exposes it as a symlink named like a persistent save. Only real directories count.

A checkpoint counts only when complete: ``config.json`` plus every weight file (all shards of a
``*.index.json``), no temporary files, and (checked by the caller) an unchanged :func:`signature`
across two polls.
"""

import json
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

AREAL = re.compile(r"^epoch(\d+)epochstep(\d+)globalstep(\d+)$")
VERL = re.compile(r"^global_step_(\d+)$")
TRL = re.compile(r"^checkpoint-(\d+)$")
WEIGHT_GLOBS = ("*.safetensors", "pytorch_model*.bin")
TEMP_SUFFIXES = (".tmp", ".temp", ".partial", ".incomplete", ".lock")
FSDP_SHARD = "model_world_size_*_rank_*.pt"
MERGED_DIR = "merged_hf"
RECOVER_DIR = "recover_checkpoint"
AREAL_ROLES = {"actor": ("areal-v0.2", 0), "default": ("areal", 1)}  # role directory: (trainer, step offset)


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """One checkpoint. ``path`` is the HF directory to evaluate, or the FSDP shards if not ``merged``."""

    trainer: str
    global_step: int
    path: Path
    merged: bool = True

    @property
    def tag(self) -> str:
        return f"step{self.global_step:06d}"

    def merge_command(self, python: str = sys.executable) -> list[str]:
        """veRL's FSDP-to-HF merge of this checkpoint into ``global_step_N/merged_hf``."""
        target = self.path.parent / MERGED_DIR
        return [python, "-m", "verl.model_merger", "merge", "--backend", "fsdp",
                "--local_dir", str(self.path), "--target_dir", str(target)]  # fmt: skip


def is_saved(path: Path) -> bool:
    """``config.json`` and all weight files present, nothing still being written."""
    if not (path / "config.json").is_file():
        return False
    names = os.listdir(path)
    if any(n.endswith(TEMP_SUFFIXES) or n.startswith(".tmp") for n in names):
        return False
    for index in path.glob("*.index.json"):
        try:
            shards = set(json.loads(index.read_text())["weight_map"].values())
        except (OSError, ValueError, KeyError):
            return False
        if not all((path / s).is_file() for s in shards):
            return False
    return any(any(path.glob(g)) for g in WEIGHT_GLOBS)


def signature(path: Path) -> tuple[int, int, int]:
    """(file count, total bytes, newest mtime in ns) of a directory tree: equal across polls = settled."""
    count = size = newest = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                st = os.stat(os.path.join(root, name))
            except FileNotFoundError:
                continue
            count, size, newest = count + 1, size + st.st_size, max(newest, st.st_mtime_ns)
    return count, size, newest


def _verl(step_dir: Path, step: int) -> Checkpoint | None:
    actor = step_dir / "actor"
    for hf in (step_dir / MERGED_DIR, actor / "huggingface", actor):
        if is_saved(hf):
            return Checkpoint("verl", step, hf)
    if any(actor.glob(FSDP_SHARD)):
        return Checkpoint("verl", step, actor, merged=False)
    return None


def is_transient(path: Path) -> bool:
    """A symlink, or a path inside a recover checkpoint: the trainer will delete or repoint it."""
    return path.is_symlink() or RECOVER_DIR in Path(os.path.realpath(path)).parts


def _areal(path: Path, global_step: int) -> Checkpoint | None:
    role = AREAL_ROLES.get(path.parent.name)
    if role is None or not is_saved(path):
        return None
    trainer, offset = role
    return Checkpoint(trainer, global_step + offset, path)


def weightless(root: str | Path) -> list[Path]:
    """Persistent AReaL or TRL save directories under ``root`` that hold no weight file (yet)."""
    lacking = []
    for dirpath, dirnames, _ in os.walk(root):
        for name in list(dirnames):
            path = Path(dirpath) / name
            if is_transient(path):
                dirnames.remove(name)
            elif AREAL.match(name) or TRL.match(name):
                dirnames.remove(name)
                if not any(any(path.glob(g)) for g in WEIGHT_GLOBS):
                    lacking.append(path)
    return sorted(lacking)


def discover(root: str | Path) -> list[Checkpoint]:
    """Complete persistent checkpoints under ``root`` (and unmerged veRL ones), sorted by global step."""
    found: list[Checkpoint] = []
    for dirpath, dirnames, _ in os.walk(root):
        here = Path(dirpath)
        for name in list(dirnames):
            path = here / name
            if is_transient(path):
                dirnames.remove(name)
                continue
            if m := AREAL.match(name):
                found += [c] if (c := _areal(path, int(m[3]))) else []
            elif m := VERL.match(name):
                found += [c] if (c := _verl(path, int(m[1]))) else []
            elif m := TRL.match(name):
                found += [Checkpoint("trl", int(m[1]), path)] if is_saved(path) else []
            else:
                continue
            dirnames.remove(name)
    return sorted(found, key=lambda c: (c.global_step, str(c.path)))


class MergeError(RuntimeError):
    """veRL's merger failed (or could not start); the message ends with its last line of error output."""


def merge(checkpoint: Checkpoint, python: str = sys.executable) -> Checkpoint:
    """Run veRL's merger (``python -m verl.model_merger``, so ``python`` must be an environment with veRL) on
    an unmerged checkpoint; return the merged one. Its error output is passed through to ours; a failure
    raises ``MergeError`` naming the exit status, the last line it wrote to stderr and the command."""
    cmd = checkpoint.merge_command(python)
    last = ""
    try:
        with subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, errors="replace") as proc:
            for line in proc.stderr:
                sys.stderr.write(line)
                last = line.strip() or last
        rc = proc.returncode
    except OSError as e:  # the python does not exist or cannot run
        raise MergeError(f"merge could not start ({e}): {shlex.join(cmd)}") from e
    if rc != 0:
        raise MergeError(f"merge exited with {rc}{f': {last}' if last else ''} ({shlex.join(cmd)})")
    return Checkpoint("verl", checkpoint.global_step, checkpoint.path.parent / MERGED_DIR)
