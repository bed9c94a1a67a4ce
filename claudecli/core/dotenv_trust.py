"""Which ``.env`` files the user has vouched for (``claudecli config trust-env``), direnv-style.

A ``.env`` comes with whatever directory you stand in, so claudecli treats it as untrusted input (see
:mod:`claudecli.core.dotenv_policy`) unless this record says the user trusted that very file with that very content:
``trusted-env.json`` in the config dir maps each trusted file's resolved path to the SHA-256 of its bytes. Editing
the file changes the hash, so a trusted ``.env`` that changed is untrusted again until it is trusted anew.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from claudecli.core.errors import ConfigError
from claudecli.core.fsutil import TEXT_FILE_LIMIT, atomic_write_text, ensure_private_dir, read_capped
from claudecli.core.paths import Paths

TRUST_FILE_NAME = "trusted-env.json"
TRUST_FILE_VERSION = 1


def trust_file(paths: Paths) -> Path:
    return paths.config_dir / TRUST_FILE_NAME


def fingerprint(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def record_key(path: Path) -> str:
    """The record is keyed by the real path, so a symlink and its target are one file."""
    return str(path.expanduser().resolve())


def _unsafe_reason(path: Path) -> str | None:
    """Why a record file must not be believed: someone else could have written it."""
    info = path.stat()
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        return "it belongs to another user"
    if info.st_mode & 0o022:
        return "others may write to it"
    return None


def _read_record(path: Path) -> dict[str, str]:
    """The path -> hash table; ConfigError when the file exists but cannot be believed or parsed."""
    try:
        reason = _unsafe_reason(path)
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    if reason:
        raise ConfigError(f"{path}: ignored because {reason}; fix its owner or mode (0600)")
    try:
        document = json.loads(text)
        trusted = document["trusted"]
        if not isinstance(trusted, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in trusted.items()
        ):
            raise ValueError
    except (ValueError, KeyError, TypeError, RecursionError):
        raise ConfigError(f"{path}: not a trust record claudecli wrote; delete it and trust again") from None
    return dict(trusted)


def _write_record(paths: Paths, trusted: dict[str, str]) -> None:
    ensure_private_dir(paths.config_dir)
    document = {"version": TRUST_FILE_VERSION, "trusted": dict(sorted(trusted.items()))}
    atomic_write_text(trust_file(paths), json.dumps(document, indent=2) + "\n", private=True)


def trusted_hash(paths: Paths, env_path: Path, warnings: list[str]) -> str | None:
    """The hash recorded for ``env_path``, or None. A record that cannot be believed trusts nothing (warned)."""
    try:
        return _read_record(trust_file(paths)).get(record_key(env_path))
    except ConfigError as exc:
        warnings.append(f"{exc.message}; every .env is untrusted until then")
        return None


def trust(paths: Paths, env_path: Path) -> tuple[Path, str]:
    """Record ``env_path``'s current content as trusted; returns its resolved path and hash."""
    resolved = Path(record_key(env_path))
    if not resolved.is_file():
        from claudecli.core.errors import NotFoundError

        raise NotFoundError(f"{env_path}: {'not a regular file' if resolved.exists() else 'no such file'}")
    try:
        digest = fingerprint(read_capped(resolved, TEXT_FILE_LIMIT))  # the same cap reading it uses
    except OSError as exc:
        raise ConfigError(f"{env_path}: cannot read: {exc.strerror}") from None
    trusted = _read_record(trust_file(paths))
    trusted[str(resolved)] = digest
    _write_record(paths, trusted)
    return resolved, digest


def untrust(paths: Paths, env_path: Path) -> tuple[Path, bool]:
    """Forget ``env_path``; returns its resolved path and whether it was trusted."""
    resolved = record_key(env_path)
    trusted = _read_record(trust_file(paths))
    if trusted.pop(resolved, None) is None:
        return Path(resolved), False
    _write_record(paths, trusted)
    return Path(resolved), True
