// Shared by the five procedure journeys (journey-solihull.mjs, journey-croydon.mjs,
// journey-dorset.mjs, journey-sunderland.mjs, journey-buckinghamshire.mjs): each walks one
// built-in procedure from raising to closing, in real Chromium, through the pages only (forms
// and links, typing and clicking), as the people its document names.
//
// What is here:
//   - the cast: who is who in a demo partnership, read once through the JSON API with the
//     administrator's session (the people, their agency, roles, line manager and the stages they
//     are named officer for), and a signed-in browser context per person, made on first use;
//   - working days, counted from the same GOV.UK bank-holidays data Parley compiles in, so a
//     journey can check the due dates a page shows against the document's rule (DESIGN.md §5);
//   - the escalation page read as a person reads it (status, current stage, due dates, what
//     "What you can do now" offers) and the action forms filled by their labels;
//   - `closeByAgreement`, the one place a journey closes by agreement (see its TODO).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { axe, describe } from "./a11y.mjs";
import { demoSignIns, launch, mainText, ok, repo, shot, signedIn, signInFor, url } from "./lib.mjs";

export { assert, axe, describe, launch, mainText, shot, url };

// ---------------------------------------------------------------------------------------------
// Working days (DESIGN.md §5), England and Wales, from the data Parley compiles in. The demo
// partnerships have no closure days of their own.

const bankHolidays = new Set(
  JSON.parse(readFileSync(path.join(repo, "crates/parley-core/data/bank-holidays.json"), "utf-8"))["england-and-wales"].events.map((e) => e.date),
);

