#!/usr/bin/env bash
# CI step: the AReaL contract tests (tests/training/areal/test_areal_contract.py) in a throwaway environment:
# every preset's rendered config must load through AReaL's own config classes and loader.
# Installs from PyPI only: the `areal` wheel without its GPU dependencies (torch, sglang, ...), the config
# stack it pins (omegaconf, hydra-core) and what its config module imports; evalkit itself without deps.
# AReaL v0.2.0 is not on PyPI (`realhf` there is the older ReaL project): its tests run only when
# EVALKIT_AREAL_V02_SRC names a v0.2.0 checkout; EVALKIT_AREAL_SRC may name a 1.0.x checkout instead of
# the wheel. The environment is removed on exit.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/evalkit-areal-contract.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
start=$SECONDS
areal_version="${EVALKIT_AREAL_VERSION:-1.0.4}"

python3 -m venv "$tmp/venv"
pip=("$tmp/venv/bin/pip" install --quiet --disable-pip-version-check)
"${pip[@]}" "omegaconf==2.4.0.dev2" "hydra-core==1.4.0.dev1" pyyaml uvloop colorlog packaging numpy rich pytest
"${pip[@]}" --no-deps "areal==$areal_version" "$root"
echo "areal_contract: areal $areal_version installed in $((SECONDS - start))s ($(du -sh "$tmp/venv" | cut -f1))"

cd "$tmp"
"$tmp/venv/bin/python" -m pytest "$root/tests/training/areal/test_areal_contract.py" -q -p no:cacheprovider \
    --rootdir "$root" -c "$root/pyproject.toml"
echo "areal_contract: done in $((SECONDS - start))s"
