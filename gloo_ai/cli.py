"""The ``gloo`` command: chat, list the models, print a token, upload files, run the emulator.

Exit codes: 0 success; 2 usage errors and missing credentials; 3 authentication failures;
4 other API or connection errors; 5 an uploaded item FAILED processing; 6 the emulator
cannot start (port taken, uvicorn missing); 130 when interrupted (Ctrl-C); 141 when the
reader of the output went away (``gloo chat ... | head``), quietly, as SIGPIPE would.
Errors print one line, in the command's words (flags, not Python arguments); add
``--debug`` for the traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import traceback
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from ._cli_emulator import EXIT_UNAVAILABLE, add_emulator_parser, run_emulator
from ._cli_term import Spinner
from ._cli_upload import add_upload_parser
from ._exceptions import AuthenticationError, ConfigurationError, GlooError, InvalidArgumentError
from ._version import __version__

if TYPE_CHECKING:
    from ._client import AsyncGloo

__all__ = [
    "EXIT_API",
    "EXIT_AUTH",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_PIPE",
    "EXIT_UNAVAILABLE",
    "EXIT_USAGE",
    "main",
]

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_API = 4
EXIT_FAILED = 5
EXIT_INTERRUPTED = 130
EXIT_PIPE = 141

# Python names in the SDK's messages, as the flags of ``gloo chat`` spell them.
_FLAG_WORDS = {
    "chat.completions.create": "gloo chat",
    "max_tokens": "--max-tokens",
    "model_family": "--model-family",
    "temperature": "--temperature",
    "tradition": "--tradition",
    "timeout": "--timeout",
    "model": "--model",
    "base_url": "--base-url",
}
_FLAG_PATTERN = re.compile(
    r"(?<![\w.-])(" + "|".join(re.escape(w) for w in _FLAG_WORDS) + r")(?![\w-])"
)

_TRADITIONS = ("evangelical", "catholic", "mainline", "not_faith_specific")


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors exit with `EXIT_USAGE` and one clear line."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _common(*, in_command: bool) -> _Parser:
    """Options that may come before or after the command.

    In a command's own parser they default to "not given", so that an option given before the
    command is not overwritten by the command parser's default.
    """
    common = _Parser(add_help=False)
    defaults: dict[str, Any] = {"default": argparse.SUPPRESS} if in_command else {}
    common.add_argument(
        "--emulator",
        action="store_true",
        help="run against an in-process Gloo API emulator (no credentials, no network)",
        **defaults,
    )
    common.add_argument("--debug", action="store_true", help="show tracebacks", **defaults)
    common.add_argument(
        "--base-url", help="the API's URL (default: GLOO_BASE_URL or Gloo's)", **defaults
    )
    common.add_argument(
        "--allow-http",
        action="store_true",
        help="allow a plain http:// base URL to another machine (credentials in the clear)",
        **defaults,
    )
    common.add_argument("--timeout", type=float, help="seconds to wait for an answer", **defaults)
    return common


def build_parser() -> argparse.ArgumentParser:
    """The ``gloo`` argument parser."""
    common = _common(in_command=True)
    parser = _Parser(
        prog="gloo",
        description="Talk to the Gloo AI API from the command line.",
        epilog="Exit codes: 0 ok, 2 usage or missing credentials, 3 authentication failed, "
        "4 other API or connection error, 5 an uploaded item failed, 6 the emulator cannot "
        "start, 130 interrupted.",
        parents=[_common(in_command=False)],
    )
    parser.add_argument("--version", action="version", version=f"gloo-ai {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    chat = commands.add_parser("chat", parents=[common], help="ask a question (streams the answer)")
    chat.add_argument("question", help="what to ask")
    routing = chat.add_mutually_exclusive_group()
    routing.add_argument(
        "--auto-routing",
        action="store_true",
        help="let Gloo choose the model (the default)",
    )
    routing.add_argument(
        "--model", metavar="ID", help="a Gloo model id, e.g. gloo-openai-gpt-5-mini"
    )
    routing.add_argument(
        "--model-family", metavar="NAME", help="openai, anthropic, google or 'open source'"
    )
    chat.add_argument("--tradition", choices=_TRADITIONS, help="the faith tradition to reflect")
    chat.add_argument("--max-tokens", type=int, metavar="N", help="the longest answer, in tokens")
    chat.add_argument("--temperature", type=float, metavar="T", help="0 to 2")
    chat.add_argument("--system", metavar="TEXT", help="a system message")
    chat.add_argument(
        "--no-stream", dest="stream", action="store_false", help="wait for the whole answer"
    )
    chat.add_argument(
        "--json",
        action="store_true",
        help="print the raw response as JSON (one chunk per line when streaming)",
    )

    models = commands.add_parser(
        "models",
        parents=[common],
        help="list the model catalog (no credentials needed)",
    )
    models.add_argument("--family", metavar="NAME", help="only this family, e.g. OpenAI")
    models.add_argument("--tools", action="store_true", help="only models that can call tools")
    models.add_argument("--reasoning", action="store_true", help="only reasoning models")
    models.add_argument("--json", action="store_true", help="print the models as JSON")

    commands.add_parser(
        "token",
        parents=[common],
        help="print a fresh access token (a secret!) for use with curl",
    )

    add_upload_parser(commands, common)

    add_emulator_parser(commands)
    return parser


def _make_client(args: argparse.Namespace) -> AsyncGloo:
    from ._client import AsyncGloo

    options: dict[str, Any] = {}
    if args.timeout is not None:
        options["timeout"] = args.timeout
    if args.emulator:
        from .testing import GlooEmulator

        return GlooEmulator().client(**options)
    if args.base_url:
        options["base_url"] = args.base_url
    if getattr(args, "allow_http", False):
        options["allow_http"] = True
    return AsyncGloo(**options)


async def _chat(args: argparse.Namespace, out: TextIO, err: TextIO) -> None:
    messages: list[dict[str, str]] = []
    if args.system:
        messages.append({"role": "system", "content": args.system})
    messages.append({"role": "user", "content": args.question})
    params: dict[str, Any] = {"messages": messages}
    for name in ("model", "model_family", "tradition", "max_tokens", "temperature"):
        value = getattr(args, name)
        if value is not None:
            params[name] = value
    async with _make_client(args) as client:
        if not args.stream:
            async with Spinner(err, "waiting for the answer"):
                completion = await client.chat.completions.create(**params)
            if args.json:
                out.write(completion.model_dump_json(exclude_unset=True) + "\n")
                return
            message = completion.choices[0].message if completion.choices else None
            text = (message.content or message.refusal or "") if message else ""
            out.write(text + "\n")
            return
        async with Spinner(err) as spinner:
            stream = await client.chat.completions.create(
                **params, stream=True, stream_options={"include_usage": True}
            )
            async with stream:
                async for chunk in stream:
                    spinner.stop()
                    _write_chunk(chunk, args, out)
        if not args.json:
            out.write("\n")


def _write_chunk(chunk: Any, args: argparse.Namespace, out: TextIO) -> None:
    if args.json:
        out.write(chunk.model_dump_json(exclude_unset=True) + "\n")
    elif chunk.choices:
        delta = chunk.choices[0].delta
        out.write(delta.content or delta.refusal or "")
    out.flush()


async def _models(args: argparse.Namespace, out: TextIO) -> None:
    import json

    async with _make_client(args) as client:
        catalog = await client.models.list()
    chosen = [
        model
        for model in catalog.data
        if (args.family is None or (model.family or "").lower() == args.family.lower())
        and (not args.tools or model.supports_tools is True)
        and (not args.reasoning or model.supports_reasoning is True)
    ]
    if args.json:
        out.write(json.dumps([model.to_dict() for model in chosen], indent=2) + "\n")
        return
    header = ("ID", "FAMILY", "CONTEXT", "TOOLS", "REASONING", "INPUT $/1M", "OUTPUT $/1M")
    rows = [header]
    for model in chosen:
        pricing = model.pricing
        rows.append(
            (
                model.id + (" (image only)" if model.is_image_only else ""),
                model.family or "",
                f"{model.context_window:,}" if model.context_window is not None else "",
                _yes_no(model.supports_tools),
                _yes_no(model.supports_reasoning),
                _price(pricing.input.per_million if pricing and pricing.input else None),
                _price(pricing.output.per_million if pricing and pricing.output else None),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    right = {2, 5, 6}
    for row in rows:
        cells = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        out.write("  ".join(cells).rstrip() + "\n")


def _yes_no(flag: bool | None) -> str:
    return "" if flag is None else "yes" if flag else "no"


def _price(rate: object) -> str:
    return "" if rate is None else f"{rate:f}"


async def _token(args: argparse.Namespace, out: TextIO) -> None:
    async with _make_client(args) as client:
        token = await client._access_token()
    print("gloo: warning: this is a secret bearer token; do not share or log it.", file=sys.stderr)
    out.write(token + "\n")


def _cli_words(message: str, args: argparse.Namespace) -> str:
    """The SDK's ``message`` with Python argument names spelled as ``gloo chat``'s flags."""
    if getattr(args, "command", None) != "chat":
        return message
    return _FLAG_PATTERN.sub(lambda m: _FLAG_WORDS[m.group(1)], message)


def _fail(
    code: int, message: str, args: argparse.Namespace, exc: BaseException, err: TextIO
) -> int:
    if getattr(args, "debug", False):
        traceback.print_exception(exc, file=err)
    print(f"gloo: error: {_cli_words(message, args)}", file=err)
    return code


def _parse(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse ``argv``; an unknown option is reported with its command's usage."""
    args, extra = parser.parse_known_args(argv)
    if extra:
        commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        where = commands.choices.get(args.command) if args.command else None
        (where or parser).error(f"unrecognized arguments: {' '.join(extra)}")
    return args


