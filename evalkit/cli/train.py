"""``evalkit train``: render an AReaL PPO config from a hardware preset, check it, launch it
(see ``evalkit.training.areal.launcher``)."""

import argparse
import os
import shlex
import sys

from evalkit.training.areal import launcher
from evalkit.training.areal.presets import AREAL_RELEASES, PRESETS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--preset", required=True, choices=sorted(PRESETS), help="row of the guide's hardware table"
    )
    parser.add_argument("--model_path", required=True, help="HF model directory (actor, ref and critic)")
    parser.add_argument("--dataset", required=True, help="training JSONL file")
    parser.add_argument("--trainer", choices=sorted(launcher.ENTRY_POINTS), default="areal-v0.2")
    parser.add_argument("--ray_address", help="Ray head, e.g. HEAD_IP:6379 (default: the local cluster)")
    parser.add_argument("--experiment_name")
    parser.add_argument("--trial_name")
    parser.add_argument(
        "--fileroot", default="/storage/ray/experiments", help="training outputs (shared storage)"
    )
    parser.add_argument(
        "--max_new_tokens", type=int, help="default: 27648 (v0.2's shipped YAMLs), 8192 (1.0's boba_grpo)"
    )
    parser.add_argument(
        "--save_freq_steps",
        type=int,
        help="also save a persistent checkpoint every N steps (default: once per epoch)",
    )
    parser.add_argument("--config_out", help="where to write the rendered YAML (default: under --fileroot)")
    parser.add_argument(
        "--areal_dir",
        default="/storage/codes/AReaL",
        help="AReaL v0.2 checkout (the trainer's working directory)",
    )
    parser.add_argument(
        "--areal_version",
        help=f"AReaL release to render for (v0.2 or {AREAL_RELEASES[0]}-{AREAL_RELEASES[-1]}); "
        "default: detected (the checkout's tag, or the areal installed in --python)",
    )
    parser.add_argument("--python", default="python3", help="python of the trainer's own environment")
    parser.add_argument(
        "--log_file",
        help=f"trainer output copy (default: <fileroot>/logs/<user>/<exp>/<trial>/{launcher.LOG_NAME})",
    )
    parser.add_argument("--dry_run", action="store_true", help="print the config and command; launch nothing")


def run(args: argparse.Namespace) -> int:
    import yaml

    args = launcher.resolve_paths(args)  # the trainer runs in --areal_dir: no path may stay relative
    preset = PRESETS[args.preset]
    release, version_finding = launcher.detect_release(args)
    config = launcher.render(args, release)
    path, log = launcher.config_path(args, config), launcher.log_path(args, config)
    cmd = launcher.command(args, path)
    problems = [
        *([version_finding] if version_finding else []),
        *launcher.prerequisites(args, config),
        *launcher.preflight(args, preset),
    ]
    cwd = args.areal_dir if args.trainer == "areal-v0.2" else None
    if args.dry_run:
        print(f"# {path} (AReaL {release})\n{yaml.safe_dump(config, sort_keys=False)}")
        print(f"# command (cwd {cwd or os.getcwd()}), output appended to {log}:\n# {shlex.join(cmd)}")
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
    print(
        f"launching AReaL {release}: {shlex.join(cmd)}\nlog: {log} (evalkit train-log {log})", file=sys.stderr
    )
    return launcher.tee(cmd, log, cwd=cwd, env=env)
