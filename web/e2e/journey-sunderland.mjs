// Sunderland Safeguarding Children Partnership, "Dispute Resolution Protocol", walked end to
// end in real Chromium through the pages, by the people the document names. "Timescales, not
// exceeding 5 working days, should be agreed for each stage taking into consideration risk to
// the child. The process should be completed within a month."
//
// Two disputes, because a referral and an agreement each close a dispute in their own way: a
// dispute referred on stays open at the referral until what came of it is recorded, and then
// closes as referred on; it cannot also be resolved by agreement. So:
//
// The first dispute goes all the way:
//   Step 1  frontline practitioners (a class teacher and the social worker) agree how long the
//           step takes (2 working days), record their discussion; the teacher refers it up.
//   Step 2  line managers, consulting the designated lead: the timescale is agreed "with the
//           practitioner raising the concern"; sunderland.toml lets only the step's officers
//           and managers escalate, so the teacher is not offered it; the line manager is.
//   Step 3  senior managers: "This may involve a resolution meeting in order that any learning
//           points are recorded": the headteacher arranges it (held earlier today, so that it
//           can be recorded), the head of service records it.
//   Step 4  referral to the SSCP: the business team is told, and appoints the Independent
//           Scrutineer on the appoint page ("If the matter concerns one or more of those
//           strategic safeguarding partners and cannot be resolved, the Independent Scrutineer
//           will facilitate the resolution"). The Heads of Service refer it to the
//           Independent Scrutineer (the teacher is not offered that); the scrutineer, who
//           leads that step, refers it on to the inspectorate ("If still unresolved and
//           appropriate, the matter can then be referred to the relevant inspectorate:
//           Ofsted, CQC or HMICFRS"), and records what came of it; it closes, referred on.
//   The raiser sees it closed, referred on to Ofsted.
//
// The second dispute is settled by agreement at step 2: the line managers reach a resolution
// and record it ("written confirmation between the parties about agreed resolutions"), and the
// raiser sees it resolved by agreement.
//
// Due dates: a step is due the agreed number of working days after it started (at most 5; 5
// until one is agreed), and never after the whole process's date, "within a month" of raising
// (DESIGN.md §5: the same day of the next month, or the last working day before it).
//
//   node --test web/e2e/journey-sunderland.mjs   (through scripts/browser-test, which sets PARLEY_URL)
import { after, before, test } from "node:test";
import {
  Journey,
  agreeTimescale,
  appoint,
  arrangeMeeting,
  assert,
  assertNotOffered,
  assertOffered,
  closeByAgreement,
  escalate,
  londonNow,
  longDate,
  open,
  openFromMyWork,
  raise,
  raiserSeesClosed,
  read,
  recordMeeting,
  recordReferralOutcome,
  recordStage,
  referOn,
  url,
  withinAMonth,
  workingDaysAfter,
} from "./journeys-lib.mjs";

const j = new Journey("Sunderland", "sunderland");
let esc; // the dispute referred on
let agreed; // the dispute settled by agreement
let cast;

const STEPS = {
  1: "Step 1: resolution by frontline practitioners",
  2: "Step 2: resolution by line managers",
  3: "Step 3: resolution by senior managers",
  4: "Step 4: referral to the Sunderland Safeguarding Children Partnership",
};

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
    scrutineer: j.holding("independent-scrutineer"),
  };
  cast.raiserManager = j.lineManager(cast.raiser);
  cast.receiverManager = j.lineManager(cast.receiver);
});

after(async () => {
  await j.stop();
});

/**
 * Step `n` is current, due `days` working days after it started (or the month's limit if
 * sooner), and the whole process within a month of raising.
 */
function assertStep(now, n, days, raisedOn) {
  assert.equal(now.stage, STEPS[n]);
  const whole = withinAMonth(raisedOn);
  const own = workingDaysAfter(now.stages[n - 1].started, days);
  const due = own < whole ? own : whole;
  assert.equal(now.stageDue.date, due, `step ${n}: ${days} working days from ${now.stages[n - 1].started} is ${own}, the month ends ${whole}; the page says ${now.stageDue.date}`);
  assert.ok(now.stageDue.text.startsWith(longDate(due)), `step ${n}: "${now.stageDue.text}"`);
  assert.equal(now.wholeDue?.date, whole, `the whole process is due within a month: ${whole}; the page says ${now.wholeDue?.date}`);
}

const dispute = (label) => ({
  startSays: ["Dispute Resolution Protocol"],
  receivingAgency: cast.csc,
  receiver: cast.receiver,
  decision: `Children's social care stepped the family (E2E-${j.run}-${label}) down to early help although the school's concerns continue.`,
  summary: `Family stepped down to early help while concerns continue (${label})`,
  categories: ["The child's level of need", "Another difference of opinion or judgement"],
  category: "The child's level of need",
  evidence: "The thresholds document places the concerns at level 4: neglect indicators recorded weekly.",
  outcome: "The case kept open to children's social care.",
  child: { name: `Dara Sunderlandtest E2E-${j.run}${label}`, status: "Child in need" },
});

