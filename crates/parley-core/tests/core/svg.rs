//! The SVG flow diagram: well-formed XML for every seed (checked by the small reader below,
//! so the tests need no XML library), accessible, styled only by presentation attributes in
//! the allowed colours, and naming every stage. The snapshots are in `seeds.rs`.

use parley_core::describe;
use parley_core::procedure::{self, Procedure};
use parley_core::seeds;

/// One element of a document, in document order.
#[derive(Debug)]
pub(crate) struct Element {
    pub(crate) name: String,
    pub(crate) attrs: Vec<(String, String)>,
    /// The character data directly inside the element, entities resolved.
    pub(crate) text: String,
    pub(crate) parent: Option<usize>,
}

impl Element {
    pub(crate) fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A well-formed XML document with one root element and nothing else: no prolog, doctype,
/// comment, processing instruction or CDATA (the renderer writes none).
#[derive(Debug)]
pub(crate) struct Document {
    pub(crate) elements: Vec<Element>,
}

impl Document {
    pub(crate) fn parse(s: &str) -> Result<Document, String> {
        if let Some(c) = s.chars().find(|&c| !is_xml_char(c)) {
            return Err(format!(
                "character U+{:04X} is not allowed in XML",
                c as u32
            ));
        }
        let mut elements: Vec<Element> = Vec::new();
        let mut open: Vec<usize> = Vec::new();
        let mut rest = s;
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix("</") {
                let end = after.find('>').ok_or("unclosed end tag")?;
                let name = after[..end].trim_end();
                let top = open
                    .pop()
                    .ok_or_else(|| format!("</{name}> closes nothing"))?;
                if elements[top].name != name {
                    return Err(format!("<{}> closed by </{name}>", elements[top].name));
                }
                rest = &after[end + 1..];
            } else if rest.starts_with("<!") || rest.starts_with("<?") {
                return Err(format!("unexpected markup at {:?}", head(rest)));
            } else if let Some(after) = rest.strip_prefix('<') {
                if elements.len() == 1 && open.is_empty() {
                    return Err("a second root element".to_owned());
                }
                let (name, mut after) = name(after).ok_or("element without a name")?;
                let mut attrs: Vec<(String, String)> = Vec::new();
                let empty = loop {
                    let trimmed = after.trim_start();
                    if let Some(r) = trimmed.strip_prefix("/>") {
                        after = r;
                        break true;
                    }
                    if let Some(r) = trimmed.strip_prefix('>') {
                        after = r;
                        break false;
                    }
                    if trimmed.len() == after.len() {
                        return Err(format!(
                            "<{name}>: expected a space before {:?}",
                            head(after)
                        ));
                    }
                    let (attr, r) = self::name(trimmed)
                        .ok_or_else(|| format!("<{name}>: bad attribute at {:?}", head(trimmed)))?;
                    let r = r
                        .trim_start()
                        .strip_prefix('=')
                        .ok_or_else(|| format!("<{name}>: {attr} without a value"))?
                        .trim_start();
                    let quote = r
                        .chars()
                        .next()
                        .filter(|&c| c == '"' || c == '\'')
                        .ok_or_else(|| format!("<{name}>: {attr} value not quoted"))?;
                    let r = &r[1..];
                    let end = r
                        .find(quote)
                        .ok_or_else(|| format!("<{name}>: {attr} value not closed"))?;
                    let raw = &r[..end];
                    if raw.contains('<') {
                        return Err(format!("<{name}>: {attr} value holds '<'"));
                    }
                    if attrs.iter().any(|(n, _)| n == attr) {
                        return Err(format!("<{name}>: {attr} given twice"));
                    }
                    attrs.push((attr.to_owned(), unescape(raw)?));
                    after = &r[end + 1..];
                };
                elements.push(Element {
                    name: name.to_owned(),
                    attrs,
                    text: String::new(),
                    parent: open.last().copied(),
                });
                if !empty {
                    open.push(elements.len() - 1);
                }
                rest = after;
            } else {
                let end = rest.find('<').unwrap_or(rest.len());
                let raw = &rest[..end];
                let text = unescape(raw)?;
                match open.last() {
                    Some(&i) => elements[i].text.push_str(&text),
                    None if raw.trim().is_empty() => {}
                    None => return Err(format!("text outside the root: {:?}", head(raw))),
                }
                rest = &rest[end..];
            }
        }
        if let Some(&i) = open.last() {
            return Err(format!("<{}> never closed", elements[i].name));
        }
        if elements.is_empty() {
            return Err("no root element".to_owned());
        }
        Ok(Document { elements })
    }

