"""Reading an input file the user named: only a regular file, and never more than a bound.

A named pipe, a device or a socket given as an inventory, waivers, policy, regime, results or
CA file would make a plain ``open().read()`` wait forever (a FIFO without a writer) or read
without end (``/dev/zero``). The file is opened without blocking and refused unless it is a
regular file; the check is on the opened descriptor, so nothing can swap the file in between.
"""

from __future__ import annotations

import os
import stat

from secaudit.errors import Diagnostic, InputError


def read_regular_file(file: str, limit: int) -> bytes:
    """The bytes of ``file``, at most ``limit`` of them.

    Raises :class:`InputError` naming the file when it is missing, unreadable, a directory,
    not a regular file or larger than ``limit``.
    """
    try:
        fd = os.open(file, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise InputError([Diagnostic(file, 0, 0, "file.not_found")]) from None
    except IsADirectoryError:
        raise InputError([Diagnostic(file, 0, 0, "file.is_directory")]) from None
    except PermissionError:
        raise InputError([Diagnostic(file, 0, 0, "file.permission")]) from None
    except OSError as e:
        raise InputError([Diagnostic(file, 0, 0, "file.unreadable", {"reason": e.strerror or str(e)})]) from None
    try:
        info = os.fstat(fd)
        mode = info.st_mode
        if stat.S_ISDIR(mode):
            raise InputError([Diagnostic(file, 0, 0, "file.is_directory")])
        if not stat.S_ISREG(mode):
            raise InputError([Diagnostic(file, 0, 0, "file.not_regular")])
        if info.st_size > limit:
            raise InputError([Diagnostic(file, 0, 0, "file.too_big", {"size": info.st_size, "limit": limit})])
        chunks: list[bytes] = []
        left = limit + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        if len(data) > limit:           # grew while being read
            raise InputError([Diagnostic(file, 0, 0, "file.too_big", {"size": len(data), "limit": limit})])
        return data
    except OSError as e:
        raise InputError([Diagnostic(file, 0, 0, "file.unreadable", {"reason": e.strerror or str(e)})]) from None
    finally:
        os.close(fd)

