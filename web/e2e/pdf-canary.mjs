// The canary sweep over the PDFs the partnership business team can download (issue 17: "The
// canary sweep extends to every PDF ... that the business team ... can download: none of the
// demo's child markers may be found"). Signed in as each partnership's business team, it lists
// the escalations the team sees (the API's partnership view, every page), downloads every
// form each escalation offers (`forms[].api_href`), reads the PDF's text with pdftotext
// (Debian's poppler-utils; scripts/pdf-tools installs it) and looks for the markers of the
// demo children and of the browser journeys' children. It fails if it read no PDF at all.
// Then every download of the Reports page (each table as CSV and the report as PDF, exact and
// for publication) and the report's JSON, for three periods, the same way; and the partnership
// list as CSV and the reports the procedures call for.
//
//   node --test web/e2e/pdf-canary.mjs      (through scripts/browser-test, which sets PARLEY_URL)
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { demoSignIns, launch, signedIn, url } from "./lib.mjs";
import { Buffer } from "node:buffer";

// As scripts/mail_canary.py: the demo children's marker prefix, and the journeys' children.
const MARKERS = [
  "MARKER-",
  "Journeytest",
  "Nojs",
  "14 March 2016",
  "Solihulltest",
  "Croydontest",
  "Dorsettest",
  "Sunderlandtest",
  "Buckstest",
];
// At most this many escalations per partnership (each PDF is laid out on request).
const PER_PARTNERSHIP = 40;

let browser;
let dir;

before(async () => {
  browser = await launch();
  dir = mkdtempSync(path.join(tmpdir(), "parley-pdf-canary-"));
});

