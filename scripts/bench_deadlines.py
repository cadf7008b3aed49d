"""The peer of scripts/bench-deadlines: django-helpdesk's `escalate_tickets` management command
over a SQLite database of open tickets, some of them due for escalation. The script writes a
minimal Django project (settings and manage.py) into the directory it is given; django-helpdesk
itself comes from PyPI, installed by scripts/bench-deadlines into a virtualenv.

    python bench_deadlines.py project DIR
    python bench_deadlines.py seed DIR DB --tickets N --due M
    python bench_deadlines.py escalate DIR DB --synchronous FULL|NORMAL

`seed` migrates a new database (journal_mode=WAL, which the file keeps), then adds one queue
that escalates after 7 days (as Croydon's stages last 7 working days), N open tickets each
assigned to a staff user and with a submitter's address (so each escalation e-mails two
people, as each Parley deadline notice reaches two named officers), M of them created 30 days
ago and the rest 2 hours ago. `escalate` runs the command in-process on a connection with the
given `synchronous` setting, times the command alone (not Django's start-up), checks what it
wrote and prints one line: `peer escalated=E followups=F ms=T journal_mode=... synchronous=...`.
E-mail goes to Django's dummy backend: rendered, not sent (Parley's pass only queues its
notices, durably, for the sender).
"""

import argparse
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

SETTINGS = '''"""Settings for the django-helpdesk peer of scripts/bench-deadlines (generated)."""
import os

SECRET_KEY = "bench-deadlines-not-secret"
DEBUG = False
USE_TZ = True
TIME_ZONE = "Europe/London"
ALLOWED_HOSTS = ["localhost"]
SITE_ID = 1
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "rest_framework",
    "helpdesk",
]
MIDDLEWARE = []
ROOT_URLCONF = "bench_urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": []},
    }
]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ["BENCH_PEER_DB"],
        # The same durability as Parley's SQLite store: WAL (kept by the file) and the
        # synchronous level the benchmark asks for (Parley: FULL).
        "OPTIONS": {
            "init_command": "PRAGMA synchronous=" + os.environ.get("BENCH_PEER_SYNCHRONOUS", "FULL") + ";",
        },
    }
}
# Teams need the optional pinax-teams app; escalation does not use them.
HELPDESK_TEAMS_MODE_ENABLED = False
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
DEFAULT_FROM_EMAIL = "helpdesk@bench.example.org"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
STATIC_URL = "/static/"
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
'''

URLS = '''from django.urls import include, path

urlpatterns = [path("helpdesk/", include("helpdesk.urls", namespace="helpdesk"))]
'''

MANAGE = '''#!/usr/bin/env python
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench_settings")
from django.core.management import execute_from_command_line

execute_from_command_line(sys.argv)
'''

# As in Croydon's procedure, where each stage lasts at most 7 working days.
ESCALATE_DAYS = 7
STAFF = 6


def write_project(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "bench_settings.py").write_text(SETTINGS, encoding="utf-8")
    (directory / "bench_urls.py").write_text(URLS, encoding="utf-8")
    (directory / "manage.py").write_text(MANAGE, encoding="utf-8")


def start_django(directory: Path, db: str, synchronous: str) -> None:
    write_project(directory)
    sys.path.insert(0, str(directory))
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench_settings"
    os.environ["BENCH_PEER_DB"] = db
    os.environ["BENCH_PEER_SYNCHRONOUS"] = synchronous
    import django

    django.setup()


def pragmas() -> tuple[str, int]:
    from django.db import connection

    with connection.cursor() as c:
        c.execute("PRAGMA journal_mode")
        journal = c.fetchone()[0]
        c.execute("PRAGMA synchronous")
        synchronous = c.fetchone()[0]
    return journal, synchronous


def seed(directory: Path, db: str, tickets: int, due: int) -> None:
    if os.path.exists(db):
        sys.exit(f"{db} exists: seed a new database")
    # Seeding is not what is measured: NORMAL here, the measured run sets its own level.
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

    users = [
        get_user_model().objects.create_user(
            f"staff{i}", email=f"staff.{i}@bench.example.org", password=None, is_staff=True
        )
        for i in range(STAFF)
    ]
    queue = Queue.objects.create(
        title="Escalations",
        slug="escalations",
        email_address="queue@bench.example.org",
        escalate_days=ESCALATE_DAYS,
    )
    now = timezone.now()
    with transaction.atomic():
        batch = [
            Ticket(
                title=f"Benchmark ticket {i}",
                queue=queue,
                submitter_email=f"submitter.{i % 1000}@bench.example.org",
                assigned_to=users[i % STAFF],
                status=Ticket.OPEN_STATUS,
                priority=3,
                description="Benchmark data.",
            )
            for i in range(tickets)
        ]
        Ticket.objects.bulk_create(batch, batch_size=2000)
        # `created` is set on insert (auto_now_add): date them afterwards.
        ids = list(Ticket.objects.order_by("id").values_list("id", flat=True))
        Ticket.objects.filter(id__in=ids[:due]).update(created=now - timedelta(days=30))
        Ticket.objects.filter(id__gt=ids[due - 1] if due else 0).update(
            created=now - timedelta(hours=2)
        )
    journal, _ = pragmas()
    print(
        f"peer seeded tickets={Ticket.objects.count()} due={due} journal_mode={journal} "
        f"s={time.perf_counter() - started:.2f}"
    )


def escalate(directory: Path, db: str, synchronous: str) -> None:
    start_django(directory, db, synchronous)
    from django.core.management import call_command
    from helpdesk.models import FollowUp, Ticket

    journal, level = pragmas()
    before = FollowUp.objects.count()
    started = time.perf_counter()
    call_command("escalate_tickets")
    ms = (time.perf_counter() - started) * 1000
    followups = FollowUp.objects.count() - before
    escalated = Ticket.objects.filter(priority=2).count()
    print(
        f"peer escalated={escalated} followups={followups} ms={ms:.1f} "
        f"journal_mode={journal} synchronous={level}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("project")
    p.add_argument("dir", type=Path)
    s = sub.add_parser("seed")
    s.add_argument("dir", type=Path)
    s.add_argument("db")
    s.add_argument("--tickets", type=int, required=True)
    s.add_argument("--due", type=int, required=True)
    e = sub.add_parser("escalate")
    e.add_argument("dir", type=Path)
    e.add_argument("db")
    e.add_argument("--synchronous", choices=["FULL", "NORMAL"], default="FULL")
    args = parser.parse_args()
    if args.command == "project":
        write_project(args.dir)
    elif args.command == "seed":
        seed(args.dir, args.db, args.tickets, args.due)
    else:
        escalate(args.dir, args.db, args.synchronous)


if __name__ == "__main__":
    main()
