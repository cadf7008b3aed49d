// Renders a sample page with Parley's layout and vendored GOV.UK macros,
// through minijinja (its Python binding: the same engine as the Rust crate),
// serves it with the committed static/ files under a strict
// Content-Security-Policy, opens it in Debian's chromium
// through playwright-core, takes screenshots and runs axe-core (WCAG 2.0, 2.1
// and 2.2, levels A and AA), with JavaScript on and off.
//
//   scripts/frontend check        (sets up chromium and the Python venv)
//   PARLEY_PYTHON=/path/to/python-with-minijinja node web/frontend/check-render.mjs
//
// It also renders all of govuk-frontend's own fixtures through the vendored
// macros and compares the HTML with upstream's (check/render.py); that part
// only reports. Exits non-zero on any axe violation, failed request, console
// error or broken expectation on the sample page. Screenshots and the fixture
// report go to $PARLEY_SCREENSHOT_DIR (default /tmp). Never downloads a
// browser: it uses /usr/bin/chromium.
import { spawn, spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "../..");
const templates = path.join(repo, "crates/parley-web/templates");
const staticDir = path.join(repo, "crates/parley-web/static");
const python = process.env.PARLEY_PYTHON || "python3";
const shots = process.env.PARLEY_SCREENSHOT_DIR || "/tmp";
const axeTags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

const problems = [];
const problem = (msg) => {
  problems.push(msg);
  console.error(`FAIL ${msg}`);
};

// 1. Render with minijinja (check/render.py): the sample page, and every
// upstream govuk-frontend fixture through the vendored macros.
const fixturesReport = path.join(shots, "parley-fixtures.txt");
const rendered = spawnSync(
  python,
  [
    path.join(here, "check/render.py"),
    templates,
    path.join(here, "check"),
    path.join(here, "node_modules/govuk-frontend/dist/govuk/components"),
    fixturesReport,
  ],
  { encoding: "utf-8", maxBuffer: 64 * 1024 * 1024 },
);
if (rendered.status !== 0) {
  console.error(rendered.stderr);
  console.error(`could not render with ${python} (is minijinja installed? see scripts/frontend check)`);
  process.exit(1);
}
const { page: html, fixtures } = JSON.parse(rendered.stdout);
console.log(`minijinja: rendered the sample page (${html.length} bytes)`);
console.log(
  `minijinja: ${fixtures.fixtures} govuk-frontend 6.6.0 fixtures through the Jinja macros: ` +
    `${fixtures.same} same HTML, ${fixtures.different.length} different, ${fixtures.errors.length} errors; ` +
    `no Jinja macro for: ${fixtures.no_macro.join(", ") || "-"} (details in ${fixturesReport})`,
);
if (/<script(?![^>]*\bsrc=)[^>]*>/i.test(html)) problem("the page has an inline <script>");
if (/<style[\s>]|\sstyle=/i.test(html)) problem("the page has inline style");

// 2. Serve a temp dir that mirrors the URL space: /index.html and /static/.
const root = mkdtempSync(path.join(tmpdir(), "parley-check-"));
writeFileSync(path.join(root, "index.html"), html);
symlinkSync(staticDir, path.join(root, "static"));
const server = spawn("python3", ["-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", root], {
  stdio: ["ignore", "pipe", "pipe"],
});
// Never leave the server behind, however this script ends.
process.on("exit", () => {
  server.kill();
  rmSync(root, { recursive: true, force: true });
});
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP", "SIGPIPE"]) {
  process.on(signal, () => process.exit(1));
}
const port = await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error("http.server did not start")), 10000);
  server.stdout.on("data", (d) => {
    const m = /port (\d+)/.exec(String(d));
    if (m) {
      clearTimeout(timer);
      resolve(Number(m[1]));
    }
  });
  server.on("exit", (code) => reject(new Error(`http.server exited with ${code}`)));
});
const url = `http://127.0.0.1:${port}/index.html`;

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
  ],
});
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf-8");

// The page is served with a strict Content-Security-Policy, like Parley's:
// any inline script or style would be blocked and show up as a console error.
const csp =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; " +
  "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

