//! 1,000,000 working-day additions on random dates and offsets.
//!
//! `scripts/bench-calendar` runs this beside `numpy.busday_offset` on the same inputs and
//! prints the ratio. When `PARLEY_BENCH_DUMP` names a file, the inputs and Parley's answers are
//! written there first (one `DATE OFFSET RESULT` line each) so the script can feed numpy the
//! same inputs and check that both give the same dates.

#![allow(clippy::unwrap_used, missing_docs)]

use std::hint::black_box;
use std::io::Write as _;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use jiff::civil::Date;
use parley_core::calendar::{BankHolidays, Calendar, Region, WorkingDays};

const N: usize = 1_000_000;

/// SplitMix64: a small, well-known generator, so the inputs are the same on every run.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// Random start dates from 2015-01-01 over 18 years, offsets of 1 to 250 working days, so
/// that every answer stays inside the calendar.
fn inputs() -> Vec<(Date, WorkingDays)> {
    let mut rng = SplitMix(0x5EED_2026);
    let first = Date::new(2015, 1, 1).unwrap();
    (0..N)
        .map(|_| {
            let day = (rng.next() % (18 * 365)) as i64;
            let offset = (rng.next() % 250 + 1) as i64;
            (
                first.checked_add(jiff::Span::new().days(day)).unwrap(),
                WorkingDays::new(offset).unwrap(),
            )
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let calendar = Calendar::new(Region::EnglandAndWales, &BankHolidays::built_in(), &[]).unwrap();
    let inputs = inputs();
    if let Some(path) = std::env::var_os("PARLEY_BENCH_DUMP") {
        let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
        for (date, n) in &inputs {
            let due = calendar.add_working_days(*date, *n).unwrap();
            writeln!(out, "{date} {n} {due}").unwrap();
        }
        out.flush().unwrap();
    }
    let mut group = c.benchmark_group("calendar");
    group.throughput(Throughput::Elements(N as u64));
    group.sample_size(20);
    group.bench_function("add_working_days_1m", |b| {
        b.iter(|| {
            let mut checksum = 0i64;
            for (date, n) in &inputs {
                let due = calendar
                    .add_working_days(black_box(*date), black_box(*n))
                    .unwrap();
                checksum += i64::from(due.day());
            }
            black_box(checksum)
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
