use super::*;
use parley_core::seeds;

#[test]
fn the_generator_is_splitmix64() {
    // Reference values of SplitMix64 seeded with 1234567.
    let mut r = Rng(1_234_567);
    assert_eq!(r.next(), 6_457_827_717_110_365_317);
    assert_eq!(r.next(), 3_203_168_211_198_807_973);
}

#[test]
fn every_procedure_covers_every_status() {
    for p in seeds::all().unwrap() {
        let cover = coverage(&p);
        assert!(cover.contains(&Ending::Withdrawn), "{}", p.id);
        assert!(cover.iter().any(|e| matches!(e, Ending::Redirected(_))));
        assert_eq!(
            cover.iter().any(|e| matches!(e, Ending::ReferredOn(_))),
            !p.referrals.is_empty(),
            "{}",
            p.id
        );
    }
}

#[test]
fn topics_follow_category_ids() {
    assert_eq!(topic("referral-eligibility"), Topic::Threshold);
    assert_eq!(topic("levels-of-need"), Topic::Threshold);
    assert_eq!(topic("cp-conference"), Topic::Meeting);
    assert_eq!(topic("strategic-theme"), Topic::Strategic);
    assert_eq!(topic("plans"), Topic::Plan);
    assert_eq!(topic("other"), Topic::Other);
}

#[test]
fn markers_are_distinct_and_findable() {
    let a = marker("solihull", 7);
    assert_eq!(a, "MARKER-SOLIHULL-00007");
    assert_ne!(a, marker("sunderland", 7));
    assert!(a.starts_with(MARKER_PREFIX));
}
