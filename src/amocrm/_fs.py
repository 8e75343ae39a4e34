"""Files and folders that processes of one user share: private folders, safe opening, ``flock``.

The entity locker, the machine-wide throttle and the token storage keep small files that other
processes open too, often under the system temp folder where every user may create names. So:

* default folders are per-user private folders, ``<tmp>/amocrm-<uid>/<name>`` (mode 0700). One that
  exists but is a symbolic link, not a folder, or owned by another user is refused; one of this user
  that others may enter is tightened to 0700 with a warning on the ``amocrm`` logger;
* shared files are opened with ``O_NOFOLLOW`` (a planted symbolic link is refused, never followed,
  dangling or not), created with mode 0600, and checked with ``fstat``: a regular file, owned by
  this user, with no second hard link;
* ``fcntl`` is imported only when a file lock is actually taken, so the package imports on
  platforms without it (Windows); taking a file lock there raises :class:`ConfigError`.

Every failure raises the caller's error class (``ConfigError``, ``LockError``, ``TokenStorageError``)
with the path and what is wrong with it.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import tempfile
from pathlib import Path

from amocrm import _logging
from amocrm._poll import poll_until
from amocrm.errors import AmoError, ConfigError

__all__ = [
    "check_open_file",
    "ensure_folder",
    "lock",
    "lock_within",
    "open_shared_file",
    "private_folder",
    "private_root",
    "require_flock",
    "tighten_folder",
    "try_lock",
    "unlock",
]

_NOFOLLOW: int = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC: int = getattr(os, "O_CLOEXEC", 0)
_POSIX = os.name == "posix"


def _euid() -> int | None:
    return os.geteuid() if hasattr(os, "geteuid") else None


def _user_tag() -> str:
    uid = _euid()
    if uid is not None:
        return str(uid)
    import getpass  # pragma: no cover - platforms without geteuid (Windows)

    return re.sub(r"[^A-Za-z0-9_.-]+", "_", getpass.getuser()) or "user"  # pragma: no cover


def private_root() -> Path:
    """``<tmp>/amocrm-<uid>``: this user's folder for the SDK's default shared files (not created here)."""
    return Path(tempfile.gettempdir()) / f"amocrm-{_user_tag()}"


def private_folder(name: str, error: type[AmoError] = ConfigError) -> Path:
    """``<tmp>/amocrm-<uid>/<name>``, both created 0700 and checked (see :func:`_ensure_private`)."""
    root = _ensure_private(private_root(), error)
    return _ensure_private(root / name, error)


def _ensure_private(path: Path, error: type[AmoError]) -> Path:
    """Create ``path`` as a 0700 folder, or check the one there: a real folder of this user, 0700."""
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    except OSError as exc:
        raise error(f"cannot create the private folder {path}: {exc.strerror}") from None
    try:
        st = os.lstat(path)
    except OSError as exc:
        raise error(f"cannot inspect the private folder {path}: {exc.strerror}") from None
    if stat.S_ISLNK(st.st_mode):
        raise error(f"the private folder {path} is a symbolic link: refusing to use it (remove it)")
    if not stat.S_ISDIR(st.st_mode):
        raise error(f"the private folder {path} exists but is not a folder: refusing to use it (remove it)")
    if not _POSIX:  # pragma: no cover - no owners or mode bits to check
        return path
    uid = _euid()
    if uid is not None and st.st_uid != uid:
        raise error(
            f"the private folder {path} belongs to user id {st.st_uid}, not to this user ({uid}): "
            "refusing to share it (remove it, or pass a folder of your own)"
        )
    mode = stat.S_IMODE(st.st_mode)
    if mode & 0o077:
        try:
            os.chmod(path, 0o700)
        except OSError as exc:
            raise error(f"the private folder {path} has mode {mode:04o} and cannot be made 0700: {exc.strerror}") from None
        _logging.warning("the private folder %s had mode %04o (open to other users); tightened to 0700", path, mode)
    return path


def ensure_folder(path: Path, error: type[AmoError], what: str) -> None:
    """Create ``path`` (and its parents) with mode 0700 if missing; an existing folder is left as it is."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise error(f"cannot create the {what} {path}: {exc.strerror}") from None
    if not path.is_dir():
        raise error(f"the {what} {path} exists but is not a folder")


