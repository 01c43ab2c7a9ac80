"""The reward adapters of :mod:`evalkit.training.rewards` with the strict extraction policy: a box or
nothing (no answer phrase, JSON field, concluding statement or last number stands in for one).

For trainers that load a reward by file or dotted name and pass it no options: OpenRLHF's
``--reward.remote_url .../rewards_strict.py``, AReaL's ``"evalkit.training.rewards_strict.areal_reward_fn"``,
veRL's ``custom_reward_function.path`` (or keep ``rewards.py`` with ``reward_kwargs: {policy: strict}``).
"""

from functools import partial

from evalkit.training import rewards

STRICT = "strict"

areal_reward_fn = rewards.AReaLReward(policy=STRICT)
areal_v02_reward = partial(rewards.areal_v02_reward, policy=STRICT)
compute_score = partial(rewards.compute_score, policy=STRICT)
reward_func = partial(rewards.reward_func, policy=STRICT)
trl_reward_fn = rewards.TRLReward(policy=STRICT)

if __name__ not in ("evalkit.training.rewards_strict", "__main__"):  # loaded by path: a reward process
    rewards.warm_up()
