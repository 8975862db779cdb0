"""What a verification reports: named checks, each passed or failed with a detail saying what was found."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Check:
    """One named verification step; `detail` says what was found (the reason when `ok` is False)."""

    name: str
    ok: bool
    detail: str

    def to_dict(self) -> dict:
        return {"name": self.name, "ok": self.ok, "detail": self.detail}


@dataclass
class VerifyReport:
    """Result of verifying one attestation or a chain. `ok` iff every check passed (and there is one).

    `id` is the computed attestation id when it could be computed; for a chain, the id of the
    last attestation.
    """

    checks: list[Check] = field(default_factory=list)
    id: str | None = None

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    def failed(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]

    def add(self, name: str, ok: bool, detail: str) -> bool:
        self.checks.append(Check(name, ok, detail))
        return ok

    def to_dict(self) -> dict:
        return {"ok": self.ok, "id": self.id, "checks": [c.to_dict() for c in self.checks]}
