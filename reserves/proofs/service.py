"""ProofService: challenges, verified submissions and the online signer, over the proofs repository."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from embit import ec

from reserves.errors import InvalidInput
from reserves.proofs import library
from reserves.proofs.anchor import attested_wallets, fresh_anchor
from reserves.proofs.errors import (
    AddressNotInReserveSet,
    ChallengeExpired,
    KeyFileError,
    NoOnlineSigner,
    UnknownChallenge,
    WrongChallengePurpose,
)
from reserves.proofs.keyfile import read_key_file
from reserves.proofs.message import Anchor, challenge_message, check_challenge_id, check_nonce, iso
from reserves.proofs.online import OnlineSigner
from reserves.proofs.status import key_ref, proof_status
from reserves.storage import proofs_repository as prepo
from reserves.storage.db import Database
from reserves.storage.proof_models import ChallengeRow, ProofRow
from reserves.storage.repository import utc
from reserves.trust import audit

log = logging.getLogger(__name__)
MAX_DETAIL = 500
LOCATE_CACHE = 4096
# Child indexes searched for an address in a wallet: deep in the wallet the newest attestation
# says holds the address's coins, shallower elsewhere (each miss derives that many addresses).
DEEP_INDEX, SHALLOW_INDEX = 10_000, 1000


@dataclass(frozen=True)
class Located:
    """Where an address sits in the reserve set, and its declared keys' pubkeys at that address."""

    wallet: Any  # chains.bitcoin.wallets.WalletSpec
    key_pubkeys: tuple[tuple[Any, str], ...]


def reserve_wallets(reserves: Iterable[Any]) -> tuple[tuple[Any, ...], str | None]:
    """(every declared WalletSpec, the reserves' network) of the configured reserve sources."""
    wallets, network = [], None
    for src in reserves:
        cfg = src.config
        network = network or cfg.network
        wallets.extend(cfg.wallets)
    return tuple(wallets), network


