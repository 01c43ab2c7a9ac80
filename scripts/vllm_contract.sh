#!/usr/bin/env bash
# CI step: the vLLM contract tests (tests/vllm_backend, marker "vllm") in a throwaway environment.
# vLLM pins its own torch, so it never goes into the main venv; the environment is removed on exit.
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
"$tmp/venv/bin/python" -m pytest tests/vllm_backend -m vllm -q -p no:cacheprovider
echo "vllm_contract: done in $((SECONDS - start))s"