def tighten_folder(path: Path, error: type[AmoError], what: str) -> None:
    """Make an existing folder private (0700) if group or others may use it, with a warning.

    A folder of another user that others may use cannot be tightened and is refused.
    """
    if not _POSIX:  # pragma: no cover
        return
    try:
        st = os.stat(path)
    except OSError as exc:
        raise error(f"cannot inspect the {what} {path}: {exc.strerror}") from None
    if not stat.S_ISDIR(st.st_mode):
        raise error(f"the {what} {path} is not a folder")
    mode = stat.S_IMODE(st.st_mode)
    if not mode & 0o077:
        return
    uid = _euid()
    if uid is not None and st.st_uid != uid:
        raise error(
            f"the {what} {path} has mode {mode:04o} (open to other users) and belongs to user id {st.st_uid}, "
            f"not to this user ({uid}): make it private (chmod 700) or use another folder"
        )
    try:
        os.chmod(path, 0o700)
    except OSError as exc:
        raise error(f"the {what} {path} has mode {mode:04o} and cannot be made 0700: {exc.strerror}") from None
    _logging.warning("the %s %s had mode %04o (open to other users); tightened to 0700", what, path, mode)


def open_shared_file(path: Path, error: type[AmoError], what: str) -> int:
    """Open (creating it 0600 if missing) the shared file ``path`` read-write without following links.

    Returns the descriptor (close-on-exec) after :func:`check_open_file`; ``error`` names the path
    and the defect when it is a symbolic link, not a regular file, another user's, or hard-linked.
    """
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | _NOFOLLOW | _CLOEXEC, 0o600)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EMLINK) or os.path.islink(path):
            raise error(f"the {what} {path} is a symbolic link: refusing to follow it (remove it)") from None
        raise error(f"cannot open the {what} {path}: {exc.strerror}") from None
    try:
        check_open_file(fd, path, error, what)
    except BaseException:
        os.close(fd)
        raise
    return fd


def check_open_file(fd: int, path: Path, error: type[AmoError], what: str) -> os.stat_result:
    """``fstat`` of ``fd``, or ``error`` unless it is a regular file of this user with one link."""
    try:
        st = os.fstat(fd)
    except OSError as exc:  # pragma: no cover - fstat of an open descriptor does not fail in practice
        raise error(f"cannot inspect the {what} {path}: {exc.strerror}") from None
    if not stat.S_ISREG(st.st_mode):
        raise error(f"the {what} {path} is not a regular file: refusing to use it (remove it)")
    uid = _euid()
    if _POSIX and uid is not None and st.st_uid != uid:
        raise error(
            f"the {what} {path} belongs to user id {st.st_uid}, not to this user ({uid}): refusing to use it"
        )
    if _POSIX and st.st_nlink > 1:
        raise error(f"the {what} {path} has {st.st_nlink} hard links: refusing to use it (remove it)")
    return st


# -- flock ----------------------------------------------------------------------------------------


def require_flock() -> None:
    """:class:`ConfigError` unless this platform has ``fcntl.flock`` (Unix)."""
    try:
        import fcntl
    except ImportError:
        raise ConfigError(
            "file locks need fcntl.flock, which this platform lacks (Windows): use RedisTokenStorage, "
            "RedisLocker or RedisThrottle, or MemoryTokenStorage, NoLocker and LocalThrottle in one process"
        ) from None
    _ = fcntl.LOCK_EX


def try_lock(fd: int) -> bool:
    """One non-blocking attempt at an exclusive ``flock``: True if taken, False if held elsewhere.

    Other failures raise ``OSError``. flock belongs to the open file description, so two
    descriptors opened separately exclude each other even in one process.
    """
    require_flock()
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
            return False
        raise
    return True


def lock(fd: int) -> None:
    """Exclusive ``flock``, waiting as long as it takes (for locks held only for an instant)."""
    require_flock()
    import fcntl

    fcntl.flock(fd, fcntl.LOCK_EX)


def lock_within(fd: int, timeout: float) -> bool:
    """Exclusive ``flock`` within ``timeout`` seconds (polled, see :func:`amocrm._poll.poll_until`)."""
    return poll_until(lambda: try_lock(fd), timeout)


def unlock(fd: int) -> None:
    """Drop the ``flock`` of ``fd`` (closing the descriptor drops it too)."""
    require_flock()
    import fcntl

    fcntl.flock(fd, fcntl.LOCK_UN)
