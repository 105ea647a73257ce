"""Shared test fixtures: project paths, free ports, a running `voicebot serve`; and how the
tests are spread over pytest-xdist workers."""

from __future__ import annotations

import contextlib
import fcntl
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.bench import server_proc

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VOICEBOT = [sys.executable, "-m", "bot"]
# The call core on a virtual clock runs in seconds: first, so a broken core fails at once.
CORE_FIRST = ("bot/call/test_core.py", "bot/call/test_state.py", "bot/call/test_prompts.py")


# `make test` runs the core alone first; then the rest on pytest-xdist workers with
# `--dist loadgroup --no-loadscope-reorder`: a group goes whole to one worker, groups in the
# order collected. A file is a group (its module and package fixtures, e.g. the e2e server,
# start once per worker), except the NLU files: one group, one in-process Rasa agent. The
# longest groups come first, so that none is left running alone at the end.
GROUPS = {"tests/nlu/": "nlu"}
LONGEST_FIRST = (  # by --durations of a parallel run, 2026-12-03 (nlu gained the acceptance test)
    "tests/test_standalone.py", "nlu", "tests/stt/test_adaptation.py",
    "tests/e2e/test_review_loop.py",  # two small Rasa trainings, three calls, Chromium: ~2 min
    "tests/e2e/test_escalation_calls.py", "tests/stt/test_cli.py",
    "tests/e2e/test_several_machines.py",  # two bots, redis, PostgreSQL, HAProxy: ~80 s
    "tests/stt/test_language_model.py", "tests/e2e/test_twilio_calls.py", "tests/e2e/test_recordings.py",
    "tests/stt/test_pocketsphinx.py", "tests/e2e/test_admission.py",
    "tests/e2e/test_voice_scenarios.py", "tests/e2e/test_audiosocket_calls.py",
    "tests/security/test_real_call_console.py", "tests/security/test_key_leak.py",
    "tests/stt/test_neural_decoders.py", "tests/e2e/test_escalation_console.py",
)
# Tests that hold real time to a bound a busy machine breaks (event-loop lag, latency
# percentiles, a caller's turn heard whole, timers of a second or less): `make test` runs them
# last (`-m timing`), one at a time, nothing of ours beside them (even two side by side broke
# six of them on a quiet machine; one at a time all pass).
TIMING = (
    "tests/e2e/test_fault_injection.py", "tests/e2e/test_protocol_fuzz.py",
    "tests/e2e/test_escalation_calls.py::test_no_answer_requeue_then_kill_9_restart",
    "tests/stt/test_recognizer_pool.py::test_a_killed_worker_is_replaced",
    "tests/stt/test_recognizer_pool.py::test_a_worker_that_stops_answering",
    "tests/stt/test_recognizer_pool.py::test_with_a_neural_final_pass",  # final within 0.5 s
    "tests/escalation/test_web.py::test_every_state_change_needs_the_csrf_token",
    "tests/e2e/test_admission.py",  # the busy line heard to 0.3 s
    # agent audio across machines adds <= 40 ms one way (medians of 10 tones)
    "tests/e2e/test_several_machines.py::test_an_agent_on_the_other_machine_talks_with_a_caller",
)


def xdist_group(item: pytest.Item) -> str:
    path = item.path.relative_to(PROJECT_ROOT).as_posix()
    return next((g for prefix, g in GROUPS.items() if path.startswith(prefix)), path)


def _order(item: pytest.Item) -> tuple[bool, int]:
    group = xdist_group(item)
    rank = LONGEST_FIRST.index(group) if group in LONGEST_FIRST else len(LONGEST_FIRST)
    return item.path.relative_to(PROJECT_ROOT / "tests").as_posix() not in CORE_FIRST, rank


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The fast call-core tests first, then the longest groups (order otherwise unchanged);
    every test in its xdist group; the real-time bounds marked `timing`."""
    items.sort(key=_order)
    for item in items:
        if item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(xdist_group(item)))
        if item.nodeid.startswith(TIMING):
            item.add_marker(pytest.mark.timing)


def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A temporary folder this test run's xdist workers share (the run's own without xdist)."""
    base = tmp_path_factory.getbasetemp()  # .../pytest-N, or .../pytest-N/popen-gwK
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@contextlib.contextmanager
def run_lock(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[Path]:
    """Hold `name` against the run's other xdist workers; yields the shared folder."""
    shared = run_dir(tmp_path_factory)
    with (shared / f"{name}.lock").open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        yield shared


class ServerProcess(server_proc.ServerProcess):
    """A real `voicebot serve` for tests, its data under `tmp`."""

    def __init__(self, env: dict[str, str], tmp: Path, port: int | None = None) -> None:
        # A test machine busy with other tests must not make the server turn calls away;
        # admission by headroom has tests of its own.
        super().__init__({"VOICEBOT_CALLS__ADMISSION": "count", **env}, tmp, cwd=PROJECT_ROOT, port=port)

    def start(self, ready_path: str = "/readyz", timeout_s: float = 180.0) -> ServerProcess:
        """Wait until it is ready; stop it and fail the test with its log if it is not."""
        try:
            self.wait_ready(ready_path, timeout_s)
        except RuntimeError as exc:
            self.stop()
            raise AssertionError(f"server did not come up ({exc}):\n{self.log()}") from None
        return self


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator:
    """Start `voicebot serve` with extra VOICEBOT_* variables; stopped at teardown."""
    started: list[ServerProcess] = []

    def start(env: dict[str, str] | None = None, ready_path: str = "/healthz",
              timeout_s: float = 120.0) -> ServerProcess:
        server = ServerProcess(env or {}, tmp_path)
        started.append(server)
        return server.start(ready_path, timeout_s)

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator:
    """A throwaway PostgreSQL cluster for this test session (tests/postgres_server.py)."""
    from tests.postgres_server import PostgresServer

    server = PostgresServer().start()
    yield server
    server.stop()
