"""The benchmark catalog, declared as data: specs (``specs/*.toml``) and prompt templates
(``templates/*.toml``), shipped as the package data of ``evalkit.benchmarks.catalog``."""
