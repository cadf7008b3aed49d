// Accessibility scan of every page of the demo: for each demo sign-in (every role of every
// partnership; PARLEY_AXE_PARTNERSHIPS=1 for the first partnership only), sign in through the
// form and crawl every same-origin page reachable by links and GET forms from the home page
// (GET only; at most PARLEY_AXE_PER_PATTERN pages of one shape, e.g. /escalations/{id},
// and PARLEY_AXE_MAX_PAGES pages per sign-in), running axe-core's WCAG 2.0, 2.1 and 2.2
// level A and AA rules on each. Any violation fails, listed by rule, page and element; so does
// a link that answers an error, a console error (a Content-Security-Policy violation, say) or
// a script error. The pages seen signed out (sign-in, its error state, "page not found") are
// scanned too, and so are the raise's "stop" pages (reached by answering yes to a screening
// question). Screenshots of the first partnership's pages go to the artifacts directory.
// Not scanned: /api/docs, the OpenAPI explorer (swagger-ui), which no page links to; its colours
// are made AA (static/swagger/parley-swagger.css), but swagger-ui nests focusable elements in
// each operation's summary button, which axe reports (nested-interactive).
// The forms of the journey steps are scanned as journey.mjs walks through them. The child's
// details are behind a button (a POST): the page with the button is crawled, and the button
// pressed once per shape to scan the details.
//
//   node --test web/e2e/axe.mjs      (through scripts/browser-test, which sets PARLEY_URL)
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { axe, describe } from "./a11y.mjs";
import { ARTIFACTS, BASE, demoSignIns, launch, newContext, shot, signIn, url } from "./lib.mjs";

const MAX_PAGES = Number(process.env.PARLEY_AXE_MAX_PAGES || 60);
const PER_PATTERN = Number(process.env.PARLEY_AXE_PER_PATTERN || 2);
const PARTNERSHIPS = process.env.PARLEY_AXE_PARTNERSHIPS || "all";

let browser;
let signIns;
const report = { tags: null, signIns: [], violations: [], problems: [] };

before(async () => {
  browser = await launch();
  signIns = await demoSignIns(browser);
});

after(async () => {
  await browser?.close();
  writeFileSync(path.join(ARTIFACTS, "axe-report.json"), JSON.stringify(report, null, 2));
  const pages = report.signIns.reduce((n, s) => n + s.pages.length, 0);
  console.log(
    `# axe: ${pages} page views over ${report.signIns.length} sign-ins, ${report.violations.length} violations, ` +
      `${report.problems.length} other problems (${path.join(ARTIFACTS, "axe-report.json")})`,
  );
});

/** The shape of a URL: ids and numbers replaced, the query dropped. */
export function pattern(u) {
  const p = u.pathname
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, "{id}")
    .replace(/\/[A-Z]+-\d{4}-\d+(?=\/|$)/g, "/{ref}")
    .replace(/\/\d+(?=\/|$)/g, "/{n}");
  // Every filtered or paged variant of a page is one shape: "?" after the path.
  return u.search ? `${p}?` : p;
}

function crawlable(u) {
  if (u.origin !== BASE) return false;
  const p = u.pathname;
  if (p.startsWith("/static/") || p === "/healthz" || p === "/sign-out") return false;
  if (p.startsWith("/api/") && !/^\/api\/docs\/?$/.test(p)) return false;
  if (/\.(csv|json|pdf|svg|png|txt|xml|yaml|dot|mmd|toml)$/i.test(p)) return false;
  return true;
}

/** Watches a page for console errors, script errors and failed requests. */
function watch(page, problems) {
  page.on("console", (m) => {
    // "Failed to load resource" repeats an HTTP status, which the crawl checks itself.
    if (m.type() === "error" && !m.location().url.endsWith("/favicon.ico") && !m.text().startsWith("Failed to load resource")) {
      problems.push(`console error on ${page.url()}: ${m.text()}`);
    }
  });
  page.on("pageerror", (e) => problems.push(`script error on ${page.url()}: ${e.message}`));
  page.on("requestfailed", (r) => {
    if (!r.url().endsWith("/favicon.ico")) problems.push(`request failed: ${r.url()} (${r.failure()?.errorText})`);
  });
}

// Pages reached only by answering a form (GET pages all the same): where the raise stops a
// challenge that belongs elsewhere. Scanned for anyone who may raise.
const RAISE_STOPS = ["immediate-risk", "complaint", "allegation-against-staff", "whistleblowing"].map((k) => `/raise/stop/${k}`);

