"""The exception a service raises when it refuses input (service layer)."""

from __future__ import annotations

from portal.domain.errors import Problem


class Refused(Exception):
    """Input refused; ``problems`` name each field and the reason code. Nothing was stored."""

    def __init__(self, *problems: Problem) -> None:
        super().__init__(", ".join(f"{p.field}: {p.code}" for p in problems))
        self.problems = list(problems)

    @classmethod
    def one(cls, field: str, code: str, detail: str = "") -> Refused:
        return cls(Problem(field, code, detail))
