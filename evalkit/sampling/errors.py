"""Errors a sampler raises for conditions the user can fix; the CLI prints them without a traceback."""

from collections.abc import Sequence

from evalkit.sampling.troubleshooting import Diagnosis


class BackendUnavailable(RuntimeError):
    """The backend cannot run here (package missing, no GPU); the message is one line saying what to do."""


class EngineFailure(RuntimeError):
    """The inference engine failed with a known symptom; the message is the advice, ``diagnoses`` the details."""

    def __init__(self, diagnoses: Sequence[Diagnosis]) -> None:
        self.diagnoses = tuple(diagnoses)
        super().__init__("\n".join(f"{d.message}\nWhat to change:\n{d.advice}" for d in self.diagnoses))

    def __reduce__(self) -> tuple[type["EngineFailure"], tuple[tuple[Diagnosis, ...]]]:
        """Pickle by the diagnoses, so the error crosses process boundaries (Ray ranks) intact."""
        return (type(self), (self.diagnoses,))


class OpenAIServerError(RuntimeError):
    """A completions request failed for good: retries exhausted (``refused`` False: the server may come back,
    a rerun resumes), or the server refused the request itself (``refused`` True: something must change)."""

    def __init__(self, message: str, *, refused: bool = False) -> None:
        super().__init__(message)
        self.refused = refused

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_server_error, (str(self), self.refused))


def _rebuild_server_error(message: str, refused: bool) -> OpenAIServerError:
    return OpenAIServerError(message, refused=refused)


class RanksLost(RuntimeError):
    """Data parallel over Ray: no rank is left to finish the run (every rank died, and none came back), or the
    run's job queue is gone. The message is one line ending with what to do; a rerun resumes."""
