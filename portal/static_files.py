"""The portal's static files: Litestar's local file system, except that a name the file system
cannot even hold (too long, a NUL byte) is a missing file (404), not a server error (500)."""

from __future__ import annotations

import errno
from typing import Any

from litestar.file_system import BaseLocalFileSystem
from litestar.types import FileInfo, PathType

_NO_SUCH_NAME = {errno.ENAMETOOLONG, errno.EINVAL, errno.ENOTDIR, errno.ELOOP}


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
