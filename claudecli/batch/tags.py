"""Nonce-tagged custom_ids: how a submission proves that a remote batch is its own.

Generated custom_ids (``line-000001``) are the same for everyone, and the API offers no listing of a batch's
requests, so a batch's request count and creation time cannot tell whose it is: another user, profile or
machine on the same workspace may have submitted one just like it. So every submission draws a random
*nonce* (64 bits, hex) and sends request number ``seq`` (0, 1, … across all its parts, in input order) with
the custom_id ``{nonce}-{seq}``, well inside the API's ``^[a-zA-Z0-9_-]{1,64}$``. The journal maps each
``seq`` back to the user's own id, and results are written and booked with the user's ids.

A batch belongs to a part exactly when its results carry that part's tagged ids: every line's custom_id is
``{nonce}-{seq}`` with ``seq`` in the part's range, and there are as many lines as the part has requests.
Submissions journaled before tagging (no nonce) sent their ids as written; nothing can be proven about them.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from claudecli.batch import remote
from claudecli.core.errors import ServerError

if TYPE_CHECKING:
    from claudecli.batch.journal import Journal
    from claudecli.batch.journal_rows import Part
    from claudecli.core.context import AppContext

NONCE_BYTES = 8
_SEQ = re.compile(r"0|[1-9][0-9]{0,9}")


def new_nonce() -> str:
    return secrets.token_hex(NONCE_BYTES)


def tagged_id(nonce: str, seq: int) -> str:
    return f"{nonce}-{seq}"


@dataclass(frozen=True)
class PartTag:
    """The custom_ids one part was sent with: ``{nonce}-{seq}`` for ``first <= seq < first + count``."""

    submission_id: int
    nonce: str
    first: int
    count: int

    def seq(self, custom_id: str) -> int | None:
        """The request number ``custom_id`` stands for, or None when this part did not send it."""
        nonce, dash, digits = custom_id.partition("-")
        if nonce != self.nonce or not dash or not _SEQ.fullmatch(digits):
            return None
        seq = int(digits)
        return seq if self.first <= seq < self.first + self.count else None


def tag_of(part: Part) -> PartTag | None:
    """How ``part`` tagged its custom_ids; None for a submission journaled before tagging."""
    if part.nonce is None:
        return None
    return PartTag(part.submission_id, part.nonce, part.first_seq, part.request_count)


class UserIds:
    """Turns the tagged custom_ids of a journaled part's results back into the user's own ids."""

    def __init__(self, journal: Journal, batch_id: str, tag: PartTag) -> None:
        self.journal = journal
        self.batch_id = batch_id
        self.tag = tag

    def user_id(self, custom_id: str) -> str:
        seq = self.tag.seq(custom_id)
        found = None if seq is None else self.journal.user_custom_id(self.tag.submission_id, seq)
        if found is None:
            raise ServerError(
                f"batch {self.batch_id}: the results hold custom_id {custom_id!r}, which this submission "
                "never sent"
            )
        return found


def results_carry(app_ctx: AppContext, batch_id: str, tag: PartTag) -> bool:
    """Whether the (ended) batch's results are exactly the requests ``tag`` stands for.

    Stops at the first line that is not: a batch of someone else's is told apart after one line.
    """
    seen = 0
    with remote.result_lines(app_ctx.client, batch_id) as lines:
        for raw in lines:
            try:
                custom_id = json.loads(raw)["custom_id"]
            except (ValueError, TypeError, KeyError, RecursionError):
                raise ServerError(f"batch {batch_id}: the API sent a malformed results line") from None
            if not isinstance(custom_id, str) or tag.seq(custom_id) is None:
                return False
            seen += 1
    return seen == tag.count
