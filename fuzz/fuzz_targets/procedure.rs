//! Coverage-guided fuzzing of the procedure reader: any bytes, no panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use parley_core::calendar::BankHolidays;
use parley_core::deadline::{calendar_for, timeline};
use parley_core::procedure;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match procedure::parse(text) {
        Ok(p) => {
            if let Ok(cal) = calendar_for(&p, &BankHolidays::built_in()) {
                for r in &p.routes {
                    let _ = timeline(&p, &cal, jiff::civil::date(2026, 12, 23), r.kind);
                }
            }
            let _ = parley_core::describe::summary(&p);
        }
        Err(e) => {
            let _ = e.render("fuzz.toml", text);
        }
    }
});
