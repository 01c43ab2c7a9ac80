#!/usr/bin/env bash
# CI step: the grader under every antlr runtime the trainers bring, and evalkit beside veRL's config stack.
# latex2sympy2_extended ships parsers for antlr 4.9.3 (omegaconf 2.3 / hydra-core 1.3: veRL and every hydra
# trainer), 4.11.0 and 4.13.2; evalkit accepts that range. For each version the grader's case tables run with
# that runtime first on the path (the grader's worker processes inherit it). Then pip resolves evalkit together
# with omegaconf 2.3 and hydra-core 1.3 (no fallback to hydra-core 0.11), and both import beside the grader.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="$root/.venv/bin/python"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/evalkit-stacks.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
pip=("$python" -m pip install --quiet --disable-pip-version-check --no-deps)

for version in 4.9.3 4.11.0; do
    "${pip[@]}" --target "$tmp/antlr-$version" "antlr4-python3-runtime==$version"
    got="$(PYTHONPATH="$tmp/antlr-$version" "$python" -c \
        "import importlib.metadata as m; print(m.version('antlr4-python3-runtime'))")"
    [[ "$got" == "$version" ]] || { echo "trainer_stacks: antlr $version not first on the path ($got)"; exit 1; }
    (cd "$root" && PYTHONPATH="$tmp/antlr-$version" "$python" -m pytest -q -p no:cacheprovider \
        tests/graders/test_cases.py tests/graders/test_examples.py | tail -1)
    echo "trainer_stacks: grader case tables pass with antlr $version"
done

# pip's resolver: evalkit with veRL's pins, as `pip install evalkit verl` would need them.
"$python" -m pip install --quiet --disable-pip-version-check --dry-run --ignore-installed \
    --report "$tmp/resolve.json" "$root" "omegaconf==2.3.0" "hydra-core==1.3.2"
"$python" - "$tmp/resolve.json" <<'PY'
import json, sys
chosen = {i["metadata"]["name"].lower(): i["metadata"]["version"] for i in json.load(open(sys.argv[1]))["install"]}
assert chosen["hydra-core"] == "1.3.2" and chosen["omegaconf"] == "2.3.0", chosen
assert chosen["antlr4-python3-runtime"].startswith("4.9."), chosen["antlr4-python3-runtime"]
print(f"trainer_stacks: evalkit resolves with omegaconf 2.3.0, hydra-core 1.3.2, antlr {chosen['antlr4-python3-runtime']}")
PY
"${pip[@]}" --target "$tmp/hydra" "omegaconf==2.3.0" "hydra-core==1.3.2" "antlr4-python3-runtime==4.9.3"
PYTHONPATH="$tmp/hydra" "$python" -c '
import hydra, omegaconf
from evalkit.graders import grade
cfg = omegaconf.OmegaConf.create({"reward": {"gold": "\\frac{1}{2}"}})
assert grade("so \\boxed{0.5}", cfg.reward.gold, timeout=30).correct
assert not grade("so \\boxed{\\frac{2}{3}}", cfg.reward.gold, timeout=30).correct
symbolic = grade("\\boxed{\\frac{\\sqrt{3}}{3}}", "\\frac{1}{\\sqrt{3}}", timeout=60)
assert symbolic.correct and symbolic.method == "symbolic", symbolic
print(f"trainer_stacks: hydra-core {hydra.__version__}, omegaconf {omegaconf.__version__} import beside the grader")
'
