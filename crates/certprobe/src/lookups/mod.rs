//! The lookups: the network side of the [`Fetch`] door. [`Fetcher`] takes
//! every request through the egress policy, the cache (memory with single flight, and the
//! optional folder) and the small HTTP client.

pub mod cache;
pub mod egress;
pub mod http;

pub use cache::Cache;
pub use egress::{Cidr, EgressError, EgressPolicy, PrivateRule};

use crate::budget::Budget;
use crate::capture::Resolver;
use crate::fetch::{Body, Fetch, FetchError, Request};
use std::sync::Arc;

/// The standard fetcher. `Send + Sync`: one serves every thread of a process.
pub struct Fetcher {
    cache: Cache,
    egress: EgressPolicy,
    resolver: Arc<Resolver>,
}

impl Fetcher {
    /// A fetcher that answers from `cache` when it can, fetches over HTTP where `egress`
    /// allows, and resolves names on `resolver` (the capture's pool, so lookups share its
    /// thread limit).
    pub fn new(cache: Cache, egress: EgressPolicy, resolver: Arc<Resolver>) -> Fetcher {
        Fetcher {
            cache,
            egress,
            resolver,
        }
    }

    /// The cache, for its figures.
    pub fn cache(&self) -> &Cache {
        &self.cache
    }
}

impl Fetch for Fetcher {
    fn fetch(&self, request: &Request<'_>, budget: &Budget) -> Result<Body, FetchError> {
        self.cache.get_or_fetch(request, budget.deadline, || {
            http::fetch(request, &self.resolver, &self.egress, budget)
        })
    }

    fn reject(&self, request: &Request<'_>, body: &Body) {
        self.cache.reject(request, body);
    }
}