async function crawl(page, label, { screenshots, expectedStatus = () => false }) {
  const problems = [];
  watch(page, problems);
  const violations = [];
  const visited = [];
  const seen = new Set();
  const perPattern = new Map();
  const queue = ["/", "/my-work"];
  await page.goto(url("/my-work"));
  if (await page.locator('a[href="/raise"]').count()) queue.push(...RAISE_STOPS);
  while (queue.length && visited.length < MAX_PAGES) {
    const u = new URL(queue.shift(), BASE);
    u.hash = "";
    const key = u.pathname + u.search;
    if (seen.has(key)) continue;
    seen.add(key);
    const shape = pattern(u);
    const n = perPattern.get(shape) || 0;
    if (n >= PER_PATTERN) continue;
    perPattern.set(shape, n + 1);

    const response = await page.goto(u.href);
    const status = response?.status() ?? 0;
    const landed = new URL(page.url());
    const type = response?.headers()["content-type"] || "";
    if (status >= 400 && !expectedStatus(landed, status)) problems.push(`${key} answered HTTP ${status} (linked from a page ${label} can see)`);
    if (!type.startsWith("text/html")) continue;
    const landedKey = landed.pathname + landed.search;
    if (landedKey !== key) {
      if (seen.has(landedKey)) continue;
      seen.add(landedKey);
    }
    if (landed.pathname.startsWith("/sign-in") && !key.startsWith("/sign-in")) {
      problems.push(`${key} sent ${label} to the sign-in page`);
      continue;
    }
    visited.push({ page: key, status, pattern: shape });
    violations.push(...(await axe(page, label)));
    if (screenshots && n === 0) await shot(page, `${screenshots}${shape === "/" ? "home" : shape.slice(1)}`);

    const links = await page.locator("a[href]").evaluateAll((as) => as.filter((a) => !a.hasAttribute("download")).map((a) => a.href));
    // GET forms (filters, searches): submitted with the values they show.
    const forms = await page.locator('form:not([method]), form[method="get" i]').evaluateAll((fs) =>
      fs.map((f) => {
        const target = new URL(f.getAttribute("action") || location.href, location.href);
        target.search = new URLSearchParams(new FormData(f)).toString();
        return target.href;
      }),
    );
    // The child's details are behind a button (a POST with the form token, which records the
    // reading); its page's address (a GET, which records nothing) shows the button.
    const childButtons = await page.locator('form[method="post" i][action$="/child"]').evaluateAll((fs) =>
      fs.map((f) => new URL(f.getAttribute("action"), location.href).href),
    );
    for (const href of [...links, ...forms, ...childButtons]) {
      const next = new URL(href, BASE);
      if (crawlable(next) && !seen.has(next.pathname + next.search)) queue.push(next.pathname + next.search);
    }
    // On that page, the details themselves, once per shape.
    if (/^\/escalations\/[^/]+\/child$/.test(landed.pathname) && n === 0) {
      const button = page.getByRole("button", { name: /child’s details|child's details/ });
      if (await button.count()) {
        await Promise.all([page.waitForNavigation(), button.first().click()]);
        visited.push({ page: `${key} (shown)`, status: 200, pattern: `${shape} (shown)` });
        violations.push(...(await axe(page, label)));
        if (screenshots) await shot(page, `${screenshots}${shape.slice(1)}-shown`);
      }
    }
  }
  return { violations, visited, problems };
}

function record(label, result) {
  report.signIns.push({ label, pages: result.visited });
  report.violations.push(...result.violations);
  report.problems.push(...result.problems.map((p) => `${label}: ${p}`));
}

function check(label, result) {
  const messages = [];
  if (result.violations.length) messages.push(`${result.violations.length} axe violations:\n${describe(result.violations)}`);
  if (result.problems.length) messages.push(`${result.problems.length} other problems:\n  ${result.problems.join("\n  ")}`);
  assert.ok(messages.length === 0, `${label} (${result.visited.length} pages):\n${messages.join("\n")}`);
}

test("signed out: sign-in page, its error state, page not found", async () => {
  const context = await newContext(browser);
  const page = await context.newPage();
  const problems = [];
  watch(page, problems);
  const violations = [];
  const visited = [];
  try {
    await page.goto(url("/sign-in"));
    visited.push({ page: "/sign-in", status: 200 });
    violations.push(...(await axe(page, "signed out")));
    await shot(page, "signed-out-sign-in");

    // The error state: nothing entered, then a wrong password.
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForLoadState();
    visited.push({ page: "/sign-in (nothing entered)", status: 0 });
    violations.push(...(await axe(page, "signed out, sign-in with nothing entered")));
    await shot(page, "signed-out-sign-in-errors");

    const notFound = await page.goto(url("/no-such-page"));
    assert.equal(notFound.status(), 404);
    visited.push({ page: "/no-such-page", status: 404 });
    violations.push(...(await axe(page, "signed out, page not found")));

    const needsSignIn = await page.goto(url("/my-work"));
    visited.push({ page: "/my-work (signed out)", status: needsSignIn.status() });
    violations.push(...(await axe(page, "signed out, /my-work")));
  } finally {
    await context.close();
  }
  // A 404 is what this test asked for.
  const result = { violations, visited, problems };
  record("signed out", result);
  check("signed out", result);
});

test("every page each demo sign-in can reach", async (t) => {
  const partnerships = [...new Set(signIns.map((s) => s.partnership))];
  const chosen = PARTNERSHIPS === "all" ? partnerships : partnerships.slice(0, Number(PARTNERSHIPS) || 1);
  for (const [i, partnership] of chosen.entries()) {
    for (const s of signIns.filter((x) => x.partnership === partnership)) {
      const label = `${s.role}, ${partnership.replace(/ \(demo\)$/, "")}`;
      await t.test(label, async () => {
        const context = await newContext(browser);
        try {
          const page = await context.newPage();
          await signIn(page, s.email);
          const result = await crawl(page, label, {
            screenshots: i === 0 ? `${s.role.toLowerCase()}-` : null,
          });
          // A page that cannot be found for this person: the "page not found" page itself.
          const missing = await page.goto(url("/escalations/00000000-0000-0000-0000-000000000000"));
          if (missing.status() === 404 && (missing.headers()["content-type"] || "").startsWith("text/html")) {
            result.violations.push(...(await axe(page, `${label}, not found`)));
          }
          record(label, result);
          console.log(`# ${label}: ${result.visited.length} pages, ${new Set(result.visited.map((v) => v.pattern)).size} kinds, ${result.violations.length} violations`);
          check(label, result);
        } finally {
          await context.close();
        }
      });
    }
  }
});
