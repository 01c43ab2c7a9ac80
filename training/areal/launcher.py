"""Launching AReaL (``evalkit train``): a config rendered from a hardware preset, the cluster checked, the run
launched on Ray.

``--trainer areal-v0.2`` runs ``python3 -m realhf.apps.quickstart ppo-math --config <rendered.yaml>``
(the guide's quickstart, in an AReaL v0.2 checkout); ``--trainer areal`` runs AReaL 1.0 through
``python3 -m evalkit.training.areal.entry --config <rendered.yaml>`` with evalkit's reward, in the keys of
the AReaL release installed in ``--python``'s environment (or ``--areal_version``). The trainer's output
is also appended to a log file, which ``evalkit train-log`` reads.
"""

import argparse
import getpass
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Literal

from evalkit.training.areal.presets import (
    AREAL_RELEASES,
    PRESETS,
    V02_RELEASE,
    Preset,
    TrainJob,
    areal_release,
    render_areal,
    render_v02,
)

V02_TAG = "v0.2.0"
V02_ENTRY = Path("realhf/apps/quickstart.py")
AREAL_REPO = "https://github.com/inclusionAI/AReaL"
LOG_NAME = "evalkit_train.log"
VERSION_PROBE = "from importlib.metadata import version; print(version('areal'))"
ENTRY_POINTS = {
    "areal-v0.2": ["-m", "realhf.apps.quickstart", "ppo-math"],
    "areal": ["-m", "evalkit.training.areal.entry"],
}
NETWORK_FS = {"nfs", "nfs4", "cifs", "smb3", "smbfs", "lustre", "gpfs", "beegfs", "ceph", "glusterfs", "9p"}
RAY_GPUS = re.compile(r"([\d.]+)/([\d.]+) GPU")


@dataclass(frozen=True, slots=True)
class Finding:
    """One preflight finding: an ``error`` stops a launch, a ``warning`` does not."""

    level: Literal["error", "warning"]
    message: str


INPUT_PATHS = ("model_path", "dataset", "areal_dir")  # may also be a hub id: resolved where they are local
OUTPUT_PATHS = ("fileroot", "config_out", "log_file")  # always paths


def resolve_paths(args: argparse.Namespace, cwd: str | None = None) -> argparse.Namespace:
    """``args`` with every path absolute (``~`` expanded), as the user's directory ``cwd`` (default: the
    current one) reads them: the trainer runs elsewhere (AReaL v0.2 in ``--areal_dir``), so a relative
    path would name another file there. A model or dataset given as a hub id (not a local path) is kept."""
    base = Path(cwd or os.getcwd())
    resolved = dict(vars(args))
    for name in (*INPUT_PATHS, *OUTPUT_PATHS):
        value = resolved.get(name)
        if not value:
            continue
        path = Path(value).expanduser()
        local = name in OUTPUT_PATHS or str(value).startswith((".", "~")) or (base / path).exists()
        if local and not path.is_absolute():
            path = base / path
        resolved[name] = os.path.normpath(path) if local else value
    python = resolved.get("python")
    if python and os.sep in python and not Path(python).expanduser().is_absolute():
        resolved["python"] = os.path.normpath(base / python)
    return argparse.Namespace(**resolved)


def detect_release(args: argparse.Namespace) -> tuple[str, Finding | None]:
    """The AReaL release to render for, and what stops a launch with it (``None`` if nothing)."""
    v02 = args.trainer == "areal-v0.2"
    found = args.areal_version or (
        _output(["git", "-C", args.areal_dir, "describe", "--tags", "--abbrev=0"]) if v02 else _output([args.python, "-c", VERSION_PROBE])
    )  # fmt: skip
    if found is None:  # v0.2 without git: prerequisites() still checks the checkout
        missing = f"no AReaL in {args.python}'s environment: {args.python} -m pip install areal=={AREAL_RELEASES[-1]}"
        return (V02_RELEASE, None) if v02 else (AREAL_RELEASES[-1], Finding("error", missing))
    try:
        release, message = areal_release(found), ""
    except ValueError as e:
        release, message = "", str(e)
    if v02 and release != V02_RELEASE:
        fix = f"git -C {args.areal_dir} checkout {V02_TAG}"
        return V02_RELEASE, Finding(
            "error", f"AReaL {found} is not v0.2, which the guide's configs need: {fix}"
        )
    if not v02 and release in ("", V02_RELEASE):
        return AREAL_RELEASES[-1], Finding(
            "error", message or f"AReaL {found} runs with --trainer areal-v0.2"
        )
    return release, None


def _output(cmd: list[str]) -> str | None:
    """The stripped stdout of ``cmd``, or ``None`` if it fails or prints nothing."""
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return (out.stdout.strip() or None) if out.returncode == 0 else None


