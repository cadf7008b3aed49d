"""Runs numpy.busday_offset on the inputs Parley's calendar benchmark used and prints the
throughput ratio. Called by scripts/bench-calendar; arguments: the dump file written by the
benchmark (DATE OFFSET PARLEY_RESULT per line), the bank-holidays JSON, and criterion's
estimates.json for the Parley run."""

import json
import sys
import time

import numpy as np


def main() -> None:
    dump, holidays_path, estimates_path = sys.argv[1:4]
    dates, offsets, parley = [], [], []
    with open(dump, encoding="utf-8") as f:
        for line in f:
            d, n, r = line.split()
            dates.append(d)
            offsets.append(int(n))
            parley.append(r)
    dates = np.array(dates, dtype="datetime64[D]")
    offsets = np.array(offsets, dtype=np.int64)
    parley = np.array(parley, dtype="datetime64[D]")

    with open(holidays_path, encoding="utf-8") as f:
        data = json.load(f)
    holidays = np.array(
        [e["date"] for e in data["england-and-wales"]["events"]], dtype="datetime64[D]"
    )
    # A busdaycalendar is numpy's fastest path: the weekmask and holidays are prepared once,
    # as Parley's calendar is built once.
    cal = np.busdaycalendar(weekmask="1111100", holidays=holidays)

    # roll="backward" then +N is "the N-th working day after the date, the date itself never
    # counting" (DESIGN.md section 5), whether or not the start is a working day.
    result = np.busday_offset(dates, offsets, roll="backward", busdaycal=cal)
    mismatches = int(np.count_nonzero(result != parley))

    runs = []
    for _ in range(7):
        t0 = time.perf_counter()
        np.busday_offset(dates, offsets, roll="backward", busdaycal=cal)
        runs.append(time.perf_counter() - t0)
    numpy_s = min(runs)

    with open(estimates_path, encoding="utf-8") as f:
        parley_s = json.load(f)["mean"]["point_estimate"] / 1e9

    n = len(dates)
    print(f"inputs:            {n:,} (date, offset) pairs; answers differing: {mismatches}")
    print(f"numpy.busday_offset: {numpy_s * 1e3:8.2f} ms  {n / numpy_s / 1e6:8.1f} M additions/s (best of 7)")
    print(f"parley calendar:     {parley_s * 1e3:8.2f} ms  {n / parley_s / 1e6:8.1f} M additions/s (criterion mean)")
    print(f"ratio: parley is {numpy_s / parley_s:.1f}x numpy's throughput (target: at least 10x)")
    if mismatches:
        sys.exit("numpy and Parley disagree on some dates")


if __name__ == "__main__":
    main()
