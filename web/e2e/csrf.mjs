// Cross-site request forgery, in a real browser: a page on another site (http://127.0.0.2,
// which is a different site from 127.0.0.1; another port of 127.0.0.1 would be the *same*
// site) submits forms to Parley while the victim is signed in to Parley in the same browser.
// Parley must refuse every one of them, and the victim must notice nothing: still signed in,
// nothing recorded. The same attack from another port of 127.0.0.1 (same site, so the
// SameSite=Lax session cookie IS sent) is refused too: that case rests on Parley's own checks
// (the cross-origin check and the form token), not on the browser's cookie rules.
// The control: the same form used from Parley's own page works.
//
//   node --test web/e2e/csrf.mjs      (through scripts/browser-test, which sets PARLEY_URL)
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, test } from "node:test";
import { BASE, demoSignIns, launch, mainText, newContext, SESSION_COOKIE, shot, signIn, signInFor, url } from "./lib.mjs";

let browser;
let signIns;
const attackers = [];

/** A tiny web server on `host` that serves whatever page `pages[path]` says. */
async function attacker(host) {
  const pages = new Map();
  const server = createServer((req, res) => {
    const body = pages.get(new URL(req.url, "http://x").pathname);
    if (!body) {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(body);
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, resolve);
  });
  attackers.push(server);
  const origin = `http://${host}:${server.address().port}`;
  return { origin, pages };
}

const escape = (s) => String(s).replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");

/** An attacker's page: a form that posts itself to Parley as soon as it loads. */
function autoSubmit(action, fields, enctype = "application/x-www-form-urlencoded") {
  const inputs = Object.entries(fields)
    .map(([k, v]) => `<input type="hidden" name="${escape(k)}" value="${escape(v)}">`)
    .join("");
  return `<!DOCTYPE html><html lang="en"><head><title>You have won a prize</title></head><body>
<h1>Claim your prize</h1>
<form method="post" action="${escape(action)}" enctype="${enctype}">${inputs}<button>Claim</button></form>
<script>document.forms[0].submit();</script></body></html>`;
}

/** Opens the attacker's page and returns Parley's answer to the forged POST. */
async function forge(page, attackerUrl, target) {
  const answer = page.waitForResponse((r) => r.url().startsWith(url(target)) && r.request().method() === "POST", { timeout: 15000 });
  await page.goto(attackerUrl);
  const response = await answer;
  await page.waitForLoadState("load").catch(() => {});
  return response;
}

async function stillSignedIn(page) {
  const response = await page.goto(url("/my-work"));
  assert.equal(response.status(), 200, "the victim's /my-work should still answer 200");
  assert.equal(new URL(page.url()).pathname, "/my-work", "the victim was sent away from /my-work (signed out?)");
  assert.match(await mainText(page), /My work/);
}

before(async () => {
  browser = await launch();
  signIns = await demoSignIns(browser);
});

after(async () => {
  await browser?.close();
  for (const s of attackers) s.close();
});

test("Chromium keeps the __Host- session cookie on http://127.0.0.1 (loopback counts as secure)", async () => {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await signIn(page, signInFor(signIns, "Practitioner", "Solihull"));
    const cookies = await context.cookies(BASE);
    const session = cookies.find((c) => c.name === SESSION_COOKIE);
    assert.ok(session, `no ${SESSION_COOKIE} cookie kept; cookies: ${cookies.map((c) => c.name).join(", ") || "none"}`);
    assert.equal(session.secure, true);
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, "Lax");
    assert.equal(session.path, "/");
    await stillSignedIn(page);
  } finally {
    await context.close();
  }
});

