// The inbox in real Chromium (issue 15, item 3), clicking as a person would:
//
//   1. a demo person with unread notifications sees the count in the header of My work and
//      follows it to the notifications page;
//   2. marks one read with its button: the page says so and the header's count drops by one;
//   3. opens an escalation from an entry: it is marked read, and the escalation's page shows
//      who was told what, when;
//   4. marks all read: the header shows no count and the page says nothing is unread;
//   5. chooses a daily summary on the e-mail setting page, and back;
//   6. the administrator's list of notifications sent, and its failed ones.
//
// axe-core runs on every one of these pages (and each state after a button), and must find
// nothing.
//
//   node --test web/e2e/notifications.mjs   (through scripts/browser-test, which sets PARLEY_URL)
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { axe, describe } from "./a11y.mjs";
import { demoSignIns, launch, mainText, ok, shot, signedIn, signInFor, url } from "./lib.mjs";

let browser;
let signIns;
const violations = [];

async function check(page, label) {
  violations.push(...(await axe(page, label)));
  await shot(page, `notifications-${label}`);
}

before(async () => {
  browser = await launch();
  signIns = await demoSignIns(browser);
});

after(async () => {
  await browser?.close();
});

/** The count the header's Notifications link shows (0 when it shows none). */
async function headerCount(page) {
  const link = page.locator('.govuk-service-navigation a[href="/notifications"]');
  assert.equal(await link.count(), 1, `no Notifications link in the header of ${page.url()}`);
  const m = /Notifications \((\d+)/.exec(await link.innerText());
  return m ? Number(m[1]) : 0;
}

/** Presses a button and waits for the page it leads to. */
async function press(page, button) {
  // The label is read first: the page the button leads to may no longer have it.
  const label = await button.innerText();
  const [response] = await Promise.all([page.waitForNavigation(), button.click()]);
  return ok(response, `pressing ${label}`);
}

/** The person's unread count, as the API gives it. */
async function unreadCount(page, email) {
  const response = await page.request.get(url("/api/notifications"));
  ok(response, `GET /api/notifications as ${email}`);
  return (await response.json()).unread;
}

/**
 * Waits until the person's unread count has not moved for longer than the demo server's round
 * (it turns what the earlier tests did into notifications every 10 seconds, later on a busy
 * machine), so that nothing arrives while the counts are being checked. The count it settled at.
 */
async function settled(page, email) {
  const quiet = 12_000;
  const deadline = Date.now() + 120_000;
  let count = await unreadCount(page, email);
  let since = Date.now();
  while (Date.now() - since < quiet) {
    if (Date.now() > deadline) throw new Error(`${email}'s unread count never settled (now ${count})`);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const now = await unreadCount(page, email);
    if (now !== count) {
      count = now;
      since = Date.now();
    }
  }
  return count;
}

/** A demo sign-in (Solihull first) with at least `n` unread notifications, signed in. */
async function someoneWithUnread(n) {
  const ordered = [...signIns].sort((a, b) => Number(b.partnership.includes("Solihull")) - Number(a.partnership.includes("Solihull")));
  for (const s of ordered) {
    const { context, page } = await signedIn(browser, s.email);
    if ((await unreadCount(page, s.email)) >= n && (await settled(page, s.email)) >= n) {
      return { context, page, who: `${s.role}, ${s.partnership}` };
    }
    await context.close();
  }
  throw new Error(`no demo sign-in has ${n} unread notifications: does the demo server resolve its outbox?`);
}

test("the inbox: the header's count, mark one read, open one, mark all read", async () => {
  const { context, page, who } = await someoneWithUnread(3);
  try {
    await page.goto(url("/my-work"));
    const start = await headerCount(page);
    assert.ok(start >= 3, `${who}: the header shows ${start} unread`);
    await check(page, "my-work-with-count");

    // 1. The header's link.
    await Promise.all([
      page.waitForURL((u) => u.pathname === "/notifications"),
      page.locator('.govuk-service-navigation a[href="/notifications"]').click(),
    ]);
    assert.match(await page.locator("h1").innerText(), /Notifications/);
    assert.match(await mainText(page), new RegExp(`You have ${start} unread notifications`));
    await check(page, "inbox");

    // 2. One marked read.
    const unread = page.locator(".govuk-summary-card", { has: page.locator(".govuk-tag", { hasText: "Unread" }) });
    const before = await unread.count();
    const first = unread.first();
    const firstId = await first.getAttribute("id");
    await press(page, first.getByRole("button", { name: /^Mark as read/ }));
    assert.match(await mainText(page), /Notification marked as read/);
    const afterOne = await headerCount(page);
    if (afterOne !== start - 1) {
      // What the inbox holds now, to tell a late arrival from a mark that did not take.
      const now = await (await page.request.get(url("/api/notifications"))).json();
      const seen = JSON.stringify(now).slice(0, 1500);
      assert.equal(afterOne, start - 1, `the header's count after marking one read (${firstId}); the inbox now: ${seen}`);
    }
    assert.equal(await page.locator(`#${firstId} .govuk-tag`, { hasText: "Unread" }).count(), 0, "the entry still says Unread");
    await check(page, "inbox-one-read");

    // 3. Opened from the inbox: marked read, and the escalation says who was told.
    const openable = page.locator(".govuk-summary-card", { has: page.locator(".govuk-tag", { hasText: "Unread" }) }).filter({
      has: page.locator('a[href^="/notifications/"]'),
    });
    if (await openable.count()) {
      await Promise.all([
        page.waitForURL((u) => u.pathname.startsWith("/escalations/")),
        openable.first().locator('a[href^="/notifications/"]').first().click(),
      ]);
      assert.ok(await page.getByRole("heading", { name: "Who was told what, when" }).isVisible());
      assert.equal(await headerCount(page), start - 2, "opening a notification marks it read");
      await check(page, "escalation-who-was-told");
      await page.goto(url("/notifications"));
    }
    assert.ok(before >= 1);

    // 4. All read.
    await press(page, page.getByRole("button", { name: "Mark all as read" }));
    const text = await mainText(page);
    assert.match(text, /All your notifications are marked as read/);
    assert.match(text, /You have no unread notifications/);
    assert.equal(await headerCount(page), 0);
    assert.equal(await page.getByRole("button", { name: "Mark all as read" }).count(), 0);
    await check(page, "inbox-all-read");
    const api = await (await page.request.get(url("/api/notifications"))).json();
    assert.equal(api.unread, 0);

    // A later page of the inbox, where there is one.
    const next = page.locator(".govuk-pagination__next a");
    if (await next.count()) {
      await Promise.all([page.waitForNavigation(), next.click()]);
      await check(page, "inbox-page-2");
    }

    // 5. The e-mail setting.
    await Promise.all([
      page.waitForURL((u) => u.pathname === "/account/notifications"),
      page.getByRole("link", { name: /choose one e-mail for each notification or a daily summary/ }).click(),
    ]);
    await check(page, "email-setting");
    await page.getByLabel("A daily summary").check();
    await press(page, page.getByRole("button", { name: "Save" }));
    assert.match(await mainText(page), /Saved: you get a daily summary/);
    assert.ok(await page.getByLabel("A daily summary").isChecked());
    await check(page, "email-setting-saved");
    await page.getByLabel("One e-mail for each notification").check();
    await press(page, page.getByRole("button", { name: "Save" }));
    assert.match(await mainText(page), /Saved: you get one e-mail for each notification/);
  } finally {
    await context.close();
  }
});

test("the administrators' list of notifications sent", async () => {
  const admin = signInFor(signIns, "Administrator", "Solihull");
  const { context, page } = await signedIn(browser, admin);
  try {
    await page.goto(url("/admin"));
    await Promise.all([
      page.waitForURL((u) => u.pathname === "/admin/notifications"),
      page.getByRole("link", { name: "Notifications sent" }).click(),
    ]);
    assert.ok(await page.locator("#deliveries").isVisible(), "no deliveries listed");
    await check(page, "admin-deliveries");
    await page.getByLabel("Show").selectOption("failed");
    await press(page, page.getByRole("button", { name: "Show these" }));
    assert.equal(new URL(page.url()).searchParams.get("filter"), "failed");
    await check(page, "admin-deliveries-failed");
  } finally {
    await context.close();
  }
});

test("no accessibility violations on the notification pages", () => {
  assert.equal(violations.length, 0, `${violations.length} axe violations:\n${describe(violations)}`);
});
