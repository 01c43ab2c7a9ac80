"""A stand-in Math-Verify audit worker for tests: hangs on responses containing "hang", else credits."""

import time

from evalkit.graders.worker import serve

if __name__ == "__main__":
    serve(lambda response, spec: time.sleep(3600) if "hang" in response else (response, True, ""))
