// Buckinghamshire Safeguarding Children Partnership, "2.4 Escalation, Challenge and Conflict
// Resolution" (2019), walked end to end in real Chromium through the pages, by the people the
// document names. "Each stage should be completed in 5 working days (15 days maximum)" (2.4.24).
//
// Two escalations, because a referral and an agreement each close one in their own way: one
// referred on stays open at the referral until what came of it is recorded, and then closes as
// referred on; it cannot also be resolved by agreement. So:
//
// The first goes all the way:
//   Stage 1  the professionals involved and their line managers (Appendix B's stage 1
//            contacts): a class teacher raises it about a social worker's decision, the teacher
//            records their discussion, the school's line manager escalates.
//   Stage 2  the Designated Person for Child Protection / Operations Manager: buckinghamshire
//            .toml lets only the stage 2 contacts escalate (2.4.15), so neither the teacher nor
//            the teacher's line manager is offered it. Events then resolve the disagreement
//            (the child returns home, 2.4.11's own example): recorded as resolved by the turn
//            of events, it stays open "so that the underlying issue is dealt with".
//   Stage 3  senior officers: the BSCP team is told (2.4.24) and sees it without the child;
//            "if it is still unresolved, refer it to the BSCP": the school's stage 3 contact
//            refers it on (the teacher is not offered that), and the BSCP's business team, which
//            leads that step, records what came of it; it closes, referred on.
//   The raiser sees it closed, referred on to the BSCP.
//
// The second is settled by agreement between the stage 2 contacts, and the raiser sees it
// resolved by agreement.
//
// Meeting: none. The document arranges no meeting at any stage (buckinghamshire.toml has no
// stage with a meeting), so no journey step arranges one, and each stage's contacts are checked
// not to be offered "Arrange a meeting".
//
//   node --test web/e2e/journey-buckinghamshire.mjs   (through scripts/browser-test, which sets PARLEY_URL)
import { after, before, test } from "node:test";
import {
  Journey,
  assert,
  assertDone,
  assertNotOffered,
  assertOffered,
  closeByAgreement,
  escalate,
  longDate,
  open,
  openFromMyWork,
  raise,
  raiserSeesClosed,
  read,
  recordReferralOutcome,
  recordStage,
  referOn,
  startAction,
  url,
  workingDaysAfter,
} from "./journeys-lib.mjs";

const j = new Journey("Buckinghamshire", "buckinghamshire");
let esc; // referred on to the BSCP
let agreed; // settled by agreement
let cast;

const STAGES = {
  1: "Stage 1: discussion between the professionals involved",
  2: "Stage 2: designated person for child protection or operations manager",
  3: "Stage 3: senior officers",
};
const BSCP = "Buckinghamshire Safeguarding Children Partnership (BSCP)";

before(async () => {
  await j.start();
  const school = j.raisingAgency;
  const csc = j.agency("Children's Social Care");
  cast = {
    school,
    csc,
    raiser: j.raiser,
    receiver: j.practitioner(csc, "Social Worker"),
    officers: (n) => ({ school: j.officer(school, n), csc: j.officer(csc, n) }),
    business: j.business,
  };
});

after(async () => {
  await j.stop();
});

/** Stage `n` is due 5 working days after it started, and never after 15 working days from raising. */
function assertStage(now, n, raisedOn) {
  assert.equal(now.stage, STAGES[n]);
  const whole = workingDaysAfter(raisedOn, 15);
  const own = workingDaysAfter(now.stages[n - 1].started, 5);
  const due = own < whole ? own : whole;
  assert.equal(now.stageDue.date, due, `stage ${n}: due ${due}; the page says ${now.stageDue.date}`);
  assert.ok(now.stageDue.text.startsWith(longDate(due)), `stage ${n}: "${now.stageDue.text}"`);
  assert.equal(now.wholeDue?.date, whole, `15 working days from ${raisedOn} is ${whole}; the page says ${now.wholeDue?.date}`);
}

async function noMeeting(page, who) {
  await assertNotOffered(page, "Arrange a meeting", who);
  await assertNotOffered(page, "Convene a professionals’ meeting", who);
}

