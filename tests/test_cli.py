"""The ``gloo`` command: in-process through ``main()``, and through its entry points."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import respx

from gloo_ai import cli
from gloo_ai.testing import EmulatorServer, GlooEmulator
from tests.conftest import CLIENT_ID, CLIENT_SECRET, TOKEN_URL, V2_URL, completion_json, token_json

QUESTION = "How can I be joyful in hard times?"


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = cli.main(list(argv), out=out)
    return code, out.getvalue()


def test_chat_against_the_emulator_streams_an_answer(capsys: pytest.CaptureFixture[str]) -> None:
    code, text = run("chat", "--emulator", QUESTION)
    assert code == cli.EXIT_OK
    assert text.strip()
    assert text.endswith("\n")
    # The same question gives the same answer, streamed or not.
    code, whole = run("chat", "--emulator", "--no-stream", QUESTION)
    assert code == cli.EXIT_OK
    assert whole == text


def test_emulator_flag_works_before_the_command_too() -> None:
    code, text = run("--emulator", "chat", QUESTION)
    assert code == cli.EXIT_OK
    assert text.strip()


def test_chat_json_prints_the_raw_completion() -> None:
    code, text = run(
        "chat", "--emulator", "--no-stream", "--json", "--tradition", "catholic", QUESTION
    )
    assert code == cli.EXIT_OK
    body = json.loads(text)
    assert body["object"] == "chat.completion"
    assert body["tradition"] == "catholic"
    assert body["routing_mechanism"] == "auto_routing"


def test_chat_json_streaming_prints_one_chunk_per_line_ending_with_usage() -> None:
    code, text = run("chat", "--emulator", "--json", QUESTION)
    assert code == cli.EXIT_OK
    chunks = [json.loads(line) for line in text.splitlines()]
    assert len(chunks) >= 3
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"]["total_tokens"] > 0


@pytest.mark.parametrize(
    ("flags", "mechanism"),
    [
        ([], "auto_routing"),
        (["--auto-routing"], "auto_routing"),
        (["--model", "gloo-openai-gpt-5-mini"], "direct_model_selection"),
        (["--model-family", "anthropic"], "model_family"),
    ],
)
def test_chat_routing_flags(flags: list[str], mechanism: str) -> None:
    code, text = run("chat", "--emulator", "--no-stream", "--json", *flags, QUESTION)
    assert code == cli.EXIT_OK
    assert json.loads(text)["routing_mechanism"] == mechanism


def test_chat_sends_system_max_tokens_and_temperature() -> None:
    with respx.mock() as router:
        router.post(TOKEN_URL).respond(200, json=token_json())
        route = router.post(V2_URL).respond(200, json=completion_json("fine"))
        os.environ["GLOO_CLIENT_ID"], os.environ["GLOO_CLIENT_SECRET"] = CLIENT_ID, CLIENT_SECRET
        try:
            code, text = run(
                "chat",
                "--no-stream",
                "--system",
                "Be brief.",
                "--max-tokens",
                "1024",
                "--temperature",
                "0.2",
                QUESTION,
            )
        finally:
            del os.environ["GLOO_CLIENT_ID"], os.environ["GLOO_CLIENT_SECRET"]
    assert (code, text) == (cli.EXIT_OK, "fine\n")
    body = json.loads(route.calls[0].request.content)
    assert body["messages"][0] == {"role": "system", "content": "Be brief."}
    assert body["max_tokens"] == 1024
    assert body["temperature"] == 0.2
    assert body["auto_routing"] is True


def test_two_routing_flags_are_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        run("chat", "--emulator", "--model", "m", "--model-family", "google", QUESTION)
    assert info.value.code == cli.EXIT_USAGE
    assert "not allowed with argument" in capsys.readouterr().err


def test_no_command_is_a_usage_error() -> None:
    assert run()[0] == cli.EXIT_USAGE


def test_missing_credentials_exit_2_and_name_every_variable_and_the_emulator(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _ = run("chat", QUESTION)
    err = capsys.readouterr().err
    assert code == cli.EXIT_USAGE
    for name in (
        "GLOO_CLIENT_ID",
        "GLOO_CLIENT_SECRET",
        "GLOO_API_KEY",
        "GLOO_AI_CLIENT_ID",
        "GLOO_AI_CLIENT_SECRET",
        "GLOO_AI_API_KEY",
        "--emulator",
    ):
        assert name in err
    assert err.count("\n") == 1  # one line, no traceback
    assert "Traceback" not in err


def test_authentication_failure_exits_3_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GLOO_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("GLOO_CLIENT_SECRET", CLIENT_SECRET)
    with respx.mock() as router:
        router.post(TOKEN_URL).respond(401, json={"error": "invalid_client"})
        code, _ = run("chat", QUESTION)
    err = capsys.readouterr().err
    assert code == cli.EXIT_AUTH
    assert "Traceback" not in err
    assert CLIENT_SECRET not in err


def test_debug_shows_the_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GLOO_API_KEY", "k")
    with respx.mock() as router:
        router.post(V2_URL).respond(401, json={"error": "Invalid or expired token"})
        code, _ = run("chat", "--debug", QUESTION)
    assert code == cli.EXIT_AUTH
    assert "Traceback" in capsys.readouterr().err


def test_other_api_errors_exit_4(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GLOO_API_KEY", "k")
    with respx.mock() as router:
        router.post(V2_URL).respond(400, json={"detail": "bad"})
        code, _ = run("chat", "--no-stream", QUESTION)
    assert code == cli.EXIT_API
    assert "400" in capsys.readouterr().err


def test_connection_errors_exit_4(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GLOO_API_KEY", "k")
    monkeypatch.setattr(cli, "_make_client", _no_retry_client)
    with respx.mock() as router:
        router.post(V2_URL).mock(side_effect=httpx.ConnectError("refused"))
        code, _ = run("chat", QUESTION)
    assert code == cli.EXIT_API
    assert "ConnectError" in capsys.readouterr().err


def test_a_stream_answered_with_an_html_page_exits_4_with_its_start(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # It printed an empty line and exited 0.
    monkeypatch.setenv("GLOO_API_KEY", "k")
    with respx.mock() as router:
        router.post(V2_URL).respond(
            200, headers={"content-type": "text/html"}, text="<html>Bad gateway page</html>"
        )
        code, printed = run("chat", QUESTION)
    assert code == cli.EXIT_API
    assert "Bad gateway page" in capsys.readouterr().err
    assert printed.strip() == ""


def _no_retry_client(args: object) -> object:
    from gloo_ai import AsyncGloo

    return AsyncGloo(max_retries=0)


def test_interrupt_exits_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_chat", interrupted)
    assert run("chat", "--emulator", QUESTION)[0] == cli.EXIT_INTERRUPTED
    assert "Traceback" not in capsys.readouterr().err


def test_token_prints_a_token_and_warns_that_it_is_secret(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, text = run("token", "--emulator")
    assert code == cli.EXIT_OK
    assert text.strip()
    assert "secret" in capsys.readouterr().err


def test_token_works_with_curl_style_use_against_a_real_server() -> None:
    with EmulatorServer() as server:
        env = {
            "GLOO_CLIENT_ID": GlooEmulator.DEFAULT_CLIENT_ID,
            "GLOO_CLIENT_SECRET": GlooEmulator.DEFAULT_CLIENT_SECRET,
        }
        token = _gloo("token", "--base-url", server.url, env=env).stdout.strip()
        answer = httpx.post(
            f"{server.url}/ai/v2/chat/completions",
            headers={"Authorization": f"Bearer {token}"},
            json={"messages": [{"role": "user", "content": "Hi"}], "auto_routing": True},
        )
    assert answer.status_code == 200
    assert answer.json()["object"] == "chat.completion"


def test_models_lists_the_catalog_as_a_table() -> None:
    code, text = run("models", "--emulator")
    assert code == cli.EXIT_OK
    lines = text.splitlines()
    assert lines[0].split() == [
        "ID", "FAMILY", "CONTEXT", "TOOLS", "REASONING", "INPUT", "$/1M", "OUTPUT", "$/1M"
    ]  # fmt: skip
    haiku = next(line for line in lines if line.startswith("gloo-anthropic-claude-haiku-4.5 "))
    assert haiku.split() == ["gloo-anthropic-claude-haiku-4.5", "Anthropic", "200,000", "yes",
                             "no", "1.00", "5.00"]  # fmt: skip
    assert any("gloo-bfl-flux-2-pro (image only)" in line for line in lines)
    # A model that quotes only rate_per_1k_tokens is shown per 1M tokens.
    llama = next(line for line in lines if line.startswith("gloo-meta-llama-3.1-8b-instruct"))
    assert llama.split()[-2:] == ["0.02", "0.05"]


def test_models_filters_and_json() -> None:
    code, text = run("models", "--emulator", "--family", "openai", "--reasoning", "--tools")
    assert code == cli.EXIT_OK
    ids = [line.split()[0] for line in text.splitlines()[1:]]
    assert ids == ["gloo-openai-gpt-5-nano", "gloo-openai-gpt-5-mini", "gloo-openai-gpt-5.2"]
    code, text = run("models", "--emulator", "--json", "--tools")
    assert code == cli.EXIT_OK
    models = json.loads(text)
    assert models
    assert all(m["supports_tools"] is True for m in models)
    assert models[0]["pricing"]["input"]["rate_per_1m_tokens"] == "1.00"  # strings, exact


def test_models_needs_no_credentials_through_the_entry_point() -> None:
    emulator = GlooEmulator()
    with EmulatorServer(emulator) as server:
        result = _gloo("models", "--base-url", server.url, "--json")
    assert len(json.loads(result.stdout)) == len(emulator.models)
    assert all("authorization" not in r.headers for r in emulator.requests)


def test_emulator_command_refuses_a_non_loopback_address(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _ = run("emulator", "--host", "0.0.0.0", "--port", "0")
    assert code == cli.EXIT_USAGE
    assert "--allow-non-loopback" in capsys.readouterr().err


# --- through the entry points --------------------------------------------------------------


def _gloo(
    *argv: str, env: dict[str, str] | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("GLOO")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "gloo_ai", *argv],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=60,
        check=check,
    )


def test_python_dash_m_runs_the_main_job() -> None:
    result = _gloo("chat", "--emulator", QUESTION)
    assert result.returncode == 0
    assert result.stdout.strip()


def test_the_console_script_is_installed_and_runs() -> None:
    script = shutil.which("gloo", path=str(Path(sys.executable).parent))
    assert script is not None, "the gloo console script is not installed beside this Python"
    result = subprocess.run(
        [script, "--version"], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.startswith("gloo-ai ")


def test_missing_credentials_through_the_entry_point_exit_2() -> None:
    result = _gloo("chat", QUESTION, check=False)
    assert result.returncode == 2
    assert "GLOO_CLIENT_ID" in result.stderr
    assert "Traceback" not in result.stderr


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT delivery differs on Windows")
def test_ctrl_c_during_a_stream_exits_130_cleanly() -> None:
    emulator = GlooEmulator()
    emulator.faults.hang("/ai/v2/chat/completions")
    with EmulatorServer(emulator) as server:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("GLOO")},
            "GLOO_API_KEY": GlooEmulator.DEFAULT_API_KEY,
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "gloo_ai", "chat", "--base-url", server.url, QUESTION],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            # A suite launched in the background (nohup, `&`) ignores SIGINT, and a child
            # inherits that; restore the default so Python turns SIGINT into Ctrl-C.
            preexec_fn=_default_sigint,
        )
        try:
            # Wait for the event "the request reached the server", then interrupt.
            deadline = time.monotonic() + 30
            while emulator.counts["/ai/v2/chat/completions"] == 0:
                assert proc.poll() is None, proc.communicate()
                assert time.monotonic() < deadline, "the request never arrived"
                time.sleep(0.02)
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()  # reap it and close its pipes: no ResourceWarning later
    assert proc.returncode == 130
    assert "Traceback" not in err
