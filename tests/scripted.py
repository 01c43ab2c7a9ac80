"""Test helpers shared by the command and run tests: a sampler with known verdicts, and a table row read back."""

from collections.abc import Iterable, Iterator

from evalkit.sampling.base import Completion, Job


def table_row(out: str, name: str) -> list[str]:
    rows = [
        [cell.strip() for cell in line.strip("|").split("|")]
        for line in out.splitlines()
        if line.startswith("|")
    ]
    return next(row for row in rows if row[0] == name)


class ScriptedSampler:
    """Answers with the gold answer or a wrong one, decided by the seed: non-trivial, known verdicts."""

    name = "scripted"

    def __init__(self, golds: dict[str, str], model_path: str) -> None:
        self.golds, self.model_path = golds, model_path

    def stream(
        self, jobs: Iterable[Job], *, max_in_flight: int | None = None
    ) -> Iterator[tuple[int, Completion]]:
        for job in jobs:
            yield job.id, self._completion(self.golds[job.prompt], job.seed or 0, job.params.greedy)

    @staticmethod
    def _completion(gold: str, seed: int, greedy: bool) -> Completion:
        if seed % 5 == 1:
            return Completion("I keep thinking and thinking", 8, "length", seed)
        answer = gold if greedy or seed % 3 == 0 else "-12345"
        return Completion(f"Done.</think> So the answer is \\boxed{{{answer}}}.", 3 + seed % 4, "stop", seed)

    def describe(self) -> dict[str, object]:
        return {"name": self.name, "model": self.model_path}


class AskedSampler(ScriptedSampler):
    """The scripted sampler, appending every job it is asked for to ``asked``."""

    def __init__(self, golds: dict[str, str], model_path: str, asked: list[Job]) -> None:
        super().__init__(golds, model_path)
        self.asked = asked

    def stream(
        self, jobs: Iterable[Job], *, max_in_flight: int | None = None
    ) -> Iterator[tuple[int, Completion]]:
        jobs = list(jobs)
        self.asked.extend(jobs)
        return super().stream(jobs)
