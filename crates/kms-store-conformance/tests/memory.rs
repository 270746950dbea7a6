//! The conformance suite against kms-core's in-memory store.
#![allow(missing_docs)]

use std::sync::Arc;

use kms_core::memory::MemoryStore;

struct Memory;

impl kms_store_conformance::StoreFactory for Memory {
    type Store = MemoryStore;
    fn make(&self) -> Arc<MemoryStore> {
        Arc::new(MemoryStore::new())
    }
}

kms_store_conformance::conformance_tests!(Memory);
