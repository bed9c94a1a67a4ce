"""The warm-up (claudecli/core/warmup.py): built once whoever asks, failures handed to the main thread, loading
overlapped with reading the input, and never started by --help or a local command."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from claudecli.catalog.cache import CachedModels, read_cache, write_cache
from claudecli.catalog.lookup import load_catalog
from claudecli.core.config import load_settings
from claudecli.core.context import AppContext
from claudecli.core.errors import AuthError
from claudecli.core.warmup import Lazy, Warmup
from tests.conftest import subprocess_env

# -- Lazy and Warmup ---------------------------------------------------------------------------------------


def test_a_value_is_built_once_when_threads_ask_together():
    builds: list[int] = []
    release = threading.Event()

    def build() -> object:
        builds.append(1)
        release.wait(5)
        return object()

    lazy: Lazy[object] = Lazy(build)
    warmup = Warmup([lazy.prime]).start()
    while not builds:  # the background build is under way...
        time.sleep(0.001)
    got: list[object] = []
    asker = threading.Thread(target=lambda: got.append(lazy.get()))
    asker.start()  # ...so this one waits for it instead of building a second one
    time.sleep(0.05)
    release.set()
    asker.join(5)
    warmup.wait()
    assert len(builds) == 1 and got == [lazy.value] and lazy.get() is lazy.value


def test_a_background_failure_is_raised_once_where_the_value_is_needed_then_built_afresh():
    attempts: list[int] = []

    def build() -> str:
        attempts.append(1)
        if len(attempts) == 1:
            raise AuthError("no API key", hint="set ANTHROPIC_API_KEY")
        return "client"

    lazy: Lazy[str] = Lazy(build)
    Warmup([lazy.prime]).start().wait()  # fails in the background, silently
    assert len(attempts) == 1 and lazy.value is None
    with pytest.raises(AuthError) as raised:
        lazy.get()  # the same error, at the point of use, without building again
    assert raised.value.one_line() == "no API key; set ANTHROPIC_API_KEY" and len(attempts) == 1
    assert lazy.get() == "client" and len(attempts) == 2  # the next use tries again, as without a warm-up


def test_steps_run_in_order_a_failing_step_does_not_stop_the_others_and_cancel_does():
    ran: list[str] = []

    def failing() -> None:
        ran.append("fails")
        raise RuntimeError("boom")

    Warmup([lambda: ran.append("one"), failing, lambda: ran.append("three")]).start().wait()
    assert ran == ["one", "fails", "three"]

    gate = threading.Event()
    cancelled = Warmup([gate.wait, lambda: ran.append("never")]).start()
    cancelled.cancel()
    gate.set()
    cancelled.wait()
    assert "never" not in ran
    Warmup([lambda: ran.append("not started")]).wait()  # waiting for one never started returns at once
    assert "not started" not in ran


# -- the models list is fetched once when the warm-up and a turn both find it due ----------------------------


def test_two_threads_finding_the_models_list_due_fetch_it_once(cli_env, fake_api):
    settings = load_settings()
    app_ctx = AppContext.create(settings, stdin=open(os.devnull), environ={})  # noqa: SIM115
    path = settings.paths.models_cache_file
    path.parent.mkdir(parents=True, exist_ok=True)
    stale = datetime.now(UTC) - timedelta(days=2)
    write_cache(path, CachedModels(models=fake_api.models, fetched_at=stale, base_url=settings.base_url))
    fake_api.latency = 0.5  # long enough for the second thread to arrive while the first fetches
    barrier = threading.Barrier(2)
    sources: list[str] = []

    def load() -> None:
        barrier.wait()
        sources.append(load_catalog(app_ctx, quick=True).source)

    threads = [threading.Thread(target=load) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    app_ctx.close()
    assert len(fake_api.requests_to("/v1/models", "GET")) == 1
    assert sorted(sources) == ["api", "cache"]
    cached = read_cache(path, settings.base_url)
    assert cached is not None and cached.fresh()


# -- the collector pause and a background import ----------------------------------------------------------

GC_PROBE = """
import gc, sys, threading, time
from claudecli.core import gc_pause
gc_pause.arm()
gc_pause.end_startup()
print("on after start-up:", gc.isenabled())
inside, finish = threading.Event(), threading.Event()
def background(fail):
    try:
        with gc_pause.heavy_import():
            inside.set()
            finish.wait(5)
            if fail:
                raise ImportError("broken")
    except ImportError:
        pass
