//! The operations by family: each family's wire bodies (named after the
//! SDK's models), validated requests and responses side by side.

mod aliases;
mod certificates;
mod data;
mod datakeys;
mod grants;
mod import;
mod key_listing;
mod key_management;
mod keys;
mod keystores;
mod mac;
mod pairs;
mod pins;
mod quotas;
mod random;
mod reencrypt;
mod regions;
mod rotation;
mod signing;
mod tags;

pub use self::aliases::*;
pub use self::certificates::*;
pub use self::data::*;
pub use self::datakeys::*;
pub use self::grants::*;
pub use self::import::*;
pub use self::key_listing::*;
pub use self::key_management::*;
pub use self::keys::*;
pub use self::keystores::*;
pub use self::mac::*;
pub use self::pairs::*;
pub use self::pins::*;
pub use self::quotas::*;
pub use self::random::*;
pub use self::reencrypt::*;
pub use self::regions::*;
pub use self::rotation::*;
pub use self::signing::*;
pub use self::tags::*;
pub use crate::body::{
    DEK_DIGEST_BYTES, LooseString, MAX_BODY_BYTES, MAX_CIPHERTEXT_BYTES, MAX_PIN_BYTES, PageQuery,
    decode_body, decode_optional_body, page_param,
};
