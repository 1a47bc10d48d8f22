//! What tollgate's two middlewares ([`AuthService`](crate::auth::AuthService) and
//! [`GuardService`](crate::guard::GuardService)) share as tower services: the inner-service
//! accessors (here), the future that either runs the inner service or answers a rejection
//! (`future.rs`), and the response body (`body.rs`).

mod body;
mod future;

pub use body::AuthBody;
pub(crate) use future::{polled_after_completion, Respond};

/// `get_ref`, `get_mut` and `into_inner` for a service whose wrapped service is its `inner`
/// field, as tower-http's middlewares have them.
macro_rules! inner_service_accessors {
    () => {
        /// The inner service.
        pub fn get_ref(&self) -> &S {
            &self.inner
        }

        /// The inner service, mutably.
        pub fn get_mut(&mut self) -> &mut S {
            &mut self.inner
        }

        /// Consumes `self`, returning the inner service.
        pub fn into_inner(self) -> S {
            self.inner
        }
    };
}
pub(crate) use inner_service_accessors;