def render(args: argparse.Namespace, release: str) -> dict[str, Any]:
    """The trainer configuration for ``args``, in ``release``'s keys."""
    job = TrainJob(**{f.name: getattr(args, f.name) for f in fields(TrainJob)})
    if release == V02_RELEASE:
        return render_v02(PRESETS[args.preset], job)
    return render_areal(PRESETS[args.preset], job, version=release)


def log_path(args: argparse.Namespace, config: dict[str, Any]) -> Path:
    """Where the trainer's output is copied: beside the trainer's own logs (v0.2.0 writes none)."""
    if args.log_file:
        return Path(args.log_file)
    exp, trial = config["experiment_name"], config["trial_name"]
    return Path(args.fileroot) / "logs" / getpass.getuser() / exp / trial / LOG_NAME


def prerequisites(args: argparse.Namespace, config: dict[str, Any]) -> list[Finding]:
    """What AReaL v0.2 needs before it starts: a v0.2 checkout to run in, names without ``_``."""
    if args.trainer != "areal-v0.2":
        return []
    problems = []
    checkout = Path(args.areal_dir)
    if not checkout.is_dir():
        problems.append(Finding("error", f"AReaL checkout not found: {checkout}; git clone {AREAL_REPO} {checkout} "
                                f"&& git -C {checkout} checkout {V02_TAG} (or pass --areal_dir)"))  # fmt: skip
    elif not (checkout / V02_ENTRY).is_file():
        problems.append(Finding("error", f"{checkout} has no {V02_ENTRY} (realhf left AReaL before v0.5): "
                                f"git -C {checkout} checkout {V02_TAG}"))  # fmt: skip
    for key in ("experiment_name", "trial_name"):
        if "_" in config[key]:
            fixed = config[key].replace("_", "-")
            problems.append(
                Finding("error", f"AReaL v0.2 rejects '_' in {key} {config[key]!r}: use --{key} {fixed}")
            )
    return problems


def config_path(args: argparse.Namespace, config: dict[str, Any]) -> Path:
    if args.config_out:
        return Path(args.config_out)
    return (
        Path(args.fileroot) / "evalkit_configs" / f"{config['experiment_name']}_{config['trial_name']}.yaml"
    )


def command(args: argparse.Namespace, path: Path) -> list[str]:
    """The trainer's command line for the config at ``path``."""
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


def preflight(args: argparse.Namespace, preset: Preset) -> list[Finding]:
    """Everything missing for ``preset``: model, dataset, Ray and its GPUs, shared storage."""
    problems = []
    if not (Path(args.model_path) / "config.json").is_file():
        problems.append(Finding("error", f"model not found: {args.model_path} has no config.json"))
    if not Path(args.dataset).is_file():
        problems.append(Finding("error", f"dataset not found: {args.dataset}"))
    gpus, source = cluster_gpus(args.ray_address)
    if gpus is None:
        problems.append(
            Finding("error", f"Ray cluster not reachable ({source}); start it: scripts/setup_cluster.py")
        )
    elif source != "ray status":
        problems.append(Finding("error", f"Ray cluster not reachable; {source} sees {gpus} GPU(s)"))
    if gpus is not None and gpus < preset.gpus:
        problems.append(
            Finding(
                "error",
                f"preset {preset.name} needs {preset.nodes} node(s) x 8 GPUs = {preset.gpus} GPUs (80 GB); "
                f"{source} reports {gpus}",
            )
        )
    storage = storage_problem(args.fileroot, preset.nodes)
    return problems + ([storage] if storage else [])


def storage_problem(fileroot: str, nodes: int) -> Finding | None:
    """Several nodes need ``fileroot`` on shared storage (a network filesystem, the guide's /storage)."""
    point, fstype = mount_type(fileroot)
    if nodes == 1 or is_network_fs(fstype):
        return None
    if os.path.realpath(fileroot).startswith("/storage"):
        return Finding("warning", f"{fileroot} is on {fstype} at {point}: make sure /storage is shared (NAS)")
    return Finding(
        "error",
        f"{nodes} nodes need shared storage, but fileroot {fileroot} is on local {fstype} ({point}); "
        "mount a NAS on every node at /storage",
    )


def tee(cmd: list[str], log: Path, **popen: Any) -> int:
    """Run ``cmd``, copying its output (stdout and stderr) to our stdout and appending it to ``log``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as sink:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **popen)
        assert proc.stdout is not None
        try:
            for line in proc.stdout:
                sys.stdout.buffer.write(line)
                sys.stdout.buffer.flush()
                sink.write(line)
                sink.flush()
        except KeyboardInterrupt:
            proc.wait()  # the trainer got the same SIGINT
        return proc.wait()
