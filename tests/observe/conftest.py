"""The portal's world (a web app and a worker on the real devnet) for the in-process observability tests."""

from tests.portal.conftest import client, portal  # noqa: F401 - the same fixtures, module-scoped here too
