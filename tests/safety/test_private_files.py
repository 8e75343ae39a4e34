"""Files shared between processes: planted symbolic links and foreign files are refused, never followed;
default folders are per-user and private; an open token folder is tightened with a warning.

Everything here is real: files, symbolic links, hard links, modes and (when the tests run as root)
files and folders handed to another user with ``chown``.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest

from amocrm.errors import ConfigError, LockError, TokenStorageError
from amocrm.locking import FileLocker, default_lock_dir
from amocrm.throttle import FileThrottle, default_throttle, default_throttle_path
from amocrm.tokens import FileTokenStorage, Tokens

DOMAIN = "acme.amocrm.ru"
KEY = "acme.amocrm.ru/lead/1"
OTHER_UID = 65534  # "nobody"
as_root = pytest.mark.skipif(os.geteuid() != 0, reason="handing a file to another user needs root (chown)")


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


# -- planted links ---------------------------------------------------------------------------------


def test_file_throttle_does_not_overwrite_what_a_planted_symlink_points_to(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious data\n")
    link = tmp_path / "state" / "throttle.json"
    link.parent.mkdir()
    link.symlink_to(victim)
    throttle = FileThrottle(10.0, link)
    with pytest.raises(ConfigError, match="symbolic link") as info:
        throttle.acquire("k")
    assert str(link) in str(info.value)
    assert victim.read_text() == "precious data\n"


def test_file_throttle_does_not_create_the_target_of_a_dangling_symlink(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere" / "created-by-the-victim"
    target.parent.mkdir()
    link = tmp_path / "t.json"
    link.symlink_to(target)
    with pytest.raises(ConfigError, match="symbolic link"):
        FileThrottle(10.0, link).acquire("k")
    assert not target.exists()


def test_file_throttle_refuses_a_hard_linked_state_file(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious data\n")
    os.link(victim, tmp_path / "t.json")
    with pytest.raises(ConfigError, match="2 hard links"):
        FileThrottle(10.0, tmp_path / "t.json").acquire("k")
    assert victim.read_text() == "precious data\n"


def test_file_locker_does_not_follow_a_dangling_symlink(tmp_path: Path) -> None:
    locker = FileLocker(tmp_path / "locks", attempts=1, wait=0)
    target = tmp_path / "elsewhere" / "planted"
    target.parent.mkdir()
    locker.path(KEY).symlink_to(target)
    with pytest.raises(LockError, match="symbolic link") as info:
        with locker.lock(KEY):
            pass
    assert str(locker.path(KEY)) in str(info.value)
    assert not target.exists()


def test_token_lock_file_does_not_follow_a_dangling_symlink(tmp_path: Path) -> None:
    folder = tmp_path / "tokens"
    folder.mkdir(mode=0o700)
    target = tmp_path / "elsewhere" / "planted"
    target.parent.mkdir()
    (folder / f"{DOMAIN}.json.lock").symlink_to(target)
    storage = FileTokenStorage(folder, lock_timeout=0.2)
    with pytest.raises(TokenStorageError, match="symbolic link") as info:
        with storage.lock(DOMAIN):
            pass
    assert f"{DOMAIN}.json.lock" in str(info.value)
    assert not target.exists()


def test_a_fifo_planted_as_lock_file_is_refused_not_waited_on(tmp_path: Path) -> None:
    locker = FileLocker(tmp_path, attempts=1, wait=0)
    os.mkfifo(locker.path(KEY))
    with pytest.raises(LockError, match="not a regular file"):
        with locker.lock(KEY):
            pass


@as_root
def test_files_of_another_user_are_refused(tmp_path: Path) -> None:
    state = tmp_path / "t.json"
    state.write_text("{}")
    os.chown(state, OTHER_UID, OTHER_UID)
    with pytest.raises(ConfigError, match=f"belongs to user id {OTHER_UID}"):
        FileThrottle(10.0, state).acquire("k")
    locker = FileLocker(tmp_path / "locks", attempts=1, wait=0)
    locker.path(KEY).touch()
    os.chown(locker.path(KEY), OTHER_UID, OTHER_UID)
    with pytest.raises(LockError, match=f"belongs to user id {OTHER_UID}"):
        with locker.lock(KEY):
            pass
    folder = tmp_path / "tokens"
    folder.mkdir(mode=0o700)
    (folder / f"{DOMAIN}.json.lock").touch()
    os.chown(folder / f"{DOMAIN}.json.lock", OTHER_UID, OTHER_UID)
    with pytest.raises(TokenStorageError, match=f"belongs to user id {OTHER_UID}"):
        with FileTokenStorage(folder).lock(DOMAIN):
            pass


def test_created_files_are_0600_and_still_work(tmp_path: Path) -> None:
    throttle = FileThrottle(50.0, tmp_path / "t.json")
    throttle.acquire("k")
    assert mode(tmp_path / "t.json") == 0o600
    storage = FileTokenStorage(tmp_path / "tokens")
    with storage.lock(DOMAIN):
        pass
    assert mode(tmp_path / "tokens" / f"{DOMAIN}.json.lock") == 0o600
    assert mode(tmp_path / "tokens") == 0o700


# -- default folders -------------------------------------------------------------------------------


def test_default_folders_are_private_per_user(private_tmp: Path) -> None:
    root = private_tmp / f"amocrm-{os.geteuid()}"
    assert FileLocker().directory == root / "locks" == default_lock_dir()
    assert default_throttle_path() == root / "throttle" / "throttle.json"
    throttle = default_throttle(7.0)
    assert isinstance(throttle, FileThrottle) and throttle.path == default_throttle_path()
    throttle.acquire(DOMAIN)
    assert mode(root) == mode(root / "locks") == mode(root / "throttle") == 0o700
    assert mode(root / "throttle" / "throttle.json") == 0o600
    with FileLocker(attempts=1, wait=0).lock(KEY):
        assert [p.name for p in (root / "locks").iterdir()] == [Path(FileLocker().path(KEY)).name]


@as_root
def test_default_folder_of_another_user_is_refused(private_tmp: Path) -> None:
    root = private_tmp / f"amocrm-{os.geteuid()}"
    root.mkdir()
    os.chmod(root, 0o777)
    os.chown(root, OTHER_UID, OTHER_UID)  # planted by someone else before this user's first run
    locker, throttle = FileLocker(), default_throttle(7.0)  # constructing a client must still work
    with pytest.raises(LockError, match=f"belongs to user id {OTHER_UID}") as info:
        with locker.lock(KEY):
            pass
    assert str(root) in str(info.value)
    with pytest.raises(ConfigError, match=f"belongs to user id {OTHER_UID}"):
        throttle.acquire(DOMAIN)
    assert mode(root) == 0o777  # refused, not "fixed": it is not ours


@as_root
def test_default_subfolder_of_another_user_is_refused(private_tmp: Path) -> None:
    root = private_tmp / f"amocrm-{os.geteuid()}"
    root.mkdir(mode=0o700)
    (root / "locks").mkdir(mode=0o700)
    os.chown(root / "locks", OTHER_UID, OTHER_UID)
    with pytest.raises(LockError, match="locks belongs to user id"):
        FileLocker().directory  # noqa: B018 - resolving the default folder is what is tested


def test_default_folder_that_is_a_symlink_is_refused(private_tmp: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "attacker-controlled"
    elsewhere.mkdir()
    (private_tmp / f"amocrm-{os.geteuid()}").symlink_to(elsewhere)
    with pytest.raises(LockError, match="symbolic link"):
        with FileLocker().lock(KEY):
            pass
    with pytest.raises(ConfigError, match="symbolic link"):
        default_throttle(7.0).acquire(DOMAIN)
    assert list(elsewhere.iterdir()) == []


def test_own_default_folder_open_to_others_is_tightened_with_a_warning(
    private_tmp: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="amocrm")
    root = private_tmp / f"amocrm-{os.geteuid()}"
    root.mkdir()
    os.chmod(root, 0o777)
    (root / "locks").mkdir()
    os.chmod(root / "locks", 0o755)
    with FileLocker().lock(KEY):
        pass
    assert mode(root) == mode(root / "locks") == 0o700
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(str(root) in w and "0777" in w and "tightened to 0700" in w for w in warnings)
    assert any(str(root / "locks") in w and "0755" in w for w in warnings)


# -- the token folder ------------------------------------------------------------------------------


def test_world_readable_token_folder_is_tightened_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="amocrm")
    folder = tmp_path / "tokens"
    folder.mkdir()
    os.chmod(folder, 0o755)
    storage = FileTokenStorage(folder)
    storage.save(DOMAIN, Tokens(access_token="access-folder-SECRET", refresh_token="refresh-folder-SECRET"))
    assert mode(folder) == 0o700
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and str(folder) in warnings[0] and "0755" in warnings[0]
    assert "SECRET" not in warnings[0]
    storage.save(DOMAIN, Tokens(access_token="access-folder-SECRET", refresh_token="refresh-folder-SECRET"))
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1  # checked once


def test_reading_from_an_open_token_folder_tightens_it_too(tmp_path: Path) -> None:
    folder = tmp_path / "tokens"
    FileTokenStorage(folder).save(DOMAIN, Tokens(access_token="access-read-1", refresh_token="refresh-read-1"))
    os.chmod(folder, 0o775)
    assert FileTokenStorage(folder).load(DOMAIN) is not None
    assert mode(folder) == 0o700


@as_root
def test_open_token_folder_of_another_user_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "tokens"
    folder.mkdir()
    os.chmod(folder, 0o777)
    os.chown(folder, OTHER_UID, OTHER_UID)
    with pytest.raises(TokenStorageError, match=f"0777.*belongs to user id {OTHER_UID}") as info:
        FileTokenStorage(folder).save(DOMAIN, Tokens(access_token="access-root-1", refresh_token="refresh-root-1"))
    assert str(folder) in str(info.value)
    assert list(folder.iterdir()) == []  # nothing written into it