test("Sunderland: a dispute walked through the four steps, a resolution meeting, referred on to the Independent Scrutineer and then Ofsted", async (t) => {
  await j.step(t, "raising: the class teacher raises it; step 1 is due within 5 working days until a timescale is agreed", async () => {
    const page = await j.as(cast.raiser);
    esc = await raise(j, page, dispute("A"));
    const now = await read(page);
    assert.equal(now.status, "Open");
    assertStep(now, 1, 5, esc.raisedOn);
    assert.equal(now.stages[0].agreed, "None agreed");
    await j.check(page, "raiser: step 1");
    const business = await j.as(cast.business);
    assert.equal((await business.goto(url(esc.href))).status(), 404, "the business team sees it before step 4");
  });

  await j.step(t, "step 1: the practitioners agree 2 working days, record their discussion, and the teacher refers it up", async () => {
    const raiser = await j.as(cast.raiser);
    await open(raiser, esc);
    await agreeTimescale(j, raiser, esc, 2, "the raiser");
    const now = await read(raiser);
    assertStep(now, 1, 2, esc.raisedOn);
    assert.equal(now.stages[0].agreed, "2 working days");
    const receiver = await j.as(cast.receiver);
    await openFromMyWork(receiver, esc);
    await recordStage(j, receiver, esc, 1, {
      involved: "Class teacher, the social worker; each consulted their designated lead for safeguarding",
      discussion: "Met face to face; used the thresholds document. Timescale agreed: 2 working days.",
      actions: "Each refers it to their line manager.",
      outcome: "No shared understanding reached.",
      learning: "None yet.",
    }, "the receiving social worker");
    await open(raiser, esc);
    assertStep(await escalate(j, raiser, esc, 2, STEPS[2], "the raiser"), 2, 5, esc.raisedOn);
  });

  await j.step(t, "step 2: the teacher may not escalate; the line managers agree 3 days, record and escalate", async () => {
    const raiser = await j.as(cast.raiser);
    await open(raiser, esc);
    await assertNotOffered(raiser, "Escalate to stage 3", "the raiser at step 2");
    // "They should do this within an agreed timescale with the practitioner raising the
    // concern": the line managers propose it, the practitioner confirms it (issue 14, item 2).
    await assertNotOffered(raiser, /timescale/, "the raiser at step 2");

    const manager = await j.as(cast.raiserManager);
    await openFromMyWork(manager, esc);
    await agreeTimescale(j, manager, esc, 3, "the raiser's line manager", cast.raiser);
    assertStep(await read(manager), 2, 3, esc.raisedOn);
    const other = await j.as(cast.receiverManager);
    await openFromMyWork(other, esc);
    await recordStage(j, other, esc, 2, {
      involved: "The two line managers, consulting the designated leads",
      discussion: "The concern was reviewed and found justified; the managers discussed it within 3 working days.",
      actions: "Refer through the line management structure.",
      outcome: "No mutually agreeable resolution.",
      learning: "Step-down decisions should be shared with schools before they are made.",
    }, "the receiving line manager");
    assertStep(await escalate(j, manager, esc, 3, STEPS[3], "the raiser's line manager"), 3, 5, esc.raisedOn);
  });

  await j.step(t, "step 3: the senior managers hold a resolution meeting and record it", async () => {
    const { school, csc } = cast.officers(3);
    const schoolPage = await j.as(school);
    await openFromMyWork(schoolPage, esc);
    await j.check(schoolPage, "headteacher: step 3");
    cast.meeting = londonNow(2);
    await arrangeMeeting(j, schoolPage, esc, {
      when: cast.meeting,
      chair: school,
      invited: [school, csc, cast.officers(1).school, cast.officers(1).csc],
      agencies: [cast.school, cast.csc],
    }, "the headteacher");
    const cscPage = await j.as(csc);
    await openFromMyWork(cscPage, esc);
    await recordMeeting(j, cscPage, esc, {
      when: cast.meeting,
      attended: [school, csc, cast.officers(1).school],
      agencies: [cast.school, cast.csc],
      outcome: "Learning points recorded; the agencies still disagree on the level of need.",
      actions: "Refer to the SSCP with the Appendix 1 proforma.",
    }, "the head of service");
    await recordStage(j, cscPage, esc, 3, {
      involved: "Senior managers of both agencies and the designated leads",
      discussion: "A resolution meeting was held.",
      actions: "Refer to the Heads of Service and the SSCP.",
      outcome: "Unresolved.",
      learning: "Recorded at the resolution meeting.",
    }, "the head of service");
    assertStep(await escalate(j, schoolPage, esc, 4, STEPS[4], "the headteacher"), 4, 5, esc.raisedOn);
  });

  await j.step(t, "step 4: the business team appoints the Independent Scrutineer; the Heads of Service refer it to the scrutineer", async () => {
    const business = await j.as(cast.business);
    await business.goto(url("/partnership"));
    const link = business.getByRole("link", { name: esc.reference, exact: true });
    assert.ok(await link.count(), `${esc.reference} is not on the partnership view at step 4`);
    await Promise.all([business.waitForURL((u) => u.pathname === esc.href), link.first().click()]);
    assert.match(await business.locator("main").innerText(), /not shared with you/);
    await appoint(j, business, esc, cast.scrutineer, "the business team");
    await j.check(business, "business team: scrutineer appointed");

    const raiser = await j.as(cast.raiser);
    await open(raiser, esc);
    // sunderland.toml step 4: refer-on = ["stage-leads", "managers", "independent-scrutineer"].
    await assertNotOffered(raiser, "Refer on", "the raiser at step 4");

    const { csc } = cast.officers(4);
    const cscPage = await j.as(csc);
    await openFromMyWork(cscPage, esc);
    await recordStage(j, cscPage, esc, 4, {
      involved: "The Heads of Service of both agencies; the statutory safeguarding partners through the SSCP",
      discussion: "The Appendix 1 proforma was completed and sent to the SSCP.",
      actions: "Refer to the Independent Scrutineer: the dispute involves a strategic safeguarding partner.",
      outcome: "Unresolved by the partners.",
      learning: "Step-down protocol to be reviewed.",
    }, "the head of service");
    const now = await referOn(j, cscPage, esc, "Independent Scrutineer", "the head of service");
    assert.ok(now.referredTo.text.includes("Led by: Independent Scrutineer"), `the referral is led by "${now.referredTo.text}"`);
    await j.check(cscPage, "head of service: referred to the scrutineer");
  });

  await j.step(t, "referral: the Independent Scrutineer refers it on to Ofsted and records what came of it", async () => {
    const scrutineer = await j.as(cast.scrutineer);
    await openFromMyWork(scrutineer, esc);
    await j.check(scrutineer, "scrutineer: at the referral");
    await assertNotOffered(scrutineer, "Escalate to stage 5", "the scrutineer");
    const now = await referOn(j, scrutineer, esc, "Ofsted", "the Independent Scrutineer");
    const referrals = (await scrutineer.locator("#referrals").innerText()).replace(/\s+/g, " ");
    assert.ok(referrals.includes("Independent Scrutineer"), "the referrals table does not show the scrutineer's step");
    assert.ok(referrals.includes("Referred on again"), "the scrutineer's step does not show it went on");
    assert.equal(now.referredTo.text.split(" It stays open")[0].trim(), "Ofsted");
    await recordReferralOutcome(j, scrutineer, esc, "Ofsted", "Ofsted will consider the step-down decision at the next focused visit.", "the Independent Scrutineer");
    await j.shot(scrutineer, "referred-on");
  });

  await j.step(t, "closing: the raiser sees it closed, referred on to Ofsted", async () => {
    const now = await raiserSeesClosed(j, esc, "Referred on to Ofsted, and what came of it is recorded");
    assert.ok(now.text.includes("Ofsted will consider the step-down decision"), "the raiser does not see what came of the referral");
  });
});

