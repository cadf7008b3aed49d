//! Texts. Several of each, so that lists and reports look like real work. None of them names a
//! child: the child's details are only in the child record.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Topic {
    Threshold,
    Plan,
    Information,
    Roles,
    Meeting,
    Response,
    Strategic,
    Other,
}

/// The kind of disagreement a procedure's category is about, from its id.
pub(crate) fn topic(category: &str) -> Topic {
    let has = |words: &[&str]| words.iter().any(|w| category.contains(w));
    if has(&["strategic", "service-model", "theme"]) {
        Topic::Strategic
    } else if has(&["conference", "meeting"]) {
        Topic::Meeting
    } else if has(&["referral", "level", "threshold", "child-protection"]) {
        Topic::Threshold
    } else if has(&["plan", "assessment"]) {
        Topic::Plan
    } else if has(&["information", "communication"]) {
        Topic::Information
    } else if has(&["roles", "who-provides", "need-for-action"]) {
        Topic::Roles
    } else if has(&["action", "response", "decision"]) {
        Topic::Response
    } else {
        Topic::Other
    }
}

pub(crate) struct Case {
    pub(crate) summary: &'static [&'static str],
    pub(crate) decision: &'static [&'static str],
    pub(crate) evidence: &'static [&'static str],
    pub(crate) wanted: &'static [&'static str],
}

