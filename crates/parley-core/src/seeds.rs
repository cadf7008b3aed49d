//! The five procedures built into Parley, from the partnerships' published documents.

use crate::procedure::{self, Procedure, ProcedureErrors};

/// Id and file text of each built-in procedure.
pub const SEEDS: [(&str, &str); 5] = [
    ("solihull", include_str!("../procedures/solihull.toml")),
    ("croydon", include_str!("../procedures/croydon.toml")),
    ("dorset", include_str!("../procedures/dorset.toml")),
    ("sunderland", include_str!("../procedures/sunderland.toml")),
    (
        "buckinghamshire",
        include_str!("../procedures/buckinghamshire.toml"),
    ),
];

/// The ids of the built-in procedures.
pub fn ids() -> impl Iterator<Item = &'static str> {
    SEEDS.iter().map(|(id, _)| *id)
}

/// The file text of a built-in procedure.
pub fn source(id: &str) -> Option<&'static str> {
    SEEDS.iter().find(|(i, _)| *i == id).map(|(_, text)| *text)
}

/// A built-in procedure, parsed. `None` if there is no such id.
pub fn get(id: &str) -> Option<Result<Procedure, ProcedureErrors>> {
    source(id).map(procedure::parse)
}

/// Every built-in procedure, parsed.
pub fn all() -> Result<Vec<Procedure>, (&'static str, ProcedureErrors)> {
    SEEDS
        .iter()
        .map(|(id, text)| procedure::parse(text).map_err(|e| (*id, e)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_seed_parses_and_has_its_own_id() {
        for (id, text) in SEEDS {
            let p = procedure::parse(text).unwrap_or_else(|e| panic!("{}", e.render(id, text)));
            assert_eq!(p.id.as_str(), id);
        }
    }
}
