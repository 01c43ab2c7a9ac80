#!/usr/bin/env python3
"""One-click Ray cluster for AReaL v0.2, as in the guide: over SSH, on every host pull the runtime image,
start the Ray head container on the first host and a worker container on each other host, then check
``ray status``. Docker, the NVIDIA Container Toolkit and the shared /storage mount must already be set up.
``--stop`` removes those containers, and only them (never ``ray stop``, which stops every Ray cluster on a
host, other users' included).

    python scripts/setup_cluster.py --private_key_file ~/.ssh/id_rsa --ssh_port 22 --username root \\
        --hostnames NODE_IP_1 NODE_IP_2 [--dry_run] [--stop]
"""

import argparse
import re
import shlex
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass

IMAGE = "ghcr.io/inclusionai/areal-runtime:v0.2.0"
RAY_PORT = 6379
HEAD, WORKER = "r1-ray-head", "r1-ray-worker"


@dataclass(frozen=True, slots=True)
class Step:
    """One command to run on one host."""

    host: str
    remote: str
    what: str


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--private_key_file", required=True)
    parser.add_argument("--ssh_port", type=int, default=22)
    parser.add_argument("--username", default="root")
    parser.add_argument(
        "--hostnames", nargs="+", required=True, help="1, 4 or 16 node IPs; the first is the head"
    )
    parser.add_argument("--image", default=IMAGE)
    parser.add_argument("--storage", default="/storage", help="shared mount, bound into the containers")
    parser.add_argument("--shm_size", default="700g")
    parser.add_argument("--dry_run", action="store_true", help="print every command; connect nowhere")
    parser.add_argument(
        "--stop", action="store_true", help="remove the containers this script started (not `ray stop`)"
    )
    return parser.parse_args(argv)


def docker_run(args: argparse.Namespace, name: str, ray_start: str) -> str:
    return shlex.join(
        [
            "docker", "run", "-d", "--name", name, "--privileged", "--gpus", "all", "--network", "host",
            "--shm-size", args.shm_size, "-v", f"{args.storage}:{args.storage}", args.image,
            "/bin/bash", "-c", f"{ray_start} && tail -f /dev/null",
        ]
    )  # fmt: skip


def plan(args: argparse.Namespace) -> list[Step]:
    """Every step, in order: pulls, the head, the workers, the status check (with ``--stop``: the removal of
    the worker containers, then of the head's)."""
    head, workers = args.hostnames[0], args.hostnames[1:]
    if args.stop:
        return [
            Step(host, f"docker rm -f {WORKER}", "remove the Ray worker container") for host in workers
        ] + [Step(head, f"docker rm -f {HEAD}", "remove the Ray head container")]
    steps = [
        Step(host, f"docker pull {shlex.quote(args.image)}", "pull the runtime image")
        for host in args.hostnames
    ]
    steps.append(
        Step(head, docker_run(args, HEAD, f"ray start --head --port={RAY_PORT}"), "start the Ray head")
    )
    ray_worker = f"ray start --address={head}:{RAY_PORT}"
    steps += [Step(host, docker_run(args, WORKER, ray_worker), "start a Ray worker") for host in workers]
    steps.append(Step(head, f"docker exec {HEAD} ray status", "check the cluster"))
    return steps


def ssh_command(args: argparse.Namespace, step: Step) -> list[str]:
    return [
        "ssh", "-i", args.private_key_file, "-p", str(args.ssh_port), "-o", "BatchMode=yes",
        "-o", "StrictHostKeyChecking=accept-new", f"{args.username}@{step.host}", step.remote,
    ]  # fmt: skip


def active_nodes(ray_status: str) -> int:
    """Number of active nodes in ``ray status`` output."""
    block = ray_status.split("Active:", 1)[-1].split("Pending:", 1)[0]
    return len(re.findall(r"^\s*\d+\s+node_", block, flags=re.M))


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    for step in plan(args):
        cmd = ssh_command(args, step)
        print(f"# {step.what} on {step.host}\n{shlex.join(cmd)}", flush=True)
        if args.dry_run:
            continue
        result = subprocess.run(cmd, capture_output=True, text=True)
        print(result.stdout, end="")
        if result.returncode != 0:
            print(f"error: {step.what} on {step.host} failed:\n{result.stderr}", file=sys.stderr)
            return 1
    if not args.dry_run and not args.stop and (n := active_nodes(result.stdout)) < len(args.hostnames):
        print(
            f"warning: {n} of {len(args.hostnames)} nodes active yet; re-check `ray status`", file=sys.stderr
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
