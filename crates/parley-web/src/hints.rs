//! The hints shown beside the boxes the partnership business team reads, in the templates
//! and the API alike. A leaf: the templates and the free-text check both take them from here.

/// The hint beside every box the partnership reads.
pub const HINT: &str = "The partnership reads this, so do not name the child or family, or give their date of birth, address or case number.";

/// The hint beside the compliment box: a compliment has no child at all.
pub const COMPLIMENT_HINT: &str = "A compliment is about a colleague’s work, not a child: the partnership business team reads every compliment, so do not name any child or family, or give their date of birth, address or case number.";
