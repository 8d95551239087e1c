"""The two baselines bench/inbound.py compares `main.py serve` with, each run as its own process.

    .venv/bin/python bench/echo_bots.py aiohttp --port 8081
    .venv/bin/python bench/echo_bots.py ptb --port 8082 --api http://127.0.0.1:9000 \\
        --token 123:ABC --secret s3cret [--concurrent-updates 1]

`aiohttp` is the floor of any aiohttp webhook: one POST route answering constant empty
TwiML, without reading the form, checking the signature or touching a database.

`ptb` is what a volunteer would write first with python-telegram-bot: an `Application`
with one `MessageHandler(filters.TEXT, echo)` behind PTB's own webhook server (tornado,
from `pip install -e ".[bench]"`), sending each echo to the Bot API at `--api` (the fake).
PTB's default processes updates one at a time; `--concurrent-updates N` lets it overlap N.
Both stop cleanly on SIGTERM.
"""

from __future__ import annotations

import argparse
import logging

from aiohttp import web

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
PTB_PATH = "webhook"


def run_bare_aiohttp(host: str, port: int) -> None:
    """Serve POST on any path with constant TwiML: the cost of aiohttp itself, nothing more."""

    async def twiml(request: web.Request) -> web.Response:
        return web.Response(text=EMPTY_TWIML, content_type="text/xml")

    app = web.Application()
    app.router.add_post("/{path:.*}", twiml)
    web.run_app(app, host=host, port=port, print=None, access_log=None)


def run_ptb_echo(
    host: str, port: int, api: str, token: str, secret: str, concurrent_updates: int
) -> None:
    """A plain PTB echo bot on its own webhook server, registered with the (fake) Bot API.

    Imported here so that the bare aiohttp baseline does not pay for loading PTB.
    """
    from telegram import Update
    from telegram.ext import Application, ContextTypes, MessageHandler, filters

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.message is not None and update.message.text is not None:
            await update.message.reply_text(update.message.text)

    application = (
        Application.builder()
        .token(token)
        .base_url(f"{api.rstrip('/')}/bot")
        .concurrent_updates(concurrent_updates)
        .build()
    )
    application.add_handler(MessageHandler(filters.TEXT, echo))
    application.run_webhook(
        listen=host,
        port=port,
        url_path=PTB_PATH,
        secret_token=secret,
        webhook_url=f"http://{host}:{port}/{PTB_PATH}",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=("aiohttp", "ptb"))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--api", help="Bot API base URL (ptb)")
    parser.add_argument("--token", help="bot token (ptb)")
    parser.add_argument("--secret", help="webhook secret token (ptb)")
    parser.add_argument("--concurrent-updates", type=int, default=1, help="ptb: updates at once")
    args = parser.parse_args()
    # Warnings only: PTB and aiohttp log nothing per message by default (the bot logs two lines).
    logging.basicConfig(level=logging.WARNING)
    if args.kind == "aiohttp":
        run_bare_aiohttp(args.host, args.port)
    else:
        if not (args.api and args.token and args.secret):
            parser.error("ptb needs --api, --token and --secret")
        run_ptb_echo(
            args.host, args.port, args.api, args.token, args.secret, args.concurrent_updates
        )


if __name__ == "__main__":
    main()
