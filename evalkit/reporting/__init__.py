"""Stage 5, reporting: stored records -> scores and the documents people read.

``metrics`` (pass@k, maj@k, lengths per benchmark, typed), ``table`` (the prettytable), ``runs`` (a run store
or an AReaL folder read back, with its settings), ``areal_files`` (AReaL's per-sample and aggregate files),
``html`` (the static report), ``plots`` and ``paired`` (a paired test between two runs). Nothing here
samples.
"""
