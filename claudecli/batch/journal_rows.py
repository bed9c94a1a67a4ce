"""What the batch journal's rows are (``journal``): a submission, a part (one Message Batch) and their states."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

NEW, CREATING, SUBMITTED, DELETED, GONE = "new", "creating", "submitted", "deleted", "gone"
UNVERIFIED, OURS, NOT_OURS = "unverified", "ours", "not_ours"  # verdicts on a lost create's candidates


@dataclass(frozen=True)
class Submission:
    id: int
    key: str
    name: str | None
    input_path: str
    input_sha256: str
    request_count: int
    skipped_count: int
    estimated_cost_usd: float | None
    created_at: str
    nonce: str | None = None  # NULL: journaled before custom_ids were tagged


@dataclass(frozen=True)
class Part:
    """One Message Batch of a submission, with what the journal knows of its submission."""

    id: int
    submission_id: int
    part: int
    parts: int
    name: str | None
    input_path: str
    request_count: int
    body_bytes: int
    state: str
    batch_id: str | None
    create_started_at: str | None
    processing_status: str | None
    counts: dict[str, int] | None
    remote_created_at: str | None
    ended_at: str | None
    results_path: str | None
    booked_at: str | None
    collected_at: str | None
    profile: str | None = None  # NULL (None): journaled before scopes were recorded
    base_url: str | None = None
    nonce: str | None = None  # the submission's (see ``tags``)
    first_seq: int = 0  # the tag number of this part's first request
    unverified: int = 0  # candidates for its lost create still waiting for proof

    @property
    def scoped(self) -> bool:
        """Whether the journal knows which profile and API this batch was submitted to."""
        return self.profile is not None and self.base_url is not None

    @property
    def label(self) -> str:
        """A file name for its results: the name (``name-partN`` when split), else the batch id."""
        if self.name:
            return self.name if self.parts == 1 else f"{self.name}-part{self.part}"
        return self.batch_id or f"submission{self.submission_id}-part{self.part}"


PART_SELECT = """
    SELECT p.id, p.submission_id, p.part,
           (SELECT count(*) FROM parts q WHERE q.submission_id = p.submission_id),
           s.name, s.input_path, p.request_count, p.body_bytes, p.state, p.batch_id, p.create_started_at,
           p.processing_status, p.counts_json, p.remote_created_at, p.ended_at, p.results_path,
           p.booked_at, p.collected_at, s.profile, s.base_url, s.nonce,
           (SELECT ifnull(sum(q.request_count), 0) FROM parts q
            WHERE q.submission_id = p.submission_id AND q.part < p.part),
           (SELECT count(*) FROM candidates c WHERE c.part_id = p.id AND c.verdict = 'unverified')
    FROM parts p JOIN submissions s ON s.id = p.submission_id
"""
SUBMISSION_SELECT = (
    "SELECT id, key, name, input_path, input_sha256, request_count, skipped_count, estimated_cost_usd, "
    "created_at, nonce FROM submissions"
)


def part_from_row(row: tuple[Any, ...]) -> Part:
    values = list(row)
    values[12] = json.loads(values[12]) if values[12] else None
    return Part(*values)
