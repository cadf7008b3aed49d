// Solihull Safeguarding Children Partnership, "Dispute Resolution / Escalation Procedures",
// walked end to end in real Chromium through the pages, by the people the document names:
//
//   §3 Stage 1  the practitioners try first (a class teacher raises it about a social worker's
//               decision; the teacher writes up their discussion), then their line managers
//               (the school's team manager takes it to stage 2). Due within 1 working day (§4).
//   §3 Stage 2  the next managerial level / safeguarding leads (the children's social care
//               service manager records; the school's designated safeguarding lead escalates).
//               From here the SSCP Business Manager is told (§3, stages 2 and 3): the business
//               team now finds it, but takes no action on it. Due 2 working days after stage 1.
//   §3 Stage 3  senior managers with responsibility for safeguarding (the head of service
//               records, the headteacher escalates). Due 2 working days after stage 2.
//   §3 Stage 4  departmental heads; the Delegated Safeguarding Partner(s), "with support from
//               the SSCP Business Manager", instigate a meeting of senior managers within 3
//               working days and "allocate a Chair of sufficient seniority, who is independent
//               of the case". The business team appoints the independent chair on the appoint
//               page and arranges the meeting (held earlier today, so that it can be recorded);
//               the chair records it, the departmental head writes the stage record and proposes
//               the agreement reached ("before a decision is finalised"), which the school's
//               departmental head confirms (agreement takes both sides). The raiser may
//               neither resolve nor convene at stage 4, and is not offered either.
//   Referral    none: Solihull's document has no referral beyond stage 4 (no [[referral]] in
//               solihull.toml), so this journey refers nothing on.
//   Closing     the raiser sees it resolved by agreement, on the case and on My work.
//
// Due dates are checked against DESIGN.md §5's rule ("within N working days of X": the N-th
// working day after X) counted here from the bank-holidays data Parley compiles in.
//
//   node --test web/e2e/journey-solihull.mjs   (through scripts/browser-test, which sets PARLEY_URL)
import { after, before, test } from "node:test";
import {
  Journey,
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
  recordStage,
  url,
  workingDaysAfter,
} from "./journeys-lib.mjs";

const j = new Journey("Solihull", "solihull");
let esc; // {id, href, reference, raisedOn}
let cast;

const STAGES = {
  1: "Stage 1: Promoting discussion to find a resolution for the child",
  2: "Stage 2: Management finding solutions",
  3: "Stage 3: Formal resolution",
  4: "Stage 4: When no solution is reached between senior leaders",
};
// §4: "Stage 1 within 1 working day of initiation", then 2, 2 and 3 working days.
const DAYS = { 1: 1, 2: 2, 3: 2, 4: 3 };

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
    chair: j.holding("independent-chair"),
    dsp: j.holding("delegated-safeguarding-partner"),
  };
});

after(async () => {
  await j.stop();
});

/** The page shows stage `n`, due `DAYS[n]` working days after the day it started (§4). */
function assertStage(now, n) {
  assert.equal(now.stage, STAGES[n]);
  const started = now.stages[n - 1].started;
  const due = workingDaysAfter(started, DAYS[n]);
  assert.equal(now.stageDue.date, due, `stage ${n} started ${started}: due ${due} (${DAYS[n]} working days after), the page says ${now.stageDue.date}`);
  assert.ok(now.stageDue.text.startsWith(longDate(due)), `stage ${n}: the page shows "${now.stageDue.text}", not ${longDate(due)}`);
  assert.equal(now.wholeDue, null, "Solihull sets no overall limit, yet the page shows one");
}

