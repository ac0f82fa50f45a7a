"""The ``gloo`` command: chat, list the models, print a token, upload files, run the emulator.

Exit codes: 0 success; 2 usage errors and missing credentials; 3 authentication failures;
4 other API or connection errors; 5 an uploaded item FAILED processing; 130 when
interrupted (Ctrl-C). Errors print one line; add
``--debug`` for the traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import traceback
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

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
    "EXIT_USAGE",
    "main",
]

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_API = 4
EXIT_FAILED = 5
EXIT_INTERRUPTED = 130

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
        "4 other API or connection error, 5 an uploaded item failed, 130 interrupted.",
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

    emulator = commands.add_parser(
        "emulator", parents=[common], help="serve the Gloo API emulator over HTTP"
    )
    emulator.add_argument("--port", type=int, default=8000, help="the port (default 8000)")
    emulator.add_argument("--host", default="127.0.0.1", help="the address (default 127.0.0.1)")
    emulator.add_argument(
        "--allow-non-loopback",
        action="store_true",
        help="allow binding to an address other than loopback",
    )
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


async def _chat(args: argparse.Namespace, out: TextIO) -> None:
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
            completion = await client.chat.completions.create(**params)
            if args.json:
                out.write(completion.model_dump_json(exclude_unset=True) + "\n")
                return
            message = completion.choices[0].message if completion.choices else None
            text = (message.content or message.refusal or "") if message else ""
            out.write(text + "\n")
            return
        stream = await client.chat.completions.create(
            **params, stream=True, stream_options={"include_usage": True}
        )
        async with stream:
            async for chunk in stream:
                if args.json:
                    out.write(chunk.model_dump_json(exclude_unset=True) + "\n")
                elif chunk.choices:
                    delta = chunk.choices[0].delta
                    out.write(delta.content or delta.refusal or "")
                out.flush()
        if not args.json:
            out.write("\n")


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


def _serve(args: argparse.Namespace) -> None:
    from .testing import serve

    print(
        f"Serving the Gloo API emulator on http://{args.host}:{args.port} "
        f"(client id {_emulator_default('DEFAULT_CLIENT_ID')!r}, secret "
        f"{_emulator_default('DEFAULT_CLIENT_SECRET')!r}, API key "
        f"{_emulator_default('DEFAULT_API_KEY')!r}). Ctrl-C stops it.",
        file=sys.stderr,
    )
    serve(host=args.host, port=args.port, allow_non_loopback=args.allow_non_loopback)


def _emulator_default(name: str) -> str:
    from .testing import GlooEmulator

    return str(getattr(GlooEmulator, name))


def _fail(code: int, message: str, args: argparse.Namespace, exc: BaseException) -> int:
    if getattr(args, "debug", False):
        traceback.print_exception(exc)
    print(f"gloo: error: {message}", file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None) -> int:
    """Run the ``gloo`` command with ``argv`` (default: ``sys.argv[1:]``); return its exit code."""
    out = out or sys.stdout
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        if args.command == "chat":
            asyncio.run(_chat(args, out))
        elif args.command == "models":
            asyncio.run(_models(args, out))
        elif args.command == "token":
            asyncio.run(_token(args, out))
        elif args.command == "upload":
            from ._cli_upload import upload

            if not asyncio.run(upload(_make_client(args), args, out, sys.stderr)):
                return EXIT_FAILED
        elif args.command == "emulator":
            _serve(args)
    except KeyboardInterrupt:
        out.write("\n")
        out.flush()
        print("gloo: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except ConfigurationError as exc:
        message = str(exc)
        if "credentials" in message.lower():
            message = f"{message} Or add --emulator to use the built-in emulator."
        return _fail(EXIT_USAGE, message, args, exc)
    except InvalidArgumentError as exc:
        return _fail(EXIT_USAGE, str(exc), args, exc)
    except AuthenticationError as exc:
        return _fail(EXIT_AUTH, str(exc), args, exc)
    except GlooError as exc:
        return _fail(EXIT_API, str(exc), args, exc)
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
