"""A local Hugging Face model directory checked before any engine loads: a ``config.json`` that is a JSON
object, and the files a tokenizer is built from.

Without tokenizer files ``transformers.AutoTokenizer`` does not fail: it builds an empty tokenizer, and the
run dies later inside ``generate`` (an ``IndexError``) or after vLLM has loaded the weights. So the files are
looked for first; where the tokenizer is loaded (never the weights), a failure names the directory.
"""

import json
from pathlib import Path
from typing import Any

from evalkit.errors import UsageError

# What a tokenizer is built from; any one of these is enough.
TOKENIZER_FILES = (
    "tokenizer.json",  # a fast (Rust) tokenizer: Qwen, Llama 3, DeepSeek, most current models
    "*.model",  # SentencePiece: tokenizer.model (Llama 2, Mistral, Gemma), spiece.model, sentencepiece.bpe.model
    "vocab.json + merges.txt",  # byte-level BPE written by a slow tokenizer (GPT-2, Qwen2)
    "vocab.txt",  # WordPiece
    "*.tiktoken",  # tiktoken vocabularies
    "tekken.json",  # Mistral's own format (vLLM's mistral tokenizer mode)
)


def read_model_config(model_dir: str | Path) -> dict[str, Any]:
    """``model_dir/config.json`` as a dict; a file that cannot be read, is not JSON or not a JSON object is
    a ``UsageError`` naming it."""
    path = Path(model_dir).expanduser() / "config.json"
    try:
        data = json.loads(path.read_bytes())
    except OSError as err:
        raise UsageError(f"{path}: cannot be read ({err.strerror or err})") from None
    except UnicodeDecodeError as err:
        raise UsageError(f"{path}: not a Hugging Face model config (not UTF-8: {err.reason})") from None
    except json.JSONDecodeError as err:
        raise UsageError(
            f"{path}: not a Hugging Face model config (invalid JSON: {err.msg} at line {err.lineno} "
            f"column {err.colno}); copy config.json again from where the model came from"
        ) from None
    if not isinstance(data, dict):
        raise UsageError(
            f"{path}: not a Hugging Face model config (a JSON {type(data).__name__}, not an object)"
        )
    return data


def tokenizer_files(model_dir: str | Path) -> list[str]:
    """The files of ``model_dir`` a tokenizer can be built from (see ``TOKENIZER_FILES``), sorted."""
    folder = Path(model_dir).expanduser()
    found = {p.name for p in folder.iterdir() if p.is_file()}
    if not {"vocab.json", "merges.txt"} <= found:
        found -= {"vocab.json", "merges.txt"}
    fixed = {"tokenizer.json", "vocab.json", "merges.txt", "vocab.txt", "tekken.json"}
    return sorted(n for n in found if n in fixed or n.endswith((".model", ".tiktoken")))


def check_model_dir(model_dir: str | Path, *, shown: str | None = None) -> None:
    """Refuse a local model directory whose ``config.json`` is not a JSON object or that has no tokenizer
    files, in one line naming the file or the directory (``shown``: how the user wrote it)."""
    folder = Path(model_dir).expanduser()
    read_model_config(folder)
    if not tokenizer_files(folder):
        raise UsageError(
            f"--model_path {shown or folder}: no tokenizer files there (looked for {', '.join(TOKENIZER_FILES)}); "
            "copy them from the base model (a training checkpoint often saves only the weights)"
        )


def load_tokenizer(model_path: str, *, shown: str | None = None) -> Any:
    """``AutoTokenizer.from_pretrained(model_path)`` (the tokenizer only, never the weights); a local
    directory is checked first (:func:`check_model_dir`), and a tokenizer that does not load is a
    ``UsageError`` naming the directory."""
    folder = Path(model_path).expanduser()
    local = folder.is_dir()
    if local:
        check_model_dir(folder, shown=shown or model_path)
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(model_path)
    except Exception as err:  # a tokenizer's loaders raise anything from OSError to Exception
        if not local:
            raise  # a hub id: the download's own error says more
        reason = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise UsageError(
            f"--model_path {shown or model_path}: the tokenizer does not load ({type(err).__name__}: {reason})"
        ) from None
