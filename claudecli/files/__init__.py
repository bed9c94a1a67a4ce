"""The Files API: upload once, reference many times (``claudecli files``, ``-a file:ID``, ``--upload``).

* ``ids``      what a file id looks like, and how an attachment names one (``file:ID`` or a bare ``file_…``);
* ``local``    a local file checked before it is uploaded (exists, regular, within the API's size limit, type);
* ``names``    the safe local name a downloaded file gets;
* ``info``     one file's metadata, as a table row and a ``--json`` object;
* ``api``      the SDK calls (the only module here that touches the SDK), errors worded for files;
* ``progress`` the upload progress bar (stderr, on a terminal, for large files);
* ``store``    path→id memory: which content was uploaded, by hash, per API, workspace and profile;
* ``reuse``    upload-or-reuse, with a re-upload when the API forgot the file;
* ``commands`` the ``claudecli files`` subcommands.

Nothing here knows Typer; file uploads and downloads are not billed, so nothing here writes the ledger.
"""
