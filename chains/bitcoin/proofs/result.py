"""The outcome of verifying a proof of control: BIP-322's three states, never a bare boolean."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chains.errors import ChainError

VALID = "valid"
INCONCLUSIVE = "inconclusive"
INVALID = "invalid"

SIMPLE = "simple"
FULL = "full"
PROOF_OF_FUNDS = "proof_of_funds"
LEGACY = "legacy"


class ProofFormatError(ChainError):
    """A PSBT or key handed to the signing helpers cannot make a BIP-322 signature (never raised by verify)."""

    code = "proof_format"


@dataclass(frozen=True)
class FundsInput:
    """One extra input of a proof of funds: the UTXO the PSBT claims it spends (not checked against a chain)."""

    txid: str
    vout: int
    value_sat: int
    script_pubkey: str

    def to_json(self) -> dict[str, Any]:
        return {
            "txid": self.txid,
            "vout": self.vout,
            "value_sat": str(self.value_sat),
            "script_pubkey": self.script_pubkey,
        }


@dataclass(frozen=True)
class ProofResult:
    """A verified (or rejected) signed message.

    `outcome` is "valid" (BIP-322 "valid at time T and age S": `valid_at_time` is the to_sign nLockTime,
    `valid_at_age` the first input's nSequence, None when 0), "inconclusive" (a script this verifier does not
    understand, or a legacy signature outside P2PKH) or "invalid". `signers` are the hex public keys whose
    signature verified: 33-byte compressed (65-byte for an uncompressed legacy key) or 32-byte x-only for
    P2TR. `detail` explains the outcome and never echoes the signature. `funds` lists the extra inputs of a
    proof of funds, whose existence on chain the caller still has to check.
    """

    outcome: str
    variant: str
    address: str
    valid_at_time: int | None = None
    valid_at_age: int | None = None
    signers: tuple[str, ...] = ()
    detail: str = ""
    funds: tuple[FundsInput, ...] = field(default=())

    @property
    def valid(self) -> bool:
        return self.outcome == VALID

    def to_json(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "variant": self.variant,
            "address": self.address,
            "valid_at_time": self.valid_at_time,
            "valid_at_age": self.valid_at_age,
            "signers": list(self.signers),
            "detail": self.detail,
            "funds": [f.to_json() for f in self.funds],
        }
