// Dorset Safeguarding Children Partnership, "Multi-Agency Procedure for Resolution of
// Professional Differences" (v2.0, 2024), walked end to end in real Chromium through the
// pages, by the people the document names. Every timescale counts from Day One (§4: "The date
// of this decision is Day One"): stage 1 by working day 3, stage 2 by day 6, stage 3 by day 9,
// stage 4 by day 12, whenever each stage started.
//
//   Raising  the start page asks the practitioner to try standard practice first and says
//            what Day One is (§4); the route question offers a challenge about a child (stage
//            1), a thematic one (stage 3) or a strategic one (stage 4, senior leaders only).
//   Stage 1  line managers (§5). dorset.toml lets only the stage's officers and managers
//            escalate: the practitioners are not offered it; the school's line manager is.
//   Stage 2  second-tier managers (§6), who "should escalate it to Stage Three".
//   Stage 3  Heads of Service (§7). The Partnership Business Team is notified, and "It is not
//            the role of the ... Business team to resolve the issues": it is offered nothing.
//   Stage 4  senior leaders (§8): for the statutory partners, the Corporate Director, the
//            Detective Superintendent and the Head of Safeguarding; they close it by agreement.
//   Meeting  none to arrange: the document's one meeting, "a professionals' meeting to review
//            the matter", is standard practice before Day One (§4), outside any stage
//            (dorset.toml lists it under [[not_carried]]; no stage provides a meeting). The
//            journey checks that no stage offers "Arrange a meeting".
//   Referral none: Dorset's document has no referral beyond stage 4 (no [[referral]] in
//            dorset.toml), so this journey refers nothing on.
//   Closing  the raiser sees it resolved by agreement.
//
//   node --test web/e2e/journey-dorset.mjs   (through scripts/browser-test, which sets PARLEY_URL)
import { after, before, test } from "node:test";
import {
  Journey,
  assert,
  assertNotOffered,
  assertOffered,
  closeByAgreement,
  dayN,
  dayOne,
  escalate,
  longDate,
  open,
  openFromMyWork,
  raise,
  raiserSeesClosed,
  read,
  recordStage,
  url,
} from "./journeys-lib.mjs";

const j = new Journey("Dorset", "dorset");
let esc;
let cast;

const STAGES = {
  1: "Stage One professional challenge: line managers",
  2: "Stage Two professional challenge: second-tier managers",
  3: "Stage Three escalation: Heads of Service",
  4: "Stage Four escalation: senior leaders",
};
// §5 to §8: working days from Day One.
const DAY = { 1: 3, 2: 6, 3: 9, 4: 12 };

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

/** Stage `n` is current and due on working day DAY[n] counted from Day One, the day raised. */
function assertStage(now, n) {
  assert.equal(now.stage, STAGES[n]);
  const due = dayN(esc.raisedOn, DAY[n]);
  assert.equal(now.stageDue.date, due, `stage ${n}: Day One ${dayOne(esc.raisedOn)}, day ${DAY[n]} is ${due}; the page says ${now.stageDue.date}`);
  assert.ok(now.stageDue.text.startsWith(longDate(due)), `stage ${n}: "${now.stageDue.text}"`);
  assert.equal(now.wholeDue, null);
}

/** The person acting at the stage is offered no meeting: no Dorset stage has one. */
async function noMeeting(page, who) {
  await assertNotOffered(page, "Arrange a meeting", who);
  await assertNotOffered(page, "Convene a professionals’ meeting", who);
}

