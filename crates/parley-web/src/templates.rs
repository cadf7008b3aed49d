//! The template environment: the pages under `templates/` baked into the binary, the
//! GOV.UK Frontend macros (govuk-frontend-jinja, which call Python string methods, hence
//! minijinja-contrib's pycompat), and the filters pages use for dates.

use jiff::civil::Date;
use minijinja::{Environment, Error, ErrorKind, Value};

// The generated loader (`load_templates!`) unwraps the templates it baked in at build time.
#[allow(clippy::expect_used)]
pub fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    minijinja_embed::load_templates!(&mut env);
    env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
    env.add_filter("long_date", long_date);
    env.add_filter("short_date", short_date);
    env.add_filter("date_time", date_time);
    env.add_filter("label", label);
    // The hints beside every box the partnership reads (issue 13, item 3).
    env.add_global("partnership_reads_hint", crate::hints::HINT);
    env.add_global("compliment_hint", crate::hints::COMPLIMENT_HINT);
    env
}

fn parse_date(s: &str) -> Result<Date, Error> {
    s.get(..10)
        .unwrap_or(s)
        .parse::<Date>()
        .map_err(|e| Error::new(ErrorKind::InvalidOperation, format!("not a date: {s}: {e}")))
}

/// `2026-11-23` -> `Monday 23 November 2026` (GOV.UK style: no leading zero, full month).
fn long_date(value: &str) -> Result<String, Error> {
    let d = parse_date(value)?;
    Ok(d.strftime("%A %-d %B %Y").to_string())
}

/// `2026-11-23` -> `23 Nov 2026`.
fn short_date(value: &str) -> Result<String, Error> {
    let d = parse_date(value)?;
    Ok(d.strftime("%-d %b %Y").to_string())
}

/// Microseconds since the epoch -> `23 November 2026 at 2:05pm` in UK time.
fn date_time(value: i64) -> Result<String, Error> {
    let ts = jiff::Timestamp::from_microsecond(value)
        .map_err(|e| Error::new(ErrorKind::InvalidOperation, e.to_string()))?;
    let z =
        ts.to_zoned(jiff::tz::TimeZone::get("Europe/London").unwrap_or(jiff::tz::TimeZone::UTC));
    let hour = z.hour() % 12;
    let hour = if hour == 0 { 12 } else { hour };
    let ampm = if z.hour() < 12 { "am" } else { "pm" };
    Ok(format!(
        "{} at {hour}:{:02}{ampm}",
        z.strftime("%-d %B %Y"),
        z.minute()
    ))
}

/// `disagreement-recorded` -> `Disagreement recorded`, for names without a label of their own.
fn label(value: &Value) -> String {
    let s = value.to_string();
    let s = s.replace('-', " ");
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_the_gov_uk_way() {
        assert_eq!(long_date("2026-11-23").unwrap(), "Monday 23 November 2026");
        assert_eq!(short_date("2026-01-05").unwrap(), "5 Jan 2026");
        // 2026-07-01 13:05 UTC is 2:05pm British Summer Time.
        let us = jiff::Timestamp::from_second(1_782_911_100)
            .unwrap()
            .as_microsecond();
        assert_eq!(date_time(us).unwrap(), "1 July 2026 at 2:05pm");
        assert_eq!(
            label(&Value::from("disagreement-recorded")),
            "Disagreement recorded"
        );
    }

    #[test]
    fn every_template_compiles() {
        let env = environment();
        for (name, _) in env.templates() {
            env.get_template(name).unwrap();
        }
    }
}