for (const [label, host] of [
  ["another site (127.0.0.2)", "127.0.0.2"],
  ["another port of the same site (127.0.0.1)", "127.0.0.1"],
]) {
  test(`forms posted from ${label} are refused`, async (t) => {
    const evil = await attacker(host);
    const context = await newContext(browser);
    const page = await context.newPage();
    try {
      await signIn(page, signInFor(signIns, "Practitioner", "Solihull"));
      const before = (await context.cookies(BASE)).find((c) => c.name === SESSION_COOKIE)?.value;

      // 1. Sign the victim out (a form with a guessed token, and one with none).
      evil.pages.set("/sign-out", autoSubmit(url("/sign-out"), { csrf: "0".repeat(64) }));
      let r = await forge(page, `${evil.origin}/sign-out`, "/sign-out");
      assert.equal(r.status(), 403, `POST /sign-out from ${evil.origin} answered ${r.status()}`);
      await shot(page, `csrf-refused-${host}`);
      await stillSignedIn(page);

      evil.pages.set("/sign-out-bare", autoSubmit(url("/sign-out"), {}));
      r = await forge(page, `${evil.origin}/sign-out-bare`, "/sign-out");
      assert.equal(r.status(), 403);
      await stillSignedIn(page);

      // 2. Raise a challenge through the JSON API with a "simple" (no preflight) body.
      const mine = await myWorkCount(page);
      evil.pages.set(
        "/api",
        autoSubmit(url("/api/escalations"), { '{"summary":"forged","x":"': '"}' }, "text/plain"),
      );
      r = await forge(page, `${evil.origin}/api`, "/api/escalations");
      assert.ok([403, 415].includes(r.status()), `POST /api/escalations from ${evil.origin} answered ${r.status()}`);
      assert.equal(await myWorkCount(page), mine, "a forged raise changed the victim's work");

      // 3. Act on an escalation the victim may act on, replaying one of its own action forms.
      const action = await someActionForm(page);
      if (action) {
        const beforeText = await escalationState(page, action.escalation);
        evil.pages.set("/act", autoSubmit(url(action.action), { ...action.fields, csrf: "0".repeat(64) }));
        r = await forge(page, `${evil.origin}/act`, action.action);
        assert.equal(r.status(), 403, `POST ${action.action} from ${evil.origin} answered ${r.status()}`);
        assert.equal(await escalationState(page, action.escalation), beforeText, `a forged POST ${action.action} changed the escalation`);
        t.diagnostic(`forged POST ${action.action} (fields ${Object.keys(action.fields).join(", ")}) from ${evil.origin}: HTTP ${r.status()}, escalation unchanged`);
      } else {
        t.diagnostic("no escalation action form reachable from /my-work: the forged action was not tried");
      }

      const afterValue = (await context.cookies(BASE)).find((c) => c.name === SESSION_COOKIE)?.value;
      assert.equal(afterValue, before, "the session cookie changed");

      // The control: the same sign-out form, used on Parley's own page, works.
      await page.goto(url("/my-work"));
      await Promise.all([page.waitForURL((u) => u.pathname === "/sign-in"), page.getByRole("button", { name: "Sign out" }).click()]);
      assert.match(await mainText(page), /You have signed out/);
      const back = await page.goto(url("/my-work"));
      assert.equal(new URL(page.url()).pathname, "/sign-in", `after signing out /my-work ended at ${page.url()} (${back.status()})`);
    } finally {
      await context.close();
    }
  });
}

/** How many escalations /my-work lists for the signed-in person (all its tables). */
async function myWorkCount(page) {
  await page.goto(url("/my-work"));
  return page.locator("main table tbody tr").count();
}

/** The first POST form of an escalation page (or of an action page it links to) other than sign-out. */
async function someActionForm(page) {
  await page.goto(url("/my-work"));
  const links = await page.locator('main a[href^="/escalations/"]').evaluateAll((as) => as.map((a) => a.getAttribute("href")));
  for (const href of [...new Set(links)].slice(0, 10)) {
    const escalation = href.split("/").slice(0, 3).join("/");
    await page.goto(url(href));
    const candidates = [href, ...(await actionLinks(page, escalation))];
    for (const p of candidates) {
      if (p !== page.url().replace(BASE, "")) await page.goto(url(p));
      const form = await page
        .locator('main form[method="post" i]')
        .evaluateAll((forms) =>
          forms
            .map((f) => ({
              action: f.getAttribute("action") || location.pathname,
              fields: Object.fromEntries(
                [...f.elements]
                  .filter((e) => e.name && e.name !== "csrf" && (e.type !== "radio" || e.checked || !f.querySelector(`[name="${e.name}"]:checked`)))
                  .map((e) => [e.name, e.value || "Forged"]),
              ),
            }))
            .filter((f) => !f.action.endsWith("/sign-out")),
        );
      if (form.length) return { ...form[0], escalation };
    }
  }
  return null;
}

async function actionLinks(page, escalation) {
  const hrefs = await page.locator(`main a[href^="${escalation}/"]`).evaluateAll((as) => as.map((a) => a.getAttribute("href")));
  return [...new Set(hrefs)].filter((h) => !/\.(csv|json|pdf)$/.test(h)).slice(0, 5);
}

/** What the escalation page shows (its history included), to compare before and after. */
async function escalationState(page, escalation) {
  await page.goto(url(escalation));
  return mainText(page);
}
