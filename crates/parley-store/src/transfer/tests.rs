use super::*;
use crate::chain::Link;
use std::path::PathBuf;

#[test]
fn event_lines_round_trip_bytes_exactly() {
    let link = Link {
        partnership_id: "p".into(),
        seq: 7,
        stream: "escalation:x".into(),
        stream_version: 3,
        at_us: -5,
        kind: "raised".into(),
        actor: None,
        reason: Some("why \"quoted\"\n".into()),
        payload: None,
        salt: Some(vec![0, 255, 16]),
        content_hash: vec![1; 32],
        prev_hash: vec![0; 32],
        hash: vec![0xab; 32],
    };
    let line = Line::Event(EventLine::from(&link));
    let text = serde_json::to_string(&line).unwrap();
    assert!(
        text.starts_with(r#"{"type":"event","partnership_id":"p","seq":7,"#),
        "{text}"
    );
    assert!(text.contains(r#""salt":"00ff10""#), "{text}");
    let Line::Event(back) = serde_json::from_str(&text).unwrap() else {
        panic!("{text}")
    };
    let back = back.into_link().unwrap();
    assert_eq!(format!("{back:?}"), format!("{link:?}"));
}

#[test]
fn urls_name_their_backend_and_file() {
    assert_eq!(
        Target::parse("sqlite:///tmp/x.db?synchronous=full").unwrap(),
        Target::Sqlite {
            path: PathBuf::from("/tmp/x.db"),
            query: "synchronous=full".into()
        }
    );
    assert!(matches!(
        Target::parse("postgresql://u@h/db").unwrap(),
        Target::Postgres(_)
    ));
    assert!(Target::parse("mysql://h/db").is_err());
}