test("Sunderland: a dispute settled by agreement between the line managers at step 2", async (t) => {
  await j.step(t, "raising and step 1", async () => {
    const page = await j.as(cast.raiser);
    agreed = await raise(j, page, dispute("B"));
    await agreeTimescale(j, page, agreed, 1, "the raiser");
    assertStep(await read(page), 1, 1, agreed.raisedOn);
    await recordStage(j, page, agreed, 1, {
      involved: "Class teacher and social worker",
      discussion: "Discussed face to face; no agreement.",
      actions: "Refer to the line managers.",
      outcome: "Referred to step 2.",
      learning: "None.",
    }, "the raiser");
    assertStep(await escalate(j, page, agreed, 2, STEPS[2], "the raiser"), 2, 5, agreed.raisedOn);
  });

  await j.step(t, "step 2: the line managers agree; the resolution is recorded and it closes", async () => {
    const other = await j.as(cast.receiverManager);
    await openFromMyWork(other, agreed);
    await recordStage(j, other, agreed, 2, {
      involved: "The two line managers",
      discussion: "The receiving line manager reviewed the step-down with the school's evidence.",
      actions: "The case stays open to children's social care for a further review in four weeks.",
      outcome: "Resolution agreed and confirmed in writing between the parties.",
      learning: "Step-down decisions are discussed with the school first.",
    }, "the receiving line manager");
    // The raising side's line manager records the agreed resolution; the receiving line
    // manager confirms it once agreement needs both sides.
    const manager = await j.as(cast.raiserManager);
    await openFromMyWork(manager, agreed);
    await closeByAgreement(j, manager, agreed, { who: "the raiser's line manager", otherSide: cast.receiverManager });
  });

  await j.step(t, "closing: the raiser sees it resolved by agreement", async () => {
    const now = await raiserSeesClosed(j, agreed, "Resolved by agreement");
    assert.equal(now.stage, STEPS[2]);
  });
});

test("every page of the Sunderland journeys passes axe (WCAG 2.2 A and AA)", () => {
  j.assertAccessible();
});
