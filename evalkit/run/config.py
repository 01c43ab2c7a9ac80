"""``EvalConfig``: one evaluation's settings, from which ``eval_and_aggregate``'s flags, ``evalkit watch``
and the Python API (``evalkit.evaluate``) all build.

Each default lives on one dataclass field: the sampling fields on ``RunConfig`` (which takes temperature,
top-p, top-k and max tokens, with their help texts, from ``SamplingParams``), the rest here. The sampling
flags are generated from ``RunConfig``'s fields; the other flags take their defaults from these fields.
"""

import argparse
import math
from collections.abc import Iterator
from dataclasses import MISSING, asdict, dataclass, field, fields, replace
from typing import Any

from evalkit.benchmarks.loading import expand_names
from evalkit.errors import UsageError
from evalkit.run.records import Kind
from evalkit.sampling.base import SamplingParams, derive_seed

BACKENDS = ("vllm", "transformers", "openai")
# how sample seeds are laid out: evalkit's (one derived seed per sample) or AReaL's (N seed runs of M samples)
SEED_LAYOUTS = ("evalkit", "areal")
VLLM_ONLY = ("tensor_parallel_size", "max_model_len", "gpu_memory_utilization")
# OpenAISampler's client settings (flag = field; None keeps OpenAISampler's default, shown in --help).
OPENAI_ONLY = ("max_concurrency", "max_retries", "request_timeout", "backoff", "retry_deadline")
# AReaL's eval_and_aggregate defaults: 8 seed runs ("nodes") of 4 samples.
AREAL_NODES, AREAL_PER_NODE = 8, 4
# RunConfig field -> flag, where AReaL's flag name differs
_FLAG_NAMES = {"max_new_tokens": "max_gen_tokens"}


def _from_params(name: str, **metadata: str) -> Any:
    """A field with ``SamplingParams``'s default and help for ``name`` (``metadata`` overrides the help)."""
    (param,) = (f for f in fields(SamplingParams) if f.name == name)
    return field(default=param.default, metadata={**param.metadata, **metadata})


@dataclass(frozen=True, slots=True)
class RunConfig:
    """What to generate per problem. ``stop`` strings end a completion; ``stop_token_ids`` are extra EOS ids.

    Fields with a ``help`` in their metadata are ``eval_and_aggregate`` flags (see ``add_sampling_arguments``)."""

    n_sampling: int = field(default=32, metadata={"help": "samples per problem besides the greedy run"})
    temperature: float = _from_params("temperature")
    top_p: float = _from_params("top_p")
    top_k: int = _from_params("top_k")
    max_new_tokens: int = _from_params("max_new_tokens")
    seed: int = _from_params("seed", help="run seed; each sample's seed derives from it")
    greedy: bool = True
    stop: tuple[str, ...] = ()
    stop_token_ids: tuple[int, ...] = ()
    grade_timeout: float = 5.0
    # "areal": sample i is sample i % M of seed run i // M + 1 (M = samples_per_seed), seeded as vLLM seeds
    # that request's children (see ``seed_of``), and generated seed run by seed run, as AReaL's math_eval.py
    seed_layout: str = "evalkit"
    samples_per_seed: int | None = None

    def __post_init__(self) -> None:
        if self.n_sampling < 0 or self.max_new_tokens < 1:
            raise ValueError(f"need n_sampling >= 0 and max_new_tokens >= 1: {self}")
        if self.seed_layout not in SEED_LAYOUTS:
            raise UsageError(f"--seed_layout {self.seed_layout!r}: choose one of {', '.join(SEED_LAYOUTS)}")
        m = self.samples_per_seed
        if self.seed_layout == "areal" and (m is None or m < 1 or self.n_sampling % m):
            raise UsageError(
                f"--seed_layout areal needs --samples_per_node M dividing --n_sampling {self.n_sampling} "
                f"(got M = {m})"
            )

    def sampling(self) -> dict[str, Any]:
        """The fields that decide the generated text (the run fingerprint's ``sampling`` section); the seed
        layout only where it is AReaL's, so that runs stored before it existed keep their fingerprint."""
        skip = {"grade_timeout"} | (
            {"seed_layout", "samples_per_seed"} if self.seed_layout == "evalkit" else set()
        )
        return {k: v for k, v in asdict(self).items() if k not in skip}

    def seed_of(self, problem_index: int, sample_index: int) -> int:
        """The seed of sample ``sample_index`` of problem ``problem_index``.

        evalkit's layout: :func:`derive_seed` (each sample its own). AReaL's: its seed run ``s`` (1..N) is one
        vLLM request of ``n = M`` samples with ``seed = s``, whose child ``j`` vLLM's V1 engine seeds
        ``s + j``; so sample ``i`` gets ``seed + s + j`` with ``s = i // M + 1``, ``j = i % M`` (AReaL's
        runs have ``seed`` 0). Seeds then repeat across seed runs (run s, sample j+1 = run s+1, sample j)."""
        if self.seed_layout == "evalkit":
            return derive_seed(self.seed, problem_index, sample_index)
        return self.seed + self.seed_run(sample_index) + sample_index % (self.samples_per_seed or 1)

    def seed_run(self, sample_index: int) -> int:
        """The seed run (1..N) of a sample in AReaL's layout: its M samples share one request."""
        return sample_index // (self.samples_per_seed or 1) + 1

    def params(self, kind: Kind) -> SamplingParams:
        base = SamplingParams(
            n=1,
            temperature=self.temperature,
            top_p=self.top_p,
            top_k=self.top_k,
            max_new_tokens=self.max_new_tokens,
            seed=self.seed,
            stop=self.stop,
            stop_token_ids=self.stop_token_ids,
        )
        return replace(base, temperature=0.0, top_p=1.0, top_k=-1) if kind == "greedy" else base


