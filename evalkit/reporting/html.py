"""The report: one self-contained static HTML file to browse a run per benchmark and problem.

Inline CSS and JS, plots as base64 PNG data URIs, no server. All model text is HTML-escaped.
With Math-Verify installed, a cross-check section lists every verdict on which it disagrees.
"""

import base64
import sys
from collections.abc import Mapping, Sequence
from html import escape

from evalkit.benchmarks.loading import BenchmarkError, load_benchmark, split_limit
from evalkit.graders import audit
from evalkit.reporting.metrics import (
    DEFAULT_KS,
    BenchmarkMetrics,
    Equivalent,
    ProblemRecords,
    aggregate,
    cluster_answers,
    grader_equivalent,
    group_by_problem,
    majority_group,
)
from evalkit.reporting.runs import mixed_settings, settings_summary
from evalkit.reporting.table import display_name
from evalkit.run.records import SampleRecord

_CSS = """
body{font-family:system-ui,sans-serif;margin:1.5em auto;max-width:1100px;color:#222;padding:0 1em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}
th:first-child,td:first-child{text-align:left}pre{white-space:pre-wrap;word-break:break-word;background:#f6f6f6;
padding:.6em;border-radius:4px;max-height:30em;overflow:auto}details{margin:.25em 0}
details.problem{border:1px solid #ddd;border-radius:4px;padding:.3em .6em}summary{cursor:pointer}
.ok{color:#16794c;font-weight:600}.bad{color:#b3261e;font-weight:600}.muted{color:#777}
#filters{position:sticky;top:0;background:#fff;padding:.5em 0;border-bottom:1px solid #ddd;z-index:1}
#filters label{margin-right:1.2em}img{max-width:100%}.plots{display:flex;flex-wrap:wrap;gap:1em}
"""

_JS = """
function applyFilters(){
  const on = id => document.getElementById(id).checked;
  const want = {wrong: on('f-wrong'), trunc: on('f-trunc'), minority: on('f-minority')};
  let shown = 0;
  document.querySelectorAll('details.problem').forEach(p => {
    let any = false;
    p.querySelectorAll('details.sample').forEach(s => {
      const ok = Object.keys(want).every(k => !want[k] || s.dataset[k] === '1');
      s.hidden = !ok; any = any || ok;
    });
    p.hidden = !any; if (any) shown++;
  });
  document.getElementById('shown').textContent = shown;
}
document.querySelectorAll('#filters input').forEach(i => i.addEventListener('change', applyFilters));
applyFilters();
"""


def problem_texts(name: str, data_dir: str | None = None) -> dict[str, str]:
    """Problem text by id from the benchmark ``name`` (a limited run's: its benchmark's); empty when its
    data is not available."""
    try:
        benchmark = load_benchmark(split_limit(name)[0], data_dir)
    except BenchmarkError:
        return {}
    return {p.id: p.problem for p in benchmark.problems}


def _clip(text: str, max_chars: int) -> str:
    """Keep the head and the (answer-bearing) tail of a long response."""
    if max_chars <= 0 or len(text) <= max_chars:
        return text
    head = max_chars // 4
    tail = max_chars - head
    return f"{text[:head]}\n\n[... {len(text) - max_chars} characters omitted ...]\n\n{text[-tail:]}"


def _img(png: bytes, alt: str) -> str:
    return f'<img alt="{escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'


def _verdict(correct: bool) -> str:
    return '<span class="ok">correct</span>' if correct else '<span class="bad">wrong</span>'


