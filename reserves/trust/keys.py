"""The engine's signing keys, loaded from the environment or a file, and who signs an attestation."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from reserves.attestation.keys import SigningKey, generate_key_file, load_signing_key
from reserves.errors import SigningKeyError
from reserves.settings.model import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EngineKeys:
    """The engine key, and the key a rotation replaces (signing.previous_key_*), if any."""

    engine: SigningKey
    previous: SigningKey | None = None


def load_engine_key(s: Settings) -> SigningKey:
    """The engine key: from the environment variable if set, else from the key file.

    The embedded default creates the file on first start (mode 0600, beside the database).
    """
    env_value = os.environ.get(s.signing.key_env)
    path = s.signing.key_file
    if not env_value and path is not None and not path.exists():
        if not s.signing.create_if_missing:
            raise SigningKeyError(
                f"signing.key_file: {path} does not exist and ${s.signing.key_env} is not set "
                "(create one with `reserves keys generate`)"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        generate_key_file(path)
        log.info("created a new signing key at %s", path)
    if not env_value and path is None:
        raise SigningKeyError(f"signing: set ${s.signing.key_env} or signing.key_file")
    return load_signing_key(path=None if env_value else path, env_value=env_value, key_id=s.signing.key_id)


def load_previous_key(s: Settings) -> SigningKey | None:
    """The key a rotation replaces, when configured (signing.previous_key_env or previous_key_file)."""
    sig = s.signing
    if sig.previous_key_env:
        return load_signing_key(env_value=os.environ[sig.previous_key_env])
    if sig.previous_key_file is not None:
        return load_signing_key(path=sig.previous_key_file)
    return None


def load_keys(s: Settings) -> EngineKeys:
    return EngineKeys(load_engine_key(s), load_previous_key(s))
