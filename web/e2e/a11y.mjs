// axe-core in the page, with the WCAG 2.0/2.1/2.2 level A and AA rules, for the crawl
// (axe.mjs) and for every step of the journeys (journey.mjs).
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf-8");

export const AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

/**
 * Runs axe on the page as it stands and returns its violations as flat records
 * {rule, impact, help, page, label, targets}. The source goes in through page.evaluate,
 * which runs whatever the page's Content-Security-Policy says (Parley's forbids inline
 * script, so a <script> tag would be blocked).
 */
export async function axe(page, label) {
  const has = await page.evaluate(() => typeof window.axe !== "undefined");
  if (!has) await page.evaluate(axeSource);
  const results = await page.evaluate(
    (tags) => window.axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] }),
    AXE_TAGS,
  );
  const where = new URL(page.url());
  return results.violations.map((v) => ({
    rule: v.id,
    impact: v.impact,
    help: v.help,
    page: where.pathname + where.search,
    label,
    targets: v.nodes.map((n) => `${n.target.join(" ")}${n.failureSummary ? ` (${n.failureSummary.replace(/\s+/g, " ").trim()})` : ""}`),
  }));
}

/** One line per violation and element, for a failure message. */
export function describe(violations) {
  return violations
    .map((v) => `${v.rule} (${v.impact}) on ${v.page} [${v.label}]: ${v.help}\n${v.targets.map((t) => `      ${t}`).join("\n")}`)
    .join("\n");
}