def _sample_html(r: SampleRecord, minority: bool, max_chars: int) -> str:
    label = "greedy" if r.kind == "greedy" else f"sample {r.sample_index}"
    tokens = "? tokens" if r.completion_tokens < 0 else f"{r.completion_tokens} tokens"
    flags = (
        f'data-wrong="{int(not r.correct)}" data-trunc="{int(r.truncated)}" data-minority="{int(minority)}"'
    )
    pred = "(no answer)" if r.pred is None else r.pred
    summary = (
        f"{label} · {_verdict(r.correct)} · answer <code>{escape(pred)}</code> · "
        f'<span class="muted">{escape(r.method)}{f" · found by {escape(r.rule)}" if r.rule else ""} · {tokens} · '
        f"{escape(r.finish_reason)}"
        f"{' · not the majority answer' if minority else ''}</span>"
    )
    return (
        f'<details class="sample" {flags}><summary>{summary}</summary>'
        f'<p class="muted">reason: {escape(r.reason)}</p><pre>{escape(_clip(r.response, max_chars))}</pre></details>'
    )


def _problem_html(p: ProblemRecords, text: str | None, eq: Equivalent, max_chars: int) -> str:
    groups = cluster_answers([r.pred for r in p.samples], eq)
    majority = majority_group(groups)
    gold = (p.greedy or p.samples[0]).gold  # every grouped problem has at least one record
    greedy = f"greedy {_verdict(p.greedy.correct)} · " if p.greedy else ""
    parts = [
        f'<details class="problem"><summary><b>{escape(p.problem_id)}</b> · {greedy}'
        f"{p.c}/{p.n} samples correct · gold <code>{escape(gold)}</code></summary>",
        f"<pre>{escape(text)}</pre>" if text else '<p class="muted">(problem text not available)</p>',
    ]
    if p.greedy:
        parts.append(_sample_html(p.greedy, False, max_chars))
    parts += [_sample_html(r, g != majority, max_chars) for r, g in zip(p.samples, groups, strict=True)]
    parts.append("</details>")
    return "\n".join(parts)


def _summary_table(results: Mapping[str, BenchmarkMetrics]) -> str:
    """Metrics as rows, benchmarks as columns."""
    columns = {name: m.to_dict() for name, m in results.items()}
    keys = list(dict.fromkeys(k for m in columns.values() for k in m))
    head = "".join(f"<th>{escape(h)}</th>" for h in ["metric", *map(display_name, columns)])
    rows = []
    for key in keys:
        values = [m.get(key) for m in columns.values()]
        cells = [f"{v:.1f}" if isinstance(v, float) else "-" if v is None else str(v) for v in values]
        rows.append("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in [key, *cells]) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def _settings_html(settings: Mapping[str, Mapping[str, object]]) -> str:
    """Each run's model, template, sampling, backend, evalkit and grader versions; a warning when the
    benchmarks of one directory were run with different settings."""
    if not settings:
        return ""
    rows = {name: settings_summary(s) for name, s in settings.items()}
    keys = list(next(iter(rows.values())))
    head = "".join(f"<th>{escape(h)}</th>" for h in ["benchmark", *keys])
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in [display_name(name), *row.values()]) + "</tr>"
        for name, row in rows.items()
    )
    mixed = mixed_settings(settings)
    warning = (
        '<p class="bad">These benchmarks were run with different settings: '
        + "; ".join(escape(line) for line in mixed)
        + "</p>"
        if mixed
        else ""
    )
    return f"<h2>Settings</h2>{warning}<table><tr>{head}</tr>{body}</table>"


Audits = Mapping[str, Sequence[audit.Disagreement]]


def audit_runs(runs: Mapping[str, Sequence[SampleRecord]], *, timeout: float = 5.0) -> Audits | str:
    """The disagreements with Math-Verify per benchmark (``index`` into its records), or why there are none."""
    if not audit.available():
        return audit.MISSING
    found = {}
    for name, records in runs.items():
        print(
            f"{name}: cross-checking {len(records):,} verdicts with Math-Verify (--no-audit skips it)",
            file=sys.stderr,
        )
        judged = audit.judge_all([(r.response, r.gold) for r in records], timeout=timeout)
        found[name] = audit.disagreements(
            [r.gold for r in records], [(r.pred, r.correct) for r in records], judged
        )
    return found


