"""The two webhook keys from settings: the vault's (secrets at rest) and the portal's Ed25519 (v1a).

A key given in the environment or a file wins; otherwise, with `key_dir` set (the devnet), each is
read from, or created in, a file of its own there (mode 0600). Without either, the vault is None
(no subscription can be made or delivered) and the portal key is None (only v1 signatures).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from reserves.errors import ConfigError
from reserves.settings.webhooks import WebhookSettings
from reserves.webhooks.errors import SecretError
from reserves.webhooks.signing import PortalKey
from reserves.webhooks.vault import Vault, new_key_text, parse_key

VAULT_FILE = "reserves-webhooks-secrets.key"
SIGNING_FILE = "reserves-webhooks-signing.key"


@dataclass(frozen=True)
class WebhookKeys:
    vault: Vault | None
    portal_key: PortalKey | None


def load_webhook_keys(settings: WebhookSettings) -> WebhookKeys:
    vault_text = settings.secrets_key or _from_dir(settings.key_dir, VAULT_FILE, new_key_text)
    signing_text = settings.signing_key or _from_dir(
        settings.key_dir, SIGNING_FILE, lambda: PortalKey.generate().serialize()
    )
    vault = None if vault_text is None else Vault(parse_key(vault_text))
    try:
        portal_key = None if signing_text is None else PortalKey.parse(signing_text)
    except SecretError as exc:
        raise ConfigError(f"webhooks.signing_key: {exc.detail}") from exc
    return WebhookKeys(vault, portal_key)


def _from_dir(folder: Path | None, name: str, make) -> str | None:
    if folder is None:
        return None
    path = folder / name
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise ConfigError(f"webhooks: cannot read {path} ({exc.strerror})") from exc
    folder.mkdir(parents=True, exist_ok=True)
    text = make()
    # Written whole to a temporary file, then linked in place: a role starting at the same moment
    # either links first or reads the complete file the other linked.
    # mkstemp: a fresh name opened with O_EXCL and mode 0600 (two containers may both be PID 1).
    fd, tmp_name = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    tmp = Path(tmp_name)
    with os.fdopen(fd, "w") as f:
        f.write(text + "\n")
    try:
        os.link(tmp, path)
    except FileExistsError:
        return path.read_text().strip()
    finally:
        tmp.unlink(missing_ok=True)
    return text
