//! What ties a grantable operation to the registry: each
//! [`GrantOperation`] is one [`Operation`]. Apart from `ops` and
//! `operation` so that neither imports the other.

use crate::operation::Operation;
use crate::ops::GrantOperation;

impl GrantOperation {
    /// The operation as the registry names it.
    #[must_use]
    pub const fn operation(self) -> Operation {
        match self {
            Self::CreateDatakey => Operation::CreateDatakey,
            Self::CreateDatakeyWithoutPlaintext => Operation::CreateDatakeyWithoutPlaintext,
            Self::EncryptDatakey => Operation::EncryptDatakey,
            Self::DecryptDatakey => Operation::DecryptDatakey,
            Self::DescribeKey => Operation::DescribeKey,
            Self::CreateGrant => Operation::CreateGrant,
            Self::RetireGrant => Operation::RetireGrant,
            Self::EncryptData => Operation::EncryptData,
            Self::DecryptData => Operation::DecryptData,
        }
    }

    /// The grantable operation `op` is, if it is one.
    #[must_use]
    pub fn of(op: Operation) -> Option<Self> {
        Self::ALL.iter().copied().find(|g| g.operation() == op)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_grant_operation_names_its_registry_operation() {
        for &g in GrantOperation::ALL {
            assert_eq!(g.as_str(), g.operation().name());
            assert_eq!(GrantOperation::of(g.operation()), Some(g));
        }
        let granted = Operation::ALL
            .iter()
            .filter(|op| GrantOperation::of(**op).is_some())
            .count();
        assert_eq!(granted, GrantOperation::ALL.len());
        assert_eq!(GrantOperation::of(Operation::EnableKey), None);
        assert_eq!(GrantOperation::of(Operation::Sign), None);
    }
}
