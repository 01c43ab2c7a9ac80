"""Stage 4, a run: benchmark x template x sampler x grader -> one stored record per sample.

``config`` (every setting of a run and its one default), ``records`` (one line of the store), ``store``
(manifest and append-only samples, resume), ``lock`` (one writer per run directory), ``runner`` (stream
completions through the grader into the store) and ``regrade`` (re-grade a run a different grader version
graded). Imports benchmarks, sampling and graders; nothing of reporting or later.
"""