def _quiet_pipe() -> int:
    """The reader of stdout went away: send the rest to /dev/null and exit as SIGPIPE would."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return EXIT_PIPE


def main(
    argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Run the ``gloo`` command with ``argv`` (default: ``sys.argv[1:]``); return its exit code."""
    out = out or sys.stdout
    err = err or sys.stderr
    parser = build_parser()
    args = _parse(parser, argv)
    if args.command is None:
        parser.print_help(err)
        return EXIT_USAGE
    try:
        if args.command == "chat":
            asyncio.run(_chat(args, out, err))
        elif args.command == "models":
            asyncio.run(_models(args, out))
        elif args.command == "token":
            asyncio.run(_token(args, out))
        elif args.command == "upload":
            from ._cli_upload import upload

            if not asyncio.run(upload(_make_client(args), args, out, err)):
                return EXIT_FAILED
        elif args.command == "emulator":
            run_emulator(args, out, err)
    except BrokenPipeError:
        return _quiet_pipe()
    except KeyboardInterrupt:
        try:
            out.write("\n")
            out.flush()
        except (BrokenPipeError, ValueError):
            return _quiet_pipe()
        print("gloo: interrupted", file=err)
        return EXIT_INTERRUPTED
    except ConfigurationError as exc:
        message = str(exc)
        if args.command == "emulator" and isinstance(exc, (OSError, ImportError)):
            return _fail(EXIT_UNAVAILABLE, message, args, exc, err)
        if "credentials" in message.lower():
            message = f"{message} Or add --emulator to use the built-in emulator."
        return _fail(EXIT_USAGE, message, args, exc, err)
    except InvalidArgumentError as exc:
        return _fail(EXIT_USAGE, str(exc), args, exc, err)
    except AuthenticationError as exc:
        return _fail(EXIT_AUTH, str(exc), args, exc, err)
    except GlooError as exc:
        return _fail(EXIT_API, str(exc), args, exc, err)
    try:
        out.flush()
    except BrokenPipeError:
        return _quiet_pipe()
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
