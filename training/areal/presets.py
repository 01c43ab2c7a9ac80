"""Hardware presets of the AReaL guide and the trainer configurations rendered from them, per AReaL version.

Every preset uses nodes x 8 GPUs of 80 GB. AReaL v0.2 configs are AReaL v0.2.0's shipped
``examples/configs/{1.5B,7B,32B}-distill/ppo-*-gpus-*.yaml``; AReaL 1.0 configs take the hyperparameters of
AReaL 1.0's ``examples/math/boba_grpo.yaml`` and the preset's generation/training GPU split (FSDP training
without pipelining), written with the keys of the AReaL 1.0.x release that will read them.
"""

import copy
import re
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

GPUS_PER_NODE = 8
BATCH_SIZE = 512
MAX_NEW_TOKENS_V02 = 27648  # every shipped v0.2 YAML (the tutorial's prose says 16k)
MAX_NEW_TOKENS_AREAL = 8192  # AReaL 1.0's examples/math/boba_grpo.yaml
DEFAULT_DATASET = "/storage/datasets/boba_106k_0319.jsonl"
AREAL_RELEASES = ("1.0.0", "1.0.1", "1.0.2", "1.0.3", "1.0.4")
V02_RELEASE = "0.2"
IMPORTANCE_CAP = 5.0
# the shipped ppo-32B-distill-gpus-128.yaml's tuned SGLang limits
SGLANG_32B = {"disable_radix_cache": False, "max_running_requests": 128, "context_length": 29696}


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
    sglang: dict[str, Any] = field(default_factory=dict)  # the shipped YAML's extra actor.sglang limits

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
        Preset("32B_n16", "32B", 16, "sglang.d8m8p1+d4p4m4", 32, 6707, None, None, sglang=SGLANG_32B),
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


def areal_release(version: str) -> str:
    """The AReaL config dialect of ``version``: ``"0.2"`` (realhf) or one of :data:`AREAL_RELEASES`.

    Raises ``ValueError`` for a version whose config classes evalkit has not been checked against.
    """
    match = re.match(r"^v?(\d+)\.(\d+)(?:\.(\d+))?", version.strip())
    if match:
        major, minor, patch = match[1], match[2], match[3] or "0"
        if (major, minor) == ("0", "2"):
            return V02_RELEASE
        if f"{major}.{minor}.{patch}" in AREAL_RELEASES:
            return f"{major}.{minor}.{patch}"
    raise ValueError(
        f"AReaL {version} is not supported: evalkit renders configs for AReaL v0.2.x (realhf) and "
        f"{AREAL_RELEASES[0]}-{AREAL_RELEASES[-1]} (pip install areal=={AREAL_RELEASES[-1]})"
    )


def areal_backends(preset: Preset) -> tuple[str, str]:
    """AReaL 1.0 (rollout, training) backends with the v0.2 preset's generation/training GPU split."""
    gen, train = parse_allocation(preset.allocation_mode)
    train_gpus = train["d"] * train["t"] * train["p"]
    return f"sglang:d{gen['d']}p{gen['p']}t{gen['t']}", f"fsdp:d{train_gpus // train['t']}p1t{train['t']}"


def areal_allocation(preset: Preset) -> str:
    """AReaL 1.0.0-1.0.2's top-level ``allocation_mode`` (``sglang:dXpYtZ+dNp1tZ``) for ``preset``."""
    rollout, train = areal_backends(preset)
    return f"{rollout}+{train.split(':', 1)[1]}"


def _template(name: str) -> dict[str, Any]:
    import yaml

    return yaml.safe_load(resources.files("evalkit.training.areal").joinpath("templates", name).read_text())


@dataclass(frozen=True, slots=True)
class TrainJob:
    """What a rendered config trains and where its files go; ``None`` keeps the preset's names or the
    release's generation length."""

    model_path: str
    dataset: str = DEFAULT_DATASET
    experiment_name: str | None = None
    trial_name: str | None = None
    fileroot: str = "/storage/ray/experiments"
    max_new_tokens: int | None = None
    save_freq_steps: int | None = None


def render_v02(preset: Preset, job: TrainJob) -> dict[str, Any]:
    """AReaL v0.2 ``ppo-math`` config (``python3 -m realhf.apps.quickstart ppo-math --config``).

    ``job.save_freq_steps`` adds persistent saves every that many steps to the shipped once per epoch.
    """
    config = copy.deepcopy(_template("areal_v02_ppo_math.yaml"))
    config |= {
        "experiment_name": job.experiment_name or preset.experiment_name,
        "trial_name": job.trial_name or preset.trial_name,
        "allocation_mode": preset.allocation_mode,
        "n_nodes": preset.nodes,
        "group_size": preset.group_size,
    }
    for role in ("actor", "critic", "ref"):
        config[role]["path"] = job.model_path
    config["actor"]["sglang"] |= preset.sglang
    config["dataset"]["path"] = job.dataset
    config["ppo"]["gen"]["max_new_tokens"] = job.max_new_tokens or MAX_NEW_TOKENS_V02
    config["external_configs"]["cluster_config"]["fileroot"] = job.fileroot
    if job.save_freq_steps:
        config["exp_ctrl"]["save_freq_steps"] = job.save_freq_steps
    return config


def render_areal(preset: Preset, job: TrainJob, version: str = AREAL_RELEASES[-1]) -> dict[str, Any]:
    """AReaL 1.0.x GRPO config for ``python3 -m evalkit.training.areal.entry --config``, in ``version``'s keys.

    1.0.3 made ``actor.backend`` and ``rollout.backend`` mandatory (before: top-level ``allocation_mode``);
    the importance-weight cap is ``behav_imp_weight_cap`` in 1.0.0, ``behave_imp_weight_cap`` in
    1.0.1-1.0.3 and ``rejection_sampling`` from 1.0.4.
    """
    release = areal_release(version)
    if release == V02_RELEASE:
        raise ValueError("AReaL v0.2 reads ppo-math configs: use render_v02")
    index = AREAL_RELEASES.index(release)
    config = copy.deepcopy(_template("areal_grpo.yaml"))
    config |= {
        "experiment_name": job.experiment_name or preset.experiment_name,
        "trial_name": job.trial_name or preset.trial_name,
    }
    config["cluster"] |= {"n_nodes": preset.nodes, "fileroot": job.fileroot}
    config["cluster"]["name_resolve"]["nfs_record_root"] = f"{job.fileroot}/name_resolve"
    config["gconfig"] |= {
        "n_samples": preset.group_size,
        "max_new_tokens": job.max_new_tokens or MAX_NEW_TOKENS_AREAL,
    }
    config["actor"]["path"] = job.model_path
    config["sglang"] |= preset.sglang
    config["train_dataset"] |= {"path": job.dataset, "batch_size": BATCH_SIZE}
    config["saver"]["freq_steps"] = job.save_freq_steps
    actor, rollout, ref = config["actor"], config["rollout"], config["ref"]
    rollout["backend"], actor["backend"] = areal_backends(preset)
    if index < AREAL_RELEASES.index("1.0.3"):
        del rollout["backend"], actor["backend"], ref["backend"]
        config["allocation_mode"] = areal_allocation(preset)
    if index < AREAL_RELEASES.index("1.0.4"):
        del actor["rejection_sampling"]
        actor["behav_imp_weight_cap" if release == "1.0.0" else "behave_imp_weight_cap"] = IMPORTANCE_CAP
    return config
