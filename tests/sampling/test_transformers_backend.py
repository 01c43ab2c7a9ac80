"""TransformersSampler on the tiny random model: seeds, greedy, batching, finish reasons, token counts."""

import dataclasses
from pathlib import Path

import pytest

from evalkit.sampling.base import Job, SampleRequest, SamplingParams
from evalkit.sampling.transformers_backend import TransformersSampler

SAMPLE = SamplingParams(temperature=0.6, top_p=0.95, max_new_tokens=8)
GREEDY = SamplingParams(temperature=0.0, max_new_tokens=8)
SHORT, LONG = "Solve for x: 2x + 3 = 11.", "Find the number of minutes the walk takes her, step by step."


@pytest.fixture(scope="module")
def sampler(tiny_model_dir: Path) -> TransformersSampler:
    return TransformersSampler(tiny_model_dir, device="cpu", batch_size=3)


def test_one_completion_per_seed_reproducible_whatever_the_batch(sampler: TransformersSampler) -> None:
    requests = [SampleRequest(LONG, (7, 8, 9, 7)), SampleRequest(SHORT, (1, 2))]
    out = sampler(requests, SAMPLE)
    assert [len(c) for c in out] == [4, 2]
    assert [c.seed for c in out[0]] == [7, 8, 9, 7]
    assert out[0][0] == out[0][3]  # same seed, same sample
    assert len({c.text for c in out[0][:3]}) > 1  # different seeds differ
    # Alone, with batch size 1 (no padding) or in another batch: the same samples.
    alone = TransformersSampler(sampler.model_path, device="cpu", batch_size=1)
    assert alone([SampleRequest(SHORT, (2, 1))], SAMPLE) == [[out[1][1], out[1][0]]]
    assert sampler([SampleRequest(SHORT, (1, 2))], SAMPLE) == [out[1]]


def test_greedy_is_deterministic_and_ignores_seeds(sampler: TransformersSampler) -> None:
    first = sampler([SampleRequest(LONG, (0,)), SampleRequest(SHORT, (5, 6))], GREEDY)
    assert first[1][0].text == first[1][1].text and first[1][0].seed is None
    alone = TransformersSampler(sampler.model_path, device="cpu", batch_size=1)
    assert alone([SampleRequest(SHORT, (0,))], GREEDY)[0][0] == first[1][0]


def test_length_limit_counts_every_generated_token(sampler: TransformersSampler) -> None:
    for completion in sampler([SampleRequest(SHORT, (3, 4))], SamplingParams(max_new_tokens=5))[0]:
        assert completion.finish_reason == "length" and completion.num_tokens == 5 and completion.text


def test_eos_stops_each_row_on_its_own(tiny_model_dir: Path) -> None:
    sampler = TransformersSampler(tiny_model_dir, device="cpu", batch_size=4)
    eos = sampler.eos_token_ids[0]
    forward_calls = 0

    def eos_on_third_step_for_even_rows(module, inputs, output):  # type: ignore[no-untyped-def]
        nonlocal forward_calls
        forward_calls += 1
        if forward_calls == 3:
            output[::2, -1, eos] += 1e4
        return output

    hook = sampler.model.lm_head.register_forward_hook(eos_on_third_step_for_even_rows)
    try:
        (out,) = sampler([SampleRequest(SHORT, (1, 2, 3, 4))], SAMPLE)
    finally:
        hook.remove()
    stopped = [c for c in out if c.finish_reason == "stop"]
    assert len(stopped) == 2 and all(c.num_tokens == 3 for c in stopped)
    assert all(c.num_tokens == 8 for c in out if c.finish_reason == "length")
    assert len(out) == 4


def test_describe_names_versions_and_flags(sampler: TransformersSampler) -> None:
    info = sampler.describe()
    assert info["backend"] == "transformers" and info["model"] == str(sampler.model_path)
    assert {"transformers", "torch", "device", "dtype", "batch_size", "eos_token_ids"} <= info.keys()
    assert info["device"] == "cpu" and info["dtype"] == "float32" and info["batch_size"] == 3


def test_a_stop_string_ends_the_completion_and_is_cut_from_its_text(sampler: TransformersSampler) -> None:
    free_params = SamplingParams(temperature=1.0, top_p=1.0, max_new_tokens=16)
    (free,) = sampler([SampleRequest(LONG, (3,))], free_params)[0]
    assert free.finish_reason == "length"
    at = next(
        k
        for k in range(1, len(free.text) - 2)
        if free.text[k : k + 3].isascii() and free.text.find(free.text[k : k + 3]) == k
    )
    stop, cut = free.text[at : at + 3], free.text[:at]  # the first place these 3 characters appear
    params = dataclasses.replace(free_params, stop=(stop,))
    (stopped,) = sampler([SampleRequest(LONG, (3,)), SampleRequest(SHORT, (4,))], params)[0]
    assert stopped.text == cut and stopped.finish_reason == "stop"
    assert 0 < stopped.num_tokens < free.num_tokens


def test_stream_yields_every_job_once_and_mixes_greedy_and_samples(sampler: TransformersSampler) -> None:
    jobs = [Job(0, SHORT, None, GREEDY), Job(1, LONG, 7, SAMPLE), Job(2, SHORT, 8, SAMPLE)]
    done = dict(sampler.stream(jobs, max_in_flight=2))
    assert sorted(done) == [0, 1, 2] and done[0].seed is None and done[1].seed == 7
    assert done[1] == sampler([SampleRequest(LONG, (7,))], SAMPLE)[0][0]