def _answer(pred: str | None, correct: bool | None) -> str:
    verdict = '<span class="muted">no verdict</span>' if correct is None else _verdict(correct)
    return f"<code>{escape('(no answer)' if pred is None else pred)}</code> {verdict}"


def _audit_html(runs: Mapping[str, Sequence[SampleRecord]], audits: Audits | str) -> str:
    """The cross-check section: per benchmark, each disagreement side by side."""
    parts = ['<h2 id="audit">Math-Verify cross-check</h2>']
    if isinstance(audits, str):
        return parts[0] + f'<p class="muted">{escape(audits)}</p>'
    for name, found in audits.items():
        records = runs[name]
        parts.append(
            f"<h3>{escape(name)}: Math-Verify disagrees on {len(found):,} of {len(records):,} verdicts</h3>"
        )
        if not found:
            continue
        rows = []
        for d in found:
            r = records[d.index]
            label = "greedy" if r.kind == "greedy" else f"sample {r.sample_index}"
            cells = [
                escape(r.problem_id),
                label,
                f"<code>{escape(d.gold)}</code>",
                _answer(d.evalkit_pred, d.evalkit_correct),
                _answer(d.math_verify_pred, d.math_verify_correct),
                escape(d.note),
            ]
            rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
        head = "".join(
            f"<th>{h}</th>" for h in ("problem", "response", "gold", "evalkit", "Math-Verify", "note")
        )
        parts.append(f'<table class="audit"><tr>{head}</tr>{"".join(rows)}</table>')
    return "\n".join(parts)


def build_report(
    runs: Mapping[str, Sequence[SampleRecord]],
    *,
    texts: Mapping[str, Mapping[str, str]] | None = None,
    title: str = "evalkit report",
    max_chars: int = 4000,
    equivalent: Equivalent | None = None,
    audits: Audits | str | None = None,
    settings: Mapping[str, Mapping[str, object]] | None = None,
) -> str:
    """HTML of the report for ``runs`` (benchmark name -> records); ``texts`` maps name -> id -> problem;
    ``audits`` are :func:`audit_runs`'s (None: no cross-check section); ``settings`` are each run's
    manifest (shown in a Settings section)."""
    from evalkit.reporting.plots import length_histogram, pass_at_k_curve

    eq = equivalent or grader_equivalent()
    texts = texts or {}
    problems = {name: list(group_by_problem(records).values()) for name, records in runs.items()}
    results = {}
    for name, records in runs.items():
        min_n = min((p.n for p in problems[name] if p.n), default=0)
        results[name] = aggregate(records, ks=[k for k in DEFAULT_KS if k <= min_n], equivalent=eq)
    sections = []
    for name, probs in problems.items():
        body = "\n".join(
            _problem_html(p, texts.get(name, {}).get(p.problem_id), eq, max_chars) for p in probs
        )
        known = any(r.completion_tokens >= 0 for r in runs[name])  # AReaL's files keep no lengths
        hist = _img(length_histogram(probs, name), f"{name} response lengths") if known else ""
        heading = escape(display_name(name))
        sections.append(f'<section id="{escape(name)}"><h2>{heading}</h2>{hist}\n{body}</section>')
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title><style>{_CSS}</style></head>
<body><h1>{escape(title)}</h1>
{_settings_html(settings or {})}
<h2>Summary</h2>{_summary_table(results)}
<p class="muted">Accuracies in percent; stderr columns are standard errors in percentage points.</p>
<div class="plots">{_img(pass_at_k_curve(problems), "pass@k against k")}</div>
{"" if audits is None else _audit_html(runs, audits)}
<div id="filters">Show only responses that are:
<label><input type="checkbox" id="f-wrong"> wrong</label>
<label><input type="checkbox" id="f-trunc"> truncated</label>
<label><input type="checkbox" id="f-minority"> not the majority answer</label>
<span class="muted"><span id="shown"></span> problems shown</span></div>
{"".join(sections)}
<script>{_JS}</script></body></html>
"""
