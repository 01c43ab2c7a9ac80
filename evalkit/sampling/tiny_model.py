"""Build a tiny random-weight causal LM with a tokenizer trained on the fly, saved in Hugging Face format.

No hub access: used by the tests, the CPU smoke runs and demos so that the real loading code
(``AutoTokenizer.from_pretrained`` / ``AutoModelForCausalLM.from_pretrained``) is exercised.
"""

from pathlib import Path

CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}<|end|>{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)

_CORPUS = [
    "Let's think step by step. The answer is \\boxed{42}.",
    "We compute 3 + 4 = 7, so the final answer is \\boxed{7}.",
    "Solve for x: 2x + 3 = 11 gives x = 4. Therefore \\boxed{4}.",
    "The area of the triangle is \\frac{1}{2} b h = \\boxed{\\frac{15}{2}}.",
    "<think>First, note that \\sqrt{16} = 4.</think> The answer is \\boxed{4}.",
    "Please reason step by step, and put your final answer within \\boxed{}.",
    "Find the number of minutes the walk takes her, including the t minutes spent in the coffee shop.",
    "0 1 2 3 4 5 6 7 8 9 + - * / = ( ) [ ] { } ^ _ \\pi \\infty \\cdot \\le \\ge",
]


def build_tiny_model(path: str | Path, *, vocab_size: int = 384, seed: int = 0) -> Path:
    """Write a tiny Qwen2-architecture model and its tokenizer to ``path`` and return it."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    specials = ["<|pad|>", "<|endoftext|>", "<|user|>", "<|assistant|>", "<|system|>", "<|end|>"]
    tok = Tokenizer(models.BPE(unk_token=None))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(_CORPUS * 4, trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, eos_token="<|endoftext|>", pad_token="<|pad|>", chat_template=CHAT_TEMPLATE
    )
    fast.save_pretrained(path)

    torch.manual_seed(seed)
    config = Qwen2Config(
        vocab_size=len(fast),
        hidden_size=128,  # head_dim 64: vLLM's CPU attention needs head_dim >= 32
        intermediate_size=256,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=8192,  # room for the longest benchmark prompts (gpqa_diamond, olympiadbench)
        eos_token_id=fast.eos_token_id,
        pad_token_id=fast.pad_token_id,
        bos_token_id=None,
        tie_word_embeddings=True,
    )
    model = Qwen2ForCausalLM(config)
    model.generation_config.eos_token_id = fast.eos_token_id
    model.generation_config.pad_token_id = fast.pad_token_id
    model.save_pretrained(path)
    return path