const challenge = (label) => ({
  startSays: ["Escalation, Challenge and Conflict Resolution"],
  receivingAgency: cast.csc,
  receiver: cast.receiver,
  decision: `Children's social care ended the missing-episode response for the child (E2E-${j.run}-${label}) without a return home interview.`,
  summary: `Missing-episode response ended without a return home interview (${label})`,
  categories: [
    "Levels of need",
    "Roles and responsibilities",
    "The need for action",
    "Communication",
    "Disagreement at or arising from a child protection conference",
    "Something else",
  ],
  category: "The need for action",
  evidence: "Three missing episodes this term, each reported by the school the same day.",
  outcome: "A return home interview and a joint plan for future episodes.",
  child: { name: `Eden Buckstest E2E-${j.run}${label}`, status: "Child in need" },
});

test("Buckinghamshire: a challenge walked through the three stages, seen through after events resolved it, referred on to the BSCP", async (t) => {
  await j.step(t, "raising: the class teacher raises it; 5 working days a stage, 15 at most", async () => {
    const page = await j.as(cast.raiser);
    esc = await raise(j, page, challenge("A"));
    const now = await read(page);
    assert.equal(now.status, "Open");
    assertStage(now, 1, esc.raisedOn);
    await j.check(page, "raiser: stage 1");
    const business = await j.as(cast.business);
    assert.equal((await business.goto(url(esc.href))).status(), 404, "the BSCP team sees it before senior officers are involved");
  });

  await j.step(t, "stage 1: the teacher records the discussion; the school's line manager escalates", async () => {
    const raiser = await j.as(cast.raiser);
    await open(raiser, esc);
    await noMeeting(raiser, "the raiser");
    await recordStage(j, raiser, esc, 1, {
      involved: "Class teacher and the social worker",
      discussion: "The teacher challenged the decision; the social worker explained it. Both remain part of the child in need plan.",
      actions: "Take it to the stage 2 contacts.",
      outcome: "Not resolved at stage 1.",
      learning: "None yet.",
    }, "the raiser");
    const { school } = cast.officers(1);
    assert.equal(school.id, cast.raiser.line_manager_id, "the school's stage 1 contact is the raiser's line manager");
    const page = await j.as(school);
    await openFromMyWork(page, esc);
    assertStage(await escalate(j, page, esc, 2, STAGES[2], "the school's line manager"), 2, esc.raisedOn);
  });

  await j.step(t, "stage 2: only the stage 2 contacts escalate; events resolve it, and it is seen through", async () => {
    // buckinghamshire.toml stage 2: escalate = ["stage-leads"] (2.4.15).
    for (const [who, person] of [["the raiser", cast.raiser], ["the raiser's line manager", j.lineManager(cast.raiser)]]) {
      const page = await j.as(person);
      await open(page, esc);
      await assertNotOffered(page, "Escalate to stage 3", who);
      await assertOffered(page, "Resolve", who);
    }
    const { school, csc } = cast.officers(2);
    const cscPage = await j.as(csc);
    await openFromMyWork(cscPage, esc);
    await noMeeting(cscPage, "the receiving stage 2 contact");
    await assertOffered(cscPage, "Escalate to stage 3", "the receiving stage 2 contact");

    // 2.4.11: "the child then returns home and this resolves the issue that caused the
    // disagreement", yet the procedure is "still seen through to the end".
    await startAction(cscPage, "Resolve", "the receiving stage 2 contact");
    await j.check(cscPage, "resolve form, stage 2");
    await cscPage.getByLabel("Resolved by the turn of events", { exact: true }).check();
    await Promise.all([cscPage.waitForNavigation(), cscPage.getByRole("button", { name: "Record the resolution" }).click()]);
    await assertDone(cscPage, "The resolution was recorded", "resolved by the turn of events");
    const now = await read(cscPage);
    assert.equal(now.status, "Open", "resolved by events, it closed: Buckinghamshire sees it through");
    assert.match(now.text, /Events resolved the disagreement on .*The procedure says the escalation is still seen through to the end\./);
    assertStage(now, 2, esc.raisedOn);
    await j.check(cscPage, "stage 2 contact: seen through after events");

    await recordStage(j, cscPage, esc, 2, {
      involved: "The Designated Person for Child Protection (school) and the Operations Manager (children's social care)",
      discussion: "The child returned home; the underlying disagreement about missing-episode responses remains.",
      actions: "Seen through to stage 3 so that the policy issue is dealt with.",
      outcome: "Events resolved the immediate issue; not the underlying one.",
      learning: "Return home interviews after every missing episode.",
    }, "the receiving stage 2 contact");
    const schoolPage = await j.as(school);
    await openFromMyWork(schoolPage, esc);
    assertStage(await escalate(j, schoolPage, esc, 3, STAGES[3], "the school's stage 2 contact"), 3, esc.raisedOn);
  });

  await j.step(t, "stage 3: the BSCP team is told; the school's senior officer refers it to the BSCP", async () => {
    const business = await j.as(cast.business);
    await business.goto(url("/partnership"));
    const link = business.getByRole("link", { name: esc.reference, exact: true });
    assert.ok(await link.count(), `${esc.reference} is not on the partnership view at stage 3`);
    await Promise.all([business.waitForURL((u) => u.pathname === esc.href), link.first().click()]);
    const seen = await read(business);
    assert.deepEqual(seen.actions, [], `the BSCP team is offered ${seen.actions.join(", ")} before the referral`);
    assert.match(seen.text, /not shared with you/);
    await j.check(business, "BSCP team: stage 3");

    const raiser = await j.as(cast.raiser);
    await open(raiser, esc);
    // buckinghamshire.toml stage 3: refer-on = ["stage-leads"].
    await assertNotOffered(raiser, "Refer on", "the raiser at stage 3");

    const { school, csc } = cast.officers(3);
    const cscPage = await j.as(csc);
    await openFromMyWork(cscPage, esc);
    await noMeeting(cscPage, "the receiving senior officer");
    await recordStage(j, cscPage, esc, 3, {
      involved: "Senior officers of both agencies",
      discussion: "The escalating agency told children's social care it would notify the BSCP.",
      actions: "Refer to the BSCP.",
      outcome: "Still unresolved after stage 3.",
      learning: "A joint protocol for missing episodes is needed.",
    }, "the receiving senior officer");
    const schoolPage = await j.as(school);
    await openFromMyWork(schoolPage, esc);
    const now = await referOn(j, schoolPage, esc, BSCP, "the school's senior officer");
    assert.ok(now.referredTo.text.includes("Led by: Partnership business team"), `the BSCP step is led by "${now.referredTo.text}"`);
  });

  await j.step(t, "referral: the BSCP's business team records what came of it", async () => {
    const business = await j.as(cast.business);
    await open(business, esc);
    await j.check(business, "BSCP team: at the referral");
    await recordReferralOutcome(j, business, esc, BSCP, "The BSCP's quality assurance group will review missing-episode responses across agencies.", "the BSCP team");
  });

  await j.step(t, "closing: the raiser sees it closed, referred on to the BSCP", async () => {
    const now = await raiserSeesClosed(j, esc, `Referred on to ${BSCP}, and what came of it is recorded`);
    assert.ok(now.text.includes("quality assurance group will review"), "the raiser does not see what came of the referral");
  });
});

