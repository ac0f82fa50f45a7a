"""`FileTokenStore`: one JSON file per key in a private directory, and a POSIX file lock."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import stat
import sys
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import anyio.to_thread

from .._exceptions import ConfigurationError
from .._tokens import StoredToken
from ._wait import acquire_or_new_token

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]

__all__ = ["FileTokenStore"]

_SAFE_KEY = re.compile(r"[A-Za-z0-9_-]{1,128}")
# The longest a token request takes with the default timeout and retries is about 35 s; a
# waiter that has waited longer than this refreshes without the lock instead.
_GIVE_UP_AFTER = 60.0


def default_directory() -> Path:
    """``$XDG_CACHE_HOME/gloo-ai``, else ``~/.cache/gloo-ai``."""
    cache = os.environ.get("XDG_CACHE_HOME")
    base = Path(cache) if cache and os.path.isabs(cache) else Path.home() / ".cache"
    return base / "gloo-ai"


class FileTokenStore:
    """Tokens in files, shared by the processes of one machine (POSIX only).

    For CLIs, notebooks and worker pools on one host: the first process that needs a token
    fetches it under a file lock (``fcntl.flock``) and writes it; the others read it. Each
    key is one JSON file, written atomically (a temporary file in the same directory, then
    ``os.replace``) with mode 0600; a directory this store creates gets mode 0700. A file that
    cannot be parsed counts as missing. A process that dies holding the lock releases it
    (the kernel drops the lock with the process).

    Another user must not be able to plant a token: a directory that is writable by others
    (or owned by another user) is refused, and so is a token or lock file that is a symbolic
    link; both raise `ConfigurationError` saying what to fix.

    Args:
        directory: where the files go (default: ``$XDG_CACHE_HOME/gloo-ai``, else
            ``~/.cache/gloo-ai``). Keep it private to the user: the files hold live tokens.

    Raises:
        ConfigurationError: not on a POSIX system (there is no ``fcntl``).
    """

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        if fcntl is None or os.name != "posix":
            raise ConfigurationError(
                f"FileTokenStore needs a POSIX system (fcntl file locks); {sys.platform} has "
                "none. Use the default in-memory store, or RedisTokenStore to share tokens."
            )
        self.directory = Path(directory) if directory is not None else default_directory()

    def __repr__(self) -> str:
        return f"FileTokenStore(directory={str(self.directory)!r})"

    # -- paths -------------------------------------------------------------------------------

    def _name(self, key: str) -> str:
        if _SAFE_KEY.fullmatch(key):
            return key
        return hashlib.sha256(key.encode()).hexdigest()

    def path(self, key: str) -> Path:
        """The JSON file that holds the token for ``key``."""
        return self.directory / f"{self._name(key)}.json"

    def _lock_path(self, key: str) -> Path:
        return self.directory / f"{self._name(key)}.lock"

    def _ensure_directory(self) -> None:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._check_directory()

    def _check_directory(self) -> None:
        """Refuse a directory another user could write to (they could plant a token)."""
        try:
            info = os.stat(self.directory)
        except FileNotFoundError:
            return
        foreign = info.st_uid != os.getuid()
        if foreign or info.st_mode & stat.S_IWOTH:
            why = "owned by another user" if foreign else "writable by every user"
            raise ConfigurationError(
                f"FileTokenStore refuses the directory {str(self.directory)!r}: it is {why} "
                f"(mode {stat.S_IMODE(info.st_mode):o}), so someone else could plant a token "
                "there. Use a directory of your own with mode 0700 (chmod 700), or the default."
            )

    def _open_nofollow(self, path: Path, flags: int, mode: int = 0o600) -> int:
        try:
            return os.open(path, flags | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise ConfigurationError(
                    f"FileTokenStore refuses {str(path)!r}: it is a symbolic link, which "
                    "could point at a token someone else planted. Remove it; the store "
                    "writes its own files."
                ) from None
            raise

    # -- blocking work, run in a worker thread ------------------------------------------------

    def _read(self, key: str) -> StoredToken | None:
        self._check_directory()
        try:
            fd = self._open_nofollow(self.path(key), os.O_RDONLY)
        except FileNotFoundError:
            return None
        with os.fdopen(fd, "rb") as file:
            data = file.read()
        return StoredToken.from_json(data)

    def _write(self, key: str, token: StoredToken) -> None:
        self._ensure_directory()
        name = self._name(key)
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=f".{name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as file:  # mkstemp made it 0600
                file.write(token.to_json())
            os.replace(tmp, self.path(key))
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def _delete(self, key: str, access_token: str) -> None:
        token = self._read(key)
        if token is not None and token.access_token == access_token:
            with contextlib.suppress(FileNotFoundError):
                self.path(key).unlink()

    def _open_lock(self, key: str) -> int:
        self._ensure_directory()
        return self._open_nofollow(self._lock_path(key), os.O_RDWR | os.O_CREAT)

    @staticmethod
    def _try_lock(fd: int) -> bool:
        assert fcntl is not None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    # -- the TokenStore protocol --------------------------------------------------------------

    async def get(self, key: str) -> StoredToken | None:
        """The stored token for ``key``; ``None`` if there is none or it cannot be parsed."""
        return await anyio.to_thread.run_sync(self._read, key)

    async def set(self, key: str, token: StoredToken) -> None:
        """Write ``token`` for ``key`` atomically, with mode 0600."""
        await anyio.to_thread.run_sync(self._write, key, token)

    async def delete(self, key: str, access_token: str) -> None:
        """Delete the file for ``key`` if it still holds ``access_token``."""
        await anyio.to_thread.run_sync(self._delete, key, access_token)

    @contextlib.asynccontextmanager
    async def lock(self, key: str) -> AsyncIterator[None]:
        """An exclusive ``flock`` on ``<key>.lock``, polled so that waiting can be cancelled.

        A waiter stops waiting (without the lock) once a new token has been written.
        """
        fd = await anyio.to_thread.run_sync(self._open_lock, key)
        held = False
        try:
            held = await acquire_or_new_token(
                lambda: anyio.to_thread.run_sync(self._try_lock, fd),
                lambda: self.get(key),
                first_delay=0.002,
                max_delay=0.05,
                give_up_after=_GIVE_UP_AFTER,
                what=f"file lock {self._lock_path(key)}",
            )
            yield
        finally:
            if held:
                assert fcntl is not None
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
