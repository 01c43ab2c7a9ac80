"""The train -> eval loop: evalkit's grader as the reward of AReaL, veRL, OpenRLHF and TRL (``rewards``,
``rewards_strict``), the checkpoints a trainer writes found and settled (``checkpoints``), and each new one
evaluated as it appears (``watch``); ``smoke`` runs the loop on CPU with TRL. Operating a trainer (launch,
presets, logs, cluster) is ``evalkit.training.areal``."""
