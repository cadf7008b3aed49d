use super::*;

#[test]
fn xml_escape_escapes_markup_and_drops_what_xml_cannot_hold() {
    assert_eq!(
        xml_escape("a & b < c > d \"e\" 'f'"),
        "a &amp; b &lt; c &gt; d &quot;e&quot; &apos;f&apos;"
    );
    assert_eq!(
        xml_escape("x\u{0}\u{7}\u{1f}\u{fffe}\u{ffff}y\tz\n"),
        "xy\tz\n"
    );
    assert_eq!(xml_escape("é — 😀"), "é — 😀");
}

#[test]
fn wrap_lines_breaks_at_spaces_and_keeps_long_words_whole() {
    assert_eq!(wrap_lines("", 10), Vec::<String>::new());
    assert_eq!(wrap_lines("one two three", 7), ["one two", "three"]);
    assert_eq!(wrap_lines("  one   two  ", 20), ["one two"]);
    assert_eq!(
        wrap_lines("a verylongwordindeed b", 5),
        ["a", "verylongwordindeed", "b"]
    );
    // Counted in characters, not bytes.
    assert_eq!(wrap_lines("éé éé", 5), ["éé éé"]);
}

#[test]
fn text_width_follows_arial() {
    // "Il" is narrow, "MW" wide; anything outside ASCII counts a full em.
    assert!(text_width("Il", 10, false) < text_width("MW", 10, false));
    assert_eq!(text_width("", 16, true), 0);
    assert_eq!(text_width("m", 10, false), 10); // 833 * 10 * 1.1 / 1000, rounded up
    assert_eq!(text_width("\u{4e00}", 10, false), 11);
    assert!(text_width("Stage", 14, true) > text_width("Stage", 14, false));
}

#[test]
fn numbers_are_whole_or_one_decimal() {
    assert_eq!(number(12.0), "12");
    assert_eq!(number(-3.04), "-3");
    assert_eq!(number(7.25), "7.3");
}