test("Solihull: a challenge walked through all four stages, the stage 4 meeting with an independent chair, closed by agreement", async (t) => {
  await j.step(t, "raising: the class teacher raises it about the social worker's decision", async () => {
    const page = await j.as(cast.raiser);
    esc = await raise(j, page, {
      startSays: ["Dispute Resolution / Escalation Procedures"],
      receivingAgency: cast.csc,
      receiver: cast.receiver,
      decision: `The social worker closed the assessment for the child (E2E-${j.run}) without a home visit, although the school reported new concerns.`,
      summary: "Assessment closed without a home visit after the school reported new concerns",
      categories: [
        "Whether a referral meets the criteria for assessment",
        "Another professional's action or inaction",
        "Sharing information or providing a service",
        "An assessment's recommendations, or whether the right plan is in place",
        "A multi-agency meeting's decision you no longer agree with",
        "Who is best placed to help, or how resources are used",
        "Something else",
      ],
      category: "Another professional's action or inaction",
      evidence: "The class teacher's notes of three incidents this term, shared with the front door.",
      outcome: "A home visit this week and the assessment reopened.",
      child: { name: `Ayla Solihulltest E2E-${j.run}`, status: "Child in need" },
    });
    const now = await read(page);
    assert.equal(now.status, "Open");
    assertStage(now, 1);
    assert.deepEqual(now.stages.map((s) => s.name), [STAGES[1]]);
    await j.check(page, "raiser: stage 1");

    // The receiving social worker has it in My work.
    const receiver = await j.as(cast.receiver);
    await openFromMyWork(receiver, esc);
    assert.equal((await read(receiver)).stage, STAGES[1]);

    // The SSCP Business Manager is told from stage 2 only (§3): not yet.
    const business = await j.as(cast.business);
    const early = await business.goto(url(esc.href));
    assert.equal(early.status(), 404, "the business team sees a stage 1 escalation");
  });

  await j.step(t, "stage 1: the practitioners record their discussion; the school's line manager takes it to stage 2", async () => {
    const raiser = await j.as(cast.raiser);
    await open(raiser, esc);
    await recordStage(j, raiser, esc, 1, {
      involved: "Class teacher (school) and the allocated social worker (children's social care)",
      discussion: "Spoke by phone within the working day. The social worker explained the threshold decision; the teacher set out the new concerns.",
      actions: "Both report to their line managers today.",
      outcome: "Not resolved between the practitioners: reported to the line managers.",
      learning: "Share threshold reasoning with referrers when an assessment closes.",
    }, "the raiser");

    const lm = cast.officers(1).school;
    assert.equal(lm.id, cast.raiser.line_manager_id, "the school's stage 1 officer is the raiser's line manager");
    const page = await j.as(lm);
    await openFromMyWork(page, esc);
    await j.check(page, "school line manager: stage 1");
    const now = await escalate(j, page, esc, 2, STAGES[2], "the school's line manager");
    assertStage(now, 2);
    const leads = (await page.locator("#current-stage").innerText()).replace(/\s+/g, " ");
    for (const o of Object.values(cast.officers(2))) assert.ok(leads.includes(o.name), `stage 2 does not name ${o.name} as its officer`);
  });

  await j.step(t, "stage 2: the business team now finds it, takes no action; the managers record and take it to stage 3", async () => {
    const business = await j.as(cast.business);
    await business.goto(url("/partnership"));
    await j.check(business, "business team: partnership view");
    const link = business.getByRole("link", { name: esc.reference, exact: true });
    assert.ok(await link.count(), `${esc.reference} is not on the partnership view at stage 2`);
    await Promise.all([business.waitForURL((u) => u.pathname === esc.href), link.first().click()]);
    const seen = await read(business);
    assert.deepEqual(seen.actions, [], `the business team is offered ${seen.actions.join(", ")} at stage 2`);
    assert.equal(seen.appoint, false, "the business team may appoint before stage 4");
    assert.match(seen.text, /not shared with you/);
    assert.ok(!seen.text.includes("Solihulltest"), "the business team sees the child's name");
    await j.check(business, "business team: stage 2");

    const { school, csc } = cast.officers(2);
    const cscPage = await j.as(csc);
    await openFromMyWork(cscPage, esc);
    await recordStage(j, cscPage, esc, 2, {
      involved: "Service manager (children's social care) and the school's designated safeguarding lead",
      discussion: "The service manager reviewed the file and spoke directly with the school's designated safeguarding lead.",
      actions: "The service manager asks the team to review the threshold decision.",
      outcome: "No agreement at management level.",
      learning: "Threshold decisions need a recorded rationale shared with the referrer.",
    }, "the children's social care service manager");
    const schoolPage = await j.as(school);
    await openFromMyWork(schoolPage, esc);
    const now = await escalate(j, schoolPage, esc, 3, STAGES[3], "the school's designated safeguarding lead");
    assertStage(now, 3);
  });

  await j.step(t, "stage 3: the senior managers record and take it to stage 4", async () => {
    const { school, csc } = cast.officers(3);
    const cscPage = await j.as(csc);
    await openFromMyWork(cscPage, esc);
    await recordStage(j, cscPage, esc, 3, {
      involved: "Head of service (children's social care) and the headteacher",
      discussion: "Both views weighed; the disagreement is not a misunderstanding of the facts.",
      actions: "Each senior manager briefs their departmental head.",
      outcome: "Stalemate: referred to the departmental heads.",
      learning: "None new at this stage.",
    }, "the head of service");
    const schoolPage = await j.as(school);
    await openFromMyWork(schoolPage, esc);
    const now = await escalate(j, schoolPage, esc, 4, STAGES[4], "the headteacher");
    assertStage(now, 4);
    // §3 Stage 4: the meeting "within a maximum of 3 working days of Stage 3".
    const started = now.stages[3].started;
    const heldBy = workingDaysAfter(started, 3);
    const inset = (await schoolPage.locator("#stage-meeting").innerText()).replace(/\s+/g, " ");
    assert.ok(inset.startsWith(`Meeting of senior managers with an independent chair: to be held by ${longDate(heldBy)}`), `the stage 4 meeting line says "${inset}"`);
    assert.equal(await schoolPage.locator("#stage-meeting time").getAttribute("datetime"), heldBy);
    await j.check(schoolPage, "headteacher: stage 4");
  });

  await j.step(t, "stage 4: the raiser may neither resolve nor convene the meeting", async () => {
    const raiser = await j.as(cast.raiser);
    await open(raiser, esc);
    const now = await read(raiser);
    assert.equal(now.stage, STAGES[4]);
    // solihull.toml [stage.may] at stage 4: resolve = stage leads, managers, the chair;
    // convene-meeting = the Delegated Safeguarding Partner, the business team, the chair.
    await assertNotOffered(raiser, "Resolve", "the raiser at stage 4");
    await assertNotOffered(raiser, "Arrange a meeting", "the raiser at stage 4");
    await assertOffered(raiser, "Update the stage record", "the raiser at stage 4");
    // Going to the form's address anyway: refused, saying who may, in the procedure's terms.
    const response = await raiser.goto(url(`${esc.href}/resolve`));
    assert.equal(response.status(), 403, "the raiser may open the resolve form at stage 4");
    const refused = (await raiser.locator("main").innerText()).replace(/\s+/g, " ");
    assert.match(refused, /At stage 4 the SSCP procedure lets only .*independent chair/i);
    await j.check(raiser, "raiser: resolve refused at stage 4");
  });

  await j.step(t, "stage 4: the business team appoints the independent chair and arranges the meeting", async () => {
    const business = await j.as(cast.business);
    await open(business, esc);
    const before = await read(business);
    assert.ok(before.appoint, "the business team is not offered Appoint at stage 4");
    // The business team convenes; it never resolves nor writes the record (stage 4's lists).
    const meetingActions = ["Convene a professionals’ meeting", "Arrange a meeting"];
    assert.ok(before.actions.every((a) => meetingActions.includes(a)), `the business team is offered ${before.actions.join(", ")} at stage 4`);
    await assertOffered(business, "Arrange a meeting", "the business team at stage 4");
    await assertNotOffered(business, "Resolve", "the business team at stage 4");
    await appoint(j, business, esc, cast.chair, "the business team");
    await j.check(business, "business team: chair appointed");

    // Held earlier today, so that it can be recorded now (a meeting is recorded once held).
    cast.meeting = londonNow(2);
    const { school, csc } = cast.officers(4);
    await arrangeMeeting(j, business, esc, {
      when: cast.meeting,
      chair: cast.chair,
      invited: [cast.chair, school, csc, cast.dsp],
      agencies: [cast.school, cast.csc],
    }, "the business team");
    await j.check(business, "business team: meeting arranged");
    await j.shot(business, "meeting-arranged");
  });

  await j.step(t, "stage 4: the chair records the meeting, the departmental head the stage and proposes agreement, which the school confirms", async () => {
    const chair = await j.as(cast.chair);
    await openFromMyWork(chair, esc);
    await j.check(chair, "chair: stage 4");
    await assertOffered(chair, "Resolve", "the independent chair");
    const { school, csc } = cast.officers(4);
    await recordMeeting(j, chair, esc, {
      when: cast.meeting,
      attended: [cast.chair, school, csc],
      agencies: [cast.school, cast.csc],
      outcome: "The departmental heads agreed a joint home visit and a reconvened assessment.",
      actions: "Children's social care visits within two working days; the school attends the review.",
    }, "the independent chair");

    const head = await j.as(csc);
    await openFromMyWork(head, esc);
    await recordStage(j, head, esc, 4, {
      involved: "The departmental heads of both agencies, the Delegated Safeguarding Partner, the independent chair",
      discussion: "The meeting of senior managers reviewed the issues before the decision was finalised.",
      actions: "Joint home visit; the assessment is reopened.",
      outcome: "Agreed at the meeting with the independent chair.",
      learning: "Reported by the chair to the Learning and Development Group.",
    }, "the departmental head");

    // §3 Stage 4: the meeting reviews the issues "before a decision is finalised": the
    // receiving departmental head proposes the agreement reached, and the raising side
    // confirms it (issue 14, item 2). The independent chair is on neither side.
    await open(head, esc);
    await closeByAgreement(j, head, esc, { who: "the receiving departmental head", otherSide: school });
  });

  await j.step(t, "closing: the raiser sees it resolved by agreement", async () => {
    const now = await raiserSeesClosed(j, esc, "Resolved by agreement");
    assert.equal(now.stage, STAGES[4]);
    assert.ok(now.text.includes("The departmental heads agreed a joint home visit"), "the raiser does not see the meeting's outcome");
  });
});

test("every page of the Solihull journey passes axe (WCAG 2.2 A and AA)", () => {
  j.assertAccessible();
});
