"""The static HTML report: content, escaping of model text, and rendering in a headless browser."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from evalkit.cli.main import main as cli_main
from evalkit.graders import GRADER_VERSION
from evalkit.reporting.html import build_report
from evalkit.run.records import SampleRecord
from evalkit.run.store import RunStore

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
EVIL = '<script>alert("pwned")</script><img src=x onerror=alert(1)>'


def rec(pid: str, kind: str, index: int, pred: str | None, correct: bool, **kw: object) -> SampleRecord:
    fields = dict(
        problem_id=pid, kind=kind, sample_index=index, seed=index, prompt_hash="h",
        response=f"Let me think. The answer is \\boxed{{{pred}}}.", completion_tokens=40 + 7 * index,
        finish_reason="stop", gold="7", pred=pred, correct=correct, method="exact",
        reason="equal" if correct else "not equal",
    )  # fmt: skip
    return SampleRecord(**(fields | kw))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def runs() -> dict[str, list[SampleRecord]]:
    p1 = [rec("aime24-0", "greedy", 0, "7", True)] + [
        rec("aime24-0", "sample", j, p, p == "7") for j, p in enumerate(["7", "7", "8", "7"])
    ]
    p2 = [rec("aime24-1", "greedy", 0, None, False, response=EVIL, finish_reason="length")] + [
        rec("aime24-1", "sample", j, "3", False, reason=f"expected 7 {EVIL}") for j in range(4)
    ]
    return {"aime24": p1 + p2}


@pytest.fixture(scope="module")
def html(runs: dict[str, list[SampleRecord]]) -> str:
    texts = {"aime24": {"aime24-0": "What is 3 + 4 & why?"}}
    return build_report(runs, texts=texts, equivalent=lambda a, b: a == b)


def test_report_lists_problems_verdicts_and_filters(html: str) -> None:
    assert "aime24-0" in html and "aime24-1" in html
    assert "What is 3 + 4 &amp; why?" in html  # problem text, escaped
    assert "(problem text not available)" in html  # aime24-1 has none
    assert html.count('class="sample"') == 10
    assert html.count('<span class="ok">correct</span>') == 5  # 4 responses + the greedy verdict in a summary
    assert 'data-wrong="1" data-trunc="1" data-minority="0"' in html  # truncated greedy of aime24-1
    assert html.count('data-minority="1"') == 1  # the "8" of aime24-0 against the majority "7"
    assert "3/4 samples correct" in html and "0/4 samples correct" in html
    for box in ("f-wrong", "f-trunc", "f-minority"):
        assert f'id="{box}"' in html
    plots = re.findall(r'src="data:image/png;base64,[A-Za-z0-9+/=]{100,}"', html)
    assert len(plots) == 2  # pass@k curve and one length histogram


def test_report_escapes_model_text(html: str) -> None:
    assert EVIL not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;" in html
    assert html.count("<script>") == 1  # only the report's own filter script


def test_report_clips_long_responses(runs: dict[str, list[SampleRecord]]) -> None:
    long = [rec("p", "sample", 0, "7", True, response="A" * 5000 + "\\boxed{7}")]
    html = build_report({"b": long}, max_chars=1000, equivalent=lambda a, b: a == b)
    assert "characters omitted" in html and "\\boxed{7}" in html and "A" * 1001 not in html


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (apt-get install -y chromium)")
def test_report_renders_in_headless_chromium(html: str, tmp_path: Path) -> None:
    page, shot = tmp_path / "report.html", tmp_path / "report.png"
    page.write_text(html, encoding="utf-8")
    base = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
    ]  # fmt: skip
    subprocess.run(
        [*base, f"--screenshot={shot}", "--window-size=1200,900", page.as_uri()],
        check=True,
        capture_output=True,
        timeout=120,
    )
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 20_000
    # the filter script ran: it filled in the number of problems shown
    dom = subprocess.run(
        [*base, "--dump-dom", page.as_uri()], check=True, capture_output=True, text=True, timeout=120
    )
    assert '<span id="shown">2</span>' in dom.stdout


def store_run(run_dir: Path, records: list[SampleRecord]) -> None:
    store = RunStore(run_dir)
    store.open(
        {"benchmark": {"name": run_dir.name}, "grader": {"version": GRADER_VERSION}}
    )  # current verdicts
    store.append(records)


def test_report_cli_writes_html_for_a_stored_run(
    runs: dict[str, list[SampleRecord]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store_run(tmp_path / "out" / "model-a" / "aime24", runs["aime24"])
    assert cli_main(["report", str(tmp_path / "out")]) == 0  # an output path with one model tag
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "aime24-1" in html and "&lt;script&gt;" in html
    target = tmp_path / "r.html"
    assert cli_main(["report", str(tmp_path / "out" / "model-a"), "-o", str(target)]) == 0
    assert target.is_file()


def test_report_cli_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["report", str(tmp_path)]) == 2
    assert "no benchmark runs" in capsys.readouterr().err
    for tag in ("a", "b"):
        store_run(tmp_path / tag / "aime24", [rec("p", "greedy", 0, "7", True)])
    assert cli_main(["report", str(tmp_path)]) == 2
    assert "several model tags (a, b)" in capsys.readouterr().err


def test_report_cross_check_section_shows_each_disagreement_side_by_side(
    runs: dict[str, list[SampleRecord]],
) -> None:
    from evalkit.graders.audit import Disagreement

    records = runs["aime24"]
    found = [
        Disagreement(5, "7", None, False, f"7 {EVIL}", True, ""),
        Disagreement(6, "7", "3", False, None, None, "timed out"),
    ]
    html = build_report(runs, equivalent=lambda a, b: a == b, audits={"aime24": found})
    assert "<h3>aime24: Math-Verify disagrees on 2 of 10 verdicts</h3>" in html
    row = re.search(r'<table class="audit">.*?</table>', html, re.DOTALL)
    assert row is not None
    assert "<td>aime24-1</td><td>greedy</td><td><code>7</code></td>" in row.group()
    assert '<code>(no answer)</code> <span class="bad">wrong</span>' in row.group()
    assert "<code>7 &lt;script&gt;alert(&quot;pwned&quot;)" in row.group() and EVIL not in html
    assert f"<td>sample {records[6].sample_index}</td>" in row.group()
    assert '<span class="muted">no verdict</span></td><td>timed out</td>' in row.group()
    assert "Math-Verify cross-check" not in build_report(runs, equivalent=lambda a, b: a == b)
    note = build_report(runs, equivalent=lambda a, b: a == b, audits="Math-Verify is not installed")
    assert '<p class="muted">Math-Verify is not installed</p>' in note


def test_report_cli_cross_checks_a_stored_run_with_math_verify(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("math_verify")
    records = [
        rec("p0", "greedy", 0, "7", True),
        rec(
            "p1", "greedy", 0, "3R^2", False, response="\\boxed{3R^2}", gold="3r^2"
        ),  # Math-Verify credits it
    ]
    store_run(tmp_path / "model" / "aime24", records)
    assert cli_main(["report", str(tmp_path / "model")]) == 0
    html = (tmp_path / "model" / "report.html").read_text(encoding="utf-8")
    assert "aime24: Math-Verify disagrees on 1 of 2 verdicts" in html
    assert "<td>p1</td><td>greedy</td><td><code>3r^2</code></td>" in html
    assert cli_main(["report", str(tmp_path / "model"), "--no-audit"]) == 0
    assert "Math-Verify cross-check" not in (tmp_path / "model" / "report.html").read_text(encoding="utf-8")


def test_report_shows_each_runs_settings_and_flags_a_mixed_directory(
    runs: dict[str, list[SampleRecord]], tmp_path: Path
) -> None:
    for name, temperature in (("aime24", 0.6), ("amc23", 1.0)):
        store = RunStore(tmp_path / "m" / name)
        manifest = {
            "evalkit": "9.9.9",
            "model": {"path": "/ckpt/step-200"},
            "benchmark": {"name": name},
            "template": {"name": "qwen-boxed", "sha256": "abc"},
            "sampling": {"n_sampling": 2, "temperature": temperature, "top_p": 0.95, "top_k": -1},
            "backend": {"name": "vllm"},
            "grader": {"version": GRADER_VERSION},
        }
        store.open(manifest)
        store.append(runs["aime24"])
    assert cli_main(["report", str(tmp_path / "m"), "-o", str(tmp_path / "r.html"), "--no-audit"]) == 0
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    settings = html[html.index("<h2>Settings</h2>") : html.index("<h2>Summary</h2>")]
    for shown in (
        "/ckpt/step-200",
        "qwen-boxed",
        "temperature=1.0",
        "vllm",
        "9.9.9",
        f"<td>{GRADER_VERSION}</td>",
    ):
        assert shown in settings
    assert "run with different settings: sampling.temperature: 0.6 (aime24), 1.0 (amc23)" in settings
