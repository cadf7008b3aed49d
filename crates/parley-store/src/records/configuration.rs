//! The partnership's configuration: creating it, its procedure versions, closure days,
//! agencies, people, named officers, and compliments.

use super::*;

impl Records {
    /// Creates a partnership running a procedure (the file's text). Returns its id.
    pub async fn create_partnership(
        &self,
        at: Timestamp,
        actor: &Actor,
        name: &str,
        short_name: Option<&str>,
        procedure_source: &str,
    ) -> Result<String, StoreError> {
        let id = uuid::Uuid::new_v4().to_string();
        let created = Payload::PartnershipCreated {
            name: name.to_owned(),
            short_name: short_name.map(str::to_owned),
        };
        self.commit(&id, stream::PARTNERSHIP, Some(0), at, actor, None, created)
            .await?;
        self.adopt_procedure(at, actor, &id, procedure_source)
            .await?;
        Ok(id)
    }

    /// The partnership adopts a (new version of its) procedure. Escalations already raised
    /// keep the version they were raised under.
    pub async fn adopt_procedure(
        &self,
        at: Timestamp,
        actor: &Actor,
        partnership_id: &str,
        source: &str,
    ) -> Result<i64, StoreError> {
        let parsed =
            procedure::parse(source).map_err(|e| StoreError::Invalid(format!("procedure: {e}")))?;
        let (projector, _) = self.load(partnership_id, stream::PARTNERSHIP, None).await?;
        let version = projector.current_procedure(partnership_id).unwrap_or(0) + 1;
        let payload = Payload::ProcedureAdopted {
            version,
            procedure_id: parsed.id.to_string(),
            source: source.to_owned(),
        };
        self.commit(
            partnership_id,
            stream::PARTNERSHIP,
            None,
            at,
            actor,
            None,
            payload,
        )
        .await?;
        Ok(version)
    }

    pub async fn set_closure_days(
        &self,
        at: Timestamp,
        actor: &Actor,
        partnership_id: &str,
        days: Vec<String>,
    ) -> Result<(), StoreError> {
        self.set(at, actor, partnership_id, Payload::ClosureDaysSet { days })
            .await
    }

    /// Records a setting of the partnership on its stream.
    async fn set(
        &self,
        at: Timestamp,
        actor: &Actor,
        partnership_id: &str,
        payload: Payload,
    ) -> Result<(), StoreError> {
        self.commit(
            partnership_id,
            stream::PARTNERSHIP,
            None,
            at,
            actor,
            None,
            payload,
        )
        .await?;
        Ok(())
    }

    /// Sets the threshold below which the partnership's published reports hide counts (issue
    /// 17, item 3: "the partnership's threshold (default 5)"), as an event on its stream.
    pub async fn set_report_threshold(
        &self,
        at: Timestamp,
        actor: &Actor,
        partnership_id: &str,
        threshold: parley_report::suppress::Threshold,
    ) -> Result<(), StoreError> {
        let payload = Payload::ReportThresholdSet {
            threshold: threshold.get(),
        };
        self.set(at, actor, partnership_id, payload).await
    }

    /// The threshold of the partnership's published reports: the one it set, or the default.
    pub async fn report_threshold(
        &self,
        partnership_id: &str,
    ) -> Result<parley_report::suppress::Threshold, StoreError> {
        let (projector, _) = self.configuration(partnership_id, None).await?;
        Ok(projector
            .report_threshold(partnership_id)
            .unwrap_or_default())
    }

    pub async fn add_agency(
        &self,
        at: Timestamp,
        actor: &Actor,
        partnership_id: &str,
        name: &str,
        sector: &str,
    ) -> Result<String, StoreError> {
        let id = uuid::Uuid::new_v4().to_string();
        let payload = Payload::AgencyAdded {
            agency_id: id.clone(),
            name: name.to_owned(),
            sector: sector.to_owned(),
        };
        self.commit(
            partnership_id,
            &Stream::Agency(id.clone()).to_string(),
            Some(0),
            at,
            actor,
            None,
            payload,
        )
        .await?;
        Ok(id)
    }

    /// Adds a person (`person_id` `None`) or replaces their details.
    pub async fn save_person(
        &self,
        at: Timestamp,
        actor: &Actor,
        partnership_id: &str,
        person_id: Option<&str>,
        p: PersonInput,
    ) -> Result<String, StoreError> {
        let (id, expected) = match person_id {
            Some(id) => (id.to_owned(), None),
            None => (uuid::Uuid::new_v4().to_string(), Some(0)),
        };
        let payload = Payload::PersonSaved {
            person_id: id.clone(),
            agency_id: p.agency_id,
            name: p.name,
            email: p.email,
            job_title: p.job_title,
            roles: p.roles,
            line_manager_id: p.line_manager_id,
            active: p.active,
        };
        self.commit(
            partnership_id,
            &Stream::Person(id.clone()).to_string(),
            expected,
            at,
            actor,
            None,
            payload,
        )
        .await?;
        Ok(id)
    }

    pub async fn set_named_officer(
        &self,
        at: Timestamp,
        actor: &Actor,
        partnership_id: &str,
        agency_id: &str,
        stage: i64,
        person_id: Option<&str>,
    ) -> Result<(), StoreError> {
        let payload = Payload::NamedOfficerSet {
            agency_id: agency_id.to_owned(),
            stage,
            person_id: person_id.map(str::to_owned),
        };
        let stream = Stream::NamedOfficer {
            agency: agency_id.to_owned(),
            stage,
        }
        .to_string();
        self.commit(partnership_id, &stream, None, at, actor, None, payload)
            .await?;
        Ok(())
    }

    pub async fn give_compliment(
        &self,
        at: Timestamp,
        actor: &Actor,
        partnership_id: &str,
        from_person_id: &str,
        to_person_id: &str,
        message: &str,
    ) -> Result<String, StoreError> {
        let id = uuid::Uuid::new_v4().to_string();
        let payload = Payload::ComplimentGiven {
            compliment_id: id.clone(),
            from_person_id: from_person_id.to_owned(),
            to_person_id: to_person_id.to_owned(),
            message: message.to_owned(),
        };
        self.commit(
            partnership_id,
            &Stream::Compliment(id.clone()).to_string(),
            Some(0),
            at,
            actor,
            None,
            payload,
        )
        .await?;
        Ok(id)
    }
}
