"""``search_text`` with a regular expression, in a child process: ``python -P -m claudecli.tools.fs_regex``.

Python's ``re`` backtracks and cannot be interrupted, so a pattern like ``(a+)+$`` could hang claudecli, Ctrl-C
included. The parent chooses the files (confinement stays there), this process only reads those files and
matches; the parent stops it after its time limit or on Ctrl-C. Request on stdin:
``{"pattern", "ignore_case", "files": [[path, shown], ...], "secret_forms": [...]}`` (the forms mask a key that
the edge of a shortened line cuts through); the matching lines, as a JSON list, on stdout.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from claudecli.tools.fs import regex_matcher, search_files


def main() -> int:
    request = json.loads(sys.stdin.buffer.read().decode("utf-8", errors="surrogatepass"))
    compiled = re.compile(request["pattern"], re.IGNORECASE if request["ignore_case"] else 0)
    files = [(Path(path), str(shown)) for path, shown in request["files"]]
    forms = tuple(str(form) for form in request.get("secret_forms", ()))
    found = search_files(files, regex_matcher(compiled), forms)
    sys.stdout.write(json.dumps(found))
    return 0


if __name__ == "__main__":
    sys.exit(main())