for fail in (False, True):
    inside.clear(); finish.clear()
    worker = threading.Thread(target=background, args=(fail,))
    worker.start(); inside.wait(5)
    print("off during the background import:", not gc.isenabled())
    with gc_pause.heavy_import():  # the main thread loads something meanwhile
        pass
    print("still off after the main thread's load:", not gc.isenabled())
    finish.set(); worker.join(5)
    print("on after it (failed=%s):" % fail, gc.isenabled(), "frozen:", gc.get_freeze_count() > 0)
"""


def test_a_background_import_pauses_collection_only_while_it_runs(base_env):
    done = subprocess.run(
        [sys.executable, "-c", GC_PROBE], capture_output=True, text=True, env=subprocess_env(), timeout=60
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "on after start-up: True"
    assert lines.count("off during the background import: True") == 2
    assert lines.count("still off after the main thread's load: True") == 2
    assert "on after it (failed=False): True frozen: True" in lines
    assert "on after it (failed=True): True frozen: True" in lines


# -- no warm-up on the way to --help or a local command -------------------------------------------------------

WATCH = """
import atexit, os, sys, threading
started = []
original_start = threading.Thread.start
def start(self):
    started.append(self.name)
    return original_start(self)
threading.Thread.start = start
@atexit.register
def report():
    sys.stderr.write(f"\\nPROBE warm-up={'claudecli-warmup' in started} sdk={'anthropic' in sys.modules}\\n")
sys.argv = ["claudecli", *sys.argv[1:]]
from claudecli.cli.startup import main
main()
"""

LOCAL_COMMANDS = [
    ["--help"],
    ["ask", "--help"],
    ["chat", "--help"],
    ["batch", "run", "--help"],
    ["cost", "estimate", "--help"],
    ["config", "show"],
    ["cost", "report"],
    ["cost", "estimate", "--offline", "hello"],
    ["models"],
    ["chat", "--list"],
]


def probe(args: list[str], **extra: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", WATCH, *args],
        capture_output=True,
        text=True,
        env=subprocess_env(extra),
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    return done.stderr


@pytest.mark.parametrize("args", LOCAL_COMMANDS, ids=" ".join)
def test_help_and_local_commands_start_no_warm_up(cli_env, run_cli, args):
    run_cli("models")  # the models list is cached: `models` is then a local command
    assert "PROBE warm-up=False sdk=False" in probe(args)


def test_a_call_does_start_it(cli_env):
    # The probe can see a warm-up: `ask` starts one (the API is unreachable here; it only fails later).
    assert "PROBE warm-up=True sdk=True" in probe(
        ["ask", "--no-stdin", "hi"], ANTHROPIC_BASE_URL="http://127.0.0.1:9", CLAUDECLI_MAX_RETRIES="0"
    )


# -- the SDK loads while the input is still arriving -------------------------------------------------------

ANNOUNCE_SDK = """
import builtins, sys
real_import = builtins.__import__
def watch(name, *args, **kwargs):
    module = real_import(name, *args, **kwargs)
    if name == "anthropic" and not getattr(watch, "told", False):
        watch.told = True
        sys.stderr.write("SDK LOADED\\n"); sys.stderr.flush()
    return module
builtins.__import__ = watch
sys.argv = ["claudecli", *sys.argv[1:]]
from claudecli.cli.startup import main
main()
"""


@pytest.mark.parametrize(
    "args",
    [
        ["ask", "-q", "review this"],
        ["cost", "estimate", "-m", "haiku"],
        ["batch", "run", "--text", "/dev/stdin"],
    ],
    ids=["ask", "cost estimate", "batch run"],
)
def test_the_sdk_loads_while_stdin_is_still_open(cli_env, run_cli, args):
    run_cli("models")  # a cached models list: nothing else needs the SDK before the input is read
    process = subprocess.Popen(
        [sys.executable, "-c", ANNOUNCE_SDK, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=subprocess_env(),
    )
    assert process.stdin is not None and process.stderr is not None
    seen = _read_until(process.stderr, b"SDK LOADED", seconds=60)  # stdin is still open: nothing read yet
    assert b"SDK LOADED" in seen, seen
    out, err = process.communicate(b"a prompt [[words:3]]\n", timeout=60)
    assert process.returncode == 0, err
    assert out.strip()


def _read_until(stream, marker: bytes, seconds: float) -> bytes:
    seen = b""
    deadline = time.monotonic() + seconds
    while marker not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([stream], [], [], 0.1)
        if ready:
            chunk = os.read(stream.fileno(), 4096)
            if not chunk:
                break
            seen += chunk
    return seen
