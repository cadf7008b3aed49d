// The four-person journey through the real pages, in real Chromium, typing and clicking as a
// person would (no JavaScript shortcuts into the pages):
//
//   1. a practitioner raises a challenge about a child with another agency, naming a manager
//      there as their contact;
//   2. that receiving manager records stage 1 and escalates to stage 2;
//   3. the partnership business team, which the procedure notifies from stage 2 (Solihull's
//      procedure, §4: evidence of escalation for the SSCP Business Manager "from stage 2
//      onwards"), finds it on the partnership view, and nothing the raiser typed about the
//      child (name, identifier, the case as put) appears on any page it can reach for it;
//   4. the receiving manager proposes to resolve it by agreement; it stays open until the other
//      side confirms it (issue 14, item 2): the raiser confirms it and sees it resolved.
//
// Then the raise once more in a second browser context with JavaScript turned off, to show it
// works without JavaScript. axe-core runs on every page of every step (and on each form's
// error state), so the GET form pages of the journey are part of the accessibility scan.
//
//   node --test web/e2e/journey.mjs   (through scripts/browser-test, which sets PARLEY_URL)
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { axe, describe } from "./a11y.mjs";
import { demoSignIns, launch, mainText, newContext, ok, shot, signedIn, signIn, signInFor, url } from "./lib.mjs";

const PARTNERSHIP = "Solihull";
const RECEIVING_AGENCY = "Solihull Children's Social Care";
// Unique to this run, so that a leak cannot be a coincidence of the demo data.
const run = `${process.pid}${Date.now() % 100000}`;
const CHILD = {
  name: `Ayla Journeytest MARKER-E2E-${run}`,
  identifier: `E2E${run}`,
  caseText: `CASE-E2E-${run}`,
};

let browser;
let signIns;
let cast; // the people of the journey
let escalation; // {id, href, reference}
const violations = [];

async function check(page, label) {
  violations.push(...(await axe(page, label)));
}

before(async () => {
  browser = await launch();
  signIns = await demoSignIns(browser);
  cast = await castOfJourney();
});

after(async () => {
  await browser?.close();
});

/**
 * Who plays each part, read from the demo data through the JSON API with the
 * administrator's session (the pages would tell the same, one by one): the raiser is the
 * partnership's demo practitioner; the receiving manager a manager of the receiving agency.
 */
async function castOfJourney() {
  const admin = signInFor(signIns, "Administrator", PARTNERSHIP);
  const { context, page } = await signedIn(browser, admin);
  try {
    const response = await page.request.get(url("/api/people"));
    ok(response, "GET /api/people as the administrator");
    const people = await response.json();
    const raiser = people.find((p) => p.email === signInFor(signIns, "Practitioner", PARTNERSHIP));
    assert.ok(raiser, "the demo practitioner is not among the people");
    const managers = people.filter((p) => p.agency === RECEIVING_AGENCY && p.active && p.roles.includes("manager"));
    assert.ok(managers.length, `no manager in ${RECEIVING_AGENCY}`);
    // Prefer the agency's named officer for stage 1: the person who would lead it.
    const receiver = managers.find((p) => (p.named_officer_stages || []).includes(1)) || managers[0];
    return {
      raiser,
      receiver,
      business: signInFor(signIns, "Partnership business team", PARTNERSHIP),
    };
  } finally {
    await context.close();
  }
}

/** Presses a form's button and waits for the next page; returns the response. */
async function submit(page, name) {
  const [response] = await Promise.all([page.waitForNavigation(), page.getByRole("button", { name }).click()]);
  return response;
}

/** A question page that is refused empty: the error summary is shown, and axe checks it. */
async function emptyIsRefused(page, label, button = "Continue") {
  const response = await submit(page, button);
  assert.equal(response.status(), 422, `${label}: an empty answer should be refused with 422, got ${response.status()}`);
  assert.ok(await page.locator(".govuk-error-summary").isVisible(), `${label}: no error summary`);
  await check(page, `${label}, nothing entered`);
}

