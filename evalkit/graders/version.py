"""The grader's version, written in every run manifest.

Bump :data:`GRADER_VERSION` in any change that can turn a verdict (extraction, normalisation,
equivalence, gold handling): stored runs graded by an older version are then re-graded in place the
next time ``eval_and_aggregate`` or ``evalkit report`` reads them. Runs stored before versions were
recorded count as version 1.
"""

GRADER_VERSION = 6
UNVERSIONED = 1
