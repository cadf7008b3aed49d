// The Reports page in real Chromium (issue 17), as a partnership business manager uses it:
//
//   1. follows Reports from the header to the page, and a mistyped date gets the GOV.UK error
//      summary linking to the box;
//   2. takes "This calendar year": the period's heading, the key figures beside the period
//      before, four charts (SVG with a title and a description), each with its data table;
//   3. downloads a table as CSV (a header row of the column names shown) and the report as PDF,
//      exact and for publication;
//   4. Dorset's business team opens the report its procedure calls for (§10's monthly list of
//      escalations to stage 3 and above) from the Reports page, downloads it as CSV and looks
//      at the month before; Solihull's administrator sets the threshold of published reports
//      (a refused value gets the error summary);
//   5. a practitioner has no Reports link and gets 403 at /reports.
//
// axe-core runs on every state, and must find nothing. A screenshot of the report's first
// screen goes to the artifacts directory (reports-page.png; the README's picture is one).
//
//   node --test web/e2e/reports.mjs   (through scripts/browser-test, which sets PARLEY_URL)
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { axe, describe } from "./a11y.mjs";
import { ARTIFACTS, demoSignIns, launch, mainText, ok, shot, signedIn, url } from "./lib.mjs";
import path from "node:path";

let browser;
let signIns;
const violations = [];

before(async () => {
  browser = await launch();
  signIns = await demoSignIns(browser);
});

after(async () => {
  await browser?.close();
});

function signInOf(role, partnership) {
  const s = signIns.find((x) => x.role === role && x.partnership.includes(partnership));
  assert.ok(s, `no demo sign-in for ${role} in ${partnership}`);
  return s.email;
}

test("the business team reads a year's report and downloads it", async () => {
  const { context, page } = await signedIn(browser, signInOf("Partnership business team", "Solihull"), {
    viewport: { width: 1200, height: 900 },
  });
  try {
    // 1. From the header; a date that is not one.
    await page.goto(url("/my-work"));
    await Promise.all([
      page.waitForURL((u) => u.pathname === "/reports"),
      page.locator('.govuk-service-navigation a[href="/reports"]').click(),
    ]);
    assert.match(await page.locator("h1").innerText(), /Reports/);
    violations.push(...(await axe(page, "reports-form")));
    await page.getByLabel("First day").fill("2026-13-01");
    await page.getByLabel("Last day").fill("2026-12-31");
    await Promise.all([page.waitForLoadState("load"), page.getByRole("button", { name: "Show the report" }).click()]);
    const summary = page.locator(".govuk-error-summary");
    assert.equal(await summary.count(), 1, "no error summary for a mistyped date");
    assert.equal(await summary.locator('a[href="#from"]').count(), 1, "the summary does not link to the first day's box");
    violations.push(...(await axe(page, "reports-error")));

    // 2. This calendar year.
    await Promise.all([page.waitForLoadState("load"), page.getByRole("link", { name: "This calendar year", exact: true }).click()]);
    const text = await mainText(page);
    assert.match(text, /Key figures, this period and the one before/);
    const charts = page.locator("div.parley-chart");
    assert.ok((await charts.count()) >= 4, `${await charts.count()} charts`);
    for (let i = 0; i < (await charts.count()); i++) {
      const chart = charts.nth(i);
      const svg = chart.locator("svg");
      assert.equal(await svg.count(), 1, `chart ${i}: no SVG: ${(await chart.innerHTML()).slice(0, 400)}`);
      assert.equal(await svg.getAttribute("role"), "img", `chart ${i}: the SVG is not an image to assistive technology`);
      assert.ok((await svg.locator("title").count()) === 1 && (await svg.locator("desc").count()) === 1, `chart ${i}: no title and description`);
      assert.equal(await chart.locator("table").count(), 1, `chart ${i}: no data table beside it`);
    }
    violations.push(...(await axe(page, "reports-year")));
    // The report itself, from its heading: the README's picture.
    await page.setViewportSize({ width: 1200, height: 1500 });
    const heading = page.locator("main h2.govuk-heading-l").first();
    await heading.evaluate((h) => window.scrollTo(0, h.getBoundingClientRect().top + window.scrollY - 20));
    await page.screenshot({ path: path.join(ARTIFACTS, "reports-page.png") });
    await shot(page, "reports-year-full");

    // 3. Downloads: a table as CSV, the report as PDF (exact and for publication).
    const csvHref = await page.getByRole("link", { name: /^exact/ }).first().getAttribute("href");
    const csv = ok(await page.request.get(url(csvHref)), "the CSV");
    assert.match(csv.headers()["content-type"], /^text\/csv/);
    const header = (await csv.text()).split(/\r?\n/)[0];
    assert.ok(header.includes(","), `no header row: ${header}`);
    for (const name of ["The report as PDF, exact figures (not for publication)", "The report as PDF, for publication"]) {
      const href = await page.getByRole("link", { name }).getAttribute("href");
      const pdf = ok(await page.request.get(url(href)), name);
      assert.equal(pdf.headers()["content-type"], "application/pdf", name);
      assert.equal((await pdf.body()).subarray(0, 5).toString(), "%PDF-", name);
    }
  } finally {
    await context.close();
  }
});

