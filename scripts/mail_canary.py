"""The canary sweep over the e-mails of a `parley demo` run (issue 15): no e-mail may hold a
child's details.

Run by scripts/browser-test after the browser journeys, while the demo server still runs:

    python3 scripts/mail_canary.py --db DATA/demo/parley-demo.db --mail DATA/demo-mail

First it waits (at most --wait seconds) until the server has sent everything the journeys
queued: every outbox row resolved into deliveries and no delivery waiting to be sent (daily
summaries aside, which wait for the next day). The demo's sender writes each e-mail as a .eml
file, whatever the time of day (`parley demo` turns mail hours off for its .eml folder).

Then it reads every .eml file, decodes every header and every text part, and looks for the
children's markers, case-insensitively, in them and in the raw headers:
- MARKER- : every demo child's name and identifier (parley-store's demo.rs, MARKER_PREFIX),
  and the child of web/e2e/journey.mjs;
- the surnames and the date of birth the browser journeys give their children (web/e2e).
It fails naming the file and the marker, and fails too if it read no e-mail at all.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import pathlib
import re
import sqlite3
import sys
import time

MARKERS = [
    "MARKER-",
    # web/e2e/journey.mjs (its child's name, the one raised without JavaScript, the date of birth)
    "Journeytest",
    "Nojs",
    "2016-03-14",
    "14 March 2016",
    # web/e2e/journey-<procedure>.mjs
    "Solihulltest",
    "Croydontest",
    "Dorsettest",
    "Sunderlandtest",
    "Buckstest",
]


def outstanding(db: pathlib.Path) -> tuple[int, int]:
    """Outbox rows not yet resolved, and deliveries waiting to be sent."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        outbox = con.execute("SELECT count(*) FROM outbox WHERE sent_at_us IS NULL").fetchone()[0]
        pending = con.execute("SELECT count(*) FROM deliveries WHERE mail = 'pending'").fetchone()[0]
    finally:
        con.close()
    return outbox, pending


# A MIME boundary: 40 random letters and digits the mail library picks, never content. In
# mixed case they spell a four-letter marker such as "nojs", case-insensitively, by chance
# (about once in two thousand e-mails), so they are left out of the search.
BOUNDARY = re.compile(r'boundary\s*=\s*("[^"]*"|[^;\s]+)', re.IGNORECASE)


def searchable_bytes(raw: bytes) -> str:
    """The raw message's headers, every decoded header and every decoded text part, MIME
    boundaries left out. The body is searched decoded only: the letters of a base64 body (a
    text with a curly quote in it is sent so) spell a marker such as "nojs" by chance, some
    times in a thousand e-mails."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    head = raw.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0]
    parts = [BOUNDARY.sub("boundary=(left out)", head.decode("utf-8", "replace"))]
    parts += [BOUNDARY.sub("boundary=(left out)", f"{k}: {v}") for k, v in message.items()]
    for part in message.walk():
        if part.get_content_maintype() == "text":
            parts.append(part.get_content())
    return "\n".join(parts)


def searchable(path: pathlib.Path) -> str:
    return searchable_bytes(path.read_bytes())


def self_test() -> int:
    """The sweep still finds a marker in a header and in a body, and not in a boundary."""
    def message(subject: str, body: str, boundary: str) -> bytes:
        return (
            f"From: a@example.org\r\nSubject: {subject}\r\nMIME-Version: 1.0\r\n"
            f'Content-Type: multipart/alternative;\r\n boundary="{boundary}"\r\n\r\n'
            f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
            f"--{boundary}--\r\n"
        ).encode()

    def hit(raw: bytes) -> bool:
        return "nojs" in searchable_bytes(raw).lower()

    checks = [
        (hit(message("Noor Nojs", "text", "AbCdEfGh")), True, "a marker in the subject"),
        (hit(message("Stage 1", "Noor Nojs", "AbCdEfGh")), True, "a marker in the body"),
        (hit(message("Stage 1", "text", "FWVVUPdoUuNoJsQ8TPWM")), False, "letters of a boundary"),
    ]
    wrong = [what for got, want, what in checks if got != want]
    for what in wrong:
        print(f"mail canary: self-test FAILED: {what}", file=sys.stderr)
    return 1 if wrong else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=pathlib.Path)
    parser.add_argument("--mail", type=pathlib.Path)
    parser.add_argument("--self-test", action="store_true", help="check the search, then stop")
    parser.add_argument("--wait", type=float, default=120.0)
    args = parser.parse_args()
    if args.self_test:
        return self_test()
    if args.db is None or args.mail is None:
        parser.error("--db and --mail are needed")

    deadline = time.monotonic() + args.wait
    while True:
        left = outstanding(args.db)
        if left == (0, 0):
            break
        if time.monotonic() > deadline:
            print(
                f"mail canary: FAILED: after {args.wait:.0f} s the demo still had {left[0]} "
                f"notifications unresolved and {left[1]} e-mails unsent",
                file=sys.stderr,
            )
            return 1
        time.sleep(0.5)

    files = sorted(args.mail.glob("*.eml"))
    if not files:
        print(
            f"mail canary: FAILED: no e-mail in {args.mail}: the demo's sender wrote none, "
            "so the sweep would prove nothing",
            file=sys.stderr,
        )
        return 1
    found = []
    for f in files:
        text = searchable(f).lower()
        found += [(f, m) for m in MARKERS if m.lower() in text]
    if found:
        for f, m in found[:20]:
            print(f"mail canary: FAILED: {f} holds the child marker {m!r}", file=sys.stderr)
        print(
            f"mail canary: FAILED: {len(found)} child markers in the e-mails of {args.mail}",
            file=sys.stderr,
        )
        return 1
    print(
        f"mail canary: {len(files)} e-mails in {args.mail} searched for {len(MARKERS)} child "
        "markers: none found",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
