"""``gloo`` as a person meets it: the waiting spinner, colour rules, a closed pipe, errors in
the command's words, and ``gloo emulator`` (the real URL, a taken port, its own options)."""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
from typing import Any

import httpx
import pytest

from gloo_ai import cli
from gloo_ai._cli_emulator import EXIT_UNAVAILABLE
from gloo_ai.testing import EmulatorServer, GlooEmulator

QUESTION = "How can I be joyful in hard times?"


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def run(*argv: str, err: io.StringIO | None = None) -> tuple[int, str, str]:
    out = io.StringIO()
    err = err if err is not None else io.StringIO()
    code = cli.main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


# -- the spinner and colour -----------------------------------------------------------------------


def test_a_terminal_sees_a_dim_waiting_line_that_is_erased_at_the_first_token() -> None:
    code, out, err = run("chat", "--emulator", QUESTION, err=Terminal())
    assert code == 0
    assert "waiting for the first token" in err
    assert "\x1b[2m" in err  # dim
    assert err.endswith("\r")  # erased before the answer
    assert out.strip()
    assert "waiting" not in out


def test_no_color_keeps_the_spinner_but_drops_every_escape_code(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    code, _, err = run("chat", "--emulator", "--no-stream", QUESTION, err=Terminal())
    assert code == 0
    assert "waiting for the answer" in err
    assert "\x1b" not in err


def test_a_pipe_or_file_gets_no_spinner_and_no_colour() -> None:
    code, out, err = run("chat", "--emulator", QUESTION)
    assert code == 0
    assert err == ""
    assert "\x1b" not in out


# -- errors in the command's words ----------------------------------------------------------------


def test_an_invalid_value_is_reported_with_its_flag() -> None:
    code, _, err = run("chat", "--emulator", "--max-tokens", "0", QUESTION)
    assert code == cli.EXIT_USAGE
    assert "--max-tokens" in err
    assert "max_tokens" not in err
    assert "chat.completions.create" not in err


def test_an_unknown_option_prints_the_usage_of_its_command(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["chat", "--bogus", QUESTION])
    assert exited.value.code == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert err.startswith("usage: gloo chat")
    assert "unrecognized arguments: --bogus" in err


# -- a closed pipe --------------------------------------------------------------------------------


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GLOO")}
    env.update(extra)
    return env


def test_a_closed_pipe_ends_the_command_quietly() -> None:
    emulator = GlooEmulator(chunk_delay_ms=20)
    with EmulatorServer(emulator) as server:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gloo_ai", "chat", "--base-url", server.url, QUESTION],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_env(GLOO_API_KEY=GlooEmulator.DEFAULT_API_KEY),
        )
        assert proc.stdout is not None
        assert proc.stderr is not None
        first = proc.stdout.read(5)  # like `| head -c 5`
        proc.stdout.close()
        err = proc.stderr.read().decode()
        proc.wait(timeout=60)
        proc.stderr.close()
    assert len(first) == 5
    assert proc.returncode == cli.EXIT_PIPE
    assert err == ""


# -- gloo emulator --------------------------------------------------------------------------------


def test_port_zero_prints_the_real_url_and_the_counts_endpoint_answers() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "gloo_ai", "emulator", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        assert not url.endswith(":0")
        headers = {"Authorization": f"Bearer {GlooEmulator.DEFAULT_API_KEY}"}
        sent = httpx.post(
            f"{url}/ai/v2/chat/completions",
            json={"messages": [{"role": "user", "content": "hi"}], "auto_routing": True},
            headers=headers,
        )
        assert sent.status_code == 200
        counts = httpx.get(f"{url}/_emulator/counts").json()
        assert counts == {"/ai/v2/chat/completions": 1}
        (recorded,) = httpx.get(f"{url}/_emulator/requests").json()
        assert recorded["headers"]["authorization"] == "Bearer ***"
        assert GlooEmulator.DEFAULT_API_KEY not in str(recorded)
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


def test_a_taken_port_fails_with_its_own_exit_code_before_any_banner() -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        port = taken.getsockname()[1]
        code, out, err = run("emulator", "--port", str(port))
    finally:
        taken.close()
    assert code == EXIT_UNAVAILABLE
    assert out == ""
    assert f"Port {port} on 127.0.0.1 is already in use" in err
    assert "listens" not in err


def test_a_missing_uvicorn_fails_with_its_own_exit_code(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uvicorn", None)
    code, out, err = run("emulator", "--port", "0")
    assert code == EXIT_UNAVAILABLE
    assert out == ""
    assert "pip install 'gloo-ai[emulator]'" in err


def test_the_emulator_command_offers_only_its_own_options(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        cli.main(["emulator", "--help"])
    help_text = capsys.readouterr().out
    for own in ("--port", "--host", "--log", "--chunk-delay-ms", "--allow-non-loopback"):
        assert own in help_text
    for foreign in ("--base-url", "--timeout", "--emulator "):
        assert foreign not in help_text


def test_log_and_chunk_delay_reach_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def fake_serve(emulator: GlooEmulator, **kwargs: Any) -> None:
        seen.update(kwargs, delay=emulator.chunk_delay_ms)
        kwargs["on_ready"]("http://127.0.0.1:1234")

    monkeypatch.setattr("gloo_ai.testing.serve", fake_serve)
    code, out, err = run("emulator", "--log", "--chunk-delay-ms", "40", "--port", "0")
    assert code == 0
    assert (seen["access_log"], seen["delay"], seen["port"]) == (True, 40.0, 0)
    assert out == "http://127.0.0.1:1234\n"
    assert "emulator-api-key" in err


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT delivery differs on Windows")
def test_ctrl_c_stops_the_served_emulator() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "gloo_ai", "emulator", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
        preexec_fn=_default_sigint,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith("http://")
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode in (0, cli.EXIT_INTERRUPTED)
    assert "Traceback" not in err
