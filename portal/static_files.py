"""The portal's static files: Litestar's local file system, except that a name the file system
cannot even hold (too long, a NUL byte) is a missing file (404), not a server error (500); and the
icon browsers ask for at `/favicon.ico` (a missing one is a console error on every JSON page)."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

from litestar import get
from litestar.file_system import BaseLocalFileSystem
from litestar.response import File
from litestar.types import FileInfo, PathType

_NO_SUCH_NAME = {errno.ENAMETOOLONG, errno.EINVAL, errno.ENOTDIR, errno.ELOOP}
FAVICON = Path(__file__).resolve().parent / "static" / "favicon.svg"


class StaticFileSystem(BaseLocalFileSystem):
    async def info(self, path: PathType, **kwargs: Any) -> FileInfo:
        try:
            return await super().info(path, **kwargs)
        except ValueError as exc:  # "embedded null byte"
            raise FileNotFoundError(errno.ENOENT, "no such file") from exc
        except OSError as exc:
            if exc.errno in _NO_SUCH_NAME:
                raise FileNotFoundError(errno.ENOENT, "no such file") from exc
            raise


@get("/favicon.ico", include_in_schema=False, sync_to_thread=False)
def favicon() -> File:
    """The portal's icon (SVG, which browsers take at this name too), cached for a day."""
    return File(
        FAVICON,
        media_type="image/svg+xml",
        content_disposition_type="inline",
        headers={"Cache-Control": "public, max-age=86400"},
    )