/** Raises the challenge through every question of the raise pages; returns {id, href, reference}. */
async function raise(page, { label, child, withChecks }) {
  const step = async (name) => {
    if (withChecks) {
      await check(page, `${label}: ${name}`);
      await shot(page, `journey-raise-${name}`);
    }
  };
  await page.goto(url("/my-work"));
  await Promise.all([page.waitForURL((u) => u.pathname === "/raise"), page.getByRole("link", { name: "Raise a challenge" }).first().click()]);
  await step("start");
  await Promise.all([page.waitForNavigation(), page.getByRole("button", { name: "Start now" }).click()]);

  assert.match(await page.locator("h1").innerText(), /immediate risk/i);
  await step("immediate-risk");
  if (withChecks) await emptyIsRefused(page, "immediate risk");
  await page.getByLabel("No", { exact: true }).check();
  await submit(page, "Continue");

  assert.match(await page.locator("h1").innerText(), /complaint|whistleblowing/i);
  await step("other-procedure");
  await page.getByLabel(/No, it is a disagreement between agencies/).check();
  await submit(page, "Continue");

  await step("receiving");
  if (withChecks) await emptyIsRefused(page, "receiving agency");
  await page.getByLabel("Which agency do you disagree with?").selectOption({ label: RECEIVING_AGENCY });
  await submit(page, "Continue");

  await step("receiving-person");
  // Radios for a few people, a select for many.
  const select = page.locator("main select");
  if (await select.count()) {
    const option = await select.locator("option", { hasText: cast.receiver.name }).first().getAttribute("value");
    await select.selectOption(option);
  } else {
    await page.getByLabel(cast.receiver.name, { exact: true }).check();
  }
  await submit(page, "Continue");

  await step("decision");
  if (withChecks) await emptyIsRefused(page, "decision");
  await page
    .getByLabel("The decision, action or inaction")
    .fill(`The strategy discussion for ${child.name} (${child.caseText}) was closed without a home visit, although the school reported new bruising.`);
  await page.getByLabel("Summary").fill("Strategy discussion closed without a home visit after the school reported concerns");
  await submit(page, "Continue");

  await step("category");
  await page.getByLabel("Another professional's action or inaction").check();
  await submit(page, "Continue");

  await step("evidence");
  await page
    .getByLabel("What evidence supports your view?")
    .fill(`Class teacher's notes of 3 and 5 November about ${child.name}; the referral form sent to the front door (${child.caseText}).`);
  await submit(page, "Continue");

  await step("outcome");
  await page.getByLabel("What outcome do you want?").fill("A home visit this week, and the strategy discussion reconvened with the school present.");
  await submit(page, "Continue");

  await step("child");
  if (withChecks) await emptyIsRefused(page, "child");
  await page.getByLabel("Name or initials").fill(child.name);
  await page.getByLabel("Day").fill("14");
  await page.getByLabel("Month").fill("3");
  await page.getByLabel("Year").fill("2016");
  await page.getByLabel("Case number or NHS number (optional)").fill(child.identifier);
  await page.getByLabel("Child in need").check();
  await submit(page, "Continue");

  // Check your answers, then raise.
  assert.equal(new URL(page.url()).pathname, "/raise/check");
  await step("check");
  const answers = await mainText(page);
  assert.ok(answers.includes(child.name), "the check page does not show the child's name");
  assert.ok(answers.includes(RECEIVING_AGENCY));
  const raised = await submit(page, /^Raise/);
  ok(raised, "raising the challenge");
  assert.match(new URL(page.url()).pathname, /^\/raise\/done\//, `after raising: ${page.url()}`);
  await step("done");
  const text = await mainText(page);
  const reference = /[A-Za-z]+-\d{4}-\d{4,}/.exec(text)?.[0];
  assert.ok(reference, `the confirmation shows no reference: ${text.slice(0, 300)}`);
  const link = page.locator('main a[href^="/escalations/"]').first();
  const href = (await link.getAttribute("href")).split(/[?#]/)[0];
  const id = href.split("/")[2];
  return { id, href, reference };
}

/** Opens the escalation from /my-work by its reference, like a person would. */
async function openFromMyWork(page, reference) {
  await page.goto(url("/my-work"));
  const link = await findOnPages(page, reference);
  assert.ok(link, `${reference} is not on /my-work`);
  await Promise.all([page.waitForURL((u) => u.pathname.startsWith("/escalations/")), link.first().click()]);
}

/** The link named `reference` on this list page or the next few (following "Next"). */
async function findOnPages(page, reference, pages = 10) {
  for (let i = 0; i < pages; i++) {
    const link = page.getByRole("link", { name: reference, exact: true });
    if (await link.count()) return link;
    const next = page.locator('a[rel="next"], .govuk-pagination__next a').first();
    if (!(await next.count())) return null;
    await Promise.all([page.waitForNavigation(), next.click()]);
  }
  return null;
}

/** Follows one of "What you can do now" on the escalation page. */
async function startAction(page, name) {
  const action = page.locator("main a.govuk-button", { hasText: name });
  assert.ok(await action.count(), `no "${name}" action on ${page.url()}; actions: ${(await page.locator("main a.govuk-button").allInnerTexts()).join(", ")}`);
  await Promise.all([page.waitForNavigation(), action.first().click()]);
}

test("a practitioner raises a challenge; the receiving manager records and escalates; the business team sees it without the child; the receiving manager proposes agreement and the raiser confirms it", async (t) => {
  const raiser = await signedIn(browser, cast.raiser.email);
  const receiver = await signedIn(browser, cast.receiver.email);
  const business = await signedIn(browser, cast.business);
  try {
    await t.test("1. the practitioner raises it", async () => {
      escalation = await raise(raiser.page, { label: "raise", child: CHILD, withChecks: true });
      await raiser.page.goto(url(escalation.href));
      await check(raiser.page, "raiser: escalation page");
      const text = await mainText(raiser.page);
      assert.match(text, /Open/);
      assert.ok(text.includes(RECEIVING_AGENCY));
      await openFromMyWork(raiser.page, escalation.reference);

      // At stage 1 the procedure has not told the business team: it cannot see it at all.
      const early = await business.page.goto(url(escalation.href));
      assert.equal(early.status(), 404, `the business team opened a stage 1 escalation: HTTP ${early.status()}`);
      await business.page.goto(url("/partnership"));
      assert.equal(await findOnPages(business.page, escalation.reference), null, "a stage 1 escalation is on the partnership view");
    });

    await t.test("2. the receiving manager records stage 1 and escalates", async () => {
      assert.ok(escalation, "nothing was raised");
      const page = receiver.page;
      await openFromMyWork(page, escalation.reference);
      await check(page, "receiver: escalation page");
      await shot(page, "journey-receiver-escalation");

      // The child's details: on their own page, for the people involved, behind a button (a
      // POST with the form token: only that records the reading). Opening the page's address
      // shows the button, not the details.
      // (The Documents section's stage record "without the child’s details" is a link; the
      // copy with them is a button too.)
      const childLinks = page.getByRole("link", { name: /child’s details|child's details/ }).filter({ hasNotText: /without the child/ });
      assert.equal(await childLinks.count(), 0, "the child's details are a link (a GET)");
      await page.goto(url(`${escalation.href}/child`));
      assert.ok(!(await mainText(page)).includes(CHILD.name), "opening the child's page shows the child without the button");
      await check(page, "receiver: child's details button");
      await page.goto(url(escalation.href));
      await Promise.all([page.waitForNavigation(), page.getByRole("button", { name: /^Show the child(’|')s details/ }).click()]);
      assert.ok((await mainText(page)).includes(CHILD.name), "the receiving manager cannot see the child's name");
      await check(page, "receiver: child's details");
      await page.goto(url(escalation.href));

      await startAction(page, "Record");
      await check(page, "receiver: record form");
      await shot(page, "journey-record");
      await recordStage(page, "record");

      await startAction(page, "Escalate");
      await check(page, "receiver: escalate form");
      await shot(page, "journey-escalate");
      await fillActionForm(page, "escalate", {
        reason: "We could not agree at stage 1: the team manager maintains that no home visit is needed.",
      });
      const text = await mainText(page);
      assert.match(text, /stage 2|Stage 2|second stage/i, "the escalation page does not show stage 2 after escalating");
    });

    await t.test("3. the business team sees it from stage 2, without the child's details", async (t) => {
      assert.ok(escalation, "nothing was raised");
      const page = business.page;
      await page.goto(url("/partnership"));
      await check(page, "business team: partnership view");
      await shot(page, "journey-partnership");
      const link = await findOnPages(page, escalation.reference);
      assert.ok(link, `${escalation.reference} is not on the partnership view at stage 2`);
      await Promise.all([page.waitForURL((u) => u.pathname.startsWith("/escalations/")), link.first().click()]);
      await check(page, "business team: escalation page");
      await shot(page, "journey-business-escalation");

      // Every page the business team can reach for it: the escalation page, anything it links
      // to under /escalations/{id}, the partnership view (and its filtered pages), /my-work,
      // and the JSON API. None may name the child or show the case as put.
      const reachable = new Set([escalation.href, "/partnership", "/my-work", `/api/escalations/${escalation.id}`]);
      const hrefs = await page.locator(`a[href^="${escalation.href}"]`).evaluateAll((as) => as.map((a) => a.getAttribute("href")));
      hrefs.forEach((h) => reachable.add(h.split("#")[0]));
      await page.goto(url("/partnership"));
      const partnershipLinks = await page.locator('main a[href^="/partnership"]').evaluateAll((as) => as.map((a) => a.getAttribute("href")));
      partnershipLinks.slice(0, 20).forEach((h) => reachable.add(h.split("#")[0]));
      reachable.add(`${escalation.href}/child`);

      for (const path of reachable) {
        if (path.endsWith(".pdf")) {
          // A form's PDF downloads rather than opens: pdf-canary.mjs reads its text.
          const pdf = await page.request.get(url(path));
          assert.equal(pdf.status(), 200, path);
          assert.equal(pdf.headers()["content-type"], "application/pdf", path);
          t.diagnostic(`business team: ${path}, a PDF (its text is searched by pdf-canary.mjs)`);
          continue;
        }
        const response = await page.goto(url(path));
        const status = response?.status() ?? 0;
        const body = await response.text().catch(() => "");
        const where = `${path} (HTTP ${status})`;
        t.diagnostic(`business team: ${where}, ${body.length} bytes, no child details`);
        for (const secret of [CHILD.name, CHILD.identifier, CHILD.caseText, "Journeytest", "2016-03-14", "14 March 2016"]) {
          assert.ok(!body.includes(secret), `the business team's ${where} shows "${secret}"`);
        }
        if (path.endsWith("/child")) {
          assert.ok([403, 404].includes(status), `the business team may open the child's details page: ${where}`);
        }
      }
      // And the escalation page says so.
      await page.goto(url(escalation.href));
      assert.match(await mainText(page), /not shared with you/);
      assert.equal(await page.getByRole("link", { name: /child’s details|child's details/ }).filter({ hasNotText: /without the child/ }).count(), 0);
      assert.equal(await page.getByRole("button", { name: /child’s details|child's details/ }).count(), 0);
    });

    await t.test("4. the receiving manager proposes agreement; the raiser confirms it and sees it resolved", async () => {
      assert.ok(escalation, "nothing was raised");
      const page = receiver.page;
      await page.goto(url(escalation.href));
      await startAction(page, "Resolve");
      await check(page, "receiver: resolve form");
      await shot(page, "journey-resolve");
      // The outcome radios: "Resolved by agreement" proposes it to the other side. (The
      // dissent statement's boxes belong to the recorded disagreement and stay hidden.)
      await page.getByLabel("Resolved by agreement").check();
      const [proposed] = await Promise.all([page.waitForNavigation(), page.getByRole("button", { name: "Record the resolution" }).click()]);
      assert.ok(proposed.status() < 400, `proposing: HTTP ${proposed.status()} at ${page.url()}`);
      let text = await mainText(page);
      assert.match(text, /takes effect once the raising side confirms it/, "the proposer is not told it awaits the other side");
      assert.match(text, /Open/, "the escalation closed before the other side confirmed");
      assert.ok(await page.locator("main a.govuk-button", { hasText: "Withdraw the proposal" }).count(), "the proposer cannot withdraw the proposal");
      assert.equal(await page.locator("main a.govuk-button", { hasText: "Confirm the agreement" }).count(), 0, "the proposer is offered to confirm their own proposal");
      await check(page, "receiver: proposal pending");

      const r = raiser.page;
      await r.goto(url(escalation.href));
      await check(r, "raiser: proposal awaiting them");
      text = await mainText(r);
      assert.match(text, /A proposal awaits an answer/, "the raiser does not see the proposal awaiting them");
      assert.ok(await r.locator("main a.govuk-button", { hasText: "Refuse the proposal" }).count(), "the raiser is not offered to refuse");
      await startAction(r, "Confirm the agreement");
      await check(r, "raiser: confirm form");
      await shot(r, "journey-confirm");
      const [confirmed] = await Promise.all([r.waitForNavigation(), r.getByRole("button", { name: "Confirm the agreement" }).click()]);
      assert.ok(confirmed.status() < 400, `confirming: HTTP ${confirmed.status()} at ${r.url()}`);

      await check(r, "raiser: resolved escalation");
      await shot(r, "journey-raiser-resolved");
      text = await mainText(r);
      assert.match(text, /Resolved/, "the raiser's escalation page does not say resolved");
      assert.match(text, /Confirmed by/, "the proposals do not show the confirmation");
      // On /my-work it is now among the closed ones, marked resolved.
      await r.goto(url("/my-work"));
      const row = r.locator("main tr", { has: r.getByRole("link", { name: escalation.reference }) });
      assert.ok(await row.count(), `${escalation.reference} is not on the raiser's /my-work`);
      assert.match(await row.first().innerText(), /Resolved/);
    });
  } finally {
    await raiser.context.close();
    await receiver.context.close();
    await business.context.close();
  }
});

test("raising works with JavaScript turned off", async () => {
  const context = await newContext(browser, { javaScriptEnabled: false });
  try {
    const page = await context.newPage();
    await signIn(page, cast.raiser.email);
    const child = { name: `Noor Nojs MARKER-E2E-${run}b`, identifier: `NOJS${run}`, caseText: `CASE-NOJS-${run}` };
    const raised = await raise(page, { label: "raise without JavaScript", child, withChecks: false });
    await page.goto(url(raised.href));
    assert.match(await mainText(page), /Open/);
    // The page really ran without JavaScript: GOV.UK Frontend's init.js did not mark the body.
    const bodyClass = await page.locator("body").getAttribute("class");
    assert.ok(!/govuk-frontend-supported|js-enabled/.test(bodyClass || ""), `JavaScript ran: body class "${bodyClass}"`);
    await shot(page, "journey-nojs-raised");
  } finally {
    await context.close();
  }
});

test("every page of the journeys passes axe (WCAG 2.2 A and AA)", () => {
  assert.ok(violations.length === 0, `${violations.length} axe violations on the journey's pages:\n${describe(violations)}`);
});

// ---------------------------------------------------------------------------------------------
// The action forms: filled by their labels, like a person reading them.

/** Fills the stage record: who was involved, what was discussed and agreed, the outcome. */
async function recordStage(page) {
  await fillActionForm(page, "record", {
    involved: "Class teacher, designated safeguarding lead, children's social care team manager",
    discussion: "Met by phone. The team manager explained the decision; the school explained its new concerns.",
    actions: "The team manager will review the case file by Friday.",
    outcome: "Not yet agreed.",
    learning: "Share the outcome of strategy discussions with schools on the same day.",
  });
}

/**
 * Fills whatever an action form asks, matching each field by its label to one of `answers`
 * (keys are words of the label), and submits it. Radio groups get the option whose label
 * matches the answer given for their legend, or their first option.
 */
async function fillActionForm(page, label, answers) {
  const form = page.locator("main form").filter({ has: page.locator('button, input[type="submit"]') }).last();
  const fields = await form.locator("textarea, input:not([type=hidden]):not([type=radio]):not([type=checkbox]), select").all();
  for (const field of fields) {
    const id = await field.getAttribute("id");
    const labelText = id ? ((await page.locator(`label[for="${id}"]`).first().innerText().catch(() => "")) || "") : "";
    const key = Object.keys(answers).find((k) => labelText.toLowerCase().includes(k) || (id || "").toLowerCase().includes(k));
    const tag = await field.evaluate((e) => e.tagName.toLowerCase());
    if (tag === "select") {
      const options = await field.locator("option").evaluateAll((os) => os.filter((o) => o.value).map((o) => o.label));
      if (options.length) await field.selectOption({ label: options[0] });
      continue;
    }
    const type = await field.getAttribute("type");
    if (type === "date" || /day|month|year/i.test(labelText)) continue;
    const current = await field.inputValue();
    if (!current) await field.fill(key && typeof answers[key] === "string" ? answers[key] : `Entered by the journey test (${labelText || id}).`);
  }
  const groups = [...new Set(await form.locator("input[type=radio]").evaluateAll((rs) => rs.map((r) => r.name)))];
  for (const name of groups) {
    const radios = form.locator(`input[type=radio][name="${name}"]`);
    if (await form.locator(`input[type=radio][name="${name}"]:checked`).count()) continue;
    const want = Object.entries(answers).find(([k]) => name.toLowerCase().includes(k))?.[1];
    let chosen = false;
    if (want instanceof RegExp) {
      for (const radio of await radios.all()) {
        const id = await radio.getAttribute("id");
        const text = await page.locator(`label[for="${id}"]`).innerText();
        if (want.test(text)) {
          await radio.check();
          chosen = true;
          break;
        }
      }
    }
    if (!chosen) await radios.first().check();
  }
  const button = form.locator('button, input[type="submit"]').last();
  const [response] = await Promise.all([page.waitForNavigation(), button.click()]);
  if (response.status() >= 400) {
    const errors = await page.locator(".govuk-error-summary").innerText().catch(() => "");
    throw new Error(`${label}: the form answered HTTP ${response.status()} at ${page.url()}: ${errors.replace(/\s+/g, " ")}`);
  }
  assert.ok(new URL(page.url()).pathname.startsWith(escalation.href), `${label}: ended at ${page.url()}`);
  return response;
}
