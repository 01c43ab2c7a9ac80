"""Hardware presets of the AReaL guide and the trainer configurations rendered from them.

Every preset uses nodes x 8 GPUs of 80 GB. Allocation modes are those of AReaL's shipped
``examples/configs/{1.5B,7B,32B}-distill/ppo-*-gpus-*.yaml`` (generation GPUs + training GPUs =
all GPUs); AReaL 1.0's mode is derived from them (same split, FSDP training without pipelining).
"""

import copy
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

GPUS_PER_NODE = 8
BATCH_SIZE = 512
MAX_NEW_TOKENS = 16384
CKPT_FREQ_SECS = 600


@dataclass(frozen=True, slots=True)
class Preset:
    """One column of the guide's hardware table."""

    name: str
    model_size: str
    nodes: int
    allocation_mode: str
    group_size: int
    step_seconds: int
    steps_to_converge: int | None
    total_hours: int | None

    @property
    def gpus(self) -> int:
        return self.nodes * GPUS_PER_NODE

    @property
    def experiment_name(self) -> str:
        return f"ppo-{self.model_size}-distill-gpus-{self.gpus}"

    @property
    def trial_name(self) -> str:
        return f"{BATCH_SIZE}x{self.group_size}"

    @property
    def default_model(self) -> str:
        return f"/storage/models/DeepSeek-R1-Distill-Qwen-{self.model_size}"


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset("1.5B_n1", "1.5B", 1, "sglang.d4p1m1+d2p2m1", 16, 3461, 250, 240),
        Preset("1.5B_n4", "1.5B", 4, "sglang.d16p1m1+d8p2m1", 16, 997, 250, 69),
        Preset("1.5B_n16", "1.5B", 16, "sglang.d64p1m1+d32p2m1", 16, 391, 250, 27),
        Preset("7B_n4", "7B", 4, "sglang.d16p1m1+d8p2m1", 16, 2275, 400, 252),
        Preset("7B_n16", "7B", 16, "sglang.d64p1m1+d32p2m1", 16, 815, 400, 90),
        Preset("32B_n16", "32B", 16, "sglang.d8m8p1+d4p4m4", 32, 6707, None, None),
    )
}

_PART = re.compile(r"^(?:(?P<backend>[a-z]+)[.:])?(?P<dims>(?:[dmpt]\d+)+)$")


def parse_allocation(mode: str) -> list[dict[str, int]]:
    """Parts of an allocation mode as ``{"d": DP, "t": TP, "p": PP}`` (``m`` and ``t`` both mean TP)."""
    parts = []
    for part in mode.split("+"):
        match = _PART.match(part)
        if match is None:
            raise ValueError(f"bad allocation mode part {part!r} in {mode!r}")
        dims = {"d": 1, "t": 1, "p": 1}
        for key, value in re.findall(r"([dmpt])(\d+)", match["dims"]):
            dims["t" if key == "m" else key] = int(value)
        parts.append(dims)
    return parts


def allocation_gpus(mode: str) -> int:
    """GPUs an allocation mode uses: the sum over its parts of DP x TP x PP."""
    return sum(p["d"] * p["t"] * p["p"] for p in parse_allocation(mode))


def areal_allocation(preset: Preset) -> str:
    """AReaL 1.0 allocation (``sglang:dXpYtZ+dXp1tZ``) with the v0.2 preset's generation/training split."""
    gen, train = parse_allocation(preset.allocation_mode)
    train_gpus = train["d"] * train["t"] * train["p"]
    return f"sglang:d{gen['d']}p{gen['p']}t{gen['t']}+d{train_gpus // train['t']}p1t{train['t']}"


def _template(name: str) -> dict[str, Any]:
    import yaml

    return yaml.safe_load(resources.files("evalkit.training").joinpath("templates", name).read_text())


def render_v02(
    preset: Preset,
    *,
    model_path: str,
    dataset: str,
    experiment_name: str | None = None,
    trial_name: str | None = None,
    fileroot: str = "/storage/ray/experiments",
    max_new_tokens: int = MAX_NEW_TOKENS,
) -> dict[str, Any]:
    """AReaL v0.2 ``ppo-math`` config (``python3 -m realhf.apps.quickstart ppo-math --config``)."""
    config = copy.deepcopy(_template("areal_v02_ppo_math.yaml"))
    config |= {
        "experiment_name": experiment_name or preset.experiment_name,
        "trial_name": trial_name or preset.trial_name,
        "allocation_mode": preset.allocation_mode,
        "n_nodes": preset.nodes,
        "n_gpus_per_node": GPUS_PER_NODE,
        "group_size": preset.group_size,
    }
    config["exp_ctrl"]["ckpt_freq_secs"] = CKPT_FREQ_SECS
    for role in ("actor", "critic", "ref"):
        config[role]["path"] = model_path
    config["dataset"] |= {"path": dataset, "train_bs_n_seqs": BATCH_SIZE}
    config["ppo"]["gen"]["max_new_tokens"] = max_new_tokens
    config["external_configs"]["cluster_config"]["fileroot"] = fileroot
    return config


def render_areal(
    preset: Preset,
    *,
    model_path: str,
    dataset: str,
    experiment_name: str | None = None,
    trial_name: str | None = None,
    fileroot: str = "/storage/ray/experiments",
    max_new_tokens: int = MAX_NEW_TOKENS,
) -> dict[str, Any]:
    """AReaL 1.0 GRPO config for ``python3 -m evalkit.training.areal_entry --config``."""
    config = copy.deepcopy(_template("areal_grpo.yaml"))
    config |= {
        "experiment_name": experiment_name or preset.experiment_name,
        "trial_name": trial_name or preset.trial_name,
        "allocation_mode": areal_allocation(preset),
    }
    config["cluster"] |= {"n_nodes": preset.nodes, "n_gpus_per_node": GPUS_PER_NODE, "fileroot": fileroot}
    config["cluster"]["name_resolve"]["nfs_record_root"] = f"{fileroot}/name_resolve"
    config["gconfig"] |= {"n_samples": preset.group_size, "max_new_tokens": max_new_tokens}
    config["actor"]["path"] = model_path
    config["train_dataset"] |= {"path": dataset, "batch_size": BATCH_SIZE}
    config["recover"] |= {"mode": "auto", "freq_secs": CKPT_FREQ_SECS}
    return config
