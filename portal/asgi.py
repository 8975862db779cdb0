"""The web app as uvicorn's factory: each web worker process loads the settings from the environment."""

from __future__ import annotations

import os

from litestar import Litestar

from portal.app import create_app
from portal.cli.common import configure_logging
from reserves.settings.load import load_settings


def app_from_environment() -> Litestar:
    """`create_app` of $RESERVES_CONFIG (else the devnet default), logging at $RESERVES_LOG_LEVEL in
    $RESERVES_LOG_FORMAT (text or json)."""
    configure_logging(os.environ.get("RESERVES_LOG_LEVEL", "INFO"), os.environ.get("RESERVES_LOG_FORMAT", "text"))
    return create_app(load_settings())
