"""The peer of scripts/bench-reports: django-helpdesk's own report code ("Queue by Month", the
report by month its Reports page runs) over a SQLite database of tickets created over the
months before now. The Django project is the one scripts/bench_deadlines.py writes; django-
helpdesk comes from PyPI, installed by scripts/bench-reports into a virtualenv.

    python bench_reports.py seed DIR DB --tickets N --months M --queues Q
    python bench_reports.py report DIR DB --months M [--runs R]

`seed` migrates a new database (WAL), adds Q queues (as a partnership has agencies) and N
tickets created evenly over the last M months, in several statuses. `report` times, in-process
and after Django has started, what django-helpdesk's `run_report` view does for "queuemonth"
over the tickets created in the last M months: the ORM query over the tickets with their queue,
counted into the queue-by-month table by helpdesk's own `update_summary_tables`, and the table
and totals by its `get_report_table_and_totals`. It prints one line:
`peer report tickets=T cells=C ms=MEDIAN runs=...`.
"""

import argparse
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_deadlines import start_django  # noqa: E402


def seed(directory: Path, db: str, tickets: int, months: int, queues: int) -> None:
    if Path(db).exists():
        sys.exit(f"{db} exists: seed a new database")
    start_django(directory, db, "NORMAL")
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    with connection.cursor() as c:
        c.execute("PRAGMA journal_mode=WAL")
    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    from helpdesk.models import Queue, Ticket

    staff = [
        get_user_model().objects.create_user(
            f"staff{i}", email=f"staff.{i}@bench.example.org", password=None, is_staff=True
        )
        for i in range(6)
    ]
    qs = [
        Queue.objects.create(
            title=f"Agency {q}", slug=f"agency-{q}", email_address=f"agency.{q}@bench.example.org"
        )
        for q in range(queues)
    ]
    statuses = [
        Ticket.OPEN_STATUS,
        Ticket.RESOLVED_STATUS,
        Ticket.CLOSED_STATUS,
        Ticket.REOPENED_STATUS,
    ]
    now = timezone.now()
    span = timedelta(days=months * 30.44)
    with transaction.atomic():
        Ticket.objects.bulk_create(
            (
                Ticket(
                    title=f"Benchmark ticket {i}",
                    queue=qs[i % queues],
                    submitter_email=f"submitter.{i % 1000}@bench.example.org",
                    assigned_to=staff[i % len(staff)],
                    status=statuses[i % len(statuses)],
                    priority=3,
                    description="Benchmark data.",
                )
                for i in range(tickets)
            ),
            batch_size=2000,
        )
        # `created` is set on insert (auto_now_add): spread them afterwards, oldest first.
        with connection.cursor() as c:
            c.execute("SELECT MIN(id) FROM helpdesk_ticket")
            first = c.fetchone()[0]
            step = span.total_seconds() / max(tickets, 1)
            rows = [
                ((now - span + timedelta(seconds=(i - first) * step)).isoformat(), i)
                for i in range(first, first + tickets)
            ]
            c.executemany("UPDATE helpdesk_ticket SET created = %s, modified = %s WHERE id = %s",
                          [(t, t, i) for t, i in rows])
    print(
        f"peer seeded tickets={Ticket.objects.count()} queues={queues} months={months} "
        f"s={time.perf_counter() - started:.2f}"
    )


def report(directory: Path, db: str, months: int, runs: int) -> None:
    start_django(directory, db, "FULL")
    from collections import defaultdict

    from django.utils import timezone
    from helpdesk.models import Ticket
    from helpdesk.views import staff

    since = timezone.now() - timedelta(days=months * 30.44)
    times = []
    tickets = cells = 0
    for _ in range(runs):
        started = time.perf_counter()
        queryset = Ticket.objects.select_related("queue").filter(created__gte=since)
        summary = defaultdict(int)
        summary2 = defaultdict(int)
        staff.update_summary_tables(queryset, "queuemonth", summary, summary2)
        periods = sorted({month for _, month in summary})
        header = sorted({queue for queue, _ in summary})
        table, totals = staff.get_report_table_and_totals(header, summary, periods)
        times.append((time.perf_counter() - started) * 1000)
        tickets = sum(totals.values())
        cells = len(table) * len(periods)
    print(
        f"peer report tickets={tickets} cells={cells} ms={statistics.median(times):.1f} "
        f"runs={' '.join(f'{t:.1f}' for t in times)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("seed")
    s.add_argument("dir", type=Path)
    s.add_argument("db")
    s.add_argument("--tickets", type=int, required=True)
    s.add_argument("--months", type=int, required=True)
    s.add_argument("--queues", type=int, default=12)
    r = sub.add_parser("report")
    r.add_argument("dir", type=Path)
    r.add_argument("db")
    r.add_argument("--months", type=int, required=True)
    r.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if args.command == "seed":
        seed(args.dir, args.db, args.tickets, args.months, args.queues)
    else:
        report(args.dir, args.db, args.months, args.runs)


if __name__ == "__main__":
    main()