class ProofService:
    """Proofs of control. Verification runs in a thread: libsecp256k1 calls and key derivation are CPU work."""

    def __init__(
        self,
        db: Database,
        settings: Any,
        wallets: tuple[Any, ...],
        network: str | None,
        online: OnlineSigner | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.db, self.settings, self.wallets, self.network = db, settings, wallets, network
        self.online = online
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self._located: dict[str, Located | None] = {}

    # -- reserve set membership --------------------------------------------------------------

    def _network(self) -> str:
        if self.network is None:
            raise InvalidInput("no Bitcoin reserve source is configured")
        return self.network

    def locate(self, address: str, hint: str | None = None) -> Located:
        """The wallet holding canonical `address`; AddressNotInReserveSet otherwise (cached).

        `hint` names the wallet the newest attestation counts the address's coins in: searched
        first and deepest.
        """
        if address not in self._located:
            found = None
            for wallet in sorted(self.wallets, key=lambda w: w.name != hint):
                depth = DEEP_INDEX if wallet.name == hint else SHALLOW_INDEX
                if wallet.locate(address, max_index=depth) is not None:
                    found = Located(wallet, tuple(wallet.key_pubkeys(address)))
                    break
            if len(self._located) >= LOCATE_CACHE:
                self._located.pop(next(iter(self._located)))
            self._located[address] = found
        found = self._located[address]
        if found is None:
            raise AddressNotInReserveSet(f"address {address} is not in the declared reserve set")
        return found

    def _canonical(self, address: object) -> str:
        return library.canonical_address(address, self._network())

    # -- challenges --------------------------------------------------------------------------

    async def create_challenge(
        self,
        *,
        purpose: str = "operator",
        nonce: str | None = None,
        address: str | None = None,
        actor: str | None = None,
    ) -> dict[str, Any]:
        """A new challenge bound to the newest attested block; with `address`, a to_sign PSBT too.

        With `actor` (an admin caller), the creation is written to the audit log in the same transaction."""
        if nonce is not None:
            check_nonce(nonce)
        canonical = self._canonical(address) if address is not None else None
        now = self.clock().replace(microsecond=0)
        async with self.db.sessions() as session:
            anchor = await fresh_anchor(session, now)
            row = self._challenge_row(anchor, purpose, nonce, now)
            await prepo.insert_challenge(session, row)
            if actor is not None:
                detail = {"challenge": row.id, "address": canonical}
                await audit.append(session, actor=actor, action="admin.challenge", detail=detail, at=now)
            await session.commit()
        out = challenge_json(row)
        if canonical is not None:
            async with self.db.sessions() as session:
                hints = await attested_wallets(session)
            located = await asyncio.to_thread(self.locate, canonical, hints.get(canonical))
            script = await asyncio.to_thread(library.witness_script, located.wallet, canonical)
            out["address"] = canonical
            out["psbt"] = await asyncio.to_thread(library.to_sign_psbt, canonical, row.message, self._network(), script)
        return out

    def _challenge_row(self, anchor: Anchor, purpose: str, nonce: str | None, now: datetime) -> ChallengeRow:
        cid = secrets.token_hex(16)
        expires = now + timedelta(seconds=self.settings.proofs.challenge_ttl_seconds)
        message = challenge_message(
            domain=self.settings.proofs.domain,
            challenge_id=cid,
            purpose=purpose,
            anchor=anchor,
            created_at=now,
            expires_at=expires,
            nonce=nonce,
        )
        return ChallengeRow(
            id=cid,
            purpose=purpose,
            message=message,
            reserve_set_version=anchor.reserve_set_version,
            reserve_set_hash=anchor.reserve_set_hash,
            chain_id=anchor.chain_id,
            block_height=anchor.height,
            block_hash=anchor.block_hash,
            block_time=anchor.block_time,
            nonce=nonce,
            created_at=now,
            expires_at=expires,
        )

    async def get_challenge(self, challenge_id: object) -> dict[str, Any]:
        cid = check_challenge_id(challenge_id)
        async with self.db.sessions() as session:
            row = await prepo.get_challenge(session, cid)
            if row is None:
                raise UnknownChallenge(f"no challenge with id {cid}")
            proofs = await prepo.proofs_for_challenge(session, cid)
        return {**challenge_json(row), "proofs": [proof_json(p, self.clock()) for p in proofs]}

    # -- submissions -------------------------------------------------------------------------

    async def submit(
        self,
        *,
        challenge_id: object,
        address: object,
        signature: object = None,
        psbt: object = None,
        source: str = "admin",
        actor: str | None = None,
    ) -> dict[str, Any]:
        """Verify a signature (or a signed to_sign PSBT) over an operator challenge and store the result.

        With `actor` (an admin caller), the submission is written to the audit log with the proof.

        Every result is stored, invalid ones included; the reply says which it was. Refused
        (nothing stored): unknown or expired challenge, an address outside the reserve set.
        """
        cid = check_challenge_id(challenge_id)
        if (signature is None) == (psbt is None):
            raise InvalidInput("give exactly one of signature or psbt")
        text = library.check_text(signature if psbt is None else psbt, "signature" if psbt is None else "psbt")
        canonical = self._canonical(address)
        now = self.clock()
        async with self.db.sessions() as session:
            challenge = self._check_open(await prepo.get_challenge(session, cid), cid, now)
            hints = await attested_wallets(session)
        located = await asyncio.to_thread(self.locate, canonical, hints.get(canonical))
        row = await asyncio.to_thread(self._verified_row, challenge, canonical, located, text, psbt is not None, source)
        async with self.db.sessions() as session:
            await prepo.insert_proof(session, row)
            if actor is not None:
                detail = {"challenge": cid, "address": canonical, "outcome": row.outcome}
                await audit.append(session, actor=actor, action="admin.proof", detail=detail, at=now)
            await session.commit()
        return proof_json(row, now)

    def _check_open(self, challenge: ChallengeRow | None, cid: str, now: datetime) -> ChallengeRow:
        """`challenge`, when it exists, is an operator challenge and has not expired."""
        if challenge is None:
            raise UnknownChallenge(f"no challenge with id {cid}")
        if challenge.purpose != "operator":
            raise WrongChallengePurpose(
                "public challenges are answered by the online signer; create an operator challenge to submit proofs"
            )
        if utc(challenge.expires_at) <= now:
            raise ChallengeExpired(f"challenge {cid} expired at {iso(utc(challenge.expires_at))}; create a new one")
        return challenge

    def _verified_row(
        self, challenge: ChallengeRow, address: str, located: Located, text: str, is_psbt: bool, source: str
    ) -> ProofRow:
        network = self._network()
        partial: tuple[str, ...] = ()
        signature = text
        if is_psbt:
            try:
                signature, partial = library.finalize_psbt(text, address, challenge.message, network)
            except InvalidInput as exc:
                return self._row(
                    challenge, address, located, source, text, outcome="invalid", variant="simple", detail=exc.detail
                )
        result = library.verify(address, challenge.message, signature, network)
        signers = tuple(dict.fromkeys([*result.signers, *partial])) if result.outcome == "valid" else ()
        return self._row(
            challenge,
            address,
            located,
            source,
            signature,
            outcome=result.outcome,
            variant=result.variant,
            detail=result.detail,
            signers=signers,
            valid_at_time=result.valid_at_time,
            valid_at_age=result.valid_at_age,
        )

    def _row(
        self,
        challenge: ChallengeRow,
        address: str,
        located: Located,
        source: str,
        signature: str,
        *,
        outcome: str,
        variant: str,
        detail: str,
        signers: tuple[str, ...] = (),
        valid_at_time: int | None = None,
        valid_at_age: int | None = None,
    ) -> ProofRow:
        declared = tuple(info for info, _ in located.key_pubkeys)
        keys = sorted(
            {key_ref(info, declared) for info, pub in located.key_pubkeys if any(_same_key(pub, s) for s in signers)}
        )
        return ProofRow(
            challenge_id=challenge.id,
            address=address,
            wallet=located.wallet.name,
            source=source,
            variant=variant,
            outcome=outcome,
            detail=(detail or "")[:MAX_DETAIL],
            valid_at_time=valid_at_time,
            valid_at_age=valid_at_age,
            signers=json.dumps(list(signers)),
            signer_keys=json.dumps(keys),
            signature=signature,
            proven_at=utc(challenge.block_time),
            submitted_at=self.clock(),
        )

    async def sign_and_submit(
        self, *, challenge_id: object, address: object, key_file: Path, passphrase: str
    ) -> dict[str, Any]:
        """Sign an operator challenge with the key for `address` from an encrypted key file, then submit it."""
        cid, canonical = check_challenge_id(challenge_id), self._canonical(address)
        async with self.db.sessions() as session:
            found = await prepo.get_challenge(session, cid)
        challenge = self._check_open(found, cid, self.clock())
        entries = await asyncio.to_thread(read_key_file, key_file, passphrase)
        entry = next((e for e in entries if e.address == canonical), None)
        if entry is None:
            raise KeyFileError(f"key file {key_file}: holds no key for {canonical}")

        signature = await asyncio.to_thread(
            library.sign_simple, canonical, challenge.message, ec.PrivateKey(entry.secret), self._network()
        )
        return await self.submit(challenge_id=cid, address=canonical, signature=signature, source="cli")

    # -- the online signer -------------------------------------------------------------------

    async def online_challenge(self, nonce: object) -> dict[str, Any]:
        """A public challenge with the caller's nonce, signed at once by the online signer's keys."""
        if self.online is None:
            raise NoOnlineSigner("this portal runs no online signer; proofs come from operator challenges")
        challenge = await self.create_challenge(purpose="public", nonce=check_nonce(nonce))
        async with self.db.sessions() as session:
            hints = await attested_wallets(session)
        located = {}
        for k in self.online.keys:
            try:
                located[k.address] = await asyncio.to_thread(self.locate, k.address, hints.get(k.address))
            except AddressNotInReserveSet:
                continue  # a key whose address left the reserve set proves nothing here
        signed = await asyncio.to_thread(self.online.sign, challenge["message"], set(located))
        async with self.db.sessions() as session:
            row = await prepo.get_challenge(session, challenge["id"])
            if row is None:  # pruned between its creation and now: nothing left to sign for
                raise UnknownChallenge(f"no challenge with id {challenge['id']}")
            proofs = [
                await asyncio.to_thread(self._verified_row, row, a, located[a], s, False, "online") for a, s in signed
            ]
            for p in proofs:
                await prepo.insert_proof(session, p)
            await session.commit()
        now = self.clock()
        return {
            **challenge,
            "signatures": [
                {"address": p.address, "signature": p.signature, "result": proof_json(p, now)} for p in proofs
            ],
        }

    # -- status ------------------------------------------------------------------------------

    async def status(self) -> dict[str, Any]:
        """Per address proof status and age, per wallet key liveness (see reserves.proofs.status)."""
        async with self.db.sessions() as session:
            return await proof_status(session, self.wallets, self.settings.proofs.max_age_seconds, self.clock())


def _same_key(declared: str, signer: str) -> bool:
    """Whether a verified signer pubkey is the declared key's (x-only and compressed forms compare by x)."""
    declared, signer = declared.lower(), signer.lower()
    if declared == signer:
        return True
    return declared[-64:] == signer[-64:] and len(declared) in (64, 66) and len(signer) in (64, 66)


def challenge_json(row: ChallengeRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "purpose": row.purpose,
        "message": row.message,
        "reserve_set": {"version": row.reserve_set_version, "hash": row.reserve_set_hash},
        "block": {
            "chain_id": row.chain_id,
            "height": row.block_height,
            "block_hash": row.block_hash,
            "block_time": iso(utc(row.block_time)),
        },
        "nonce": row.nonce,
        "created_at": iso(utc(row.created_at)),
        "expires_at": iso(utc(row.expires_at)),
    }


def proof_json(row: ProofRow, now: datetime) -> dict[str, Any]:
    proven = utc(row.proven_at)
    return {
        "challenge_id": row.challenge_id,
        "address": row.address,
        "wallet": row.wallet,
        "source": row.source,
        "outcome": row.outcome,
        "variant": row.variant,
        "detail": row.detail,
        "valid_at_time": row.valid_at_time,
        "valid_at_age": row.valid_at_age,
        "signers": json.loads(row.signers),
        "signer_keys": json.loads(row.signer_keys),
        "proven_at": iso(proven),
        "age_seconds": max(0, int((now - proven).total_seconds())),
        "submitted_at": iso(utc(row.submitted_at)),
    }
