"""A local SMTP server for Parley's tests: every accepted message is written to a Maildir.

Run through scripts/smtp-sink, which makes the virtualenv holding aiosmtpd. The server:

- listens on --host/--port (port 0: a free port) and prints one line
  `smtp-sink listening on HOST:PORT` on standard output once it accepts connections;
- answers RCPT with 550 for each --reject ADDRESS and 451 for each --defer ADDRESS (a
  permanent and a temporary refusal), and 250 for anyone else;
- writes each message it accepts to --maildir DIR (new/), with one `Delivered-To:` line per
  accepted recipient in front, as a mail server delivering it would;
- offers AUTH (PLAIN, LOGIN) without TLS only when --auth-log FILE is given, and then writes
  one line per attempt (`AUTH <mechanism> <username>`): a client that is willing to send a
  password in clear shows up there. It never offers STARTTLS;
- with --delay-ms N, waits N milliseconds before answering each DATA, as a slow relay does
  (a test that must catch a sender in the middle of a batch uses it).

It stops on SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import mailbox
import logging
import signal
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

# aiosmtpd 1.4 logs a warning about its own use of a deprecated attribute when AUTH is on.
logging.getLogger("mail.log").addFilter(
    lambda record: "login_data is deprecated" not in record.getMessage()
)


class Sink:
    """The aiosmtpd handler: refuses some recipients, stores the rest."""

    def __init__(self, maildir: str, reject: set[str], defer: set[str], delay_ms: int) -> None:
        self.maildir = mailbox.Maildir(maildir, create=True)
        self.reject = reject
        self.defer = defer
        self.delay = delay_ms / 1000

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        key = address.lower()
        if key in self.reject:
            return f"550 5.1.1 <{address}>: mailbox unavailable"
        if key in self.defer:
            return f"451 4.3.0 <{address}>: try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8")
        head = "".join(f"Delivered-To: {rcpt}\r\n" for rcpt in envelope.rcpt_tos)
        self.maildir.add(head.encode("utf-8") + content)
        return "250 2.0.0 Message accepted for delivery"


class AuthLog:
    """An authenticator that writes down every attempt and accepts it."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __call__(self, server, session, envelope, mechanism, auth_data):
        user = auth_data.login.decode("utf-8", "replace") if isinstance(auth_data, LoginPassword) else "?"
        with open(self.path, "a", encoding="utf-8") as log:
            log.write(f"AUTH {mechanism} {user}\n")
        return AuthResult(success=True)


async def serve(args: argparse.Namespace) -> None:
    handler = Sink(
        args.maildir,
        {a.lower() for a in args.reject},
        {a.lower() for a in args.defer},
        args.delay_ms,
    )
    options = {"hostname": "smtp-sink.invalid", "enable_SMTPUTF8": True}
    if args.auth_log:
        open(args.auth_log, "a", encoding="utf-8").close()
        options.update(authenticator=AuthLog(args.auth_log), auth_require_tls=False)

    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, **options), host=args.host, port=args.port
    )
    host, port = server.sockets[0].getsockname()[:2]
    print(f"smtp-sink listening on {host}:{port}", flush=True)

    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description="A Maildir SMTP sink for tests.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 (the default): a free port")
    parser.add_argument("--maildir", required=True, help="where accepted messages are written")
    parser.add_argument("--reject", action="append", default=[], metavar="ADDRESS",
                        help="answer 550 to RCPT for this address (repeatable)")
    parser.add_argument("--defer", action="append", default=[], metavar="ADDRESS",
                        help="answer 451 to RCPT for this address (repeatable)")
    parser.add_argument("--delay-ms", type=int, default=0, metavar="N",
                        help="wait N milliseconds before answering each DATA")
    parser.add_argument("--auth-log", metavar="FILE",
                        help="offer AUTH without TLS and log each attempt to FILE")
    args = parser.parse_args()
    try:
        asyncio.run(serve(args))
    except OSError as e:
        print(f"smtp-sink: cannot listen on {args.host}:{args.port}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
