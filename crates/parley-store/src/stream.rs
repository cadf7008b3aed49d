//! The names of the event log's streams, in one place. A leaf: it imports nothing of the
//! crate, so the backends, the records service and the projector all take their names from
//! here without importing each other.
//!
//! Each partnership's events form one hash chain; within it, a stream is the sequence of
//! events about one thing, versioned on its own so that two people acting on different things
//! never conflict:
//!
//! | stream                          | what its events are about                                |
//! |---------------------------------|----------------------------------------------------------|
//! | `partnership`                   | the partnership, its procedures and closure days          |
//! | `agency:{id}`                   | one agency                                               |
//! | `person:{id}`                   | one person (account, roles)                              |
//! | `named-officer:{agency}:{stage}`| an agency's named officer for a stage                    |
//! | `escalation:{id}`               | one escalation                                           |
//! | `access:{escalation id}`        | who was shown an escalation's child details              |
//! | `compliment:{id}`               | one compliment                                           |
//! | `purge:{seq}`                   | the purge of one event's content                         |
//! | `report:{id}`                   | a report the procedure calls for: each period it fell due |

use std::fmt;
use std::str::FromStr;

/// The partnership's own stream: its configuration (procedures, closure days, settings).
pub const PARTNERSHIP: &str = "partnership";

/// A stream of a partnership's event log.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stream {
    Partnership,
    Agency(String),
    Person(String),
    NamedOfficer {
        agency: String,
        stage: i64,
    },
    Escalation(String),
    /// Kept apart from the escalation's own stream, so that reading the child's details never
    /// moves the version a form is based on.
    Access(String),
    Compliment(String),
    Purge(i64),
    /// A report the procedure calls for (`[[report]]`, by its id): one event each period it
    /// falls due, so that the business team is reminded once.
    Report(String),
}

impl Stream {
    /// The escalation a stream is about: its own stream or its access stream.
    pub fn escalation_id(&self) -> Option<&str> {
        match self {
            Stream::Escalation(id) | Stream::Access(id) => Some(id),
            _ => None,
        }
    }
}

/// `escalation:{id}`, the stream an escalation's events go on.
pub fn escalation(id: &str) -> String {
    Stream::Escalation(id.to_owned()).to_string()
}

/// `access:{id}`, the stream recording who was shown an escalation's child details.
pub fn access(escalation_id: &str) -> String {
    Stream::Access(escalation_id.to_owned()).to_string()
}

impl fmt::Display for Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stream::Partnership => f.write_str(PARTNERSHIP),
            Stream::Agency(id) => write!(f, "agency:{id}"),
            Stream::Person(id) => write!(f, "person:{id}"),
            Stream::NamedOfficer { agency, stage } => write!(f, "named-officer:{agency}:{stage}"),
            Stream::Escalation(id) => write!(f, "escalation:{id}"),
            Stream::Access(id) => write!(f, "access:{id}"),
            Stream::Compliment(id) => write!(f, "compliment:{id}"),
            Stream::Purge(seq) => write!(f, "purge:{seq}"),
            Stream::Report(id) => write!(f, "report:{id}"),
        }
    }
}

/// A stream name that is none of the above (it names itself).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a stream name: {0:?}")]
pub struct UnknownStream(pub String);

impl FromStr for Stream {
    type Err = UnknownStream;

    fn from_str(s: &str) -> Result<Stream, UnknownStream> {
        let unknown = || UnknownStream(s.to_owned());
        if s == PARTNERSHIP {
            return Ok(Stream::Partnership);
        }
        let (kind, rest) = s.split_once(':').ok_or_else(unknown)?;
        if rest.is_empty() {
            return Err(unknown());
        }
        let owned = rest.to_owned();
        Ok(match kind {
            "agency" => Stream::Agency(owned),
            "person" => Stream::Person(owned),
            "escalation" => Stream::Escalation(owned),
            "access" => Stream::Access(owned),
            "compliment" => Stream::Compliment(owned),
            "report" => Stream::Report(owned),
            "purge" => Stream::Purge(rest.parse().map_err(|_| unknown())?),
            "named-officer" => {
                // The agency id may itself hold a colon: the stage is after the last one.
                let (agency, stage) = rest.rsplit_once(':').ok_or_else(unknown)?;
                if agency.is_empty() {
                    return Err(unknown());
                }
                Stream::NamedOfficer {
                    agency: agency.to_owned(),
                    stage: stage.parse().map_err(|_| unknown())?,
                }
            }
            _ => return Err(unknown()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_as_written() {
        let all = [
            Stream::Partnership,
            Stream::Agency("ag-1".into()),
            Stream::Person("p:odd".into()),
            Stream::NamedOfficer {
                agency: "ag:with:colons".into(),
                stage: 3,
            },
            Stream::Escalation("e-1".into()),
            Stream::Access("e-1".into()),
            Stream::Compliment("c-1".into()),
            Stream::Purge(42),
            Stream::Report("stage-3-and-above".into()),
        ];
        for s in all {
            assert_eq!(s.to_string().parse::<Stream>(), Ok(s.clone()), "{s}");
        }
        assert_eq!(escalation("e-9"), "escalation:e-9");
        assert_eq!(access("e-9"), "access:e-9");
    }

    #[test]
    fn names_that_are_no_stream_are_refused() {
        for bad in [
            "",
            "partnership:x",
            "escalation",
            "escalation:",
            "purge:x",
            "purge:",
            "named-officer:ag",
            "named-officer::2",
            "named-officer:ag:two",
            "case:1",
            "report:",
            "Escalation:1",
        ] {
            assert_eq!(
                bad.parse::<Stream>(),
                Err(UnknownStream(bad.to_owned())),
                "{bad:?}"
            );
        }
    }
}