// "JS off" serves an empty init.js instead of turning JavaScript off in the
// browser: axe needs JavaScript, and a context with javaScriptEnabled: false
// hung this script. The page is then what a browser without JavaScript or ES
// modules shows: no js-enabled classes, no initAll().
async function check(label, { javaScriptEnabled, width, screenshot }) {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  context.setDefaultTimeout(30000);
  await context.route("**/index.html", async (route) => {
    const response = await route.fetch();
    await route.fulfill({ response, headers: { ...response.headers(), "content-security-policy": csp } });
  });
  if (!javaScriptEnabled) {
    await context.route("**/static/init.js", (route) =>
      route.fulfill({ status: 200, contentType: "text/javascript", body: "" }),
    );
  }
  const page = await context.newPage();
  page.on("console", (m) => {
    if (m.type() === "error" && !m.location().url.endsWith("/favicon.ico")) {
      problem(`${label}: console error: ${m.text()} (${m.location().url})`);
    }
  });
  page.on("pageerror", (e) => problem(`${label}: page error: ${e.message}`));
  page.on("requestfailed", (r) => problem(`${label}: request failed: ${r.url()}`));
  page.on("response", (r) => {
    // Chromium asks for /favicon.ico by itself; Parley has none yet.
    if (r.status() >= 400 && !r.url().endsWith("/favicon.ico")) {
      problem(`${label}: HTTP ${r.status()} for ${r.url()}`);
    }
  });
  await page.goto(url, { waitUntil: "networkidle" });

  const facts = await page.evaluate(() => ({
    bodyClass: document.body.className,
    h1Font: getComputedStyle(document.querySelector("h1")).fontFamily,
    focused: document.activeElement && document.activeElement.className,
    headerText: document.querySelector(".govuk-generic-header")?.textContent.trim(),
    fontFaces: [...document.styleSheets].flatMap((s) => [...s.cssRules]).filter((r) => r instanceof CSSFontFaceRule).length,
    title: document.title,
    scrollWidth: document.documentElement.scrollWidth,
  }));
  // WCAG 1.4.10 Reflow: no sideways scrolling of the page at 320 CSS px.
  if (facts.scrollWidth > width) problem(`${label}: the page is ${facts.scrollWidth}px wide in a ${width}px viewport`);
  if (!/^arial/i.test(facts.h1Font)) problem(`${label}: heading font is ${facts.h1Font}, not Arial`);
  if (facts.fontFaces !== 0) problem(`${label}: ${facts.fontFaces} @font-face rules`);
  if (facts.headerText !== "Parley") problem(`${label}: header says "${facts.headerText}"`);
  if (javaScriptEnabled) {
    if (!facts.bodyClass.includes("govuk-frontend-supported")) problem(`${label}: init.js did not run (body class "${facts.bodyClass}")`);
    // GOV.UK's ErrorSummary component moves focus to the summary on load.
    if (!String(facts.focused).includes("govuk-error-summary")) problem(`${label}: initAll() did not run (focus on "${facts.focused}")`);
  } else if (facts.bodyClass.includes("govuk-frontend-supported")) {
    problem(`${label}: JavaScript was meant to be off`);
  }

  if (screenshot) {
    await page.screenshot({ path: screenshot, fullPage: true });
  }

  // Inject axe with evaluate rather than a <script> tag, so it also works with
  // the page's JavaScript turned off.
  await page.evaluate(axeSource);
  const results = await page.evaluate(
    (tags) => window.axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] }),
    axeTags,
  );
  for (const v of results.incomplete) {
    const targets = v.nodes.map((n) => n.target.join(" "));
    console.log(`  ${label}: axe could not decide ${v.id} for ${targets.length} elements, e.g. ${targets.slice(0, 3).join("; ")}`);
  }
  for (const v of results.violations) {
    problem(`${label}: axe ${v.id} (${v.impact}): ${v.help}`);
    for (const n of v.nodes) console.error(`    ${n.target.join(" ")}: ${n.failureSummary.replace(/\n/g, " ")}`);
  }
  console.log(
    `${label}: title "${facts.title}", h1 font ${facts.h1Font}; axe ${results.violations.length} violations` +
      (results.violations.length ? ` (${results.violations.map((v) => v.id).join(", ")})` : "") +
      `, ${results.incomplete.length} to review by hand` +
      (results.incomplete.length ? ` (${results.incomplete.map((v) => v.id).join(", ")})` : "") +
      (screenshot ? `; screenshot ${screenshot}` : ""),
  );
  await context.close();
  return results.violations.length;
}

const watchdog = setTimeout(() => {
  console.error("check-render: timed out after 180 s");
  server.kill();
  process.exit(1);
}, 180000);
let violations = 0;
try {
  violations += await check("desktop, JS on", { javaScriptEnabled: true, width: 1024, screenshot: path.join(shots, "parley-sample.png") });
  violations += await check("desktop, JS off", { javaScriptEnabled: false, width: 1024 });
  violations += await check("320px, JS on", { javaScriptEnabled: true, width: 320, screenshot: path.join(shots, "parley-sample-320.png") });
} finally {
  await browser.close();
  server.kill();
  rmSync(root, { recursive: true, force: true });
  clearTimeout(watchdog);
}

console.log(`axe: ${violations} violations in total (tags ${axeTags.join(", ")})`);
if (problems.length) {
  console.error(`check-render: ${problems.length} problems`);
  process.exit(1);
}
console.log("check-render: ok");
