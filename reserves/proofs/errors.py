"""Errors of proofs of control; the portal maps NotFound to 404, InvalidInput to 400, others to 503."""

from __future__ import annotations

from reserves.errors import InvalidInput, NotFound, ReservesError


class UnknownChallenge(NotFound):
    code = "unknown_challenge"


class ChallengeExpired(InvalidInput):
    code = "challenge_expired"


class WrongChallengePurpose(InvalidInput):
    code = "wrong_challenge_purpose"


class AddressNotInReserveSet(InvalidInput):
    code = "address_not_in_reserve_set"


class NoFreshBlock(ReservesError):
    """No recent attested block to bind a challenge to: the snapshots stopped or never ran."""

    code = "no_fresh_block"


class NoOnlineSigner(NotFound):
    code = "no_online_signer"


class KeyFileError(ReservesError):
    """The online signer's key file is missing, malformed, or its passphrase is wrong."""

    code = "key_file"
