"""A stand-in grading worker for tests: hangs, or dies, on demand; otherwise credits every pair.

It hangs on a prediction containing "hang" (a time-out that does not depend on how fast sympy is). It
dies (SIGKILL, as the OS's OOM killer would) while the file named by ``EVALKIT_TEST_DEATHS`` holds a
count above zero, counting it down one per death.
"""

import os
import signal
import time
from pathlib import Path

from evalkit.graders.worker import serve


def answer(pred: str, gold: str) -> tuple[bool, str, str]:
    if "hang" in pred:
        time.sleep(3600)
    control = os.environ.get("EVALKIT_TEST_DEATHS")
    if control:
        deaths = int(Path(control).read_text() or 0)
        if deaths > 0:
            Path(control).write_text(str(deaths - 1))
            os.kill(os.getpid(), signal.SIGKILL)
    return True, "symbolic", "credited by the test worker"


if __name__ == "__main__":
    serve(answer)
