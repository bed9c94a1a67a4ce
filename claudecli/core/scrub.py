"""The one secret scrubber: every byte claudecli writes passes through :func:`scrub` or :class:`ScrubbedStream`.

Anything an API, a gateway or a model sends back may echo a credential (a 401 that quotes the key it got, an
answer that repeats a pasted key), and claudecli writes such text to stdout, stderr, result files, the ledger
and the session store. Each of those edges masks every secret the settings know of (see
``Settings.secrets``) as ``********``.

Rules:

- A secret shorter than :data:`MIN_SECRET_LENGTH` characters is not masked: masking ``abc`` or ``1`` would wreck
  ordinary output, and a credential that short protects nothing anyway.
- Besides the raw value, the forms a writer may have produced are masked too: JSON-escaped (with and without
  ``ensure_ascii``) and percent-encoded.
- A stream (answers arrive in chunks) holds back a chunk's tail while it could be the start of a secret, so a
  secret split across two writes is still masked; a tail is released by the next write or by :meth:`release`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from claudecli.core.errors import StdoutFailed

MASK = "********"
MIN_SECRET_LENGTH = 8

SecretSource = Callable[[], Iterable[str]]


def secret_forms(secrets: Iterable[str]) -> tuple[str, ...]:
    """Every written form of every maskable secret, longest first (so no form is masked half)."""
    from urllib.parse import quote

    forms: set[str] = set()
    for secret in secrets:
        if not isinstance(secret, str) or len(secret) < MIN_SECRET_LENGTH:
            continue
        forms.add(secret)
        forms.add(json.dumps(secret, ensure_ascii=False)[1:-1])
        forms.add(json.dumps(secret)[1:-1])
        forms.add(quote(secret, safe=""))
    return tuple(sorted(forms, key=len, reverse=True))


def mask(text: str, forms: tuple[str, ...]) -> str:
    for form in forms:
        if form in text:
            text = text.replace(form, MASK)
    return text


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret in ``secrets`` (and its escaped forms) replaced by ``********``."""
    return mask(text, secret_forms(secrets))


def unfinished_tail(text: str, forms: tuple[str, ...]) -> int:
    """The length of the longest end of ``text`` that is the beginning of a form (0 when there is none)."""
    longest = 0
    for form in forms:
        start = max(len(text) - len(form) + 1, 0)
        index = text.find(form[0], start)
        while index != -1 and len(text) - index > longest:
            if form.startswith(text[index:]):
                longest = len(text) - index
                break
            index = text.find(form[0], index + 1)
    return longest


def unstarted_head(text: str, forms: tuple[str, ...]) -> int:
    """The length of the longest start of ``text`` that is the end of a form (0 when there is none)."""
    longest = 0
    for form in forms:
        for size in range(min(len(form) - 1, len(text)), longest, -1):
            if form.endswith(text[:size]):
                longest = size
                break
    return longest


def mask_cut(text: str, forms: tuple[str, ...], *, cut_start: bool = False, cut_end: bool = False) -> str:
    """``text``, a piece cut out of a longer text, with its secrets masked, and also the part of a secret that
    a cut edge runs through: masking after the cut would miss it, and a window that ends in a key's first half
    and another that starts in its second half would show the whole key between them."""
    text = mask(text, forms)
    if cut_end and (size := unfinished_tail(text, forms)):
        text = text[: len(text) - size] + MASK
    if cut_start and (size := unstarted_head(text, forms)):
        text = MASK + text[size:]
    return text


class Scrubber:
    """Masks the secrets ``source`` lists now (it may learn one later: ``api_key_command`` runs lazily)."""

    def __init__(self, source: SecretSource) -> None:
        self._source = source
        self._known: tuple[str, ...] = ()
        self._forms: tuple[str, ...] = ()

    def forms(self) -> tuple[str, ...]:
        secrets = tuple(self._source())
        if secrets != self._known:
            self._known, self._forms = secrets, secret_forms(secrets)
        return self._forms

    def __call__(self, text: str) -> str:
        return mask(text, self.forms())


class ScrubbedStream:
    """A text stream (stdout, stderr, a results file) whose every write is scrubbed.

    With ``whole_writes`` every write is taken as complete (one record per write, as ``batch run`` needs for
    its O_APPEND file), so nothing is held back; otherwise a tail that may be the start of a secret waits for
    the next write. ``flush`` never releases it (an answer is flushed chunk by chunk); ``release`` and
    ``close`` do. Everything else (``isatty``, ``fileno``, ``encoding`` …) is the wrapped stream's.
    """

    def __init__(self, stream: Any, scrubber: Scrubber, *, whole_writes: bool = False) -> None:
        self.stream = stream
        self.scrubber = scrubber
        self._whole_writes = whole_writes
        self._held = ""

    def write(self, text: str, /) -> int:
        forms = self.scrubber.forms()
        pending = self._held + text
        if not forms:
            self._held = ""
            self.stream.write(pending)
            return len(text)
        pending = mask(pending, forms)
        keep = 0 if self._whole_writes else unfinished_tail(pending, forms)
        self._held = pending[len(pending) - keep :] if keep else ""
        ready = pending[: len(pending) - keep]
        if ready:
            self.stream.write(ready)
        return len(text)

    def writelines(self, lines: Iterable[str], /) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        self.stream.flush()

    def release(self) -> None:
        """Write out a held tail (at the end of output: it was not a secret after all)."""
        held, self._held = self._held, ""
        if held:
            try:
                self.stream.write(held)
                self.stream.flush()
            except (OSError, ValueError, StdoutFailed):  # a closed pipe or stream: the reader is gone
                pass

    def close(self) -> None:
        self.release()
        self.stream.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


class _Feed:
    """A sink's ``feed`` seen as a stream's ``write``, so :class:`ScrubbedStream` can hold back its tails."""

    def __init__(self, sink: Any) -> None:
        self.sink = sink

    def write(self, text: str) -> None:
        self.sink.feed(text)

    def flush(self) -> None:
        pass


class RelayingSink:
    """An answer sink in front of another: it keeps the answer as it arrived (``text``), passes each chunk on
    through :meth:`_relay`, and hands on what it held back (:meth:`_release`) when the answer ends.

    A keep-alive (an empty chunk) goes straight through, to let the sink catch up on a throttled redraw.
    """

    def __init__(self, sink: Any) -> None:
        self._sink = sink
        self._raw: list[str] = []

    @property
    def text(self) -> str:
        return "".join(self._raw)

    def feed(self, text: str) -> None:
        if not text:
            self._sink.feed("")
            return
        self._raw.append(text)
        self._relay(text)

    def _relay(self, text: str) -> None:
        raise NotImplementedError

    def _release(self) -> None:
        """Pass on what :meth:`_relay` held back (nothing by default)."""

    def finish(self) -> None:
        self._release()
        self._sink.finish()

    def abort(self, note: str | None = None) -> None:
        self._release()
        self._sink.abort(note)


class ScrubbedSink(RelayingSink):
    """An answer sink whose chunks are scrubbed before it renders them.

    Markdown rendering folds a long word at the terminal's width and turns ``__x__`` into bold, which would
    carry a secret past a scrubbed stream in pieces; so the Markdown sink sees masked text. ``text`` is still
    the answer as it arrived.
    """

    def __init__(self, sink: Any, scrubber: Scrubber) -> None:
        super().__init__(sink)
        self._chunks = ScrubbedStream(_Feed(sink), scrubber)

    def _relay(self, text: str) -> None:
        self._chunks.write(text)

    def _release(self) -> None:
        self._chunks.release()