/** `YYYY-MM-DD` plus `n` calendar days. */
export function addDays(iso, n) {
  const d = new Date(`${iso}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

export function isWorkingDay(iso) {
  const day = new Date(`${iso}T12:00:00Z`).getUTCDay();
  return day !== 0 && day !== 6 && !bankHolidays.has(iso);
}

/** "Within N working days of X": the N-th working day after X (X itself never counts). */
export function workingDaysAfter(iso, n) {
  let d = iso;
  for (let k = 0; k < n; ) {
    d = addDays(d, 1);
    if (isWorkingDay(d)) k++;
  }
  return d;
}

/** Dorset's Day One: the date itself if a working day, else the next working day. */
export function dayOne(iso) {
  let d = iso;
  while (!isWorkingDay(d)) d = addDays(d, 1);
  return d;
}

/** Dorset: "within N working days" from Day One, Day One being day 1. */
export function dayN(iso, n) {
  return n === 1 ? dayOne(iso) : workingDaysAfter(dayOne(iso), n - 1);
}

/** Sunderland's "within a month": the same day of the next month (or that month's last day), or the last working day before it. */
export function withinAMonth(iso) {
  const [y, m, d] = iso.split("-").map(Number);
  const last = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  let due = new Date(Date.UTC(y, m, Math.min(d, last))).toISOString().slice(0, 10);
  while (!isWorkingDay(due)) due = addDays(due, -1);
  return due;
}

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/** As the pages write a date in full: "Monday 7 December 2026". */
export function longDate(iso) {
  const d = new Date(`${iso}T12:00:00Z`);
  return `${DAYS[d.getUTCDay()]} ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
}

/** As the tables write it: "7 Dec 2026". */
export function shortDate(iso) {
  const d = new Date(`${iso}T12:00:00Z`);
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()].slice(0, 3)} ${d.getUTCFullYear()}`;
}

/** The date and time now in Europe/London (the seeds' time zone), `minutesAgo` minutes back. */
export function londonNow(minutesAgo = 0) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-GB", {
      timeZone: "Europe/London",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    })
      .formatToParts(new Date(Date.now() - minutesAgo * 60000))
      .map((p) => [p.type, p.value]),
  );
  return { date: `${parts.year}-${parts.month}-${parts.day}`, day: +parts.day, month: +parts.month, year: +parts.year, hour: +parts.hour, minute: +parts.minute };
}

/** "Sunday 6 December 2026 at 1:05am", as the meeting pages write a time. */
export function meetingTime(t) {
  const h12 = t.hour % 12 === 0 ? 12 : t.hour % 12;
  return `${longDate(t.date)} at ${h12}:${String(t.minute).padStart(2, "0")}${t.hour < 12 ? "am" : "pm"}`;
}

// ---------------------------------------------------------------------------------------------
// The journey: a browser, the cast, sessions, axe.

export class Journey {
  /** `partnership`: a word of the demo partnership's name, e.g. "Solihull". */
  constructor(partnership, prefix) {
    this.partnership = partnership;
    this.prefix = prefix; // screenshots: `${prefix}-...`
    this.violations = [];
    this.sessions = new Map();
    this.failed = null;
    const run = `${process.pid}${Date.now() % 100000}`;
    this.run = run;
  }

  async start() {
    this.browser = await launch();
    this.signIns = await demoSignIns(this.browser);
    const admin = signInFor(this.signIns, "Administrator", this.partnership);
    const { context, page } = await signedIn(this.browser, admin);
    try {
      const response = await page.request.get(url("/api/people"));
      ok(response, "GET /api/people as the administrator");
      this.people = (await response.json()).filter((p) => p.active);
    } finally {
      await context.close();
    }
    this.raiser = this.byEmail(signInFor(this.signIns, "Practitioner", this.partnership));
    this.raisingAgency = this.raiser.agency;
    this.business = this.byEmail(signInFor(this.signIns, "Partnership business team", this.partnership));
  }

  async stop() {
    for (const s of this.sessions.values()) await s.context.close().catch(() => {});
    await this.browser?.close();
  }

  byEmail(email) {
    const p = this.people.find((x) => x.email === email);
    assert.ok(p, `${email} is not among the ${this.partnership} people`);
    return p;
  }

  /** The agency whose name contains `word` (e.g. "Children's Social Care"). */
  agency(word) {
    const names = [...new Set(this.people.map((p) => p.agency).filter(Boolean))];
    const name = names.find((n) => n.includes(word));
    assert.ok(name, `no ${this.partnership} agency named like "${word}" among ${names.join(", ")}`);
    return name;
  }

  /** The person `agency` names as its officer for `stage`. */
  officer(agency, stage) {
    const p = this.people.find((x) => x.agency === agency && (x.named_officer_stages || []).includes(stage));
    assert.ok(p, `${agency} names no officer for stage ${stage}`);
    return p;
  }

  /** A practitioner of `agency` (the first by job title `title` if given). */
  practitioner(agency, title) {
    const p = this.people.find((x) => x.agency === agency && x.roles.includes("practitioner") && (!title || x.job_title === title));
    assert.ok(p, `no practitioner${title ? ` "${title}"` : ""} in ${agency}`);
    return p;
  }

  lineManager(person) {
    const p = this.people.find((x) => x.id === person.line_manager_id);
    assert.ok(p, `${person.name} has no line manager`);
    return p;
  }

  /** The partnership's person holding a role, e.g. "independent-chair". */
  holding(role) {
    const p = this.people.find((x) => x.roles.includes(role));
    assert.ok(p, `nobody in ${this.partnership} holds the role ${role}`);
    return p;
  }

  /** A page signed in as `person` (one browser context per person, kept for the journey). */
  async as(person) {
    let s = this.sessions.get(person.email);
    if (!s) {
      s = await signedIn(this.browser, person.email);
      this.sessions.set(person.email, s);
    }
    return s.page;
  }

  async check(page, label) {
    this.violations.push(...(await axe(page, `${this.prefix}: ${label}`)));
  }

  async shot(page, name) {
    await shot(page, `${this.prefix}-${name}`);
  }

  /**
   * One step of the story: a subtest of `t` that is skipped once an earlier step failed (the
   * later steps need what it did).
   */
  async step(t, name, fn) {
    await t.test(name, { skip: this.failed ? `an earlier step failed: ${this.failed}` : false }, async (st) => {
      try {
        await fn(st);
      } catch (e) {
        this.failed = name;
        throw e;
      }
    });
  }

  /** The last test of a journey file: every page it checked passes axe. */
  assertAccessible() {
    assert.ok(this.violations.length === 0, `${this.violations.length} axe violations on the ${this.partnership} journey's pages:\n${describe(this.violations)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Raising, through the procedure's own questions.