after(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function pdfText(bytes, name) {
  const file = path.join(dir, `${name.replace(/[^A-Za-z0-9-]/g, "")}.pdf`);
  writeFileSync(file, bytes);
  return execFileSync("pdftotext", [file, "-"], { encoding: "utf8" });
}

test("no PDF the business team can download holds a child's marker", async () => {
  const signIns = (await demoSignIns(browser)).filter((s) => s.role === "Partnership business team");
  assert.ok(signIns.length > 0, "no business team sign-in on the demo's sign-in page");
  let read = 0;
  const found = [];
  for (const s of signIns) {
    const { context } = await signedIn(browser, s.email);
    try {
      const api = context.request;
      const ids = [];
      for (let page = 1; ids.length < PER_PARTNERSHIP; page++) {
        const r = await api.get(url(`/api/partnership/escalations?page=${page}`));
        assert.equal(r.status(), 200, `${s.partnership}: the partnership view`);
        const v = await r.json();
        ids.push(...v.escalations.map((e) => e.id));
        if (page >= v.pagination.pages) break;
      }
      for (const id of ids.slice(0, PER_PARTNERSHIP)) {
        const r = await api.get(url(`/api/escalations/${id}`));
        assert.equal(r.status(), 200, `${s.partnership}: escalation ${id}`);
        const e = await r.json();
        for (const f of e.forms) {
          assert.equal(f.with_child_href, null, `${e.reference}: the business team is offered the child`);
          const pdf = await api.get(url(f.api_href));
          assert.equal(pdf.status(), 200, `${e.reference} ${f.id}`);
          assert.equal(pdf.headers()["content-type"], "application/pdf", `${e.reference} ${f.id}`);
          const text = pdfText(await pdf.body(), `${e.reference}-${f.id}`);
          assert.ok(text.includes(e.reference), `${e.reference} ${f.id}: the PDF does not name its escalation`);
          const lower = text.toLowerCase();
          for (const m of MARKERS) {
            if (lower.includes(m.toLowerCase())) found.push(`${s.partnership}: ${e.reference} ${f.id} holds ${m}`);
          }
          read += 1;
        }
      }
    } finally {
      await context.close();
    }
  }
  assert.deepEqual(found, [], "child markers in the business team's PDFs");
  assert.ok(read > 0, "no PDF was read: the sweep would prove nothing");
  console.log(`pdf canary: ${read} PDFs of ${signIns.length} business teams searched for ${MARKERS.length} child markers: none found`);
});

// Every download of the Reports page (each table as CSV, exact and for publication, and the
// report as PDF both ways), for a financial year and a calendar year around the demo's
// escalations, and the report's JSON: none may hold a child's marker.
test("no report the business team can download holds a child's marker", async () => {
  const signIns = (await demoSignIns(browser)).filter((s) => s.role === "Partnership business team");
  let read = 0;
  const found = [];
  const search = (what, text) => {
    const lower = text.toLowerCase();
    for (const m of MARKERS) {
      if (lower.includes(m.toLowerCase())) found.push(`${what} holds ${m}`);
    }
    read += 1;
  };
  for (const s of signIns) {
    const { context, page } = await signedIn(browser, s.email);
    try {
      for (const preset of ["This financial year", "Last calendar year", "This calendar year"]) {
        await page.goto(url("/reports"));
        await Promise.all([page.waitForLoadState("load"), page.getByRole("link", { name: preset, exact: true }).click()]);
        const hrefs = await page.locator("main a[download]").evaluateAll((as) => as.map((a) => a.getAttribute("href")));
        assert.ok(hrefs.length >= 4, `${s.partnership} ${preset}: ${hrefs.length} downloads`);
        for (const href of hrefs) {
          const r = await context.request.get(url(href));
          assert.equal(r.status(), 200, `${s.partnership}: ${href}`);
          const type = r.headers()["content-type"];
          const body = Buffer.from(await r.body());
          const text = type === "application/pdf" ? pdfText(body, `report-${read}`) : body.toString("utf8");
          search(`${s.partnership}: ${href}`, text);
        }
        const query = new URL(page.url()).search;
        const json = await context.request.get(url(`/api/reports${query}`));
        assert.equal(json.status(), 200, `${s.partnership}: /api/reports${query}`);
        search(`${s.partnership}: /api/reports${query}`, await json.text());
      }
    } finally {
      await context.close();
    }
  }
  assert.deepEqual(found, [], "child markers in the business team's reports");
  assert.ok(read > 0, "no report was read: the sweep would prove nothing");
  console.log(`report canary: ${read} downloads (PDF, CSV, JSON) of ${signIns.length} business teams searched for ${MARKERS.length} child markers: none found`);
});

// The partnership list as CSV (the page's "Download CSV" link, which carries its filters)
// and the reports the procedure calls for (each one's page from the Reports page, its
// downloads and its JSON): none may hold a child's marker.
test("no list or procedure report the business team can download holds a child's marker", async () => {
  const signIns = (await demoSignIns(browser)).filter((s) => s.role === "Partnership business team");
  let csvs = 0;
  let own = 0;
  const found = [];
  const search = (what, text) => {
    const lower = text.toLowerCase();
    for (const m of MARKERS) {
      if (lower.includes(m.toLowerCase())) found.push(`${what} holds ${m}`);
    }
  };
  for (const s of signIns) {
    const { context, page } = await signedIn(browser, s.email);
    try {
      for (const filter of ["", "?status=open"]) {
        await page.goto(url(`/partnership${filter}`));
        const link = page.getByRole("link", { name: /^Download CSV/ });
        if ((await link.count()) === 0) continue; // nothing to list
        const href = await link.getAttribute("href");
        assert.ok(href.startsWith("/partnership/escalations.csv"), `${s.partnership}: ${href}`);
        if (filter) assert.ok(href.includes("status=open"), `${s.partnership}: ${href} keeps the filter`);
        const r = await context.request.get(url(href));
        assert.equal(r.status(), 200, `${s.partnership}: ${href}`);
        assert.match(r.headers()["content-type"], /^text\/csv/, href);
        const text = await r.text();
        assert.ok(text.startsWith('"Reference","Raised","Summary"'), `${s.partnership}: ${href}: ${text.slice(0, 80)}`);
        search(`${s.partnership}: ${href}`, text);
        csvs += 1;
      }
      await page.goto(url("/reports"));
      const reports = await page
        .locator("#procedure-reports + table a")
        .evaluateAll((as) => as.map((a) => a.getAttribute("href")));
      for (const href of reports) {
        await page.goto(url(href));
        search(`${s.partnership}: ${href}`, await page.content());
        const downloads = await page.locator("main a[download]").evaluateAll((as) => as.map((a) => a.getAttribute("href")));
        assert.ok(downloads.length >= 1, `${s.partnership} ${href}: no download`);
        for (const d of downloads) {
          const r = await context.request.get(url(d));
          assert.equal(r.status(), 200, `${s.partnership}: ${d}`);
          const body = Buffer.from(await r.body());
          const text = r.headers()["content-type"] === "application/pdf" ? pdfText(body, `own-${own}`) : body.toString("utf8");
          search(`${s.partnership}: ${d}`, text);
          own += 1;
        }
        const [pathPart, query] = href.split("?");
        const json = await context.request.get(url(`/api${pathPart}?${query}`));
        assert.equal(json.status(), 200, `${s.partnership}: /api${href}`);
        search(`${s.partnership}: /api${href}`, await json.text());
      }
    } finally {
      await context.close();
    }
  }
  assert.deepEqual(found, [], "child markers in the business team's lists and procedure reports");
  assert.ok(csvs > 0, "no partnership list was downloaded: the sweep would prove nothing");
  assert.ok(own > 0, "no procedure report was downloaded: the sweep would prove nothing");
  console.log(`list canary: ${csvs} partnership lists as CSV and ${own} downloads of the procedures' reports searched for ${MARKERS.length} child markers: none found`);
});
