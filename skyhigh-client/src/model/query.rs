//! The request vocabulary of `queryIncidents`: a setter for every [`Criteria`](super::Criteria)
//! field, written into a typed query builder by [`criteria_setters!`].

/// Writes a setter for every [`Criteria`](super::Criteria) field into a builder that keeps
/// its Criteria in `$field`.
macro_rules! criteria_setters {
    ($field:ident) => {
        /// Incidents modified (or created, see [`times_selection`](Self::times_selection)) at or
        /// after `start`. Without a start the service starts at "now" and finds nothing.
        pub fn start_time(mut self, start: ::time::OffsetDateTime) -> Self {
            self.$field.start_time = Some($crate::model::format_query_time(start));
            self
        }

        /// `startTime` as text, sent verbatim (a `nextStartTime` kept from an earlier run).
        pub fn start_time_raw(mut self, start: impl Into<String>) -> Self {
            self.$field.start_time = Some(start.into());
            self
        }

        /// Incidents before `end` (exclusive; the service's default is now).
        pub fn end_time(mut self, end: ::time::OffsetDateTime) -> Self {
            self.$field.end_time = Some($crate::model::format_query_time(end));
            self
        }

        /// Which time the window and the cursor apply to (default `LAST_MODIFIED_AT`).
        pub fn times_selection(mut self, selection: $crate::model::TimesSelection) -> Self {
            self.$field.times_selection = Some(selection);
            self
        }

        /// Only these actors (user names or IP addresses).
        pub fn actor_ids<I, S>(mut self, ids: I) -> Self
        where
            I: IntoIterator<Item = S>,
            S: Into<String>,
        {
            self.$field.actor_ids = Some(ids.into_iter().map(Into::into).collect());
            self
        }

        /// Only actors of this type.
        pub fn actor_id_type(mut self, kind: $crate::model::ActorIdType) -> Self {
            self.$field.actor_id_type = Some(kind);
            self
        }

        /// Only these threat categories (`category`).
        pub fn threat_categories<I, S>(mut self, categories: I) -> Self
        where
            I: IntoIterator<Item = S>,
            S: Into<String>,
        {
            self.$field.category = Some(categories.into_iter().map(Into::into).collect());
            self
        }

        /// Only these device types, e.g. `WindowsDesktop`.
        pub fn device_types<I, S>(mut self, types: I) -> Self
        where
            I: IntoIterator<Item = S>,
            S: Into<String>,
        {
            self.$field.device_types = Some(types.into_iter().map(Into::into).collect());
            self
        }

        /// Only allowed or denied events.
        pub fn permission_type(mut self, permission: $crate::model::PermissionType) -> Self {
            self.$field.permission_type = Some(permission);
            self
        }

        /// Only these protocols, e.g. `https`.
        pub fn protocol_types<I, S>(mut self, protocols: I) -> Self
        where
            I: IntoIterator<Item = S>,
            S: Into<String>,
        {
            self.$field.protocol_types = Some(protocols.into_iter().map(Into::into).collect());
            self
        }

        /// Only these service categories, e.g. `Cloud Storage`.
        pub fn service_categories<I, S>(mut self, categories: I) -> Self
        where
            I: IntoIterator<Item = S>,
            S: Into<String>,
        {
            self.$field.service_categories = Some(categories.into_iter().map(Into::into).collect());
            self
        }

        /// Only these services, e.g. `OneDrive`.
        pub fn service_names<I, S>(mut self, names: I) -> Self
        where
            I: IntoIterator<Item = S>,
            S: Into<String>,
        {
            self.$field.service_names = Some(names.into_iter().map(Into::into).collect());
            self
        }

        /// Service risk between `min` and `max` inclusive (`min <= max`, checked when sent).
        pub fn service_risk(mut self, min: Option<i32>, max: Option<i32>) -> Self {
            self.$field.service_risk_minimum = min;
            self.$field.service_risk_maximum = max;
            self
        }

        /// User risk between `min` and `max` inclusive (`min <= max`, checked when sent).
        pub fn user_risk(mut self, min: Option<i32>, max: Option<i32>) -> Self {
            self.$field.user_risk_minimum = min;
            self.$field.user_risk_maximum = max;
            self
        }

        /// Only events that uploaded at least this many bytes.
        pub fn upload_data_minimum(mut self, bytes: i64) -> Self {
            self.$field.upload_data_minimum = Some(bytes);
            self
        }

        fn incident_criteria(&mut self) -> &mut $crate::model::IncidentCriteria {
            self.$field
                .incident_criteria
                .get_or_insert_with($crate::model::IncidentCriteria::default)
        }

        /// Adds an incident group to keep (`incidentCriteria.categories`).
        pub fn category(mut self, category: $crate::model::IncidentCategory) -> Self {
            self.incident_criteria()
                .categories
                .get_or_insert_with(Vec::new)
                .push(category);
            self
        }

        /// Only sanctioned or only shadow incidents (`incidentCriteria.product`).
        pub fn product(mut self, product: $crate::model::Product) -> Self {
            self.incident_criteria().product = Some(product);
            self
        }

        /// Only sanctioned incidents whose `field` has one of `values`
        /// (`incidentCriteria.fields`; see [`CRITERIA_FIELD_NAMES`](crate::model::CRITERIA_FIELD_NAMES)).
        pub fn field<I, S>(mut self, field: impl Into<String>, values: I) -> Self
        where
            I: IntoIterator<Item = S>,
            S: Into<String>,
        {
            self.incident_criteria()
                .fields
                .get_or_insert_with(Default::default)
                .insert(field.into(), values.into_iter().map(Into::into).collect());
            self
        }

        /// Only sanctioned DLP incidents of users in these risk bands.
        pub fn historical_user_risk(
            mut self,
            bands: impl IntoIterator<Item = $crate::model::HistoricalUserRisk>,
        ) -> Self {
            self.incident_criteria().historical_user_risk_score = Some(bands.into_iter().collect());
            self
        }
    };
}
pub(crate) use criteria_setters;
