"""Benchmark specs (``specs/*.toml``) and prompt templates (``templates/*.toml``), shipped as package data."""