test("Buckinghamshire: a challenge settled by agreement between the stage 2 contacts", async (t) => {
  await j.step(t, "raising and stage 1", async () => {
    const page = await j.as(cast.raiser);
    agreed = await raise(j, page, challenge("B"));
    await recordStage(j, page, agreed, 1, {
      involved: "Class teacher and social worker",
      discussion: "No agreement between the professionals.",
      actions: "Take it to the stage 2 contacts.",
      outcome: "Referred to stage 2.",
      learning: "None.",
    }, "the raiser");
    assertStage(await escalate(j, page, agreed, 2, STAGES[2], "the raiser"), 2, agreed.raisedOn);
  });

  await j.step(t, "stage 2: the contacts agree; the resolution is recorded and it closes", async () => {
    const { school, csc } = cast.officers(2);
    const cscPage = await j.as(csc);
    await openFromMyWork(cscPage, agreed);
    await recordStage(j, cscPage, agreed, 2, {
      involved: "The stage 2 contacts of both agencies",
      discussion: "The Operations Manager agreed a return home interview would be held.",
      actions: "Return home interview within 72 hours of every missing episode.",
      outcome: "Agreed between the stage 2 contacts.",
      learning: "Missing-episode responses to include the school.",
    }, "the receiving stage 2 contact");
    // The school's Designated Person records the agreed resolution; the receiving Operations
    // Manager confirms it once agreement needs both sides.
    const schoolPage = await j.as(school);
    await openFromMyWork(schoolPage, agreed);
    await closeByAgreement(j, schoolPage, agreed, { who: "the school's stage 2 contact", otherSide: csc });
  });

  await j.step(t, "closing: the raiser sees it resolved by agreement", async () => {
    const now = await raiserSeesClosed(j, agreed, "Resolved by agreement");
    assert.equal(now.stage, STAGES[2]);
  });
});

test("every page of the Buckinghamshire journeys passes axe (WCAG 2.2 A and AA)", () => {
  j.assertAccessible();
});
