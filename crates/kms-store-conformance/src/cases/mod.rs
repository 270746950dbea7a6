//! The cases, one file per port family.

mod aliases;
mod certificates;
mod grants;
mod groups;
mod ids;
mod import;
mod keys;
mod keystores;
mod mac;
mod other_ports;
mod pins;
mod races;
mod root_rotation;
mod rotation;
mod tags;

pub use self::aliases::*;
pub use self::certificates::*;
pub use self::grants::*;
pub use self::groups::*;
pub use self::ids::*;
pub use self::import::*;
pub use self::keys::*;
pub use self::keystores::*;
pub use self::mac::*;
pub use self::other_ports::*;
pub use self::pins::*;
pub use self::races::*;
pub use self::root_rotation::*;
pub use self::rotation::*;
pub use self::tags::*;
