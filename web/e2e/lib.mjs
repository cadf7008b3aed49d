// Shared by Parley's browser tests: the server under test, Debian's chromium, signing in
// through the real sign-in form, and the demo sign-ins the sign-in page lists.
//
// The tests run against a server that scripts/browser-test started (`parley demo`):
//   PARLEY_URL            e.g. http://127.0.0.1:41234 (no trailing slash)
//   PARLEY_E2E_ARTIFACTS  where screenshots and reports go (default target/e2e-artifacts)
//   PARLEY_CHROMIUM       the browser (default /usr/bin/chromium); never downloaded
import { mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
export const repo = path.resolve(here, "../..");

export const BASE = (process.env.PARLEY_URL || "").replace(/\/+$/, "");
if (!BASE) {
  throw new Error("PARLEY_URL is not set: run these tests through scripts/browser-test");
}
export const ARTIFACTS = path.resolve(process.env.PARLEY_E2E_ARTIFACTS || path.join(repo, "target/e2e-artifacts"));
mkdirSync(ARTIFACTS, { recursive: true });

export const PASSWORD = "parley-demo";
export const SESSION_COOKIE = "__Host-parley-session";

// The flags this machine needs: without the background-networking ones Chromium keeps
// trying to reach Google's hosts, which the closed network refuses. Playwright gives every
// launch() a fresh, empty profile directory of its own (it refuses --user-data-dir in args).
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export async function launch() {
  return chromium.launch({
    executablePath: process.env.PARLEY_CHROMIUM || "/usr/bin/chromium",
    args: CHROMIUM_ARGS,
    timeout: 60000,
  });
}

/** A fresh context (its own cookie jar) with sensible timeouts. */
export async function newContext(browser, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1024, height: 900 }, ...options });
  context.setDefaultTimeout(20000);
  context.setDefaultNavigationTimeout(30000);
  return context;
}

export const url = (p) => (p.startsWith("http") ? p : BASE + p);

/** The demo sign-ins the sign-in page lists: [{role, email, partnership}]. */
export async function demoSignIns(browser) {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await page.goto(url("/sign-in"));
    const items = await page.locator("main li").allTextContents();
    const out = [];
    for (const text of items) {
      const m = /^\s*([^:]+):\s*(\S+@\S+)\s*\((.*)\)\s*$/s.exec(text);
      if (m) out.push({ role: m[1].trim(), email: m[2].trim(), partnership: m[3].trim() });
    }
    if (out.length === 0) throw new Error("the sign-in page lists no demo sign-ins");
    return out;
  } finally {
    await context.close();
  }
}

/** The demo sign-in for a role ("Practitioner", "Manager", ...) in a partnership whose name contains `partnership`. */
export function signInFor(signIns, role, partnership) {
  const s = signIns.find((x) => x.role === role && x.partnership.includes(partnership));
  if (!s) throw new Error(`no demo sign-in for ${role} in ${partnership}`);
  return s.email;
}

/** Signs in through the form, like a person: type the email and password, press the button. */
export async function signIn(page, email, password = PASSWORD) {
  await page.goto(url("/sign-in"));
  await page.getByLabel("Email address").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith("/sign-in")), page.getByRole("button", { name: "Sign in" }).click()]);
}

export async function signOut(page) {
  await Promise.all([page.waitForURL((u) => u.pathname.startsWith("/sign-in")), page.getByRole("button", { name: "Sign out" }).click()]);
}

/** A new context signed in as `email`, and its page. */
export async function signedIn(browser, email, options = {}) {
  const context = await newContext(browser, options);
  const page = await context.newPage();
  await signIn(page, email);
  return { context, page };
}

/** The text of <main>, for "does this page say X" checks. */
export async function mainText(page) {
  return (await page.locator("main").innerText()).replace(/\s+/g, " ");
}

/** The whole HTML of the page as served (not only the visible text). */
export async function html(page) {
  return page.content();
}

/** Screenshot of the whole page into the artifacts directory. */
export async function shot(page, name) {
  const file = path.join(ARTIFACTS, `${name.replace(/[^a-z0-9._-]+/gi, "-")}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Fails a test with the HTTP status when a navigation did not answer 2xx. */
export function ok(response, what) {
  if (!response) throw new Error(`${what}: no response`);
  if (response.status() >= 400) throw new Error(`${what}: HTTP ${response.status()} for ${response.url()}`);
  return response;
}
