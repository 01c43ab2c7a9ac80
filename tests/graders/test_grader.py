"""A Grader owns its policy, time limit, worker pool and cache; grade/grade_many use the default one."""

from dataclasses import asdict

from evalkit.graders import POLICIES, ExtractionPolicy, Grader, engine
from evalkit.graders.pool import POOL


def test_grader_applies_its_policy_and_a_call_may_override_it() -> None:
    strict = Grader(ExtractionPolicy.strict(), pool=POOL)
    assert not strict.grade("The final answer is 12.", "12").correct
    assert strict.grade("so \\boxed{12}", "12").correct
    assert strict.grade_many([("The final answer is 12.", "12")], policy=ExtractionPolicy())[0].correct
    assert Grader(pool=POOL).grade("The final answer is 12.", "12").rule == "phrase"


def test_grader_keeps_its_own_cache_and_pool() -> None:
    with Grader(timeout=20.0, workers=1) as own:
        verdict = own.grade("\\boxed{\\sqrt{98}+\\sqrt{8}}", "9\\sqrt{2}")
        assert (verdict.correct, verdict.method) == (True, "symbolic")
        assert own.pool is not POOL and own.pool._executor is not None
        assert own.cache.get(("\\sqrt{98}+\\sqrt{8}", "9\\sqrt{2}")) is not None
        assert engine.DEFAULT_GRADER.cache.get(("\\sqrt{98}+\\sqrt{8}", "9\\sqrt{2}")) is None
    assert own.pool._executor is None and own.pool._workers == []  # closed with the block


def test_closing_a_grader_on_the_shared_pool_leaves_it_running() -> None:
    Grader(pool=POOL).close()
    assert POOL.submit("x+x", "2x", timeout=20.0).result()[0]


def test_policy_presets_round_trip_through_a_manifest() -> None:
    for name, policy in POLICIES.items():
        assert ExtractionPolicy(**asdict(policy)) == policy == ExtractionPolicy.named(name)
    assert ExtractionPolicy(**{"last_number_fallback": False, "require_think_end": True}).conclusion