pub(crate) fn case_texts(topic: Topic) -> Case {
    match topic {
        Topic::Threshold => Case {
            summary: &[
                "Referral to {receiving} closed with no further action",
                "Request for a child and family assessment declined by {receiving}",
                "Contact to the front door stepped down to universal services",
                "Strategy discussion not held after a disclosure reported by {raising}",
                "Disagreement about whether the threshold for section 47 enquiries is met",
            ],
            decision: &[
                "{receiving} decided the referral did not meet the threshold for assessment and closed it with advice.",
                "{receiving} stepped the contact down to early help without speaking to the referrer.",
                "{receiving} recorded the concerns as information only and took no further action.",
                "{receiving} decided a strategy discussion was not needed because the parent gave a credible explanation.",
            ],
            evidence: &[
                "Three incidents this term, each recorded by {raising}: unexplained bruising, repeated hunger and a disclosure of shouting at home. Attendance has fallen to 78%.",
                "{raising} has recorded a pattern of missed health appointments and poor home conditions over six months, shared in two earlier referrals.",
                "Police attended the home twice in a month for domestic abuse incidents; the child was present on both occasions.",
                "The child told a member of staff at {raising} they did not want to go home; the chronology shows escalating neglect indicators.",
            ],
            wanted: &[
                "A child and family assessment, and a strategy discussion if the assessment finds significant harm.",
                "The referral reconsidered by a team manager, with the referrer's information taken into account.",
                "A multi-agency discussion to agree the level of need, with {raising} invited.",
                "The decision reviewed and the reasons shared in writing with {raising}.",
            ],
        },
        Topic::Plan => Case {
            summary: &[
                "Child in need plan not progressing; actions overdue with {receiving}",
                "Assessment recommendations not reflected in the plan",
                "Disagreement about stepping down a child protection plan",
                "Core group actions for {receiving} not completed",
            ],
            decision: &[
                "{receiving} proposes to close the plan at the next review although two actions are outstanding.",
                "{receiving} has not started the parenting work agreed at the last core group.",
                "{receiving} recommended stepping the plan down to child in need despite a recent incident.",
                "The plan agreed by {receiving} does not include the therapeutic support the assessment recommended.",
            ],
            evidence: &[
                "Minutes of the last two core groups show the same actions carried forward; no visit recorded for five weeks.",
                "The assessment completed in the spring recommended a referral to CAMHS; none has been made.",
                "{raising} recorded a further incident after the review; the parent has disengaged from the support offered.",
                "The school nurse and the class teacher both report no change in the child's presentation since the plan began.",
            ],
            wanted: &[
                "The plan kept open and reviewed with every agency present.",
                "The outstanding actions given named owners and dates.",
                "An early review meeting to reconsider the step-down.",
                "The assessment's recommendations written into the plan.",
            ],
        },
        Topic::Information => Case {
            summary: &[
                "Information requested from {receiving} not shared",
                "Agencies not told about a change in the household",
                "Strategy discussion outcome not shared with {raising}",
                "Disagreement about sharing health information without consent",
            ],
            decision: &[
                "{receiving} declined to share the information without the parent's consent.",
                "{receiving} did not tell partner agencies that a new adult had moved into the household.",
                "{receiving} has not replied to three requests for the outcome of the strategy discussion.",
                "{receiving} shared only a summary and withheld the risk assessment.",
            ],
            evidence: &[
                "Requests were sent by secure e-mail on three dates; no reply has been received.",
                "{raising} learned of the new partner from the child; the partner is known to police.",
                "Working Together allows information to be shared without consent where a child may be at risk of significant harm.",
                "Without the risk assessment {raising} cannot plan safe visits.",
            ],
            wanted: &[
                "The information shared within two working days.",
                "An agreed protocol for telling partner agencies about changes in the household.",
                "The strategy discussion outcome shared with every agency involved.",
                "A conversation between the two agencies' safeguarding leads about consent.",
            ],
        },
        Topic::Roles => Case {
            summary: &[
                "Disagreement about which agency should lead the work",
                "Lead professional role left vacant after transfer",
                "Support agreed at the meeting not provided by {receiving}",
                "Disagreement about who funds a specialist placement",
            ],
            decision: &[
                "{receiving} says the work belongs to another service and has closed its involvement.",
                "{receiving} declined to take on the lead professional role after the family moved.",
                "{receiving} withdrew the family support offered at the last meeting, citing capacity.",
                "{receiving} has refused to contribute to the cost of the placement.",
            ],
            evidence: &[
                "The family now lives in the area; {receiving} holds the most recent assessment.",
                "Nobody has coordinated the plan for six weeks; the family has had four different contacts.",
                "The meeting minutes record the support agreed and who would provide it.",
                "The placement was recommended by every agency at the review.",
            ],
            wanted: &[
                "A lead agency agreed and recorded.",
                "A named lead professional within five working days.",
                "The support provided as agreed, or an alternative offered.",
                "A decision on funding that does not delay the placement.",
            ],
        },
        Topic::Meeting => Case {
            summary: &[
                "Dissent from the decision of the child protection conference",
                "Disagreement with the outcome of the multi-agency meeting",
                "Conference decided not to make a child protection plan",
                "Review meeting decision reached without {raising}'s report",
            ],
            decision: &[
                "The conference decided a child protection plan was not needed; {raising} registered dissent at the meeting.",
                "The meeting chaired by {receiving} decided to close the case to statutory services.",
                "The review went ahead without the report {raising} had submitted.",
                "The meeting agreed to end the plan although {raising} reported new concerns.",
            ],
            evidence: &[
                "{raising}'s report set out ongoing neglect; the minutes do not record it being considered.",
                "A further incident occurred two days after the meeting.",
                "The chair's summary does not reflect the risks discussed.",
                "Two of the four agencies present disagreed with the decision.",
            ],
            wanted: &[
                "The decision reviewed by the conference chair's manager.",
                "A reconvened meeting with every agency's information.",
                "The dissent recorded and the plan reconsidered.",
                "The minutes corrected and reissued.",
            ],
        },
        Topic::Response => Case {
            summary: &[
                "Concern about another agency's response to a disclosure",
                "No follow-up visit after an incident reported by {raising}",
                "Decision by {receiving} not explained to partner agencies",
                "Concern that {receiving}'s response does not meet the child's needs",
            ],
            decision: &[
                "{receiving} did not visit after the incident and recorded no further action.",
                "{receiving} made a decision about the family's support without telling the agencies involved.",
                "{receiving} responded to the disclosure by speaking only to the parent.",
                "{receiving} closed its involvement after one appointment was missed.",
            ],
            evidence: &[
                "The incident log and the child's account were sent to {receiving} the same day.",
                "The family has missed three appointments; no agency has seen the child for a month.",
                "{raising} was not invited to the discussion where the decision was made.",
                "The child's presentation has worsened since the decision.",
            ],
            wanted: &[
                "A visit to see the child, and the outcome shared.",
                "The reasons for the decision explained in writing.",
                "The decision reviewed by a manager.",
                "A joint visit by both agencies.",
            ],
        },
        Topic::Strategic => Case {
            summary: &[
                "Waiting times for assessments across the partnership",
                "Thresholds applied inconsistently at the front door",
                "Out-of-hours response to young people going missing",
                "Service model change affecting safeguarding referrals",
            ],
            decision: &[
                "{receiving} has changed its service model without consulting partner agencies.",
                "{receiving}'s waiting list for assessments has grown to twelve weeks.",
                "{receiving} no longer attends multi-agency meetings out of hours.",
                "{receiving} applies a higher threshold than the partnership's agreed guidance.",
            ],
            evidence: &[
                "Partnership data for the last two quarters show a rising number of re-referrals.",
                "Five escalations this year raised the same issue with {receiving}.",
                "Audit findings from the multi-agency case audit in the spring.",
                "Feedback from schools and health visitors collected by the partnership.",
            ],
            wanted: &[
                "The issue taken to the partnership's executive with a plan and timescale.",
                "A partnership-wide review of how thresholds are applied.",
                "An agreed interim arrangement while the service model is reviewed.",
                "The service change assessed for its effect on children's safety.",
            ],
        },
        Topic::Other => Case {
            summary: &[
                "Disagreement about the safety plan for a family",
                "Concern about contact arrangements agreed by {receiving}",
                "Disagreement about a transition between services",
                "Concern about the timing of a case closure by {receiving}",
            ],
            decision: &[
                "{receiving} agreed unsupervised contact although the risk assessment is incomplete.",
                "{receiving} closed the case before the transition plan was in place.",
                "{receiving} changed the safety plan without a multi-agency discussion.",
                "{receiving} ended its involvement at short notice.",
            ],
            evidence: &[
                "The risk assessment is due next month; the concerns that led to it remain.",
                "The transition plan was agreed at the last meeting but has not started.",
                "{raising} was told of the change by the family.",
                "Attendance and health records show a decline since the change.",
            ],
            wanted: &[
                "The decision paused until the assessment is complete.",
                "A multi-agency meeting before any change to the plan.",
                "The transition plan started before the case closes.",
                "Clear reasons, and a chance to contribute before a decision.",
            ],
        },
    }
}

