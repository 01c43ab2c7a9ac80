"""AReaL's own aggregator reads the files an evalkit run writes, and agrees with evalkit's AReaL aggregate.

Runs eval_and_aggregate with a scripted sampler (the tests' ScriptedSampler: known verdicts, no model) on
amc23 and aime24 with 8 x 4 samples, then calls ``process_single_data_name`` of AReaL's
``evaluation/eval_and_aggregate.py`` on the output and prints both values of each key. Needs an AReaL
``evaluation/`` folder (e.g. ``git archive v0.5.3 evaluation``) and the benchmark data; AReaL's
``timeout_decorator`` import may be a stub. Every value agrees to the last bit (maj@32 only because the
scripted answers are exact strings: AReaL groups strings, evalkit equivalent answers). AReaL's
aggregate that evalkit writes holds AReaL's lengths (the responses re-tokenised with the model's tokenizer,
as AReaL's ``get_metrics``), not evalkit's generated-token count (its own table's; here the scripted
sampler's made-up counts, which differ).

    EVALKIT_DATA_DIR=... PYTHONPATH=AREAL/evaluation:STUBS python scripts/areal_files_contract.py OUT_DIR
"""

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NAMES = ("amc23", "aime24")
PT = "r1-distilled-qwen"


def main(out: Path) -> int:
    sys.path.insert(0, str(ROOT / "tests"))
    import eval_and_aggregate as areal  # AReaL's, from PYTHONPATH
    from scripted import ScriptedSampler  # the tests' sampler with known verdicts
    from transformers import AutoTokenizer

    import evalkit.sampling.factory as factory
    from evalkit.benchmarks.loading import load_benchmark
    from evalkit.benchmarks.templates import load_template
    from evalkit.cli.eval_and_aggregate import main as evalkit_main
    from evalkit.run.store import run_root
    from evalkit.sampling.tiny_model import build_tiny_model

    model = out / "tiny"
    if not (model / "config.json").is_file():
        build_tiny_model(model)
    template = load_template(PT)
    golds = {template.render(p.problem): p.gold for n in NAMES for p in load_benchmark(n).problems}
    factory.make_sampler = lambda backend, m, **_: ScriptedSampler(golds, m)  # type: ignore[assignment]
    flags = ["--backend", "transformers", "--model_path", str(model), "--output_path", str(out)]
    flags += ["--data_names", ",".join(NAMES), "--num_sample_nodes", "8", "--samples_per_node", "4"]
    if evalkit_main([*flags, "--max_gen_tokens", "64"]) != 0:
        return 1
    ns = argparse.Namespace(
        prompt_type=PT, temperature=0.6, top_p=0.95, top_k=-1, num_sample_nodes=8, samples_per_node=4
    )
    areal.args = ns  # AReaL's get_metrics reads the module's global args
    tokenizer = AutoTokenizer.from_pretrained(model)
    base = out / "math_eval_64"
    ours = json.loads((base / f"aggregate_parallel_{PT}_0.6_0.95_-1.json").read_text())
    own_path = run_root(str(model), str(out), None) / f"aggregate_parallel_{PT}_0.6_0.95_-1.json"
    evalkit_own = json.loads(own_path.read_text())
    worst, same = 0.0, True
    for name in NAMES:
        theirs = areal.process_single_data_name(ns, name, str(base), tokenizer)
        same &= list(theirs) == list(ours[name])
        print(f"{name}: keys {'equal' if list(theirs) == list(ours[name]) else 'DIFFER'}")
        for key, value in theirs.items():
            print(f"  {key:14} AReaL {value!s:>22}  evalkit {ours[name][key]!s:>22}")
            if isinstance(value, str) or "length" in key:
                same &= value == ours[name][key]  # "-", and the lengths: exactly
            else:
                worst = max(worst, abs(float(value) - float(ours[name][key])))
        own = evalkit_own[name]
        print(
            f"  evalkit's own table: greedy_length {own['greedy_length']}, sample_length {own['sample_length']}"
        )
    print(f"lengths and '-' equal: {same}; largest difference of the other values: {worst:.2e}")
    return 0 if same and worst == 0.0 else 1


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
