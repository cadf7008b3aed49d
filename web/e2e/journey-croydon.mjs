// Croydon Safeguarding Children Board, "Resolution of Professional Disagreement in
// Safeguarding Children" (November 2018), walked end to end in real Chromium through the pages,
// by the people the document names. "Each stage of resolving the issue should take no longer
// than 7 working days."
//
//   Stage 1  front line workers: a class teacher raises it about a social worker's decision;
//            "each front line worker should raise their concerns to their line manager".
//   Stage 2  front line managers / supervisors "contact each other to try to negotiate a
//            settlement"; the school's team manager escalates ("If the front line team
//            manager considers it appropriate").
//   Stage 3  operational managers or named/designated safeguarding leads: "A multi-agency
//            meeting should be held between the agency raising the professional challenge and
//            the receiving agency": the school's safeguarding lead arranges it (held earlier
//            today, so that it can be recorded), the receiving lead records it. The school's
//            safeguarding lead sends the Appendix A escalation notification (no child details),
//            which the CSCB Business Team reads; the business team takes no action on it.
//   Stage 4  senior management, Head of Service at least. croydon.toml lets only the stage's
//            officers and their managers escalate to stage 5: the practitioners are not
//            offered it.
//   Stage 5  the Safeguarding Partners Executive, through the Director of Children's Services:
//            the business team appoints the Executive's member on the appoint page. The school
//            updates Appendix A, requesting a CSCB-led dispute resolution meeting; the business
//            team arranges it and the Executive records it; the way forward is agreed by both
//            agencies: the school proposes it and the Director of Children's Services confirms.
//   Referral none: Croydon's document has no referral beyond stage 5 (no [[referral]] in
//            croydon.toml), so this journey refers nothing on.
//   Closing  the raiser sees it resolved by agreement.
//
//   node --test web/e2e/journey-croydon.mjs   (through scripts/browser-test, which sets PARLEY_URL)
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
  sendPartnershipForm,
  url,
  workingDaysAfter,
} from "./journeys-lib.mjs";

const j = new Journey("Croydon", "croydon");
let esc;
let cast;

const STAGES = {
  1: "Stage 1: Discussion between front line workers",
  2: "Stage 2: Discussion between front line managers or supervisors",
  3: "Stage 3: Escalation to operational managers or named/designated safeguarding leads",
  4: "Stage 4: Escalation to senior management or leadership",
  5: "Stage 5: Escalation to the Safeguarding Partners Executive",
};
const APPENDIX_A = "Escalation notification to Croydon Safeguarding Children Board (Appendix A)";

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
    executive: j.holding("safeguarding-partners-executive"),
  };
});

after(async () => {
  await j.stop();
});

/** Stage `n` is current and due 7 working days after it started; Croydon has no overall limit. */
function assertStage(now, n) {
  assert.equal(now.stage, STAGES[n]);
  const started = now.stages[n - 1].started;
  const due = workingDaysAfter(started, 7);
  assert.equal(now.stageDue.date, due, `stage ${n} started ${started}: due ${due}, the page says ${now.stageDue.date}`);
  assert.ok(now.stageDue.text.startsWith(longDate(due)), `stage ${n}: "${now.stageDue.text}"`);
  assert.equal(now.wholeDue, null);
  assert.ok(now.text.includes("No longer than 7 working days"), "the stage's timescale is not shown in the document's words");
}

