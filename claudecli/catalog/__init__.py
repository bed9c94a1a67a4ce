"""The models: names, facts, lifecycle.

* ``lookup``  aliases to ids, the cached models list, lifecycle checks.
* ``cache``   ``GET /v1/models`` fetched and cached for a day, per API.
* ``builtin`` the offline models list, checked against the installed SDK's model ids.
* ``view``    the ``claudecli models`` list and ``models show``.
"""