test("Dorset: a challenge about a child walked through the four stages from Day One, closed by agreement by the senior leaders", async (t) => {
  await j.step(t, "raising: the practitioner raises it at stage 1, after standard practice", async () => {
    const page = await j.as(cast.raiser);
    esc = await raise(j, page, {
      startSays: ["Before you raise a challenge", "The date of that decision is Day One"],
      // A practitioner may raise about a child or a thematic issue; a strategic concern is for
      // senior leaders (§1: "senior leaders ... can raise directly at stage 4").
      routes: ["About a child", "Thematic (several children or a service)"],
      route: "About a child",
      receivingAgency: cast.csc,
      receiver: cast.receiver,
      decision: `Children's social care did not convene a strategy discussion for the child (E2E-${j.run}) after a disclosure at school.`,
      summary: "No strategy discussion after a disclosure reported by the school",
      categories: [
        "An agency's response that does not seem to be in the child's best interest",
        "A plan for a child that is not making the progress expected",
        "No shared understanding of why an agency made a decision",
        "A referral judged not to meet the threshold for assessment by Children's Social Care",
        "Whether child protection procedures should be started",
        "Sharing information or providing services",
        "An assessment's outcome, or whether the right action plan is in place",
        "A safeguarding theme that needs strategic oversight",
        "An agency's model of service or delivery that affects children's safeguarding",
        "Something else",
      ],
      category: "Whether child protection procedures should be started",
      evidence: "The disclosure was recorded and referred the same day; no strategy discussion followed.",
      outcome: "A strategy discussion with the school present.",
      child: { name: `Cora Dorsettest E2E-${j.run}`, status: "Child in need" },
    });
    const now = await read(page);
    assert.equal(now.status, "Open");
    assertStage(now, 1);
    assert.match(now.text, /About a child/);
    await j.check(page, "raiser: stage 1");
  });

  await j.step(t, "stage 1: the practitioners may not escalate; the line managers record and escalate", async () => {
    for (const [who, person] of [["the raiser", cast.raiser], ["the receiving social worker", cast.receiver]]) {
      const page = await j.as(person);
      await open(page, esc);
      await assertNotOffered(page, "Escalate to stage 2", who);
      await assertOffered(page, "Resolve", who);
    }
    const { school, csc } = cast.officers(1);
    assert.equal(school.id, cast.raiser.line_manager_id, "the school's stage 1 officer is the raiser's line manager");
    const cscPage = await j.as(csc);
    await openFromMyWork(cscPage, esc);
    await noMeeting(cscPage, "the receiving line manager");
    await recordStage(j, cscPage, esc, 1, {
      involved: "The two line managers",
      discussion: "The line managers discussed the decision not to hold a strategy discussion.",
      actions: "Raise to the second-tier managers.",
      outcome: "Not resolved by working day 3.",
      learning: "Share the reasons for not convening strategy discussions.",
    }, "the receiving line manager");
    const schoolPage = await j.as(school);
    await openFromMyWork(schoolPage, esc);
    assertStage(await escalate(j, schoolPage, esc, 2, STAGES[2], "the school's line manager"), 2);
  });

  await j.step(t, "stage 2: the second-tier managers review the evidence and escalate", async () => {
    const raiser = await j.as(cast.raiser);
    await open(raiser, esc);
    await assertNotOffered(raiser, "Escalate to stage 3", "the raiser");
    const { school, csc } = cast.officers(2);
    const cscPage = await j.as(csc);
    await openFromMyWork(cscPage, esc);
    await noMeeting(cscPage, "the receiving second-tier manager");
    await recordStage(j, cscPage, esc, 2, {
      involved: "The service manager and the school's designated safeguarding lead",
      discussion: "The evidence was reviewed with the practitioner and the line manager of each side.",
      actions: "Escalate to the Heads of Service.",
      outcome: "No resolution by working day 6.",
      learning: "None new.",
    }, "the receiving second-tier manager");
    const schoolPage = await j.as(school);
    await openFromMyWork(schoolPage, esc);
    assertStage(await escalate(j, schoolPage, esc, 3, STAGES[3], "the school's second-tier manager"), 3);
  });

  await j.step(t, "stage 3: the business team is told and does not act; the Heads of Service escalate", async () => {
    const business = await j.as(cast.business);
    await business.goto(url("/partnership"));
    const link = business.getByRole("link", { name: esc.reference, exact: true });
    assert.ok(await link.count(), `${esc.reference} is not on the partnership view at stage 3`);
    await Promise.all([business.waitForURL((u) => u.pathname === esc.href), link.first().click()]);
    const seen = await read(business);
    assert.deepEqual(seen.actions, [], `the Business Team is offered ${seen.actions.join(", ")}`);
    assert.equal(seen.appoint, false);
    assert.match(seen.text, /not shared with you/);
    await j.check(business, "business team: stage 3");

    const { school, csc } = cast.officers(3);
    const cscPage = await j.as(csc);
    await openFromMyWork(cscPage, esc);
    await noMeeting(cscPage, "the receiving Head of Service");
    await recordStage(j, cscPage, esc, 3, {
      involved: "Heads of Service of both agencies",
      discussion: "Every effort was made to resolve it at stage three; the systemic issue was identified.",
      actions: "A plan to review strategy discussion thresholds across the front door.",
      outcome: "Disagreement with the plan remains: referred to the senior leaders.",
      learning: "Organisational issue: thresholds for strategy discussions after disclosures.",
    }, "the receiving Head of Service");
    const schoolPage = await j.as(school);
    await openFromMyWork(schoolPage, esc);
    assertStage(await escalate(j, schoolPage, esc, 4, STAGES[4], "the school's Head of Service"), 4);
    const leads = (await schoolPage.locator("#current-stage").innerText()).replace(/\s+/g, " ");
    assert.ok(leads.includes("Corporate Director Quality Assurance and Safeguarding Families Together (Dorset Council)"), "stage 4 does not name Dorset Council's senior leader (§8)");
  });

  await j.step(t, "stage 4: the senior leaders note the obstacles and close it by agreement", async () => {
    const { school, csc } = cast.officers(4);
    const cscPage = await j.as(csc);
    await openFromMyWork(cscPage, esc);
    await j.check(cscPage, "Corporate Director: stage 4");
    await noMeeting(cscPage, "the Corporate Director");
    await recordStage(j, cscPage, esc, 4, {
      involved: "The Corporate Director and the school's senior leader",
      discussion: "The senior leaders noted the obstacle to working together and agreed a way forward.",
      actions: "Strategy discussion to be held; the front door's guidance updated.",
      outcome: "Agreed between the senior leaders.",
      learning: "Reported to the place-based safeguarding arrangements.",
    }, "the Corporate Director");
    // The receiving agency's senior leader records the agreement; the school's senior leader
    // confirms it once agreement needs both sides.
    await closeByAgreement(j, cscPage, esc, { who: "the receiving agency's senior leader", otherSide: school });
  });

  await j.step(t, "closing: the raiser sees it resolved by agreement", async () => {
    const now = await raiserSeesClosed(j, esc, "Resolved by agreement");
    assert.equal(now.stage, STAGES[4]);
  });
});

test("every page of the Dorset journey passes axe (WCAG 2.2 A and AA)", () => {
  j.assertAccessible();
});