test("Croydon: a challenge walked through all five stages, the stage 3 multi-agency meeting, closed by agreement at the Safeguarding Partners Executive", async (t) => {
  await j.step(t, "raising: the class teacher raises it about the social worker's decision", async () => {
    const page = await j.as(cast.raiser);
    esc = await raise(j, page, {
      startSays: ["Resolution of Professional Disagreement in Safeguarding Children"],
      receivingAgency: cast.csc,
      receiver: cast.receiver,
      decision: `Children's social care decided the family (E2E-${j.run}) is below the threshold for a child in need assessment.`,
      summary: "Referral judged below the threshold for assessment despite new concerns",
      categories: ["Levels of need", "Roles and responsibilities", "Quality and progression of plans", "Communication", "Something else"],
      category: "Levels of need",
      evidence: "Attendance has fallen to 78% and two disclosures were reported this half term.",
      outcome: "A child in need assessment.",
      child: { name: `Bilal Croydontest E2E-${j.run}`, status: "Early help" },
    });
    const now = await read(page);
    assert.equal(now.status, "Open");
    assertStage(now, 1);
    await j.check(page, "raiser: stage 1");
    const business = await j.as(cast.business);
    assert.equal((await business.goto(url(esc.href))).status(), 404, "the CSCB Business Team sees it before stage 3");
  });

  await j.step(t, "stage 1: the front line workers record their discussion; the raiser takes it to their line manager", async () => {
    const receiver = await j.as(cast.receiver);
    await openFromMyWork(receiver, esc);
    await recordStage(j, receiver, esc, 1, {
      involved: "Class teacher and the duty social worker",
      issues: "Whether the family's needs meet the threshold for a child in need assessment.",
      discussion: "The social worker explained the threshold decision; the teacher set out the evidence.",
      actions: "Each raises it with their line manager.",
      outcome: "Not resolved between the front line workers.",
      learning: "Explain threshold decisions to referrers.",
    }, "the receiving social worker");
    const raiser = await j.as(cast.raiser);
    await open(raiser, esc);
    assertStage(await escalate(j, raiser, esc, 2, STAGES[2], "the raiser"), 2);
  });

  await j.step(t, "stage 2: the front line managers try to negotiate; the school's team manager escalates", async () => {
    const { school, csc } = cast.officers(2);
    assert.equal(school.id, cast.raiser.line_manager_id, "the school's stage 2 officer is the raiser's line manager");
    const cscPage = await j.as(csc);
    await openFromMyWork(cscPage, esc);
    await recordStage(j, cscPage, esc, 2, {
      involved: "The two front line team managers",
      issues: "The evidence of need and the threshold applied.",
      discussion: "The managers spoke and clarified the issues but could not agree.",
      actions: "Escalate to the safeguarding leads.",
      outcome: "Issues clarified; no settlement.",
      learning: "None yet.",
    }, "the receiving team manager");
    const schoolPage = await j.as(school);
    await openFromMyWork(schoolPage, esc);
    assertStage(await escalate(j, schoolPage, esc, 3, STAGES[3], "the school's team manager"), 3);
  });

  await j.step(t, "stage 3: the business team is told; the safeguarding leads hold the multi-agency meeting", async () => {
    const business = await j.as(cast.business);
    await business.goto(url("/partnership"));
    const link = business.getByRole("link", { name: esc.reference, exact: true });
    assert.ok(await link.count(), `${esc.reference} is not on the partnership view at stage 3`);
    await Promise.all([business.waitForURL((u) => u.pathname === esc.href), link.first().click()]);
    const seen = await read(business);
    assert.deepEqual(seen.actions, [], `the CSCB Business Team is offered ${seen.actions.join(", ")} at stage 3`);
    assert.match(seen.text, /not shared with you/);
    await j.check(business, "business team: stage 3");

    const { school, csc } = cast.officers(3);
    const schoolPage = await j.as(school);
    await openFromMyWork(schoolPage, esc);
    cast.meeting = londonNow(2);
    const tm = cast.officers(2);
    await arrangeMeeting(j, schoolPage, esc, {
      when: cast.meeting,
      chair: school,
      invited: [school, csc, tm.school, tm.csc],
      agencies: [cast.school, cast.csc],
    }, "the school's safeguarding lead");
    await j.check(schoolPage, "school safeguarding lead: meeting arranged");

    const cscPage = await j.as(csc);
    await openFromMyWork(cscPage, esc);
    await recordMeeting(j, cscPage, esc, {
      when: cast.meeting,
      attended: [school, csc, tm.csc],
      agencies: [cast.school, cast.csc],
      outcome: "Views heard from both agencies; no resolution centred on the child could be agreed.",
      actions: "The raising agency escalates to senior management.",
    }, "the receiving safeguarding lead");
    await recordStage(j, cscPage, esc, 3, {
      involved: "The designated safeguarding lead of the school and the children's social care service manager",
      issues: "Threshold for assessment.",
      discussion: "Multi-agency meeting held between the raising and receiving agencies.",
      actions: "Appendix A sent to the CSCB Business Team.",
      outcome: "Unresolved.",
      learning: "Threshold guidance to be shared with schools.",
    }, "the receiving safeguarding lead");
    // Appendix A: "completed and submitted by the Operational Manager or Safeguarding Lead or
    // Head of Service from the agency raising the concerns ... submitted at Stage 3". The
    // practitioner who raised it is not offered it.
    const raiserPage = await j.as(cast.raiser);
    await open(raiserPage, esc);
    assert.equal(await raiserPage.locator("main a.govuk-button", { hasText: /the form$/ }).count(), 0, "the raiser is offered Appendix A");
    await open(schoolPage, esc);
    await sendPartnershipForm(j, schoolPage, esc, APPENDIX_A, {
      "Agency": cast.school,
      "Brief description of your concern about a decision made": "A referral with new concerns was judged below the threshold for assessment.",
      "Brief description of what has been done to resolve the issue": "Front line, manager and safeguarding lead discussions, and a multi-agency meeting.",
      "Brief description of the outcome of these actions": "Unresolved at stage 3.",
    }, "the school's safeguarding lead");
    // The CSCB Business Team reads it, without the child.
    await open(business, esc);
    assert.match(await business.locator("main").innerText(), /Unresolved at stage 3\./);
    // "the agency raising the professional challenge should escalate it"
    assertStage(await escalate(j, schoolPage, esc, 4, STAGES[4], "the school's safeguarding lead"), 4);
  });

  await j.step(t, "stage 4: only senior management escalates to the Executive", async () => {
    // croydon.toml stage 4: escalate = ["stage-leads", "managers"].
    for (const [who, person] of [["the raiser", cast.raiser], ["the receiving social worker", cast.receiver]]) {
      const page = await j.as(person);
      await open(page, esc);
      assert.equal((await read(page)).stage, STAGES[4]);
      await assertNotOffered(page, "Escalate to stage 5", who);
      await assertOffered(page, "Resolve", who);
    }
    const { school, csc } = cast.officers(4);
    const cscPage = await j.as(csc);
    await openFromMyWork(cscPage, esc);
    await recordStage(j, cscPage, esc, 4, {
      involved: "Head of Service, children's social care; the headteacher",
      issues: "Threshold for assessment.",
      discussion: "Senior management reviewed the case and the Appendix A notification was updated.",
      actions: "Put formally to the Safeguarding Partners Executive.",
      outcome: "Unresolved at senior management.",
      learning: "None new.",
    }, "the head of service");
    const schoolPage = await j.as(school);
    await openFromMyWork(schoolPage, esc);
    await j.check(schoolPage, "headteacher: stage 4");
    assertStage(await escalate(j, schoolPage, esc, 5, STAGES[5], "the headteacher"), 5);
    const leads = (await schoolPage.locator("#current-stage").innerText()).replace(/\s+/g, " ");
    assert.ok(leads.includes(cast.officers(5).csc.name), "stage 5 does not name the Director of Children's Services");
    assert.ok(leads.includes("Director of Children's Services"));
  });

  await j.step(t, "stage 5: the business team appoints the Executive, which agrees the way forward and closes it", async () => {
    const business = await j.as(cast.business);
    await open(business, esc);
    await assertNotOffered(business, "Resolve", "the business team at stage 5");
    await appoint(j, business, esc, cast.executive, "the CSCB Business Team");

    // The raising agency updates Appendix A "if Stage 4 and 5 are used", its last section
    // requesting a CSCB-led dispute resolution meeting; the business team arranges it.
    const { school, csc } = cast.officers(5);
    const schoolPage = await j.as(school);
    await open(schoolPage, esc);
    await sendPartnershipForm(j, schoolPage, esc, APPENDIX_A, {
      "Brief description of the outcome of these actions": "Unresolved at stage 5.",
      "If unresolved: request for a CSCB-led dispute resolution meeting": "Both agencies ask the CSCB to lead a dispute resolution meeting.",
    }, "the school's stage 5 officer");
    await open(business, esc);
    assert.ok(await business.locator("#meeting-requested").count(), "the business team is not shown the meeting request");
    assert.match(await business.locator("#stage-meeting").innerText(), /CSCB-led dispute resolution meeting/);
    cast.resolutionMeeting = londonNow(1);
    await arrangeMeeting(j, business, esc, {
      when: cast.resolutionMeeting,
      invited: [school, csc, cast.executive],
      agencies: [cast.school, cast.csc],
    }, "the CSCB Business Team");

    const executive = await j.as(cast.executive);
    await openFromMyWork(executive, esc);
    await j.check(executive, "executive: stage 5");
    await recordMeeting(j, executive, esc, {
      when: cast.resolutionMeeting,
      attended: [school, csc, cast.executive],
      agencies: [cast.school, cast.csc],
      outcome: "The Executive heard both agencies and agreed a way forward.",
      actions: "Children's social care completes a child in need assessment.",
    }, "the Executive");
    // The Executive was appointed without the child's details (croydon.toml [[appointment]]).
    assert.match(await executive.locator("main").innerText(), /not shared with you/);
    await recordStage(j, executive, esc, 5, {
      involved: "The Safeguarding Partners Executive, the Director of Children's Services, the headteacher",
      issues: "Threshold for assessment.",
      discussion: "The Executive considered the Appendix A notification and both agencies' views.",
      actions: "Children's social care completes a child in need assessment; the threshold guidance is reviewed.",
      outcome: "A way forward agreed by both agencies.",
      learning: "Threshold guidance to be reviewed by the Board.",
    }, "the Executive");
    // "The safeguarding partners executive will agree a way forward": the agencies agree it,
    // both sides (issue 14, item 2): the school proposes it, the receiving agency's Director
    // confirms it. The Executive, on neither side, proposes nothing.
    await open(schoolPage, esc);
    await closeByAgreement(j, schoolPage, esc, { who: "the school's stage 5 officer", otherSide: csc });
  });

  await j.step(t, "closing: the raiser sees it resolved by agreement", async () => {
    const now = await raiserSeesClosed(j, esc, "Resolved by agreement");
    assert.equal(now.stage, STAGES[5]);
    assert.equal(now.stages.length, 5);
  });
});

test("every page of the Croydon journey passes axe (WCAG 2.2 A and AA)", () => {
  j.assertAccessible();
});
