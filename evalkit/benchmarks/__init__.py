"""Stage 1, benchmarks: the catalog of specs and prompt templates (data in the repository's ``benchmarks/``),
problem files loaded and checked against their specs (``loading``), prompts rendered as AReaL renders them
(``templates``), and problem files downloaded, imported or verified (``files``). Imports nothing of evalkit's
but ``evalkit.errors``."""
