//! The partnership's set-up as the query tables hold it: partnerships, their procedures,
//! agencies, people and named officers, and the compliments people gave.

use async_trait::async_trait;

use super::cells::Cells;
use super::driver::{Read, SqlStore};
use super::statements::Arg;
use crate::StoreError;
use crate::rows::{
    AgencyRow, ComplimentRow, NamedOfficerRow, PartnershipRow, PersonRow, ProcedureRow,
};

const PARTNERSHIPS: &str = "SELECT id, name, short_name, procedure_id, procedure_version, closure_days, created_at_us FROM partnerships ORDER BY name";

const PROCEDURES: &str = "SELECT partnership_id, version, procedure_id, source, sha256, adopted_at_us FROM procedures WHERE partnership_id = $1 ORDER BY version";

const AGENCIES: &str = "SELECT id, partnership_id, name, sector FROM agencies WHERE partnership_id = $1 ORDER BY name, id";

const PEOPLE: &str = "SELECT id, partnership_id, agency_id, name, email, job_title, roles, line_manager_id, active FROM people WHERE partnership_id = $1 ORDER BY name, id";

const PERSON: &str = "SELECT id, partnership_id, agency_id, name, email, job_title, roles, line_manager_id, active FROM people WHERE id = $1";

const NAMED_OFFICERS: &str = "SELECT partnership_id, agency_id, stage, person_id FROM named_officers WHERE partnership_id = $1 ORDER BY agency_id, stage";

const COMPLIMENTS: &str = "SELECT id, partnership_id, from_person_id, to_person_id, message, given_at_us FROM compliments WHERE partnership_id = $1 ORDER BY given_at_us, id";

const CONFIG_VERSION: &str = "SELECT id, config_version FROM partnerships WHERE id = $1";

/// The partnership's set-up, read.
#[async_trait]
pub trait Directory: Send + Sync {
    async fn partnerships(&self) -> Result<Vec<PartnershipRow>, StoreError>;
    async fn procedures(&self, partnership_id: &str) -> Result<Vec<ProcedureRow>, StoreError>;
    async fn agencies(&self, partnership_id: &str) -> Result<Vec<AgencyRow>, StoreError>;
    async fn people(&self, partnership_id: &str) -> Result<Vec<PersonRow>, StoreError>;
    /// One person, by id.
    async fn person(&self, id: &str) -> Result<Option<PersonRow>, StoreError>;
    async fn named_officers(
        &self,
        partnership_id: &str,
    ) -> Result<Vec<NamedOfficerRow>, StoreError>;
    async fn compliments(&self, partnership_id: &str) -> Result<Vec<ComplimentRow>, StoreError>;
    /// The partnership's configuration version: it moves on with every change to the
    /// partnership, its procedures, closure days, agencies, people or named officers (never
    /// with an escalation's), so a cache of those keyed by it is never stale. `None` for an
    /// unknown partnership.
    async fn config_version(&self, partnership_id: &str) -> Result<Option<i64>, StoreError>;
}

#[async_trait]
impl<S: SqlStore> Directory for S {
    async fn partnerships(&self) -> Result<Vec<PartnershipRow>, StoreError> {
        self.all(PARTNERSHIPS, &[], partnership).await
    }

    async fn procedures(&self, partnership_id: &str) -> Result<Vec<ProcedureRow>, StoreError> {
        self.all(PROCEDURES, &[Arg::Text(partnership_id)], procedure)
            .await
    }

    async fn agencies(&self, partnership_id: &str) -> Result<Vec<AgencyRow>, StoreError> {
        self.all(AGENCIES, &[Arg::Text(partnership_id)], agency)
            .await
    }

    async fn people(&self, partnership_id: &str) -> Result<Vec<PersonRow>, StoreError> {
        self.all(PEOPLE, &[Arg::Text(partnership_id)], person).await
    }

    async fn person(&self, id: &str) -> Result<Option<PersonRow>, StoreError> {
        self.one(PERSON, &[Arg::Text(id)], person).await
    }

    async fn named_officers(
        &self,
        partnership_id: &str,
    ) -> Result<Vec<NamedOfficerRow>, StoreError> {
        self.all(NAMED_OFFICERS, &[Arg::Text(partnership_id)], named_officer)
            .await
    }

    async fn compliments(&self, partnership_id: &str) -> Result<Vec<ComplimentRow>, StoreError> {
        self.all(COMPLIMENTS, &[Arg::Text(partnership_id)], compliment)
            .await
    }

    async fn config_version(&self, partnership_id: &str) -> Result<Option<i64>, StoreError> {
        let row = self
            .row(CONFIG_VERSION, &[Arg::Text(partnership_id)])
            .await?;
        row.as_ref()
            .map(|r| Cells::new(r, "partnerships", &["id"]).int("config_version"))
            .transpose()
    }
}

fn partnership(r: &impl Read) -> Result<PartnershipRow, StoreError> {
    let c = Cells::new(r, "partnerships", &["id"]);
    Ok(PartnershipRow {
        id: c.text("id")?,
        name: c.text("name")?,
        short_name: c.opt_text("short_name")?,
        procedure_id: c.text("procedure_id")?,
        procedure_version: c.int("procedure_version")?,
        closure_days: c.json("closure_days")?,
        created_at_us: c.int("created_at_us")?,
    })
}

fn procedure(r: &impl Read) -> Result<ProcedureRow, StoreError> {
    let c = Cells::new(r, "procedures", &["partnership_id", "version"]);
    Ok(ProcedureRow {
        partnership_id: c.text("partnership_id")?,
        version: c.int("version")?,
        procedure_id: c.text("procedure_id")?,
        source: c.text("source")?,
        sha256: c.text("sha256")?,
        adopted_at_us: c.int("adopted_at_us")?,
    })
}

fn agency(r: &impl Read) -> Result<AgencyRow, StoreError> {
    let c = Cells::new(r, "agencies", &["id"]);
    Ok(AgencyRow {
        id: c.text("id")?,
        partnership_id: c.text("partnership_id")?,
        name: c.text("name")?,
        sector: c.text("sector")?,
    })
}

fn person(r: &impl Read) -> Result<PersonRow, StoreError> {
    let c = Cells::new(r, "people", &["id"]);
    Ok(PersonRow {
        id: c.text("id")?,
        partnership_id: c.text("partnership_id")?,
        agency_id: c.opt_text("agency_id")?,
        name: c.text("name")?,
        email: c.text("email")?,
        job_title: c.text("job_title")?,
        roles: c.json("roles")?,
        line_manager_id: c.opt_text("line_manager_id")?,
        active: c.flag("active")?,
    })
}

fn named_officer(r: &impl Read) -> Result<NamedOfficerRow, StoreError> {
    let c = Cells::new(r, "named_officers", &["agency_id", "stage"]);
    Ok(NamedOfficerRow {
        partnership_id: c.text("partnership_id")?,
        agency_id: c.text("agency_id")?,
        stage: c.int("stage")?,
        person_id: c.text("person_id")?,
    })
}

fn compliment(r: &impl Read) -> Result<ComplimentRow, StoreError> {
    let c = Cells::new(r, "compliments", &["id"]);
    Ok(ComplimentRow {
        id: c.text("id")?,
        partnership_id: c.text("partnership_id")?,
        from_person_id: c.text("from_person_id")?,
        to_person_id: c.text("to_person_id")?,
        message: c.text("message")?,
        given_at_us: c.int("given_at_us")?,
    })
}
