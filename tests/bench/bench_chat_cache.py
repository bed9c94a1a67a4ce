"""Benchmark: what the moving cache breakpoint saves over a 20-turn chat (cost, not time; not a test).

A 20-turn chat over a ~5,000-token system prompt is run twice through the chat's own turn function
(``claudecli.chat.turn.run_turn``, the real SDK over real HTTP) against the project's fake API, which models
prompt-cache accounting (1,024-token minimum, prefixes hashed, so a breakpoint moved to the newest turn reads
the previous turn's prefix): once with the chat's automatic caching, once with the same requests sent without
any ``cache_control``. Both are priced by claudecli's pricing (genai-prices, ``claude-sonnet-5-5``).

Target: the cached chat costs at least 60 % less. Run: python -m tests.bench.bench_chat_cache [--turns N]
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from claudecli.chat.session_store import SessionStore
from claudecli.chat.state import ChatState
from claudecli.chat.turn import run_turn
from claudecli.core.config import load_settings
from claudecli.core.context import AppContext
from claudecli.core.usage import TokenUsage
from tests.fakeapi import FakeAnthropic

TARGET_SAVING = Decimal("0.60")
MODEL = "claude-sonnet-5-5"
SYSTEM = (
    "You are a meticulous assistant for a team of engineers; follow the house style. " * 250
)  # ~5,000 tokens
QUESTION = (
    "Question {n}: explain the next step of the design in detail, with trade-offs. " * 5 + "[[words:{words}]]"
)


@dataclass
class Run:
    label: str
    usage: TokenUsage
    cost: Decimal
    turns: int


def chat_run(fake: FakeAnthropic, *, cache: bool, turns: int, answer_words: int, ttl: str) -> Run:
    fake.clear_cache()
    with tempfile.TemporaryDirectory(prefix="claudecli-bench-chat-") as home:
        sdk_config = Path(home) / "anthropic"
        sdk_config.mkdir()
        environ = {
            "CLAUDECLI_HOME": home,
            "ANTHROPIC_CONFIG_DIR": str(sdk_config),
            "ANTHROPIC_API_KEY": "sk-ant-bench",
            "ANTHROPIC_BASE_URL": fake.base_url,
            "CLAUDECLI_CACHE": "true" if cache else "false",
            "CLAUDECLI_CACHE_TTL": ttl,
        }
        settings = load_settings(environ=environ, cwd=Path(home))
        app_ctx = AppContext.create(
            settings, stdout=io.StringIO(), stderr=io.StringIO(), stdin=io.StringIO(""), environ={}
        )
        store = SessionStore(settings.paths.sessions_file)
        try:
            chat = ChatState.fresh(app_ctx, store, model=MODEL, system=SYSTEM, thinking=None)
            for n in range(1, turns + 1):
                result = run_turn(chat, QUESTION.format(n=n, words=answer_words))
                if result.exchange is None or not result.exchange.has_answer:
                    raise SystemExit(f"turn {n} failed: {app_ctx.stderr.file.getvalue()}")  # type: ignore[attr-defined]
            if chat.totals.unpriced_calls:
                raise SystemExit(f"{MODEL} has no price: cannot compare costs")
            label = f"moving breakpoint ({ttl})" if cache else "no cache_control"
            return Run(label, chat.totals.usage, chat.totals.cost_usd, turns)
        finally:
            store.close()
            app_ctx.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--answer-words", type=int, default=150)
    args = parser.parse_args()
    with FakeAnthropic() as fake:
        plain = chat_run(fake, cache=False, turns=args.turns, answer_words=args.answer_words, ttl="5m")
        runs = [
            plain,
            chat_run(fake, cache=True, turns=args.turns, answer_words=args.answer_words, ttl="5m"),
            chat_run(fake, cache=True, turns=args.turns, answer_words=args.answer_words, ttl="1h"),
        ]
    print(f"{args.turns}-turn chat, ~5,000-token system prompt, {args.answer_words}-word answers, {MODEL}")
    header = f"{'variant':26} {'input':>9} {'cache write':>12} {'cache read':>11} {'output':>8} {'cost $':>10} {'saving':>7}"
    print(header)
    print("-" * len(header))
    for run in runs:
        saving = (plain.cost - run.cost) / plain.cost
        u = run.usage
        print(
            f"{run.label:26} {u.input_tokens:9,} {u.cache_write_tokens:12,} {u.cache_read_tokens:11,} "
            f"{u.output_tokens:8,} {run.cost:10.4f} {saving:7.1%}"
        )
    saving = (plain.cost - runs[1].cost) / plain.cost
    verdict = "PASS" if saving >= TARGET_SAVING else "FAIL"
    print(f"saving with the default 5m TTL: {saving:.1%} vs target {TARGET_SAVING:.0%}: {verdict}")
    sys.exit(0 if verdict == "PASS" else 1)


if __name__ == "__main__":
    main()
