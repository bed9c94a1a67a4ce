"""render.visible: the one rule for untrusted text on a terminal, and the sink that applies it to a stream."""

from __future__ import annotations

import io
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from claudecli.render.plain import PlainSink
from claudecli.render.stream import make_sink
from claudecli.render.visible import VisibleSink, for_stream, visible


def is_forbidden(char: str) -> bool:
    code = ord(char)
    c0 = code < 0x20 and char not in "\n\t"
    return c0 or 0x7F <= code <= 0x9F or 0x202A <= code <= 0x202E or 0x2066 <= code <= 0x2069


FORBIDDEN = [chr(code) for code in range(0x2070) if is_forbidden(chr(code))]


@given(st.text())
def test_visible_output_never_holds_a_control_character(text):
    assert not any(is_forbidden(char) for char in visible(text))


@given(st.text(alphabet=st.characters(blacklist_characters=FORBIDDEN)))
def test_visible_is_the_identity_on_text_without_controls(text):
    assert visible(text) == text


@given(st.lists(st.text(alphabet=st.sampled_from(["a", "\r", "\n", "\x1b", "\u202e", "é"]), max_size=6)))
def test_a_chunked_stream_shows_what_the_whole_text_shows(chunks):
    """Splitting never changes what is shown: a CR at a chunk's end waits to see whether a LF follows."""
    out = io.StringIO()
    sink = VisibleSink(PlainSink(out))
    for chunk in chunks:
        sink.feed(chunk)
    sink.finish()
    whole = visible("".join(chunks))
    assert out.getvalue() in (whole, whole + "\n")
    assert sink.text == "".join(chunks)


def test_the_escapes_shown():
    assert visible("\x1b]0;t\x07") == "\\x1b]0;t\\x07"
    assert visible("\x1b[2J") == "\\x1b[2J"
    assert visible("a\u202eb\u2066c") == "a\\u202eb\\u2066c"
    assert visible("x\x9by\x7f\x00") == "x\\x9by\\x7f\\x00"
    assert visible("line\r\nnext\tcol\n") == "line\nnext\tcol\n"
    assert visible("abc\rXYZ") == "abc\\x0dXYZ"
    assert visible("emoji 👩\u200d💻 and é") == "emoji 👩\u200d💻 and é"  # not controls: untouched


def test_a_crlf_split_across_chunks_is_one_line_end():
    out = io.StringIO()
    sink = VisibleSink(PlainSink(out))
    for chunk in ("one\r", "\ntwo\r", "", "three\r"):
        sink.feed(chunk)
    sink.finish()
    assert out.getvalue() == "one\ntwo\\x0dthree\\x0d\n"
    assert sink.text == "one\r\ntwo\rthree\r"


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_plain_output_is_cleaned_only_on_a_terminal():
    from rich.console import Console

    piped, tty = io.StringIO(), _Tty()
    for stream in (piped, tty):
        sink = make_sink(Console(file=stream), markdown=False)
        sink.feed("a\x1b[2Jb\r")
        sink.finish()
    assert piped.getvalue() == "a\x1b[2Jb\r\n"
    assert tty.getvalue() == "a\\x1b[2Jb\\x0d\n"
    assert for_stream("\x07", piped) == "\x07" and for_stream("\x07", tty) == "\\x07"


def test_forbidden_set_matches_the_unicode_categories_it_names():
    """C0/C1 are Cc; the bidi embeddings, overrides and isolates are Cf with a bidi class of their own."""
    for char in FORBIDDEN:
        assert unicodedata.category(char) in ("Cc", "Cf")
