"""Print the lowest version pyproject.toml allows of every runtime dependency and of the optional `mcp` extra,
as pip pins (`name==floor`).

CI installs exactly these and runs the smoke tests, so the floors in pyproject.toml stay true.
"""

import re
import sys
import tomllib
from pathlib import Path

project = tomllib.loads(Path(sys.argv[1] if len(sys.argv) > 1 else "pyproject.toml").read_text())["project"]
for requirement in [*project["dependencies"], *project["optional-dependencies"]["mcp"]]:
    found = re.match(r"^([A-Za-z0-9_.\-\[\]]+)\s*>=\s*([^,;\s]+)", requirement)
    if not found:
        sys.exit(f"no floor (>=) in dependency {requirement!r}")
    print(f"{found[1]}=={found[2]}")
