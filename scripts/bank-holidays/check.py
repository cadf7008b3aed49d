#!/usr/bin/env python3
"""Compare Parley's bank-holiday file with python-holidays (a developer tool, not a test).

For each year checked it compares the weekdays that are bank holidays in
crates/parley-core/data/bank-holidays.json with those the `holidays` package
(https://pypi.org/project/holidays/) gives for the subdivisions ENG and WLS
(england-and-wales), SCT (scotland) and NIR (northern-ireland). python-holidays also
lists a holiday on its weekend date beside its substitute; only weekdays are compared,
because the GOV.UK format lists weekend holidays only by their substitute weekday.

By default the predicted years (events marked "predicted": true) are checked;
--all checks every year in the file, --years 2029-2035 a chosen range.

If `holidays` is not importable, the script makes a virtual environment under /tmp,
installs `holidays` there with pip (once) and runs itself again with that interpreter.
It prints every difference and exits 1 if there is any, 0 if there is none.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_FILE = REPO_ROOT / "crates" / "parley-core" / "data" / "bank-holidays.json"
VENV = Path(os.environ.get("PARLEY_HOLIDAYS_VENV", "/tmp/parley-bank-holidays-venv"))

SUBDIVISIONS = {
    "england-and-wales": ("ENG", "WLS"),
    "scotland": ("SCT",),
    "northern-ireland": ("NIR",),
}


def ensure_holidays() -> None:
    try:
        import holidays  # noqa: F401
        return
    except ImportError:
        pass
    if os.environ.get("PARLEY_HOLIDAYS_REEXEC"):
        raise SystemExit("could not import holidays even from the virtual environment")
    python = VENV / "bin" / "python"
    if not python.exists():
        print(f"making a virtual environment in {VENV}", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    if subprocess.run([str(python), "-c", "import holidays"], capture_output=True).returncode != 0:
        print(f"installing holidays into {VENV} with pip", file=sys.stderr)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "holidays"], check=True)
    sys.stdout.flush()
    sys.stderr.flush()
    env = dict(os.environ, PARLEY_HOLIDAYS_REEXEC="1")
    os.execve(str(python), [str(python), __file__, *sys.argv[1:]], env)


def parse_years(text: str) -> range:
    first, _, last = text.partition("-")
    return range(int(first), int(last or first) + 1)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--file", type=Path, default=DEFAULT_FILE, help="the file to check (default: %(default)s)")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--all", action="store_true", help="check every year the file covers")
    group.add_argument("--years", type=parse_years, help="check these years, e.g. 2029-2035")
    args = p.parse_args()

    ensure_holidays()
    import holidays

    data = json.loads(args.file.read_text(encoding="utf-8"))
    print(f"python-holidays {holidays.__version__}; file {args.file}")

    differences = 0
    for division, subdivisions in SUBDIVISIONS.items():
        events = data[division]["events"]
        if args.years is not None:
            years = sorted(set(args.years))
        elif args.all:
            years = sorted({int(e["date"][:4]) for e in events})
        else:
            years = sorted({int(e["date"][:4]) for e in events if e.get("predicted")})
        if not years:
            print(f"{division}: no years to check")
            continue
        ours = {e["date"]: e["title"] for e in events if int(e["date"][:4]) in years}
        for subdivision in subdivisions:
            theirs = {
                d.isoformat(): name
                for d, name in holidays.UK(subdiv=subdivision, years=years).items()
                if d.weekday() < 5
            }
            diff = sorted(set(ours) ^ set(theirs))
            for date in diff:
                if date in ours:
                    print(f"{division} / {subdivision} {date}: file has {ours[date]!r}; python-holidays has nothing")
                else:
                    print(f"{division} / {subdivision} {date}: python-holidays has {theirs[date]!r}; file has nothing")
            differences += len(diff)
            print(f"{division} / {subdivision} {years[0]}-{years[-1]}: "
                  f"{len(ours)} days in the file, {len(theirs)} from python-holidays, {len(diff)} differences")
    print(f"{differences} differences")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
