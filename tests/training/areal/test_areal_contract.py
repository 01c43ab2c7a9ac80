"""Contract: every preset's rendered config loads through AReaL's own config classes and loader.

Run by ``scripts/ci_areal_contract.sh`` in a throwaway venv holding the PyPI ``areal`` wheel without its GPU
dependencies (skipped elsewhere: it needs ``omegaconf``). Sources of AReaL's code:

- AReaL 1.0.x: a checkout named by ``EVALKIT_AREAL_SRC`` (its ``pyproject.toml`` gives the version),
  else the installed ``areal``. Loaded by ``areal.api.cli_args``: ``parse_cli_args`` (hydra),
  ``to_structured_cfg`` (merge into ``GRPOConfig``) and ``OmegaConf.to_object`` (``__post_init__`` checks),
  i.e. ``load_expr_config`` without its two side effects (name-resolve set-up, saving config.yaml).
- AReaL v0.2.0 (not on PyPI): a checkout named by ``EVALKIT_AREAL_V02_SRC``. realhf's own config classes,
  loaded as ``realhf.apps.quickstart`` does: its name checks (``realhf.base.prologue``), ``external_configs``
  removed, the rest merged into the ``ppo-math`` schema and converted to the dataclass.

Only imports that play no part in config validation are skipped: package ``__init__`` files that import
torch (``areal``, ``areal.engine``, ``areal.engine.fsdp_utils``, ``realhf``), ``areal.utils.name_resolve``,
and, when absent, ``numba`` (a JIT decorator) and ``transformers.integrations.hub_kernels`` (its
``is_kernel`` then accepts no kernel repo, i.e. only AReaL's builtin attention implementations); for
v0.2 without torch, a version record of the torch its runtime image has (v0.2 checks it, not the config).
"""

import ast
import dataclasses
import importlib
import importlib.util
import os
import sys
import tomllib
import types
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import pytest
import yaml

from evalkit.training.areal.presets import (
    DEFAULT_DATASET,
    PRESETS,
    TrainJob,
    areal_release,
    render_areal,
    render_v02,
)

pytest.importorskip("omegaconf", reason="AReaL contract: run scripts/ci_areal_contract.sh")

AREAL_SRC = os.environ.get("EVALKIT_AREAL_SRC")
V02_SRC = os.environ.get("EVALKIT_AREAL_V02_SRC")
TORCH_PACKAGES = ("areal", "areal.engine", "areal.engine.fsdp_utils", "realhf")


def _bare_package(name: str, root: Path) -> None:
    """Register package ``name`` (directory under ``root``) without running its ``__init__``."""
    path = root.joinpath(*name.split("."))
    if path.is_dir() and name not in sys.modules:
        module = types.ModuleType(name)
        module.__path__ = [str(path)]
        sys.modules[name] = module


def _stub_if_absent(name: str, **attrs: Any) -> None:
    try:
        importlib.import_module(name)
    except ImportError:
        sys.modules[name] = types.SimpleNamespace(**attrs)  # type: ignore[assignment]


def _import_from(root: Path, module: str) -> Any:
    sys.path.insert(0, str(root))
    for name in TORCH_PACKAGES:
        _bare_package(name, root)
    sys.modules.setdefault("areal.utils.name_resolve", types.ModuleType("areal.utils.name_resolve"))
    _stub_if_absent("numba", njit=lambda fn=None, **kw: fn if fn is not None else (lambda f: f))
    _stub_if_absent("transformers.integrations.hub_kernels", is_kernel=lambda name: False)
    return importlib.import_module(module)


def _areal_root() -> tuple[Path, str]:
    """(directory holding the ``areal`` package, its version)."""
    if AREAL_SRC:
        from packaging.specifiers import SpecifierSet

        root = Path(AREAL_SRC)
        project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
        python = ".".join(map(str, sys.version_info[:3]))
        if python not in SpecifierSet(project["requires-python"]):
            pytest.skip(f"AReaL {project['version']} needs Python {project['requires-python']}, not {python}")
        return root, project["version"]
    try:
        installed = version("areal")
    except PackageNotFoundError:
        pytest.skip("no AReaL 1.0: install areal or set EVALKIT_AREAL_SRC to a checkout")
    spec = importlib.util.find_spec("areal")
    assert spec is not None and spec.origin is not None
    return Path(spec.origin).parent.parent, installed


@pytest.fixture(scope="module")
def areal() -> tuple[Any, str]:
    """AReaL 1.0's ``areal.api.cli_args`` module and its release."""
    root, release = _areal_root()
    return _import_from(root, "areal.api.cli_args"), areal_release(release)