test("the business team reads the report its procedure calls for", async () => {
  const { context, page } = await signedIn(browser, signInOf("Partnership business team", "Dorset"));
  try {
    // Dorset §10: the monthly list of escalations to stage 3 and above, for the month due.
    await page.goto(url("/reports"));
    const listed = page.locator("#procedure-reports + table");
    assert.equal(await listed.count(), 1, "the Reports page lists no report of the procedure");
    await Promise.all([
      page.waitForURL((u) => u.pathname === "/reports/procedure/stage-3-and-above"),
      listed.getByRole("link", { name: "Escalations to Stage Three and above" }).click(),
    ]);
    assert.match(await page.locator("h1").innerText(), /Escalations to Stage Three and above/);
    const text = await mainText(page);
    assert.match(text, /\(due now\)/);
    assert.match(text, /place-based child safeguarding arrangements/);
    violations.push(...(await axe(page, "procedure-report")));
    const href = await page.getByRole("link", { name: "Download the list as CSV" }).getAttribute("href");
    const csv = ok(await page.request.get(url(href)), "the list as CSV");
    assert.match(csv.headers()["content-type"], /^text\/csv/);
    assert.ok((await csv.text()).startsWith('"Reference","Route","Category"'), "the list's header row");
    // The month before, from the page.
    await Promise.all([page.waitForLoadState("load"), page.getByRole("link", { name: /^The period before/ }).click()]);
    assert.doesNotMatch(await mainText(page), /\(due now\)/);
    violations.push(...(await axe(page, "procedure-report-earlier")));
  } finally {
    await context.close();
  }
});

test("an administrator sets the threshold of published reports", async () => {
  const { context, page } = await signedIn(browser, signInOf("Administrator", "Solihull"));
  try {
    await page.goto(url("/admin"));
    await Promise.all([page.waitForURL((u) => u.pathname === "/admin/reports"), page.getByRole("link", { name: "Small numbers in published reports" }).click()]);
    violations.push(...(await axe(page, "admin-threshold")));
    await page.getByLabel("Threshold").fill("1");
    await Promise.all([page.waitForLoadState("load"), page.getByRole("button", { name: "Save threshold" }).click()]);
    assert.equal(await page.locator('.govuk-error-summary a[href="#threshold"]').count(), 1, "no error summary for a threshold of 1");
    violations.push(...(await axe(page, "admin-threshold-error")));
    // Saved as it was: the demo's reports are unchanged for the other tests.
    await page.getByLabel("Threshold").fill("5");
    await Promise.all([page.waitForURL((u) => u.search.includes("saved")), page.getByRole("button", { name: "Save threshold" }).click()]);
    assert.match(await mainText(page), /The threshold has been saved/);
  } finally {
    await context.close();
  }
});

test("a practitioner has no reports", async () => {
  const { context, page } = await signedIn(browser, signInOf("Practitioner", "Solihull"));
  try {
    await page.goto(url("/my-work"));
    assert.equal(await page.locator('.govuk-service-navigation a[href="/reports"]').count(), 0, "a practitioner is offered Reports");
    const response = await page.goto(url("/reports"));
    assert.equal(response.status(), 403);
  } finally {
    await context.close();
  }
});

test("no accessibility violations on the reports pages", () => {
  assert.equal(violations.length, 0, describe(violations));
});
