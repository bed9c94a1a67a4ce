"""Where claudecli keeps its files. ``CLAUDECLI_HOME`` relocates everything (the tests set it)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "claudecli"


@dataclass(frozen=True)
class Paths:
    config_dir: Path
    data_dir: Path
    cache_dir: Path

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.toml"

    @property
    def ledger_file(self) -> Path:
        return self.data_dir / "usage.db"

    @property
    def sessions_file(self) -> Path:
        return self.data_dir / "sessions.db"

    @property
    def batch_journal_file(self) -> Path:
        return self.data_dir / "batches.db"

    @property
    def uploads_file(self) -> Path:
        """The Files API memory: which local content is already uploaded (see ``files.store``)."""
        return self.data_dir / "files.db"

    @property
    def history_dir(self) -> Path:
        return self.data_dir / "history"

    def history_file(self, profile: str | None) -> Path:
        """The chat input history of ``profile`` (``default.txt`` without one); the name is checked first."""
        from claudecli.core.names import check_name

        return self.history_dir / f"{check_name('profile', profile or 'default')}.txt"

    @property
    def models_cache_file(self) -> Path:
        return self.cache_dir / "models.json"


def resolve_paths(environ: os._Environ[str] | dict[str, str] | None = None) -> Paths:
    env = os.environ if environ is None else environ
    home = env.get("CLAUDECLI_HOME")
    if home:
        root = Path(home).expanduser()
        return Paths(config_dir=root / "config", data_dir=root / "data", cache_dir=root / "cache")
    import platformdirs

    return Paths(
        config_dir=Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
        data_dir=Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
        cache_dir=Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)),
    )