def load_areal_1(cli_args: Any, path: Path) -> Any:
    """``path`` read by AReaL 1.0's own config loader into its ``GRPOConfig``."""
    from omegaconf import OmegaConf

    cfg, _ = cli_args.parse_cli_args(["--config", str(path)])
    config = OmegaConf.to_object(cli_args.to_structured_cfg(cfg, config_cls=cli_args.GRPOConfig))
    assert isinstance(config, cli_args.GRPOConfig)
    return config


def render_to(tmp_path: Path, config: dict[str, Any], name: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_loads_in_areal_1(areal: tuple[Any, str], name: str, tmp_path: Path) -> None:
    cli_args, release = areal
    preset = PRESETS[name]
    rendered = render_areal(
        preset,
        TrainJob(model_path="/m", dataset="/d.jsonl", fileroot=str(tmp_path), save_freq_steps=20),
        version=release,
    )
    config = load_areal_1(cli_args, render_to(tmp_path, rendered, name))
    assert (config.cluster.n_nodes, config.gconfig.n_samples) == (preset.nodes, preset.group_size)
    assert config.train_dataset.batch_size == 512 and config.actor.path == config.ref.path == "/m"
    assert (config.saver.freq_epochs, config.saver.freq_steps) == (1, 20)
    assert (config.actor.eps_clip, config.actor.optimizer.lr) == (0.4, 1e-5)
    assert (config.actor.reward_scaling, config.actor.reward_bias) == (10.0, -0.5)
    if release >= "1.0.3":
        assert config.rollout.backend.startswith("sglang:") and config.ref.backend == config.actor.backend
    if release >= "1.0.4":
        assert config.actor.rejection_sampling.upper == 5.0


def test_the_wrong_release_s_keys_are_rejected(areal: tuple[Any, str], tmp_path: Path) -> None:
    """The loader is strict: a config in another 1.0.x dialect fails, as issue 14's did."""
    cli_args, release = areal
    other = "1.0.0" if release != "1.0.0" else "1.0.4"
    rendered = render_areal(
        PRESETS["1.5B_n1"], TrainJob(model_path="/m", fileroot=str(tmp_path)), version=other
    )
    with pytest.raises(Exception, match=r"imp_weight|rejection_sampling|backend|allocation_mode"):
        load_areal_1(cli_args, render_to(tmp_path, rendered, "other"))


def shipped_yaml(path: Path) -> dict[str, Any]:
    """A shipped YAML as AReaL reads it (OmegaConf's loader: ``1e-5`` is a float, not PyYAML's string)."""
    from omegaconf import OmegaConf

    return OmegaConf.to_container(OmegaConf.load(path))  # type: ignore[return-value]


def _leaves(tree: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(tree, dict):
        return {k: v for key, sub in tree.items() for k, v in _leaves(sub, f"{prefix}{key}.").items()}
    return {prefix.rstrip("."): tree}


# Fields in which 1.5B_n1 differs from AReaL 1.0's examples/math/boba_grpo.yaml (docs/training.md says why).
BOBA_DIFFERENCES = {
    "experiment_name", "trial_name", "cluster.fileroot", "cluster.name_resolve.nfs_record_root", "actor.path",
    "train_dataset.path", "train_dataset.batch_size", "scheduler.type", "recover.mode", "recover.freq_secs",
}  # fmt: skip


def test_areal_1_config_differs_from_boba_grpo_only_where_documented(areal: tuple[Any, str]) -> None:
    if not AREAL_SRC:
        pytest.skip("the wheel ships no examples/: set EVALKIT_AREAL_SRC to a checkout")
    _, release = areal
    shipped = shipped_yaml(Path(AREAL_SRC) / "examples/math/boba_grpo.yaml")
    ours = _leaves(render_areal(PRESETS["1.5B_n1"], TrainJob(model_path="/m", dataset="/d"), version=release))
    theirs = _leaves(shipped)
    differing = {k for k in ours.keys() | theirs.keys() if ours.get(k, "absent") != theirs.get(k, "absent")}
    # boba_grpo runs vLLM on NPUs (HCCL variables); evalkit runs the preset's SGLang split on GPUs.
    backends = {k for k in differing if k.endswith("backend") or k == "allocation_mode"}
    npu_env = {k for k in differing if k.startswith("actor.scheduling_spec")}
    assert differing - backends - npu_env == BOBA_DIFFERENCES


def _v02_schema(root: Path) -> type:
    """v0.2.0's ``PPOMATHConfig`` fields: its only field-declaring bases are two ``realhf.api.cli_args`` classes."""
    classes = {
        "realhf/experiments/common/ppo_math_exp.py": ("PPOMATHConfig", ["CommonExperimentConfig", "PPOMATHExperimentOptions"]),
        "realhf/experiments/common/common.py": ("CommonExperimentConfig", ["BaseExperimentConfig", "Experiment"]),
        "realhf/api/core/system_api.py": ("Experiment", []),
    }  # fmt: skip
    for rel, (cls_name, bases) in classes.items():
        tree = ast.parse((root / rel).read_text())
        (cls,) = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls_name]
        assert [ast.unparse(b) for b in cls.bases] == bases
        assert not [n for n in cls.body if isinstance(n, ast.AnnAssign)], f"{cls_name} declares fields"
    cli_args = _import_from(root, "realhf.api.cli_args")
    bases = (cli_args.BaseExperimentConfig, cli_args.PPOMATHExperimentOptions)
    return dataclasses.make_dataclass("PPOMATHConfig", [], bases=bases)


def _torch_record(where: Path) -> None:
    """v0.2's ``GenerationHyperparameters`` checks torch's version: record that of its runtime image's base
    (nvcr.io/nvidia/pytorch:24.07, torch 2.4) when no torch is installed."""
    try:
        version("torch")
    except PackageNotFoundError:
        (where / "torch-2.4.0.dist-info").mkdir()
        (where / "torch-2.4.0.dist-info/METADATA").write_text(
            "Metadata-Version: 2.1\nName: torch\nVersion: 2.4.0\n"
        )
        sys.path.append(str(where))


@pytest.fixture(scope="module")
def v02(tmp_path_factory: pytest.TempPathFactory) -> tuple[type, Any, Path]:
    if not V02_SRC:
        pytest.skip("AReaL v0.2.0 is not on PyPI: set EVALKIT_AREAL_V02_SRC to a v0.2.0 checkout")
    root = Path(V02_SRC)
    _torch_record(tmp_path_factory.mktemp("metadata"))
    return _v02_schema(root), _import_from(root, "realhf.base.prologue"), root


def load_v02(schema: type, prologue: Any, path: Path) -> Any:
    from omegaconf import OmegaConf

    raw = OmegaConf.load(path)
    prologue.get_experiment_name(raw.get("experiment_name"))
    prologue.get_trial_name(raw.get("trial_name"))
    raw.pop(prologue.PROLOGUE_EXTERNAL_CONFIG_NAME)
    return OmegaConf.to_object(OmegaConf.merge(OmegaConf.structured(schema), raw))


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_loads_in_v02_and_equals_the_shipped_yaml(
    v02: tuple[type, Any, Path], name: str, tmp_path: Path
) -> None:
    schema, prologue, root = v02
    preset = PRESETS[name]
    rendered = render_v02(preset, TrainJob(model_path=preset.default_model, dataset=DEFAULT_DATASET))
    config = load_v02(schema, prologue, render_to(tmp_path, rendered, name))
    assert config.ppo.gen.max_new_tokens == 27648 and config.group_size == preset.group_size
    shipped = root / f"examples/configs/{preset.model_size}-distill/{preset.experiment_name}.yaml"
    assert rendered == shipped_yaml(shipped)


def test_v02_takes_extra_persistent_saves(v02: tuple[type, Any, Path], tmp_path: Path) -> None:
    schema, prologue, _ = v02
    rendered = render_v02(PRESETS["7B_n16"], TrainJob(model_path="/m", save_freq_steps=20))
    config = load_v02(schema, prologue, render_to(tmp_path, rendered, "saves"))
    assert (config.exp_ctrl.save_freq_epochs, config.exp_ctrl.save_freq_steps) == (1, 20)


def test_v02_loader_rejects_keys_v02_lacks(v02: tuple[type, Any, Path], tmp_path: Path) -> None:
    """The loader is strict, so the tests above can fail: AReaL 1.0's key name in a v0.2 config."""
    schema, prologue, _ = v02
    rendered = render_v02(PRESETS["1.5B_n1"], TrainJob(model_path="/m"))
    rendered["ppo"]["eps_clip"], rendered["ppo"]["rejection_sampling"] = 0.4, {"upper": 5.0}
    with pytest.raises(Exception, match="rejection_sampling"):
        load_v02(schema, prologue, render_to(tmp_path, rendered, "unknown"))


def test_v02_rejects_underscores_in_names(v02: tuple[type, Any, Path], tmp_path: Path) -> None:
    schema, prologue, _ = v02
    rendered = render_v02(PRESETS["1.5B_n1"], TrainJob(model_path="/m", trial_name="run_1"))
    with pytest.raises(RuntimeError, match="should not contain `_`"):
        load_v02(schema, prologue, render_to(tmp_path, rendered, "underscore"))
