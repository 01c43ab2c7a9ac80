"""``evalkit train``: render an AReaL config from a hardware preset, check the cluster, launch on Ray.

``--trainer areal-v0.2`` runs ``python3 -m realhf.apps.quickstart ppo-math --config <rendered.yaml>``
(the guide's quickstart, in the AReaL checkout); ``--trainer areal`` runs AReaL 1.0 through
``python3 -m evalkit.training.areal_entry --config <rendered.yaml>`` with evalkit's reward.
"""

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from evalkit.training.presets import PRESETS, Preset, render_areal, render_v02

RENDERERS = {"areal-v0.2": render_v02, "areal": render_areal}
ENTRY_POINTS = {
    "areal-v0.2": ["-m", "realhf.apps.quickstart", "ppo-math"],
    "areal": ["-m", "evalkit.training.areal_entry"],
}
NETWORK_FS = {"nfs", "nfs4", "cifs", "smb3", "smbfs", "lustre", "gpfs", "beegfs", "ceph", "glusterfs", "9p"}
RAY_GPUS = re.compile(r"([\d.]+)/([\d.]+) GPU")


@dataclass(frozen=True, slots=True)
class Problem:
    """One preflight finding: an ``error`` stops a launch, a ``warning`` does not."""

    level: Literal["error", "warning"]
    message: str


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--preset", required=True, choices=sorted(PRESETS), help="row of the guide's hardware table"
    )
    parser.add_argument("--model_path", required=True, help="HF model directory (actor, ref and critic)")
    parser.add_argument("--dataset", required=True, help="training JSONL file")
    parser.add_argument("--trainer", choices=sorted(RENDERERS), default="areal-v0.2")
    parser.add_argument("--ray_address", help="Ray head, e.g. HEAD_IP:6379 (default: the local cluster)")
    parser.add_argument("--experiment_name")
    parser.add_argument("--trial_name")
    parser.add_argument(
        "--fileroot", default="/storage/ray/experiments", help="training outputs (shared storage)"
    )
    parser.add_argument("--max_new_tokens", type=int, default=16384)
    parser.add_argument("--config_out", help="where to write the rendered YAML (default: under --fileroot)")
    parser.add_argument(
        "--areal_dir", default="/storage/codes/AReaL", help="AReaL checkout (working directory)"
    )
    parser.add_argument("--python", default="python3", help="python of the trainer's own environment")
    parser.add_argument("--dry_run", action="store_true", help="print the config and command; launch nothing")


def render(args: argparse.Namespace) -> dict[str, Any]:
    """The trainer configuration for ``args``."""
    return RENDERERS[args.trainer](
        PRESETS[args.preset],
        model_path=args.model_path,
        dataset=args.dataset,
        experiment_name=args.experiment_name,
        trial_name=args.trial_name,
        fileroot=args.fileroot,
        max_new_tokens=args.max_new_tokens,
    )


def config_path(args: argparse.Namespace, config: dict[str, Any]) -> Path:
    if args.config_out:
        return Path(args.config_out)
    return (
        Path(args.fileroot) / "evalkit_configs" / f"{config['experiment_name']}_{config['trial_name']}.yaml"
    )


def command(args: argparse.Namespace, path: Path) -> list[str]:
    return [args.python, *ENTRY_POINTS[args.trainer], "--config", str(path)]


def cluster_gpus(ray_address: str | None) -> tuple[int | None, str]:
    """Total GPUs of the Ray cluster (``ray status``), else of this host (``nvidia-smi -L``)."""
    ray_cmd = ["ray", "status", *(["--address", ray_address] if ray_address else [])]
    for cmd, source in ((ray_cmd, "ray status"), (["nvidia-smi", "-L"], "nvidia-smi (this host only)")):
        if shutil.which(cmd[0]) is None:
            continue
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        except subprocess.TimeoutExpired:
            continue
        if out.returncode != 0:
            continue
        if cmd[0] == "ray":
            match = RAY_GPUS.search(out.stdout)
            return (int(float(match[2])) if match else 0), source
        return sum(line.startswith("GPU ") for line in out.stdout.splitlines()), source
    return None, "neither `ray status` nor `nvidia-smi` answered"


def mount_type(path: str) -> tuple[str, str]:
    """(mount point, filesystem type) of the mount holding ``path``, from /proc/mounts."""
    target = os.path.realpath(path)
    best = ("/", "unknown")
    try:
        lines = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return best
    for line in lines:
        fields = line.split()
        if len(fields) < 3:
            continue
        point, fstype = fields[1], fields[2]
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best[0]):
            best = (point, fstype)
    return best


def is_network_fs(fstype: str) -> bool:
    return fstype.split(".")[0] in NETWORK_FS or fstype.startswith("fuse.")


def preflight(args: argparse.Namespace, preset: Preset) -> list[Problem]:
    """Everything missing for ``preset``: model, dataset, Ray and its GPUs, shared storage."""
    problems = []
    if not (Path(args.model_path) / "config.json").is_file():
        problems.append(Problem("error", f"model not found: {args.model_path} has no config.json"))
    if not Path(args.dataset).is_file():
        problems.append(Problem("error", f"dataset not found: {args.dataset}"))
    gpus, source = cluster_gpus(args.ray_address)
    if gpus is None:
        problems.append(
            Problem("error", f"Ray cluster not reachable ({source}); start it: scripts/setup_cluster.py")
        )
    elif source != "ray status":
        problems.append(Problem("error", f"Ray cluster not reachable; {source} sees {gpus} GPU(s)"))
    if gpus is not None and gpus < preset.gpus:
        problems.append(
            Problem(
                "error",
                f"preset {preset.name} needs {preset.nodes} node(s) x 8 GPUs = {preset.gpus} GPUs (80 GB); "
                f"{source} reports {gpus}",
            )
        )
    storage = storage_problem(args.fileroot, preset.nodes)
    return problems + ([storage] if storage else [])


def storage_problem(fileroot: str, nodes: int) -> Problem | None:
    """Several nodes need ``fileroot`` on shared storage (a network filesystem, the guide's /storage)."""
    point, fstype = mount_type(fileroot)
    if nodes == 1 or is_network_fs(fstype):
        return None
    if os.path.realpath(fileroot).startswith("/storage"):
        return Problem("warning", f"{fileroot} is on {fstype} at {point}: make sure /storage is shared (NAS)")
    return Problem(
        "error",
        f"{nodes} nodes need shared storage, but fileroot {fileroot} is on local {fstype} ({point}); "
        "mount a NAS on every node at /storage",
    )


def run(args: argparse.Namespace) -> int:
    import yaml

    preset = PRESETS[args.preset]
    config = render(args)
    path = config_path(args, config)
    cmd = command(args, path)
    problems = preflight(args, preset)
    if args.dry_run:
        print(f"# {path}\n{yaml.safe_dump(config, sort_keys=False)}")
        print(f"# command (cwd {args.areal_dir}):\n# {shlex.join(cmd)}")
        for p in problems:
            print(f"warning: {p.message}", file=sys.stderr)
        return 0
    for p in problems:
        print(f"{p.level}: {p.message}", file=sys.stderr)
    if any(p.level == "error" for p in problems):
        return 2
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    env = dict(os.environ, **({"RAY_ADDRESS": args.ray_address} if args.ray_address else {}))
    cwd = args.areal_dir if Path(args.areal_dir).is_dir() else None
    print(f"launching: {shlex.join(cmd)}", file=sys.stderr)
    return subprocess.run(cmd, cwd=cwd, env=env).returncode
