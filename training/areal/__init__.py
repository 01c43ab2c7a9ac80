"""Trainer operations for AReaL: hardware presets rendered into AReaL configs per release (``presets``),
prerequisite checks and the launch (``launcher``), the entry AReaL runs with evalkit's reward (``entry``),
the trainer log read back (``trainlog``) and a Ray cluster started as the guide does (``cluster``)."""
