//! The wire face of create-pin: the PIN in hex.

use kms_model::{
    ApiError, CreatePinRequest, CreatePinRequestBody, CreatePinResponseBody, Operation,
};

use super::Wire;
use crate::ports::Caller;
use crate::service::NewPin;

impl Wire<'_> {
    /// `POST /v1.0/{project_id}/kms/create-pin`: a `PlainText` PIN in
    /// upper-case hex, a `CipherText` PIN as its sealed blob in upper-case
    /// hex.
    ///
    /// # Errors
    /// A body that breaks a rule, or as [`crate::Kms::create_pin`].
    pub fn create_pin(
        &self,
        caller: &Caller,
        body: &CreatePinRequestBody,
    ) -> Result<CreatePinResponseBody, ApiError> {
        let req =
            self.request::<CreatePinRequest>(caller, Operation::CreatePin, None, None, body)?;
        let pin = match self.kms.create_pin(caller, &req)? {
            NewPin::Sealed(sealed) => sealed.to_hex(),
            NewPin::Plain(pin) => pin.to_hex().as_str().to_owned(),
        };
        Ok(CreatePinResponseBody { pin: pin.into() })
    }
}
