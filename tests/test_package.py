"""Packaging: console scripts, the namespace mapping of benchmarks/ and training/, shipped data files."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from evalkit.cli.main import COMMANDS, main

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def test_evalkit_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in COMMANDS:
        assert f"  {name} " in out


def test_unknown_command_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["frobnicate"]) == 2
    assert "unknown command 'frobnicate'" in capsys.readouterr().err


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_subcommand_has_help(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([name, "--help"])
    assert exit_info.value.code == 0
    assert f"evalkit {name}" in capsys.readouterr().out


@pytest.mark.parametrize("script", ["evalkit", "eval_and_aggregate"])
def test_console_scripts_run(script: str) -> None:
    result = subprocess.run([str(BIN / script), "--help"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "usage:" in result.stdout


def test_layout_maps_into_the_evalkit_namespace() -> None:
    import evalkit.benchmarks.catalog
    import evalkit.training

    assert Path(evalkit.benchmarks.catalog.__file__).parent == ROOT / "benchmarks"
    assert Path(evalkit.training.__file__).parent == ROOT / "training"


def test_wheel_ships_namespaced_packages_and_data(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("evalkit-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "evalkit/benchmarks/catalog/__init__.py" in names
    assert "evalkit/training/areal/__init__.py" in names
    assert any(n.startswith("evalkit/benchmarks/catalog/specs/") and n.endswith(".toml") for n in names)
    assert any(n.startswith("evalkit/benchmarks/catalog/templates/") and n.endswith(".toml") for n in names)
    assert any(n.startswith("evalkit/training/areal/templates/") for n in names)
    assert not any(n.startswith(("benchmarks/", "training/", "tests/")) for n in names)