    pub(crate) fn root(&self) -> &Element {
        &self.elements[0]
    }

    pub(crate) fn named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.elements.iter().filter(move |e| e.name == name)
    }

    pub(crate) fn by_id(&self, id: &str) -> Option<&Element> {
        self.elements.iter().find(|e| e.attr("id") == Some(id))
    }
}

fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}')
        || c >= '\u{10000}'
}

/// A name at the start of `s`, and what follows it.
fn name(s: &str) -> Option<(&str, &str)> {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.')))
        .unwrap_or(s.len());
    let ok = end > 0 && s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
    ok.then(|| s.split_at(end))
}

/// Resolves the five predefined entities and character references; any other `&` is an error.
fn unescape(raw: &str) -> Result<String, String> {
    if raw.contains('>') {
        return Err(format!("unescaped '>' in {:?}", head(raw)));
    }
    let mut out = String::new();
    let mut parts = raw.split('&');
    out.push_str(parts.next().unwrap_or(""));
    for part in parts {
        let end = part
            .find(';')
            .ok_or_else(|| format!("bare '&' before {:?}", head(part)))?;
        let (entity, tail) = (&part[..end], &part[end + 1..]);
        let c = match entity {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let code = if let Some(hex) = entity.strip_prefix("#x") {
                    u32::from_str_radix(hex, 16).ok()
                } else if let Some(dec) = entity.strip_prefix('#') {
                    dec.parse().ok()
                } else {
                    None
                };
                code.and_then(char::from_u32)
                    .filter(|&c| is_xml_char(c))
                    .ok_or_else(|| format!("unknown entity &{entity};"))?
            }
        };
        out.push(c);
        out.push_str(tail);
    }
    Ok(out)
}