pub(crate) const DISCUSSION: [&str; 6] = [
    "Both practitioners spoke by phone and went through the chronology. {receiving} explained its decision; {raising} set out the concerns it had recorded.",
    "The managers met on Teams and reviewed the referral, the assessment and the latest incident. Each agency's view was recorded.",
    "Discussed the child's lived experience and what each agency knows. Agreed that the information had not all been seen by the decision maker.",
    "The two agencies looked again at the threshold guidance together. The disagreement is about how recent incidents were weighed.",
    "Reviewed what has changed since the decision. {receiving} accepted that some of {raising}'s information was not available at the time.",
    "A frank discussion; both sides agreed the child's interests come first and that the difference is professional, not personal.",
];

pub(crate) const ACTIONS: [&str; 6] = [
    "{receiving} to review the case with a team manager by the end of the week; {raising} to send its chronology today.",
    "Joint visit to be arranged within five working days; both agencies to record the agreement on the child's file.",
    "Strategy discussion to be convened; {raising} to attend.",
    "{receiving} to write to {raising} with the reasons for its decision and the information considered.",
    "Each agency to share its records with the other's safeguarding lead by secure e-mail.",
    "Professionals' meeting to be arranged; the business team to be told of the escalation.",
];

pub(crate) const LEARNING: [&str; 6] = [
    "Training need: threshold guidance to be covered in the next multi-agency training session.",
    "New practice guidance: referrers to be told the outcome of a referral in writing.",
    "Commissioning need: waiting times for assessments raised with the commissioners.",
    "Multi-agency lesson: information shared at a strategy discussion must reach every agency involved (sent to the business team).",
    "Gap in procedures: no agreed route for sharing changes in the household; raised with the partnership.",
    "Single-agency learning: supervision to include checking that escalations are recorded on the child's file.",
];

pub(crate) const AGREED: [&str; 5] = [
    "Agreed: {receiving} will complete a child and family assessment; {raising} is satisfied with the way forward.",
    "Agreed: the plan stays open and will be reviewed with every agency present.",
    "Agreed: the information will be shared and both agencies will attend the next meeting.",
    "Agreed: a lead professional has been named and the support will start next week.",
    "Agreed: the decision stands, with reasons that {raising} now understands and accepts.",
];

pub(crate) const DISAGREED: [&str; 3] = [
    "Not agreed. {receiving}'s decision stands; {raising}'s disagreement is recorded on both agencies' files.",
    "The agencies still disagree. The final decision was made at this stage and the difference of view is recorded.",
    "Decision confirmed by the senior managers; {raising} maintains its view, which is recorded for the partnership.",
];

pub(crate) const BY_EVENTS: [&str; 3] = [
    "Events overtook the disagreement: the family moved out of the area and the case transferred.",
    "A new incident led to a strategy discussion and section 47 enquiries, which resolved the disagreement.",
    "The child's circumstances changed (a new school place and a family support package), so the question no longer arises.",
];

pub(crate) const ESCALATE: [&str; 5] = [
    "Not resolved at this stage: {receiving} maintains its decision.",
    "Not resolved within the timescale; the managers could not agree.",
    "No reply from {receiving} within the timescale.",
    "Agreement reached on some actions but not on the decision itself.",
    "The concerns are serious enough to need more senior managers.",
];

pub(crate) const WITHDRAWN: [&str; 3] = [
    "Withdrawn: {receiving} shared the information and {raising} no longer disagrees.",
    "Withdrawn by the raiser after a conversation with their own safeguarding lead.",
    "Withdrawn: the concern was resolved informally before the stage began.",
];

pub(crate) fn fill(template: &str, raising: &str, receiving: &str) -> String {
    template
        .replace("{raising}", raising)
        .replace("{receiving}", receiving)
}
