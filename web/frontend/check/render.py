"""Render side of web/frontend/check-render.mjs. Uses minijinja's Python
binding, which is the same engine as the Rust crate.

    render.py TEMPLATES_DIR CHECK_DIR FIXTURES_DIR REPORT_FILE

Prints JSON with the rendered sample page and a summary of the fixture run to
stdout. The details of the fixture run go to REPORT_FILE.

1. Renders check/sample.html, which extends the app's layout.html, using a
   loader rooted at crates/parley-web/templates (plus check/ for the sample).
2. Renders every fixture in govuk-frontend's components/*/fixtures.json (the
   upstream test cases, with the HTML that GOV.UK Frontend's own Nunjucks
   templates produce) through the vendored Jinja macros. Then it compares the
   two after normalising whitespace, attribute order and class order. The Jinja
   port targets GOV.UK Frontend 6.3.0 and the npm package is 6.6.0, so a few
   differences are expected. The report lists them.

pycompat stays on (the Python binding's default). The GOV.UK macros call
dict.items(), dict.get() and str.format(), so the Rust crate must register
minijinja_contrib::pycompat::unknown_method_callback (feature "pycompat").
Every filter and test that the macros use is in minijinja's core.
"""

import json
import pathlib
import sys
from html.parser import HTMLParser

import minijinja

templates_dir, check_dir, fixtures_dir, report_file = map(pathlib.Path, sys.argv[1:5])
roots = [templates_dir.resolve(), check_dir.resolve()]


def load(name):
    for root in roots:
        p = (root / name).resolve()
        if root in p.parents and p.is_file():
            return p.read_text(encoding="utf-8")
    return None


env = minijinja.Environment(loader=load)
env.pycompat = True

page = env.render_template(
    "sample.html",
    page_title="Tell us about the disagreement",
    has_errors=True,
    phase="Beta",
    footer_links=[
        {"href": "/accessibility", "text": "Accessibility statement"},
        {"href": "/privacy", "text": "Privacy"},
    ],
)


def literal(v):
    """A JSON value as a template literal. Passing the options through the
    template (not as Python objects) gives minijinja maps and lists, as the
    Rust crate would have from serde."""
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(k)}: {literal(x)}" for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(literal(x) for x in v) + "]"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if v is None:
        return "none"
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    return repr(v)


class Canonical(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out = []

    def handle_starttag(self, tag, attrs):
        norm = []
        for k, v in attrs:
            v = "" if v is None or v == k else " ".join(v.split())
            if k == "class":
                v = " ".join(sorted(v.split()))
            norm.append((k, v))
        self.out.append(("<", tag, tuple(sorted(norm))))

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        self.out.append((">", tag))

    def handle_data(self, data):
        text = " ".join(data.split())
        if not text:
            return
        if self.out and self.out[-1][0] == "t":
            self.out[-1] = ("t", self.out[-1][1] + " " + text)
        else:
            self.out.append(("t", text))


def canonical(html):
    c = Canonical()
    c.feed(html)
    c.close()
    return c.out


def macro_name(component):
    return "govuk" + "".join(part.capitalize() for part in component.split("-"))


summary = {"fixtures": 0, "same": 0, "different": [], "errors": [], "no_macro": []}
lines = []
for fixtures in sorted(fixtures_dir.glob("*/fixtures.json")):
    component = fixtures.parent.name
    macro = templates_dir / "govuk" / "components" / component / "macro.html"
    if not macro.is_file():
        summary["no_macro"].append(component)
        continue
    name = macro_name(component)
    for fx in json.loads(fixtures.read_text(encoding="utf-8"))["fixtures"]:
        summary["fixtures"] += 1
        label = f"{component}: {fx['name']}"
        src = (
            f'{{% from "govuk/components/{component}/macro.html" import {name} %}}'
            f"{{{{ {name}({literal(fx['options'])}) }}}}"
        )
        # A named .html template, so that HTML auto-escaping is on, as it is
        # for Parley's templates. (render_str() does not auto-escape, and a
        # macro escapes according to the template that calls it.)
        env.add_template("fixture.html", src)
        try:
            html = env.render_template("fixture.html")
        except Exception as e:  # noqa: BLE001 - report every failure
            first = str(e).splitlines()[0]
            summary["errors"].append(f"{label}: {first}")
            lines.append(f"ERROR {label}: {first}")
            continue
        if canonical(html) == canonical(fx["html"]):
            summary["same"] += 1
        else:
            summary["different"].append(label)
            lines.append(f"DIFFERENT {label}\n  expected: {' '.join(fx['html'].split())}\n  rendered: {' '.join(html.split())}")

report_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
print(json.dumps({"page": page, "fixtures": summary}))