/** Presses a form's button and waits for the next page; returns the response. */
export async function submit(page, name) {
  const [response] = await Promise.all([page.waitForNavigation(), page.getByRole("button", { name }).click()]);
  return response;
}

/** The labels of the radios of the page's question. */
async function radioLabels(page) {
  return (await page.locator("main .govuk-radios__label").allInnerTexts()).map((s) => s.replace(/\s+/g, " ").trim());
}

/**
 * Raises a challenge through every question the procedure asks, as `journey.raiser`:
 * `route` (a label, where the procedure offers routes), `receivingAgency`, `receiver` (a
 * person, or null for "I do not know"), `category` (its label), `child` ({name, status} or
 * none for a thematic route), and the texts; `routes` and `categories`, where given, are the
 * options the route and category questions must offer, in order. Checks each question page with axe and returns
 * {id, href, reference, raisedOn}.
 */
export async function raise(journey, page, o) {
  const step = async (name) => {
    await journey.check(page, `raise: ${name}`);
  };
  await page.goto(url("/my-work"));
  await Promise.all([page.waitForURL((u) => u.pathname === "/raise"), page.getByRole("link", { name: "Raise a challenge" }).first().click()]);
  const start = await mainText(page);
  for (const text of o.startSays || []) assert.ok(start.includes(text), `the start page does not say "${text}"`);
  await step("start");
  await Promise.all([page.waitForNavigation(), page.getByRole("button", { name: "Start now" }).click()]);

  assert.match(await page.locator("h1").innerText(), /immediate risk/i);
  const risk = await mainText(page);
  for (const text of o.immediateRiskSays || []) assert.ok(risk.includes(text), `the immediate-risk question does not say "${text}"`);
  await step("immediate-risk");
  await page.getByLabel("No", { exact: true }).check();
  await submit(page, "Continue");

  assert.match(await page.locator("h1").innerText(), /complaint|whistleblowing/i);
  await step("other-procedure");
  await page.getByLabel(/No, it is a disagreement between agencies/).check();
  await submit(page, "Continue");

  if (o.route) {
    assert.equal(await page.locator("h1").innerText(), "What is the challenge about?");
    await step("route");
    // Only the routes this person may raise on (Dorset: strategic concerns are senior leaders').
    if (o.routes) assert.deepEqual(await radioLabels(page), o.routes, "the routes offered");
    await page.getByLabel(o.route, { exact: true }).check();
    await submit(page, "Continue");
  }

  // Dorset §4: "The date of this decision is Day One": asked where the procedure counts from it
  // (`o.decidedOn`, YYYY-MM-DD; today's date in London unless given).
  if ((await page.locator("h1").innerText()) === "When was the decision made to raise the challenge?") {
    await step("decision-date");
    const [year, month, day] = (o.decidedOn || londonNow().date).split("-").map(Number);
    await page.getByLabel("Day").fill(String(day));
    await page.getByLabel("Month").fill(String(month));
    await page.getByLabel("Year").fill(String(year));
    await submit(page, "Continue");
  } else {
    assert.ok(!o.decidedOn, "a decision date was given, but the procedure does not ask for one");
  }

  assert.equal(await page.locator("h1").innerText(), "Which agency do you disagree with?");
  await step("receiving");
  await page.getByLabel("Which agency do you disagree with?").selectOption({ label: o.receivingAgency });
  await submit(page, "Continue");

  assert.match(await page.locator("h1").innerText(), /Who is your contact at/);
  await step("receiving-person");
  const select = page.locator("main select");
  if (o.receiver) {
    // By id: two people of an agency may share a name (the page adds their job title).
    if (await select.count()) await select.selectOption(o.receiver.id);
    else await page.locator(`main input[type=radio][value="${o.receiver.id}"]`).check();
  } else {
    await page.getByLabel("I do not know who will deal with it").check();
  }
  await submit(page, "Continue");

  await step("decision");
  await page.getByLabel("The decision, action or inaction").fill(o.decision);
  await page.getByLabel("Summary").fill(o.summary);
  await submit(page, "Continue");

  assert.equal(await page.locator("h1").innerText(), "What kind of disagreement is it?");
  await step("category");
  // The procedure's own categories, in its order.
  if (o.categories) assert.deepEqual(await radioLabels(page), o.categories, "the categories offered");
  await page.getByLabel(o.category, { exact: true }).check();
  await submit(page, "Continue");

  await step("evidence");
  await page.getByLabel("What evidence supports your view?").fill(o.evidence);
  await submit(page, "Continue");

  await step("outcome");
  await page.getByLabel("What outcome do you want?").fill(o.outcome);
  await submit(page, "Continue");

  if (o.child) {
    assert.equal(await page.locator("h1").innerText(), "About the child");
    await step("child");
    await page.getByLabel("Name or initials").fill(o.child.name);
    await page.getByLabel(o.child.status, { exact: true }).check();
    await submit(page, "Continue");
  }

  assert.equal(new URL(page.url()).pathname, "/raise/check");
  await step("check");
  const answers = await mainText(page);
  assert.ok(answers.includes(o.receivingAgency), "the check page does not show the receiving agency");
  assert.ok(answers.includes(o.summary), "the check page does not show the summary");
  if (o.child) assert.ok(answers.includes(o.child.name), "the check page does not show the child");
  const before = londonNow().date;
  ok(await submit(page, /^Raise/), "raising the challenge");
  const after = londonNow().date;
  assert.match(new URL(page.url()).pathname, /^\/raise\/done\//, `after raising: ${page.url()}`);
  await step("done");
  await journey.shot(page, "raised");
  const text = await mainText(page);
  const reference = /[A-Za-z]+-\d{4}-\d{4,}/.exec(text)?.[0];
  assert.ok(reference, `the confirmation shows no reference: ${text.slice(0, 300)}`);
  const href = (await page.locator('main a[href^="/escalations/"]').first().getAttribute("href")).split(/[?#]/)[0];
  await page.goto(url(href));
  const raisedOn = await page.locator("#stages tbody tr").first().locator("td time").first().getAttribute("datetime");
  assert.ok([before, after].includes(raisedOn), `raised on ${raisedOn}, but London's date was ${before}`);
  return { id: href.split("/")[2], href, reference, raisedOn };
}

// ---------------------------------------------------------------------------------------------
// The escalation page, as a person reads it.

/** Opens the escalation from /my-work by its reference, like a person would (its "next" pages too). */
export async function openFromMyWork(page, escalation) {
  await page.goto(url("/my-work"));
  for (let i = 0; i < 10; i++) {
    const link = page.getByRole("link", { name: escalation.reference, exact: true });
    if (await link.count()) {
      await Promise.all([page.waitForURL((u) => u.pathname === escalation.href), link.first().click()]);
      return;
    }
    const next = page.locator('a[rel="next"], .govuk-pagination__next a').first();
    if (!(await next.count())) break;
    await Promise.all([page.waitForNavigation(), next.click()]);
  }
  assert.fail(`${escalation.reference} is not on ${page.url()}`);
}

/** Opens the escalation's own page. */
export async function open(page, escalation) {
  ok(await page.goto(url(escalation.href)), `opening ${escalation.reference}`);
}

/** What the escalation page says: status, stage, due dates and the actions offered. */
export async function read(page) {
  const summaryValue = async (list, key) => {
    const row = page.locator(`${list} .govuk-summary-list__row`, { has: page.locator(".govuk-summary-list__key", { hasText: new RegExp(`^\\s*${key}\\s*$`) }) });
    if (!(await row.count())) return null;
    const value = row.first().locator(".govuk-summary-list__value");
    const time = value.locator("time").first();
    return {
      text: (await value.innerText()).replace(/\s+/g, " ").trim(),
      date: (await time.count()) ? await time.getAttribute("datetime") : null,
    };
  };
  const stages = [];
  for (const row of await page.locator("#stages tbody tr").all()) {
    const cells = row.locator("td");
    stages.push({
      name: (await row.locator("th").innerText()).trim(),
      started: await cells.nth(0).locator("time").getAttribute("datetime"),
      due: await cells.nth(1).locator("time").getAttribute("datetime"),
      dueText: (await cells.nth(1).innerText()).trim(),
      agreed: (await cells.nth(2).innerText()).trim(),
      ended: (await cells.nth(4).innerText()).trim(),
    });
  }
  return {
    status: (await page.locator("main .govuk-tag").first().innerText()).trim(),
    banner: (await page.locator(".govuk-notification-banner--success").count()) ? (await page.locator(".govuk-notification-banner--success").innerText()).replace(/\s+/g, " ").trim() : null,
    stage: (await page.locator("#current-stage").locator("xpath=preceding-sibling::p[1]").innerText()).trim(),
    stageDue: await summaryValue("#current-stage", "Stage due"),
    wholeDue: await summaryValue("#current-stage", "Whole escalation due"),
    referredTo: await summaryValue("#current-stage", "Referred on to"),
    stages,
    actions: await offered(page),
    appoint: (await page.locator("main a.govuk-button", { hasText: /^Appoint$/ }).count()) > 0,
    text: await mainText(page),
  };
}

/** The buttons under "What you can do now". */
export async function offered(page) {
  const group = page.locator("h2:text-is('What you can do now') + .govuk-button-group a.govuk-button");
  return (await group.allInnerTexts()).map((s) => s.trim());
}

/** Fails unless the page offers the action `name` (a string or RegExp). */
export async function assertOffered(page, name, who) {
  const actions = await offered(page);
  assert.ok(
    actions.some((a) => (name instanceof RegExp ? name.test(a) : a === name)),
    `${who}: "${name}" is not offered on ${page.url()}; offered: ${actions.join(", ") || "nothing"}`,
  );
}

/** Fails if the page offers the action `name`: the document does not let this person take it. */
export async function assertNotOffered(page, name, who) {
  const actions = await offered(page);
  assert.ok(
    !actions.some((a) => (name instanceof RegExp ? name.test(a) : a === name)),
    `${who}: "${name}" is offered on ${page.url()}, which the procedure does not allow; offered: ${actions.join(", ")}`,
  );
}

/** Follows one of "What you can do now" on the escalation page; fails if it is not offered. */
export async function startAction(page, name, who = "this person") {
  await assertOffered(page, name, who);
  const action = page.locator("h2:text-is('What you can do now') + .govuk-button-group a.govuk-button", { hasText: name });
  await Promise.all([page.waitForNavigation(), action.first().click()]);
}

/** Presses the form's main button; fails on an error answer, naming the errors shown. */
async function confirm(page, escalation, button, label) {
  const form = page.locator("main form[method=post]").last();
  const [response] = await Promise.all([page.waitForNavigation(), form.getByRole("button", { name: button }).click()]);
  if (response.status() >= 400) {
    const errors = await page.locator(".govuk-error-summary, .govuk-warning-text").allInnerTexts();
    throw new Error(`${label}: HTTP ${response.status()} at ${page.url()}: ${errors.join(" ").replace(/\s+/g, " ")}`);
  }
  assert.equal(new URL(page.url()).pathname, escalation.href, `${label}: ended at ${page.url()}`);
  return response;
}

/** The success banner of the escalation page, which must say `text`. */
export async function assertDone(page, text, label) {
  const banner = page.locator(".govuk-notification-banner--success");
  assert.ok(await banner.count(), `${label}: no success banner on ${page.url()}`);
  const said = (await banner.innerText()).replace(/\s+/g, " ");
  assert.ok(said.includes(text), `${label}: the banner says "${said}", not "${text}"`);
}

// ---------------------------------------------------------------------------------------------
// The actions, each through its form.

/**
 * Writes the current stage's record: every field the stage keeps, by its label. `texts` are
 * keyed by the field's id (involved, discussion, actions, outcome, learning, ...). Checks that
 * the page shows them afterwards under the stage's record.
 */
export async function recordStage(journey, page, escalation, stage, texts, who) {
  await startAction(page, "Update the stage record", who);
  await journey.check(page, `record form, stage ${stage}`);
  const areas = await page.locator("main form textarea").all();
  assert.ok(areas.length > 0, "the record form has no fields");
  for (const area of areas) {
    const id = (await area.getAttribute("id")).replace(/^record-/, "");
    await area.fill(texts[id] ?? `Recorded at stage ${stage} by ${who}.`);
  }
  await confirm(page, escalation, "Save the stage record", `record stage ${stage}`);
  await assertDone(page, "The stage record was saved", `record stage ${stage}`);
  const record = (await page.locator(`#record-stage-${stage}`).innerText()).replace(/\s+/g, " ");
  for (const text of Object.values(texts)) assert.ok(record.includes(text.replace(/\s+/g, " ")), `the stage ${stage} record does not show "${text}"`);
}

/** Escalates to the next stage; checks the page then shows the new stage by name. */
export async function escalate(journey, page, escalation, to, stageName, who) {
  await startAction(page, `Escalate to stage ${to}`, who);
  await journey.check(page, `escalate form, to stage ${to}`);
  assert.ok((await mainText(page)).includes(`The escalation moves to ${stageName}.`), `the escalate form does not name ${stageName}`);
  await confirm(page, escalation, `Escalate to stage ${to}`, `escalate to stage ${to}`);
  await assertDone(page, "The escalation moved to", `escalate to stage ${to}`);
  const now = await read(page);
  assert.equal(now.stage, stageName, `after escalating: the current stage is "${now.stage}"`);
  assert.equal(now.status, "Open");
  return now;
}

/**
 * Agrees a timescale of `days` working days for the current stage (Sunderland). Where the
 * procedure has it agreed with someone (Sunderland step 2: "with the practitioner raising the
 * concern"), `who` proposes it and `confirmedBy` (that person) confirms it on their page.
 */
export async function agreeTimescale(journey, page, escalation, days, who, confirmedBy) {
  await startAction(page, /^(Agree a timescale|Change the agreed timescale|Propose a timescale)$/, who);
  await journey.check(page, "agree-timescale form");
  await page.getByLabel(/How many working days/).fill(String(days));
  await confirm(page, escalation, /^(Agree|Propose) the timescale$/, "agree a timescale");
  if (!confirmedBy) {
    await assertDone(page, "The timescale was agreed", "agree a timescale");
    return;
  }
  assert.match((await read(page)).text, /A proposal awaits an answer|takes effect once/, `${who}: the timescale is not shown awaiting confirmation`);
  const other = await journey.as(confirmedBy);
  await open(other, escalation);
  const button = other.locator("main a.govuk-button", { hasText: "Confirm the timescale" });
  assert.ok(await button.count(), "the person the timescale is agreed with is not offered to confirm it");
  await Promise.all([other.waitForNavigation(), button.first().click()]);
  await journey.check(other, "confirm the timescale form");
  await confirm(other, escalation, "Confirm the timescale", "confirm the timescale");
  await open(page, escalation);
}

/**
 * Arranges a meeting at the current stage: held at `when` (londonNow()-like), chaired by
 * `chair`, with `invited` people and `agencies`.
 */
export async function arrangeMeeting(journey, page, escalation, { when, chair, invited, agencies }, who) {
  await startAction(page, "Arrange a meeting", who);
  await journey.check(page, "arrange-meeting form");
  await page.getByLabel("Day").fill(String(when.day));
  await page.getByLabel("Month").fill(String(when.month));
  await page.getByLabel("Year").fill(String(when.year));
  await page.getByLabel("Hour").fill(String(when.hour));
  await page.getByLabel("Minute").fill(String(when.minute));
  // People are picked by their id (the value of their option or box): two people of a
  // partnership may share a name, told apart on the page by their job title and agency.
  if (chair) await page.getByLabel("Who chairs it?").selectOption(chair.id);
  for (const p of invited) await page.getByRole("group", { name: "Who is invited?" }).locator(`input[value="${p.id}"]`).check();
  for (const a of agencies || []) await page.getByRole("group", { name: "Which agencies are invited?" }).getByLabel(a, { exact: true }).check();
  await confirm(page, escalation, "Arrange the meeting", "arrange a meeting");
  await assertDone(page, "The meeting was arranged", "arrange a meeting");
  const meetings = (await page.locator("#meetings").innerText()).replace(/\s+/g, " ");
  assert.ok(meetings.includes(meetingTime(when)), `the meetings do not show one at ${meetingTime(when)}: ${meetings}`);
  if (chair) assert.ok(meetings.includes(chair.name), "the meeting does not show its chair");
  for (const p of invited) assert.ok(meetings.includes(p.name), `the meeting does not show ${p.name} invited`);
  assert.ok(meetings.includes("Not recorded yet"), "a meeting just arranged is shown as recorded");
}

/** Records the meeting held at `when`: who attended, its outcome and actions. */
export async function recordMeeting(journey, page, escalation, { when, attended, agencies, outcome, actions }, who) {
  await startAction(page, "Record a meeting", who);
  await journey.check(page, "record-meeting form");
  await page.getByLabel(`Meeting on ${meetingTime(when)}`, { exact: true }).check();
  for (const p of attended) await page.getByRole("group", { name: "Who attended?" }).locator(`input[value="${p.id}"]`).check();
  for (const a of agencies || []) await page.getByRole("group", { name: "Which agencies attended?" }).getByLabel(a, { exact: true }).check();
  await page.getByLabel("Outcome", { exact: true }).fill(outcome);
  if (actions) await page.getByLabel("Actions agreed (optional)").fill(actions);
  await confirm(page, escalation, "Record the meeting", "record the meeting");
  await assertDone(page, "The meeting was recorded", "record the meeting");
  const meetings = (await page.locator("#meetings").innerText()).replace(/\s+/g, " ");
  assert.ok(meetings.includes(outcome), "the meeting's outcome is not shown");
  if (actions) assert.ok(meetings.includes(actions), "the meeting's actions are not shown");
  for (const p of attended) assert.ok(meetings.includes(p.name), `${p.name} is not shown as attending`);
  assert.ok(!meetings.includes("Not recorded yet"), "the meeting still shows as not recorded");
}

/** Appoints `person` in the role headed `roleLabel` on the appoint page (the business team). */
export async function appoint(journey, page, escalation, person, who) {
  const button = page.locator("main a.govuk-button", { hasText: /^Appoint$/ });
  assert.ok(await button.count(), `${who}: no "Appoint" button on ${page.url()}`);
  await Promise.all([page.waitForNavigation(), button.first().click()]);
  assert.equal(await page.locator("h1").innerText(), "Appoint someone to this escalation");
  await journey.check(page, "appoint form");
  await journey.shot(page, "appoint");
  await page.getByLabel(new RegExp(`^${person.name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")},`)).check();
  await confirm(page, escalation, "Appoint", "appoint");
  await assertDone(page, `${person.name} was appointed to this escalation`, "appoint");
  const appointed = (await page.locator("main").innerText()).replace(/\s+/g, " ");
  assert.ok(appointed.includes("Appointed to this escalation"), "the escalation shows no appointments");
  assert.ok(appointed.includes(person.name), `${person.name} is not shown as appointed`);
}

/**
 * Fills in (or updates) the form the escalation sends to the partnership (Croydon's Appendix
 * A), from the button on the escalation page. `answers` are keyed by the field's label; the
 * page then shows them as the form last sent.
 */
export async function sendPartnershipForm(journey, page, escalation, title, answers, who) {
  const button = page.locator("main a.govuk-button", { hasText: /^(Fill in|Update) the form$/ });
  assert.ok(await button.count(), `${who}: no button for the partnership form on ${page.url()}`);
  await Promise.all([page.waitForNavigation(), button.first().click()]);
  assert.equal(await page.locator("h1").innerText(), title);
  await journey.check(page, "partnership form");
  for (const [label, text] of Object.entries(answers)) await page.getByLabel(label, { exact: true }).fill(text);
  await confirm(page, escalation, "Send the form", "send the partnership form");
  await assertDone(page, `${title} was sent`, "send the partnership form");
  const shown = (await page.locator("main").innerText()).replace(/\s+/g, " ");
  for (const text of Object.values(answers)) assert.ok(shown.includes(text), `the form sent does not show "${text}"`);
}

/** Refers it on to the referral labelled `label`. */
export async function referOn(journey, page, escalation, label, who) {
  await startAction(page, "Refer on", who);
  await journey.check(page, `refer-on form (${label})`);
  await page.getByLabel(label, { exact: true }).check();
  await confirm(page, escalation, "Refer it on", `refer on to ${label}`);
  await assertDone(page, `The escalation was referred on to ${label}`, `refer on to ${label}`);
  const now = await read(page);
  assert.equal(now.status, `Open: referred on to ${label}`, "a referral closed the escalation");
  assert.ok(now.referredTo?.text.startsWith(label), `the page says it is referred on to "${now.referredTo?.text}"`);
  return now;
}

/** Records what came of the referral it is at; that closes it, referred on. */
export async function recordReferralOutcome(journey, page, escalation, label, outcome, who) {
  await startAction(page, "Record what came of the referral", who);
  await journey.check(page, "referral-outcome form");
  await page.getByLabel(`What came of the referral to ${label}?`).fill(outcome);
  await confirm(page, escalation, "Record what came of it", "record what came of the referral");
  await assertDone(page, "What came of the referral was recorded, and the escalation closed", "record what came of the referral");
  const now = await read(page);
  assert.equal(now.status, `Referred on to ${label}, and what came of it is recorded`);
  return now;
}

/**
 * Closes the escalation by agreement (issue 14, item 2: agreement takes both sides): `page`
 * (`who`, on one side) proposes "Resolved by agreement" on the Resolve form, and the
 * escalation stays open, the proposal awaiting the other side; `otherSide` (a person of the
 * cast on the other side who may resolve at this stage) sees it awaiting them and confirms
 * it, which closes it. Checks each page says so.
 */
export async function closeByAgreement(journey, page, escalation, { who, otherSide }) {
  await startAction(page, "Resolve", who);
  await journey.check(page, "resolve form");
  await journey.shot(page, "resolve");
  await page.getByLabel("Resolved by agreement", { exact: true }).check();
  await confirm(page, escalation, "Record the resolution", "propose resolution by agreement");
  let now = await read(page);
  assert.equal(now.status, "Open", `${who}: the escalation closed before the other side confirmed`);
  assert.match(now.text, /takes effect once the (raising|receiving) side confirms it/, `${who} is not told it awaits the other side`);
  const buttons = async (p, name) => p.locator("main a.govuk-button", { hasText: name }).count();
  assert.ok(await buttons(page, "Withdraw the proposal"), `${who} cannot withdraw the proposal`);
  assert.equal(await buttons(page, "Confirm the agreement"), 0, `${who} is offered to confirm their own proposal`);
  await journey.check(page, "proposal pending");

  const other = await journey.as(otherSide);
  await open(other, escalation);
  assert.match((await read(other)).text, /A proposal awaits an answer/, "the other side does not see the proposal awaiting them");
  assert.ok(await buttons(other, "Refuse the proposal"), "the other side is not offered to refuse");
  await journey.check(other, "proposal awaiting the other side");
  const confirmButton = other.locator("main a.govuk-button", { hasText: "Confirm the agreement" });
  assert.ok(await confirmButton.count(), "the other side is not offered to confirm");
  await Promise.all([other.waitForNavigation(), confirmButton.first().click()]);
  await journey.check(other, "confirm form");
  await journey.shot(other, "confirm");
  await confirm(other, escalation, "Confirm the agreement", "confirm the agreement");
  now = await read(other);
  assert.equal(now.status, "Resolved by agreement");
  assert.match(now.text, /Confirmed by/, "the proposals do not show the confirmation");
  assert.deepEqual(now.actions.filter((a) => a !== "Update the stage record"), [], "a closed escalation still offers actions");
  return now;
}

/** The raiser sees it closed: on the escalation page and among the closed ones on /my-work. */
export async function raiserSeesClosed(journey, escalation, status) {
  const page = await journey.as(journey.raiser);
  await open(page, escalation);
  await journey.check(page, "raiser: closed escalation");
  await journey.shot(page, "raiser-closed");
  const now = await read(page);
  assert.equal(now.status, status, `the raiser sees "${now.status}"`);
  assert.match(now.text, /Closed on /);
  await page.goto(url("/my-work"));
  const row = page.locator("#closed tr", { has: page.getByRole("link", { name: escalation.reference, exact: true }) });
  assert.ok(await row.count(), `${escalation.reference} is not among the raiser's closed escalations on /my-work`);
  await journey.check(page, "raiser: my work");
  return now;
}
