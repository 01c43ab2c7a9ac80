"""``eval_and_aggregate``'s inputs checked before anything loads: AReaL's sample layout flags, and one
line (exit 2) naming the flag or file for each bad input."""

import argparse
import math
import socket
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from evalkit.errors import UsageError
from evalkit.run.config import SEED_LAYOUTS, OutputConfig, RunConfig, default, sample_layout
from evalkit.run.store import run_root

CF_FLAGS = ("cf_cache_file", "cf_metadata_path", "cf_ratings_path")
TABLES = ("default", "areal-v0.5.3")
_CONNECT_TIMEOUT = 3.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """AReaL's layout and Codeforces flags, the table choice and the run lock's wait."""
    g = parser.add_argument_group(
        "AReaL's sample layout: N seed files of M samples, N x M samples in all. --n_sampling alone is the "
        "count (N x M its layout); with both N and M given, as AReaL's scripts do, N x M is the count and "
        "--n_sampling must not exceed it (AReaL's rule)"
    )
    g.add_argument(
        "--num_sample_nodes",
        type=int,
        help="N, AReaL's number of seed runs (default: from --n_sampling; AReaL's 8 with --samples_per_node alone)",
    )
    g.add_argument(
        "--samples_per_node",
        type=int,
        help="M, samples per seed run (default: gcd(--n_sampling, 4); AReaL's 4 with --num_sample_nodes alone)",
    )
    g.add_argument(
        "--seed_layout",
        choices=SEED_LAYOUTS,
        default=default(RunConfig, "seed_layout"),
        help="evalkit: every sample its own seed. areal: seed run s (1..N) is one request of M samples "
        "seeded s, sent seed run by seed run as AReaL's math_eval.py does, so that on the same vLLM the "
        "samples equal AReaL's (they repeat across seed runs: see docs/evaluation.md)",
    )
    g.add_argument(
        "--no_areal_files",
        action="store_true",
        help="do not write AReaL's files under --output_path (e.g. when many model tags share it)",
    )
    cf = parser.add_argument_group("AReaL's Codeforces flags (accepted; they do not apply to math)")
    for name in CF_FLAGS:
        cf.add_argument(f"--{name}", help="Codeforces ELO input of AReaL; ignored")
    parser.add_argument(
        "--table",
        choices=TABLES,
        default=default(OutputConfig, "table"),
        help="columns: evalkit's (pass@k per --ks), or AReaL v0.5.3's (pass@8, pass@16, maj@32, pass@32)",
    )
    parser.add_argument(
        "--allow_changed_benchmark",
        action="store_true",
        help="run a benchmark whose file differs from its spec (marked * in the table) instead of refusing",
    )
    parser.add_argument(
        "--limit",
        type=int,
        metavar="N",
        help="only the first N problems of each benchmark, for trying a model (as lm-eval's and lighteval's "
        "--limit): stored apart from full runs as <benchmark>@first<N> and shown as '<benchmark> (first N)'; "
        "never resumed, aggregated or compared as the full benchmark",
    )
    parser.add_argument(
        "--lock_wait",
        type=float,
        default=default(OutputConfig, "lock_wait"),
        help="seconds to wait for another eval_and_aggregate on the same run directory (0: refuse at once)",
    )


def resolve_samples(args: argparse.Namespace) -> None:
    """Set ``n_sampling``, ``num_sample_nodes`` and ``samples_per_node`` consistently (``sample_layout``);
    where AReaL's N x M overrides a smaller ``--n_sampling``, say so in one line."""
    asked = args.n_sampling
    args.n_sampling, args.num_sample_nodes, args.samples_per_node = sample_layout(
        args.n_sampling, args.num_sample_nodes, args.samples_per_node
    )
    if asked is not None and asked != args.n_sampling:
        print(
            f"note: {args.n_sampling} samples per problem: --num_sample_nodes {args.num_sample_nodes} x "
            f"--samples_per_node {args.samples_per_node}, as AReaL samples (--n_sampling {asked} only bounds "
            "it there); pass --n_sampling alone for exactly that many",
            file=sys.stderr,
        )


def _check_output(path: Path) -> None:
    if path.exists() and not path.is_dir():
        raise UsageError(f"--output_path {path}: is a file, not a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as e:
        raise UsageError(f"--output_path {path}: cannot write there ({e.strerror or e})") from None


def _check_server(url: str) -> None:
    """Fail fast, naming the URL, when nothing listens at ``--base_url``."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"--base_url {url!r}: expected http(s)://host[:port]/v1")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        socket.create_connection((parts.hostname, port), timeout=_CONNECT_TIMEOUT).close()
    except OSError as e:
        raise UsageError(
            f"--base_url {url}: cannot connect to {parts.hostname}:{port} ({e.strerror or e})"
        ) from None


def prepare(args: argparse.Namespace) -> None:
    """Resolve AReaL's flags and check every input that needs no model; raise :class:`UsageError`."""
    for name in CF_FLAGS:
        if getattr(args, name) is not None:
            print(f"note: --{name} applies to AReaL's Codeforces ELO only; ignored for math", file=sys.stderr)
    resolve_samples(args)
    if args.max_gen_tokens < 1:
        raise UsageError(f"--max_gen_tokens {args.max_gen_tokens}: must be at least 1")
    if not (args.temperature >= 0 and math.isfinite(args.temperature)):
        raise UsageError(f"--temperature {args.temperature}: must be >= 0 (0 is greedy)")
    if not 0 < args.top_p <= 1:
        raise UsageError(f"--top_p {args.top_p}: must be in (0, 1]")
    if args.top_k < -1 or args.top_k == 0:
        raise UsageError(f"--top_k {args.top_k}: must be -1 (off) or at least 1")
    if not [n for n in args.data_names.split(",") if n.strip()]:
        raise UsageError(
            f"--data_names {args.data_names!r}: name at least one benchmark (see: evalkit benchmarks)"
        )
    if getattr(args, "limit", None) is not None and args.limit < 1:
        raise UsageError(f"--limit {args.limit}: must be at least 1")
    if args.lock_wait < 0:
        raise UsageError(f"--lock_wait {args.lock_wait}: must be >= 0")
    model = Path(args.model_path).expanduser()
    if args.backend != "openai" and model.is_file():
        raise UsageError(f"--model_path {args.model_path}: is a file, not a model directory")
    _check_output(run_root(args.model_path, args.output_path, args.model_tag).parent)
    if args.backend == "openai" and args.base_url:
        _check_server(args.base_url)
