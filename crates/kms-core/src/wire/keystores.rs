//! The wire face of the keystore operations: path ids and paging as text
//! in, keystore records rendered as the SDK's bodies out.

use kms_model::{
    ApiError, CreateKeyStoreRequestBody, CreateKeyStoreResponseBody, CreateKeystoreRequest,
    KeystoreDetails, KeystoreId, KeystoreInfo, KeystoreStateInfo, KeystoreStateResponseBody,
    KeystoreType, ListKeyStoresResponseBody, Operation, PageQuery, ShowKeyStoreResponseBody,
};

use super::Wire;
use crate::ports::{Caller, KeystoreRecord};

/// A keystore as list and show report it: `hsm_cluster_id` only for a
/// Dedicated HSM keystore, the creation time in milliseconds as text.
fn keystore_details(r: &KeystoreRecord) -> KeystoreDetails {
    let cluster = r.cluster_id.clone().unwrap_or_default();
    KeystoreDetails {
        keystore_id: r.keystore_id.clone(),
        domain_id: r.domain_id.clone(),
        keystore_alias: r.alias.clone(),
        keystore_type: r.keystore_type.as_str().to_owned(),
        hsm_cluster_id: if r.keystore_type == KeystoreType::Dhsm {
            cluster.clone()
        } else {
            String::new()
        },
        cluster_id: cluster,
        create_time: r.create_time.0.to_string(),
    }
}

/// The state answer of enable and disable keystore.
fn keystore_state(r: KeystoreRecord) -> KeystoreStateResponseBody {
    KeystoreStateResponseBody {
        keystore: KeystoreStateInfo {
            keystore_id: r.keystore_id,
            keystore_state: r.state.as_str().to_owned(),
        },
    }
}

impl Wire<'_> {
    /// A keystore id from the path, audited as a failed `action` when it
    /// is not one.
    fn keystore_id(
        &self,
        caller: &Caller,
        action: Operation,
        keystore_id: &str,
    ) -> Result<KeystoreId, ApiError> {
        self.admit(
            caller,
            action,
            Some(keystore_id),
            None,
            KeystoreId::parse_field("keystore_id", keystore_id).map_err(|e| e.to_kms()),
        )
    }

    /// `POST /v1.0/{project_id}/keystores`.
    ///
    /// # Errors
    /// A body that breaks a rule, or as [`crate::Kms::create_keystore`].
    pub fn create_keystore(
        &self,
        caller: &Caller,
        body: &CreateKeyStoreRequestBody,
    ) -> Result<CreateKeyStoreResponseBody, ApiError> {
        let req = self.request::<CreateKeystoreRequest>(
            caller,
            Operation::CreateKeystore,
            None,
            None,
            body,
        )?;
        let r = self.kms.create_keystore(caller, &req)?;
        Ok(CreateKeyStoreResponseBody {
            keystore: KeystoreInfo {
                keystore_id: r.keystore_id,
                domain_id: r.domain_id,
            },
        })
    }

    /// `GET /v1.0/{project_id}/keystores?limit=&offset=`.
    ///
    /// # Errors
    /// Bad paging parameters (KMS.0308), or as
    /// [`crate::Kms::list_keystores`].
    pub fn list_keystores(
        &self,
        caller: &Caller,
        offset: Option<&str>,
        limit: Option<&str>,
    ) -> Result<ListKeyStoresResponseBody, ApiError> {
        let page = self.admit(
            caller,
            Operation::ListKeystores,
            None,
            None,
            PageQuery::keystores(offset, limit).map_err(|e| e.to_kms()),
        )?;
        let page = self.kms.list_keystores(caller, page)?;
        Ok(ListKeyStoresResponseBody {
            total: page.total,
            keystores: page.keystores.iter().map(keystore_details).collect(),
        })
    }

    /// `GET /v1.0/{project_id}/keystores/{keystore_id}`.
    ///
    /// # Errors
    /// A malformed id, or as [`crate::Kms::show_keystore`].
    pub fn show_keystore(
        &self,
        caller: &Caller,
        keystore_id: &str,
    ) -> Result<ShowKeyStoreResponseBody, ApiError> {
        let id = self.keystore_id(caller, Operation::ShowKeystore, keystore_id)?;
        let r = self.kms.show_keystore(caller, &id)?;
        Ok(ShowKeyStoreResponseBody {
            keystore: keystore_details(&r),
        })
    }

    /// `DELETE /v1.0/{project_id}/keystores/{keystore_id}`.
    ///
    /// # Errors
    /// A malformed id, or as [`crate::Kms::delete_keystore`].
    pub fn delete_keystore(&self, caller: &Caller, keystore_id: &str) -> Result<(), ApiError> {
        let id = self.keystore_id(caller, Operation::DeleteKeystore, keystore_id)?;
        Ok(self.kms.delete_keystore(caller, &id)?)
    }

    /// `POST /v1.0/{project_id}/keystores/{keystore_id}/enable`.
    ///
    /// # Errors
    /// A malformed id, or as [`crate::Kms::enable_keystore`].
    pub fn enable_keystore(
        &self,
        caller: &Caller,
        keystore_id: &str,
    ) -> Result<KeystoreStateResponseBody, ApiError> {
        let id = self.keystore_id(caller, Operation::EnableKeystore, keystore_id)?;
        Ok(keystore_state(self.kms.enable_keystore(caller, &id)?))
    }

    /// `POST /v1.0/{project_id}/keystores/{keystore_id}/disable`.
    ///
    /// # Errors
    /// A malformed id, or as [`crate::Kms::disable_keystore`].
    pub fn disable_keystore(
        &self,
        caller: &Caller,
        keystore_id: &str,
    ) -> Result<KeystoreStateResponseBody, ApiError> {
        let id = self.keystore_id(caller, Operation::DisableKeystore, keystore_id)?;
        Ok(keystore_state(self.kms.disable_keystore(caller, &id)?))
    }
}
