"""PNG plots (matplotlib, Agg backend): the report's pass@k curves and response-length histograms, and
metrics against the training step (watch, train-log)."""

import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from evalkit.reporting.metrics import ProblemRecords

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _figure() -> "tuple[Figure, Axes]":
    return _pyplot().subplots(figsize=(6, 3.6), dpi=100)


def _png(fig: "Figure") -> bytes:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def pass_at_k_curve(problems: Mapping[str, Sequence[ProblemRecords]]) -> bytes:
    """pass@k (percent) against k = 1..n for each benchmark, on a log2 k axis."""
    fig, ax = _figure()
    for name, probs in problems.items():
        sampled = [p for p in probs if p.n]
        if not sampled:
            continue
        ks = np.arange(1, min(p.n for p in sampled) + 1)
        ax.plot(
            ks, [100 * np.mean([p.pass_at_k(int(k)) for p in sampled]) for k in ks], marker=".", label=name
        )
    ax.set_xscale("log", base=2)
    ax.set_xlabel("k")
    ax.set_ylabel("pass@k (%)")
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend()
    return _png(fig)


def length_histogram(problems: Sequence[ProblemRecords], title: str) -> bytes:
    """Histogram of completion lengths (tokens) of all responses, correct against wrong."""
    records = [r for p in problems for r in (*([p.greedy] if p.greedy else []), *p.samples)]
    correct = [r.completion_tokens for r in records if r.correct]
    wrong = [r.completion_tokens for r in records if not r.correct]
    fig, ax = _figure()
    bins = np.histogram_bin_edges(correct + wrong or [0], bins=30)
    ax.hist(
        [correct, wrong],
        bins=bins,
        label=[f"correct ({len(correct)})", f"wrong ({len(wrong)})"],
        color=["tab:green", "tab:red"],
    )
    ax.set_xlabel("completion tokens")
    ax.set_ylabel("responses")
    ax.set_title(title)
    ax.legend()
    return _png(fig)


def plot_curves(
    path: str | Path,
    x: Sequence[float],
    series: Mapping[str, Sequence[float | None]],
    *,
    xlabel: str,
    title: str,
) -> Path:
    """Write one panel per series (``None`` values skipped) to ``path`` and return it."""
    plt = _pyplot()
    names = list(series) or ["(no data)"]
    fig, axes = plt.subplots(len(names), 1, figsize=(7, 2.2 * len(names) + 0.6), sharex=True, squeeze=False)
    for ax, name in zip(axes[:, 0], names, strict=True):
        points = [(a, b) for a, b in zip(x, series.get(name, ()), strict=False) if b is not None]
        if points:
            ax.plot(*zip(*points, strict=True), marker="o", markersize=3)
        ax.set_ylabel(name, fontsize=8)
        ax.grid(alpha=0.3)
    axes[-1, 0].set_xlabel(xlabel)
    fig.suptitle(title)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
