//! The wire face of the keystores operations.

use crate::ports::Caller;
use kms_model::{
    ApiError, CreateKeyStoreRequestBody, CreateKeyStoreResponseBody, KeystoreStateResponseBody,
    ListKeyStoresResponseBody, ShowKeyStoreResponseBody,
};

use super::Wire;

impl Wire<'_> {
    /// `POST /v1.0/{project_id}/keystores`.
    ///
    /// # Errors
    /// As [`crate::Kms::create_keystore`], rendered for the wire.
    pub fn create_keystore(
        &self,
        caller: &Caller,
        body: &CreateKeyStoreRequestBody,
    ) -> Result<CreateKeyStoreResponseBody, ApiError> {
        self.kms
            .create_keystore(caller, body)
            .map_err(ApiError::from)
    }

    /// `GET /v1.0/{project_id}/keystores?limit=&offset=`.
    ///
    /// # Errors
    /// As [`crate::Kms::list_keystores`], rendered for the wire.
    pub fn list_keystores(
        &self,
        caller: &Caller,
        offset: Option<&str>,
        limit: Option<&str>,
    ) -> Result<ListKeyStoresResponseBody, ApiError> {
        self.kms
            .list_keystores(caller, offset, limit)
            .map_err(ApiError::from)
    }

    /// `GET /v1.0/{project_id}/keystores/{keystore_id}`.
    ///
    /// # Errors
    /// As [`crate::Kms::show_keystore`], rendered for the wire.
    pub fn show_keystore(
        &self,
        caller: &Caller,
        keystore_id: &str,
    ) -> Result<ShowKeyStoreResponseBody, ApiError> {
        self.kms
            .show_keystore(caller, keystore_id)
            .map_err(ApiError::from)
    }

    /// `DELETE /v1.0/{project_id}/keystores/{keystore_id}`.
    ///
    /// # Errors
    /// As [`crate::Kms::delete_keystore`], rendered for the wire.
    pub fn delete_keystore(&self, caller: &Caller, keystore_id: &str) -> Result<(), ApiError> {
        self.kms
            .delete_keystore(caller, keystore_id)
            .map_err(ApiError::from)
    }

    /// `POST /v1.0/{project_id}/keystores/{keystore_id}/enable`.
    ///
    /// # Errors
    /// As [`crate::Kms::enable_keystore`], rendered for the wire.
    pub fn enable_keystore(
        &self,
        caller: &Caller,
        keystore_id: &str,
    ) -> Result<KeystoreStateResponseBody, ApiError> {
        self.kms
            .enable_keystore(caller, keystore_id)
            .map_err(ApiError::from)
    }

    /// `POST /v1.0/{project_id}/keystores/{keystore_id}/disable`.
    ///
    /// # Errors
    /// As [`crate::Kms::disable_keystore`], rendered for the wire.
    pub fn disable_keystore(
        &self,
        caller: &Caller,
        keystore_id: &str,
    ) -> Result<KeystoreStateResponseBody, ApiError> {
        self.kms
            .disable_keystore(caller, keystore_id)
            .map_err(ApiError::from)
    }
}
