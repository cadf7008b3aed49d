#!/usr/bin/env python3
"""Regenerate Parley's shipped bank-holiday file.

The file is crates/parley-core/data/bank-holidays.json, in the format of
https://www.gov.uk/bank-holidays.json. It holds two kinds of year:

* published years (--first-year to --published-through; now 2015 to 2028): the events
  GOV.UK publishes, copied unchanged from the input file;
* predicted years (--predict-from to --predict-to; now 2029 to 2035): computed here from
  the usual statutory rules, each event marked "predicted": true.

--published-through defaults to the last year that has published (not predicted) events in
the input or in --update-from, so a plain run keeps whatever has been published so far.

With no arguments the script reads the published years from the committed file itself
and writes the file back; on an unchanged tree the output is identical byte for byte.
`--check` only compares and exits 1 if the file is not what the script would write.

To take in a newer GOV.UK download (for example once GOV.UK publishes 2029):

    python3 scripts/bank-holidays/generate.py --update-from ~/Downloads/bank-holidays.json

Every year the downloaded file lists replaces that year (the same rule as
`parley calendar import`); earlier published years are kept.

Standard library only (Python 3.11).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_FILE = REPO_ROOT / "crates" / "parley-core" / "data" / "bank-holidays.json"

DIVISIONS = ("england-and-wales", "scotland", "northern-ireland")

FIRST_YEAR = 2015
PREDICT_TO = 2035

SUBSTITUTE = "Substitute day"

# Titles as GOV.UK writes them, with typographic apostrophes (U+2019).
NEW_YEAR = "New Year\u2019s Day"
SECOND_JANUARY = "2nd January"
GOOD_FRIDAY = "Good Friday"
EASTER_MONDAY = "Easter Monday"
EARLY_MAY = "Early May bank holiday"
SPRING = "Spring bank holiday"
SUMMER = "Summer bank holiday"
ST_ANDREW = "St Andrew\u2019s Day"
ST_PATRICK = "St Patrick\u2019s Day"
BOYNE = "Battle of the Boyne (Orangemen\u2019s Day)"
CHRISTMAS = "Christmas Day"
BOXING = "Boxing Day"

# GOV.UK shows bunting on every bank holiday except these.
NO_BUNTING = {GOOD_FRIDAY, BOYNE}

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


# --------------------------------------------------------------------------- the rules


def easter_sunday(year: int) -> dt.date:
    """Easter Sunday in the Gregorian calendar (the anonymous Gregorian computus,
    also known as the Meeus/Jones/Butcher algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l) // 451
    month, day = divmod(h + l - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def first_monday(year: int, month: int) -> dt.date:
    d = dt.date(year, month, 1)
    return d + dt.timedelta(days=(MON - d.weekday()) % 7)


def last_monday(year: int, month: int) -> dt.date:
    if month == 12:
        d = dt.date(year, 12, 31)
    else:
        d = dt.date(year, month + 1, 1) - dt.timedelta(days=1)
    return d - dt.timedelta(days=(d.weekday() - MON) % 7)


def next_monday(d: dt.date) -> dt.date:
    return d + dt.timedelta(days=(MON - d.weekday()) % 7 or 7)


def single_day(title: str, d: dt.date) -> list[tuple[str, dt.date, str]]:
    """A fixed-date holiday that moves to the following Monday when it falls at the weekend
    (New Year's Day outside Scotland, St Patrick's Day, the Battle of the Boyne, St Andrew's Day)."""
    if d.weekday() < SAT:
        return [(title, d, "")]
    return [(title, next_monday(d), SUBSTITUTE)]


def christmas(year: int) -> list[tuple[str, dt.date, str]]:
    """Christmas Day and Boxing Day, with GOV.UK's substitute days.

    Christmas on a Friday: Boxing Day moves to Monday 28th. On a Saturday: Christmas Day moves
    to Monday 27th and Boxing Day to Tuesday 28th. On a Sunday: Boxing Day stays on Monday 26th
    and Christmas Day moves to Tuesday 27th (as GOV.UK listed 2016 and 2022).
    """
    c, b = dt.date(year, 12, 25), dt.date(year, 12, 26)
    wd = c.weekday()
    if wd <= THU:
        return [(CHRISTMAS, c, ""), (BOXING, b, "")]
    if wd == FRI:
        return [(CHRISTMAS, c, ""), (BOXING, dt.date(year, 12, 28), SUBSTITUTE)]
    if wd == SAT:
        return [
            (CHRISTMAS, dt.date(year, 12, 27), SUBSTITUTE),
            (BOXING, dt.date(year, 12, 28), SUBSTITUTE),
        ]
    return [(BOXING, b, ""), (CHRISTMAS, dt.date(year, 12, 27), SUBSTITUTE)]


def scottish_new_year(year: int) -> list[tuple[str, dt.date, str]]:
    """New Year's Day and 2nd January in Scotland, with GOV.UK's substitute days.

    1 January on a Friday: 2nd January moves to Monday 4th. On a Saturday: Monday 3rd and
    Tuesday 4th. On a Sunday: Monday 2nd and Tuesday 3rd, labelled as GOV.UK labelled 2023
    (New Year's Day substitute on the Monday, 2nd January substitute on the Tuesday).
    """
    n, s = dt.date(year, 1, 1), dt.date(year, 1, 2)
    wd = n.weekday()
    if wd <= THU:
        return [(NEW_YEAR, n, ""), (SECOND_JANUARY, s, "")]
    if wd == FRI:
        return [(NEW_YEAR, n, ""), (SECOND_JANUARY, dt.date(year, 1, 4), SUBSTITUTE)]
    if wd == SAT:
        return [
            (NEW_YEAR, dt.date(year, 1, 3), SUBSTITUTE),
            (SECOND_JANUARY, dt.date(year, 1, 4), SUBSTITUTE),
        ]
    return [
        (NEW_YEAR, dt.date(year, 1, 2), SUBSTITUTE),
        (SECOND_JANUARY, dt.date(year, 1, 3), SUBSTITUTE),
    ]


def rule_events(division: str, year: int) -> list[dict]:
    """The bank holidays of one division and year by the usual rules (no one-off days)."""
    easter = easter_sunday(year)
    days: list[tuple[str, dt.date, str]] = []
    if division == "scotland":
        days += scottish_new_year(year)
    else:
        days += single_day(NEW_YEAR, dt.date(year, 1, 1))
    if division == "northern-ireland":
        days += single_day(ST_PATRICK, dt.date(year, 3, 17))
    days.append((GOOD_FRIDAY, easter - dt.timedelta(days=2), ""))
    if division != "scotland":
        days.append((EASTER_MONDAY, easter + dt.timedelta(days=1), ""))
    days.append((EARLY_MAY, first_monday(year, 5), ""))
    days.append((SPRING, last_monday(year, 5), ""))
    if division == "northern-ireland":
        days += single_day(BOYNE, dt.date(year, 7, 12))
    if division == "scotland":
        days.append((SUMMER, first_monday(year, 8), ""))
        days += single_day(ST_ANDREW, dt.date(year, 11, 30))
    else:
        days.append((SUMMER, last_monday(year, 8), ""))
    days += christmas(year)

    days.sort(key=lambda t: t[1])
    dates = [d for _, d, _ in days]
    if len(set(dates)) != len(dates):
        raise SystemExit(f"rules give two holidays on one day: {division} {year}: {dates}")
    return [
        {"title": title, "date": d.isoformat(), "notes": notes, "bunting": title not in NO_BUNTING}
        for title, d, notes in days
    ]


# --------------------------------------------------------------------------- the file


def load(path: Path) -> dict:
    with path.open(encoding="utf-8") as f:
        data = json.load(f)
    for division in DIVISIONS:
        if division not in data or data[division].get("division") != division:
            raise SystemExit(f"{path}: no \"{division}\" division in the GOV.UK format")
    return data


def published_event(event: dict) -> dict:
    """An event as GOV.UK publishes it: these four keys in this order, nothing else."""
    return {
        "title": event["title"],
        "date": event["date"],
        "notes": event.get("notes", ""),
        "bunting": bool(event.get("bunting", True)),
    }


def year_of(event: dict) -> int:
    return int(event["date"][:4])


def build(
    base: dict,
    update: dict | None,
    first_year: int,
    published_through: int,
    predict_from: int,
    predict_to: int,
) -> dict:
    out = {}
    for division in DIVISIONS:
        by_year: dict[int, list[dict]] = {}
        for event in base[division]["events"]:
            y = year_of(event)
            if event.get("predicted") or not first_year <= y <= published_through:
                continue
            by_year.setdefault(y, []).append(published_event(event))
        if update is not None:
            new: dict[int, list[dict]] = {}
            for event in update[division]["events"]:
                y = year_of(event)
                if event.get("predicted") or not first_year <= y <= published_through:
                    continue
                new.setdefault(y, []).append(published_event(event))
            by_year.update(new)  # each year the newer file lists replaces that year
        for y in range(first_year, published_through + 1):
            if y not in by_year:
                raise SystemExit(f"{division}: no published events for {y}")
        for y in range(predict_from, predict_to + 1):
            by_year[y] = [dict(e, predicted=True) for e in rule_events(division, y)]
        events = sorted((e for evs in by_year.values() for e in evs), key=lambda e: e["date"])
        validate(division, events)
        out[division] = {"division": division, "events": events}
    return out


def validate(division: str, events: list[dict]) -> None:
    seen = set()
    for e in events:
        d = dt.date.fromisoformat(e["date"])
        if d.weekday() >= SAT:
            raise SystemExit(f"{division}: {e['date']} ({e['title']}) falls at the weekend")
        if e["date"] in seen:
            raise SystemExit(f"{division}: {e['date']} is listed twice")
        if e["notes"] not in ("", SUBSTITUTE, "Extra bank holiday"):
            raise SystemExit(f"{division}: {e['date']} has unexpected notes {e['notes']!r}")
        seen.add(e["date"])


def render(data: dict) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def compare_with_rules(data: dict, first_year: int, last_year: int) -> int:
    """Print where the published years differ from what the rules alone would give."""
    count = 0
    for division in DIVISIONS:
        for y in range(first_year, last_year + 1):
            published = {
                e["date"]: published_event(e)
                for e in data[division]["events"]
                if year_of(e) == y and not e.get("predicted")
            }
            ruled = {e["date"]: e for e in rule_events(division, y)}
            for d in sorted(set(published) | set(ruled)):
                p, r = published.get(d), ruled.get(d)
                if p == r:
                    continue
                count += 1
                if p is None:
                    print(f"{division} {d}: rules give {r['title']!r}; GOV.UK has no holiday")
                elif r is None:
                    print(f"{division} {d}: GOV.UK has {p['title']!r}; rules give no holiday")
                else:
                    print(f"{division} {d}: GOV.UK {p}; rules {r}")
    return count


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--file", type=Path, default=DEFAULT_FILE, help="the file to write (default: %(default)s)")
    p.add_argument("--input", type=Path, help="where to read the published years (default: --file)")
    p.add_argument("--update-from", type=Path, help="a newer GOV.UK download; each year it lists replaces that year")
    p.add_argument("--first-year", type=int, default=FIRST_YEAR, help="first published year kept (default: %(default)s)")
    p.add_argument("--published-through", type=int, help="last published year (default: the last year with published events in the input or --update-from)")
    p.add_argument("--predict-from", type=int, help="first predicted year (default: --published-through + 1)")
    p.add_argument("--predict-to", type=int, default=PREDICT_TO, help="last predicted year (default: %(default)s)")
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 if the file differs from the output")
    p.add_argument("--stdout", action="store_true", help="print the output instead of writing the file")
    p.add_argument("--compare-rules", action="store_true", help="also print where published years differ from the rules")
    args = p.parse_args(argv)

    base = load(args.input or args.file)
    update = load(args.update_from) if args.update_from else None
    if args.published_through is None:
        args.published_through = max(
            year_of(e)
            for source in (base, update)
            if source is not None
            for division in DIVISIONS
            for e in source[division]["events"]
            if not e.get("predicted")
        )
    predict_from = args.predict_from if args.predict_from is not None else args.published_through + 1
    if predict_from <= args.published_through:
        p.error("--predict-from must come after --published-through")
    data = build(base, update, args.first_year, args.published_through, predict_from, args.predict_to)
    text = render(data)

    if args.compare_rules:
        n = compare_with_rules(data, args.first_year, args.published_through)
        print(f"{n} published events differ from the rules", file=sys.stderr)

    if args.stdout:
        sys.stdout.write(text)
        return 0
    current = args.file.read_bytes() if args.file.exists() else b""
    if args.check:
        if current == text.encode("utf-8"):
            print(f"{args.file}: up to date")
            return 0
        print(f"{args.file}: differs from what generate.py writes", file=sys.stderr)
        return 1
    args.file.parent.mkdir(parents=True, exist_ok=True)
    with args.file.open("w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    counts = ", ".join(f"{d} {len(data[d]['events'])}" for d in DIVISIONS)
    print(f"wrote {args.file} ({args.first_year}-{args.published_through} published, "
          f"{predict_from}-{args.predict_to} predicted; events: {counts})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