@dataclass(frozen=True, slots=True)
class BackendConfig:
    """The engine: its name (``--backend``) and options; ``None`` keeps the backend's own default."""

    name: str = "vllm"
    base_url: str | None = None
    tensor_parallel_size: int | None = None
    data_parallel_size: int | None = None
    ray_address: str | None = None
    max_model_len: int | None = None
    gpu_memory_utilization: float | None = None
    enforce_eager: bool = True
    max_concurrency: int | None = None
    max_retries: int | None = None
    request_timeout: float | None = None
    backoff: float | None = None
    retry_deadline: float | None = None

    def __post_init__(self) -> None:
        if self.name not in BACKENDS:
            raise UsageError(f"--backend {self.name!r}: choose one of {', '.join(BACKENDS)}")
        if self.name != "vllm":
            vllm_only = [n for n in VLLM_ONLY if getattr(self, n) is not None]
            vllm_only += [] if self.enforce_eager else ["no_enforce_eager"]
            if vllm_only:
                raise UsageError(f"--{', --'.join(vllm_only)}: only for --backend vllm")
        openai_only = [n for n in OPENAI_ONLY if getattr(self, n) is not None]
        if self.name != "openai" and openai_only:
            raise UsageError(f"--{', --'.join(openai_only)}: only for --backend openai")
        least = {"max_retries": 0}  # the others must be positive
        bad = [n for n in openai_only if getattr(self, n) < least.get(n, 1e-9)]
        if bad:
            raise UsageError(f"--{', --'.join(bad)}: must be positive (--max_retries: at least 0)")
        if (self.name == "openai") != bool(self.base_url):
            raise UsageError(
                "--base_url goes with --backend openai (e.g. --base_url http://localhost:8000/v1)"
            )


@dataclass(frozen=True, slots=True)
class OutputConfig:
    """Where runs go and what is reported. ``num_sample_nodes``/``samples_per_node`` (AReaL's N x M
    layout of its files) default to M = gcd(n_sampling, 4), N = n_sampling / M."""

    output_path: str | None = None  # default: the model path, as in AReaL
    model_tag: str | None = None  # default: derived from the model path
    overwrite: bool = False
    areal_files: bool = True
    num_sample_nodes: int | None = None
    samples_per_node: int | None = None
    table: str = "default"
    ks: tuple[int, ...] | None = None  # pass@k columns; None: 8,16, those above n_sampling shown as '-'
    lock_wait: float = 0.0


