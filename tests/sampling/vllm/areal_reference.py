"""A reference for AReaL's seed layout: one run of AReaL v0.5.3's math_eval.py, reduced to how it calls vLLM.

    python areal_reference.py MODEL DATA_DIR NAMES PROMPT_TYPE SEED N_SAMPLING MAX_TOKENS TEMPERATURE TOP_P OUT

One process is one of AReaL's runs (eval_greedy.sh: seed 0, temperature 0, n 1; eval_sample_with_seed.sh:
seed s, n M): a fresh engine with math_eval.py's options (less ``swap_space``, which this vLLM lacks), then
per benchmark, in order, ONE ``llm.generate(prompts, SamplingParams(temperature, seed, top_p, top_k=-1,
max_tokens, n, stop, stop_token_ids))`` over all its prompts, outputs sorted by request id and right-stripped
as math_eval.py stores them. Writes ``{benchmark: [[text, ...] per problem]}`` as JSON to OUT. The prompts are
evalkit's rendering of PROMPT_TYPE (checked byte-identical to AReaL's elsewhere).
"""

import json
import sys
from pathlib import Path

# math_eval.py's stop words for the prompt types without extra ones, and its Qwen2 stop ids
STOP_WORDS = ["</s>", "<|im_end|>", "<|endoftext|>"]
QWEN2_STOP_IDS = [151645, 151643]


def main() -> None:
    model, data_dir, names, prompt_type, seed, n, max_tokens, temperature, top_p, out = sys.argv[1:]
    from vllm import LLM, SamplingParams

    from evalkit.benchmarks.loading import load_benchmark
    from evalkit.benchmarks.templates import load_template
    from evalkit.sampling.vllm_options import areal_max_model_len

    config = json.loads((Path(model) / "config.json").read_text())
    llm = LLM(
        model=model,
        tensor_parallel_size=1,
        trust_remote_code=True,
        enforce_eager=True,
        disable_custom_all_reduce=True,
        disable_sliding_window=True,
        max_model_len=areal_max_model_len(config),  # 32768, or less where the model allows less
        enable_chunked_prefill=False,
    )
    template = load_template(prompt_type)
    params = SamplingParams(
        temperature=float(temperature),
        seed=int(seed),
        top_p=float(top_p),
        top_k=-1,
        max_tokens=int(max_tokens),
        n=int(n),
        stop=STOP_WORDS,
        stop_token_ids=QWEN2_STOP_IDS if "qwen2" in model.lower() else None,
    )
    texts = {}
    for name in names.split(","):
        problems = load_benchmark(name, data_dir=data_dir).problems
        prompts = [template.render(p.problem) for p in problems]
        outputs = sorted(llm.generate(prompts, params), key=lambda o: int(o.request_id))
        texts[name] = [[c.text.rstrip() for c in o.outputs] for o in outputs]
    Path(out).write_text(json.dumps(texts))


if __name__ == "__main__":
    main()