fn head(s: &str) -> &str {
    let mut end = s.len().min(30);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

fn words(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn int(e: &Element, attr: &str) -> i64 {
    e.attr(attr)
        .unwrap_or_else(|| panic!("<{}> has no {attr}", e.name))
        .parse()
        .unwrap_or_else(|_| panic!("<{}> {attr} is not a whole number", e.name))
}

/// Checks everything the web page relies on, and returns the parsed document.
#[track_caller]
fn check_svg(p: &Procedure, svg: &str) -> Document {
    let id = p.id.as_str();
    assert!(
        svg.starts_with("<svg "),
        "{id}: no prolog, the <svg> comes first"
    );
    let doc = Document::parse(svg).unwrap_or_else(|e| panic!("{id}: not well-formed: {e}"));
    let root = doc.root();
    assert_eq!(root.name, "svg");
    assert_eq!(root.attr("xmlns"), Some("http://www.w3.org/2000/svg"));
    assert_eq!(root.attr("role"), Some("img"));
    assert_eq!(root.attr("font-family"), Some("Arial, sans-serif"));

    // Size: the viewBox is the width and height, worked out from the content.
    let (w, h) = (int(root, "width"), int(root, "height"));
    assert!(w > 100 && h > 100, "{id}: {w}x{h}");
    assert_eq!(root.attr("viewBox"), Some(format!("0 0 {w} {h}").as_str()));

    // Name and description.
    let title_id = root.attr("aria-labelledby").expect("aria-labelledby");
    let title = doc.by_id(title_id).expect("the labelling element");
    assert_eq!(title.name, "title");
    assert_eq!(title.parent, Some(0));
    assert!(title.text.contains(&p.name), "{id}: title {:?}", title.text);
    let desc_id = root.attr("aria-describedby").expect("aria-describedby");
    let desc = doc.by_id(desc_id).expect("the describing element");
    assert_eq!(desc.name, "desc");
    assert_eq!(desc.parent, Some(0));
    assert_eq!(doc.named("title").count(), 1);
    assert_eq!(doc.named("desc").count(), 1);

    // Nothing the Content-Security-Policy forbids, nothing that fetches or runs anything.
    for e in &doc.elements {
        assert!(
            !matches!(
                e.name.as_str(),
                "style" | "script" | "foreignObject" | "image" | "a" | "use"
            ),
            "{id}: <{}>",
            e.name
        );
        for (attr, value) in &e.attrs {
            assert!(
                attr != "style" && !attr.starts_with("on") && !attr.contains("href"),
                "{id}: <{} {attr}>",
                e.name
            );
            if attr == "fill" || attr == "stroke" {
                assert!(
                    ["#0b0c0c", "#ffffff", "#1d70b8", "#f3f2f1", "none"].contains(&value.as_str()),
                    "{id}: <{} {attr}=\"{value}\"> is not one of the checked colours",
                    e.name
                );
            }
        }
    }

    // Text: near-black, inside the picture, and every stage's title in it.
    let texts: Vec<&Element> = doc.named("text").collect();
    for t in &texts {
        assert_eq!(t.attr("fill"), Some("#0b0c0c"), "{id}: {:?}", t.text);
        let (x, y, size) = (int(t, "x"), int(t, "y"), int(t, "font-size"));
        assert!(size >= 12, "{id}: {size}px text");
        // A lower bound on the width: half an em a character.
        let least = t.text.chars().count() as i64 * size / 2;
        assert!(
            x >= 0 && x + least <= w && y - size >= 0 && y <= h,
            "{id}: {:?} at ({x}, {y}) outside {w}x{h}",
            t.text
        );
    }
    for r in doc.named("rect") {
        let (x, y) = (
            r.attr("x").map_or(0, |_| int(r, "x")),
            r.attr("y").map_or(0, |_| int(r, "y")),
        );
        assert!(x >= 0 && y >= 0 && x + int(r, "width") <= w && y + int(r, "height") <= h);
    }
    // A "Stage 2: Title" label is drawn as two lines, so colons are left out of the match.
    let visible = texts
        .iter()
        .map(|t| t.text.as_str())
        .collect::<Vec<_>>()
        .join(" ")
        .replace(':', "");
    let described = words(&desc.text);
    for s in &p.stages {
        let title = words(&s.title);
        assert!(
            visible.contains(&title.replace(':', "")),
            "{id}: {title:?} not drawn:\n{visible}"
        );
        assert!(
            described.contains(&title),
            "{id}: {title:?} not in the description"
        );
    }
    for r in &p.routes {
        assert!(visible.contains(r.kind.label()), "{id}: route {}", r.kind);
    }
    doc
}

#[test]
fn every_seed_draws_a_well_formed_accessible_svg() {
    for id in seeds::ids() {
        let p = seeds::get(id).unwrap().unwrap();
        let svg = describe::svg(&p);
        let doc = check_svg(&p, &svg);
        // One blue entry point a route, a box a stage.
        let blue = doc
            .named("rect")
            .filter(|r| r.attr("stroke") == Some("#1d70b8"))
            .count();
        assert_eq!(blue, p.routes.len(), "{id}");
        let stages = doc
            .named("rect")
            .filter(|r| r.attr("fill") == Some("#ffffff") && r.attr("stroke") == Some("#0b0c0c"))
            .count();
        assert_eq!(stages, p.stages.len(), "{id}");
        assert_eq!(
            doc.root().attr("aria-labelledby"),
            Some(format!("parley-flow-{id}-title").as_str())
        );
    }
}

#[test]
fn the_three_routes_of_dorset_enter_at_their_own_stages() {
    let p = seeds::get("dorset").unwrap().unwrap();
    let doc = Document::parse(&describe::svg(&p)).unwrap();
    let desc = words(&doc.named("desc").next().unwrap().text);
    for (route, stage) in [
        ("About a child", 1),
        ("Thematic (several children or a service)", 3),
        ("Strategic", 4),
    ] {
        assert!(
            desc.contains(&format!("Raised: {route}. Next: Stage {stage}.")),
            "{route}:\n{desc}"
        );
    }
}

/// Text from a procedure file is escaped wherever it lands, characters XML cannot hold are
/// dropped, and a word too long to wrap widens the boxes instead of running out of them.
#[test]
fn text_is_escaped_and_never_clipped() {
    let source = seeds::source("croydon").unwrap();
    let long = "Pneumonoultramicroscopicsilicovolcanoconiosis-and-then-some-more";
    let text = source
        .replacen(
            "title = \"Discussion between front line workers\"",
            r#"title = "Tom & Jerry's <script>alert(\"x\")</script> ]]> \u0007bell""#,
            1,
        )
        .replacen(
            "title = \"Escalation to the Safeguarding Partners Executive\"",
            &format!("title = \"{long}\""),
            1,
        );
    let p = procedure::parse(&text).unwrap_or_else(|e| panic!("{}", e.render("x.toml", &text)));
    assert!(
        p.stages[0].title.contains('\u{7}'),
        "{:?}",
        p.stages[0].title
    );
    let svg = describe::svg(&p);
    assert!(!svg.contains('\u{7}'));
    assert!(svg.contains(
        "Tom &amp; Jerry&apos;s &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; ]]&gt;"
    ));
    let doc = Document::parse(&svg).unwrap();
    assert_eq!(doc.named("script").count(), 0);
    let desc = &doc.named("desc").next().unwrap().text;
    assert!(
        desc.contains(r#"Tom & Jerry's <script>alert("x")</script> ]]> bell"#),
        "{desc}"
    );

    // The long word: on a line of its own, inside its box and the picture.
    let line = doc
        .named("text")
        .find(|t| t.text == long)
        .expect("the long title");
    let stage = doc
        .named("rect")
        .find(|r| r.attr("fill") == Some("#ffffff") && r.attr("stroke") == Some("#0b0c0c"))
        .unwrap();
    // Arial bold averages well over half an em a character in this word.
    let least = long.len() as i64 * int(line, "font-size") / 2;
    assert!(int(line, "x") + least <= int(stage, "x") + int(stage, "width"));
    assert!(int(stage, "x") + int(stage, "width") <= int(doc.root(), "width"));
}

#[test]
fn the_checker_refuses_what_is_not_well_formed() {
    for bad in [
        "<?xml version=\"1.0\"?><svg/>",
        "<svg><g></svg>",
        "<svg></g>",
        "<svg a=\"1\" a=\"2\"/>",
        "<svg a=1/>",
        "<svg>Tom & Jerry</svg>",
        "<svg>a < b</svg>",
        "<svg>a > b</svg>",
        "<svg a=\"<\"/>",
        "<svg/><svg/>",
        "<svg>&nbsp;</svg>",
        "<svg>\u{7}</svg>",
        "<svg><!-- c --></svg>",
        "<svg>",
        "text<svg/>",
    ] {
        assert!(Document::parse(bad).is_err(), "accepted {bad:?}");
    }
    let doc = Document::parse("<svg a='&lt;&#38;&#x3E;'><t>x &amp; y</t><e/></svg>\n").unwrap();
    assert_eq!(doc.root().attr("a"), Some("<&>"));
    assert_eq!(doc.elements[1].text, "x & y");
    assert_eq!(doc.elements[2].parent, Some(0));
}