@dataclass(frozen=True, slots=True)
class EvalConfig:
    """Everything one evaluation needs. ``sampling.stop``/``stop_token_ids`` come from the template.
    ``limit``: run only the first N problems of each benchmark, as ``<benchmark>@first<N>`` (its own run
    directory, aggregate key, AReaL dataset folder and table row ``<benchmark> (first N)``)."""

    model_path: str
    benchmarks: tuple[str, ...] = ("math_500", "aime24", "amc23")
    data_dir: str | None = None
    allow_changed_benchmark: bool = False
    template: str = "r1-distilled-qwen"
    sampling: RunConfig = field(default_factory=RunConfig)
    backend: BackendConfig = field(default_factory=BackendConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
    progress: bool = False  # progress bars on stderr
    # the first N problems of each benchmark (--limit), stored and shown apart from full runs: <name>@first<N>
    limit: int | None = None

    def __post_init__(self) -> None:
        s = self.sampling
        if s.n_sampling < 1:
            raise UsageError("--n_sampling must be at least 1")
        if self.limit is not None and (isinstance(self.limit, bool) or self.limit < 1):
            raise UsageError(f"--limit {self.limit}: must be at least 1")
        if s.stop or s.stop_token_ids or not s.greedy:
            raise ValueError("sampling.stop and stop_token_ids come from the template; greedy is always run")
        if not self.benchmarks:
            raise UsageError("--data_names: name at least one benchmark (see: evalkit benchmarks)")
        # a suite (rl_math) names its benchmarks; a benchmark named twice is run once
        object.__setattr__(self, "benchmarks", tuple(expand_names(self.benchmarks)))
        per_node = self.output.samples_per_node
        if s.seed_layout == "areal" and per_node is not None and per_node != s.samples_per_seed:
            raise UsageError(
                f"--seed_layout areal: sampling.samples_per_seed {s.samples_per_seed} differs from "
                f"--samples_per_node {per_node}; AReaL's seed runs are its seed files"
            )

    def layout(self) -> tuple[int, int]:
        """AReaL's (N, M): seed files and samples per file, N x M = ``n_sampling`` (with AReaL's seed
        layout, M is its ``samples_per_seed``)."""
        o, s = self.output, self.sampling
        _, nodes, per_node = sample_layout(
            s.n_sampling, o.num_sample_nodes, o.samples_per_node or s.samples_per_seed
        )
        return nodes, per_node

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> "EvalConfig":
        """The config of ``eval_and_aggregate``'s parsed flags (N x M resolved as AReaL does)."""
        n, nodes, per_node = sample_layout(args.n_sampling, args.num_sample_nodes, args.samples_per_node)
        sampling = {f: getattr(args, flag) for flag, f in sampling_flags().items() if flag != "n_sampling"}
        backend = BackendConfig(
            name=args.backend,
            enforce_eager=not args.no_enforce_eager,
            **{
                f.name: getattr(args, f.name)
                for f in fields(BackendConfig)
                if f.name not in ("name", "enforce_eager")
            },
        )
        output = OutputConfig(
            output_path=args.output_path,
            model_tag=args.model_tag,
            overwrite=args.overwrite,
            areal_files=not args.no_areal_files,
            num_sample_nodes=nodes,
            samples_per_node=per_node,
            table=args.table,
            ks=parse_ks(args.ks),
            lock_wait=args.lock_wait,
        )
        return cls(
            model_path=args.model_path,
            benchmarks=tuple(n.strip() for n in args.data_names.split(",") if n.strip()),
            data_dir=args.data_dir,
            allow_changed_benchmark=args.allow_changed_benchmark,
            template=args.prompt_type,
            sampling=RunConfig(
                n_sampling=n,
                seed_layout=args.seed_layout,
                samples_per_seed=per_node if args.seed_layout == "areal" else None,
                **sampling,
            ),
            backend=backend,
            output=output,
            progress=True,
            limit=getattr(args, "limit", None),
        )

    def to_argv(self) -> list[str]:
        """``eval_and_aggregate`` flags that give this config: ``--model_path`` and every non-default value."""
        argv = ["--model_path", self.model_path]
        defaults = dict(EvalConfig(self.model_path)._flags())
        for flag, value in self._flags():
            if value is None or value is False or value == defaults[flag]:
                continue
            argv += [f"--{flag}"] if value is True else [f"--{flag}", _text(value)]
        return argv

    def _flags(self) -> Iterator[tuple[str, Any]]:
        """(flag, value) in the order ``to_argv`` writes them; ``True`` stands for a switch that is on."""
        o, b = self.output, self.backend
        yield from (("output_path", o.output_path), ("model_tag", o.model_tag))
        yield from (("data_names", ",".join(self.benchmarks)), ("data_dir", self.data_dir))
        yield from (("allow_changed_benchmark", self.allow_changed_benchmark), ("prompt_type", self.template))
        yield "limit", self.limit
        yield "backend", b.name
        for f in fields(BackendConfig):
            if f.name not in ("name", "enforce_eager"):
                yield f.name, getattr(b, f.name)
        yield "no_enforce_eager", not b.enforce_eager
        for flag, name in sampling_flags().items():
            yield flag, getattr(self.sampling, name)
        yield "seed_layout", self.sampling.seed_layout
        nodes, per_node = self.layout()
        derived = sample_layout(self.sampling.n_sampling, None, None)[1:] == (nodes, per_node)
        yield from (
            ("num_sample_nodes", None if derived else nodes),
            ("samples_per_node", None if derived else per_node),
        )
        yield from (("ks", o.ks), ("table", o.table), ("lock_wait", o.lock_wait))
        yield from (("overwrite", o.overwrite), ("no_areal_files", not o.areal_files))


def _text(value: Any) -> str:
    return ",".join(map(str, value)) if isinstance(value, tuple) else str(value)


def sampling_flags() -> dict[str, str]:
    """Flag -> ``RunConfig`` field, for the fields that are flags (those with a ``help``)."""
    return {_FLAG_NAMES.get(f.name, f.name): f.name for f in fields(RunConfig) if "help" in f.metadata}


def default(cls: type, name: str) -> Any:
    """The default of field ``name`` of dataclass ``cls`` (the one place it is written)."""
    (f,) = (f for f in fields(cls) if f.name == name)
    return f.default_factory() if f.default is MISSING else f.default


def add_sampling_arguments(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """The sampling flags, generated from ``RunConfig``'s fields (type, default and help).
    ``--n_sampling`` defaults to ``None``: resolved with AReaL's N x M flags (``sample_layout``)."""
    for flag, name in sampling_flags().items():
        (f,) = (f for f in fields(RunConfig) if f.name == name)
        help_ = f.metadata["help"]
        if flag == "n_sampling":
            parser.add_argument(
                f"--{flag}", type=f.type, help=f"{help_} (default {f.default}, or N x M below)"
            )
        else:
            parser.add_argument(f"--{flag}", type=f.type, default=f.default, help=help_)


def parse_ks(text: str | None) -> tuple[int, ...] | None:
    """``--ks`` (comma-separated) as sorted distinct ints; ``None`` stays ``None`` (the default columns)."""
    if text is None:
        return None
    try:
        return tuple(sorted({int(k) for k in text.split(",") if k.strip()}))
    except ValueError:
        raise UsageError(f"--ks must be comma-separated integers, got {text!r}") from None


def sample_layout(n: int | None, nodes: int | None, per_node: int | None) -> tuple[int, int, int]:
    """(n_sampling, N, M) from whichever of them are given (``None``: not given).

    ``n_sampling`` is the count, and N x M its layout in AReaL's files. With all three given, as AReaL's
    scripts pass them, AReaL's rule holds: it samples N x M and only asserts that ``n_sampling`` fits, so
    the count is N x M (``n_sampling`` above N x M is an error, as AReaL's assert). With ``n_sampling`` and
    one of N, M, the other follows; an ``n_sampling`` it does not divide is an error naming both flags."""
    for flag, value in (("n_sampling", n), ("num_sample_nodes", nodes), ("samples_per_node", per_node)):
        if value is not None and value < 1:
            raise UsageError(f"--{flag} {value}: must be at least 1")
    if nodes is None and per_node is None:
        n = default(RunConfig, "n_sampling") if n is None else n
        per_node = math.gcd(n, AREAL_PER_NODE)
        nodes = n // per_node
    elif n is None:
        nodes, per_node = nodes or AREAL_NODES, per_node or AREAL_PER_NODE
        n = nodes * per_node
    elif nodes and per_node:
        if nodes * per_node < n:
            raise UsageError(
                f"--n_sampling {n} exceeds --num_sample_nodes {nodes} x --samples_per_node {per_node} = "
                f"{nodes * per_node} samples (AReaL asserts N x M >= n_sampling); give one or the other"
            )
        n = nodes * per_node  # AReaL samples N x M: an AReaL command line gives AReaL's count
    else:
        given = f"--num_sample_nodes {nodes}" if nodes else f"--samples_per_node {per_node}"
        if n % (nodes or per_node):
            raise UsageError(f"--n_sampling {n} conflicts with {given} samples; give one or the other")
        nodes, per_node = nodes or n // per_node, per_node or n // nodes
    return n, nodes, per_node
