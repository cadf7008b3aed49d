//! Dates in words and HTML escaping, for the e-mails.

use jiff::civil::{Date, Weekday};

/// "Monday 7 December", with the year when it is not `today`'s: "Monday 4 January 2027".
pub fn date_in_words(date: Date, today: Date) -> String {
    let day = match date.weekday() {
        Weekday::Monday => "Monday",
        Weekday::Tuesday => "Tuesday",
        Weekday::Wednesday => "Wednesday",
        Weekday::Thursday => "Thursday",
        Weekday::Friday => "Friday",
        Weekday::Saturday => "Saturday",
        Weekday::Sunday => "Sunday",
    };
    use parley_core::calendar::MONTH_NAMES as MONTHS;
    let month = MONTHS[usize::from(date.month().unsigned_abs()) - 1];
    if date.year() == today.year() {
        format!("{day} {} {month}", date.day())
    } else {
        format!("{day} {} {month} {}", date.day(), date.year())
    }
}

/// Text made safe to put between HTML tags or in a quoted attribute.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn dates_read_as_words() {
        let today = date(2026, 12, 4);
        assert_eq!(date_in_words(date(2026, 12, 7), today), "Monday 7 December");
        assert_eq!(
            date_in_words(date(2027, 1, 4), today),
            "Monday 4 January 2027"
        );
        assert_eq!(
            date_in_words(date(2025, 12, 31), today),
            "Wednesday 31 December 2025"
        );
        assert_eq!(date_in_words(date(2026, 2, 1), today), "Sunday 1 February");
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape_html(r#"<b>"Tom & Jerry's"</b>"#),
            "&lt;b&gt;&quot;Tom &amp; Jerry&#39;s&quot;&lt;/b&gt;"
        );
    }
}
