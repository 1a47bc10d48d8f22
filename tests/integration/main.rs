//! Integration tests: every JWKS and discovery document is served by a real HTTP server on
//! 127.0.0.1 (tollgate's `DevIssuer`, or a bespoke one in `support`), and every request goes
//! through a real axum server over TCP.

mod alb;
mod alb_support;
mod algorithms;
mod api_key_store;
#[cfg(feature = "postgres")]
mod api_keys_fleet;
#[cfg(feature = "lambda")]
mod authorizer;
mod aws_iam;
mod backend;
mod cognito;
mod cookies;
mod examples;
#[cfg(feature = "postgres")]
mod fleet_propagation;
#[cfg(feature = "fuzzing")]
mod fuzz_corpus;
mod grpc;
mod guards;
mod interop;
mod introspection;
#[cfg(feature = "issuer")]
mod issuer_flow;
#[cfg(feature = "issuer")]
mod issuer_keys;
#[cfg(feature = "issuer")]
mod issuer_store;
#[cfg(feature = "issuer")]
mod issuer_vectors;
mod jwks;
#[cfg(feature = "lambda")]
mod lambda;
#[cfg(feature = "lambda")]
mod lambda_emulator;
mod layer;
mod mcp;
#[cfg(feature = "metrics")]
mod metrics;
mod msrv;
mod plain_hyper;
#[cfg(feature = "postgres")]
mod postgres;
mod postgres_store;
#[cfg(feature = "postgres")]
mod postgres_support;
mod properties;
mod providers;
mod refresh;
mod rejections;
mod revocation;
#[cfg(feature = "issuer")]
mod roll_your_own;
mod secrets;
mod seed;
mod support;
mod vectors;
mod verified;
