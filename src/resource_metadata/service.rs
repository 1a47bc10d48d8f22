//! [`MetadataService`]: the tower service that serves the document.

use std::convert::Infallible;
use std::future::{ready, Ready};
use std::sync::Arc;
use std::task::{Context, Poll};

use http::header::{
    ACCESS_CONTROL_ALLOW_ORIGIN, ALLOW, CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE,
};
use http::{HeaderValue, Method, Request, Response, StatusCode};

/// Serves a [`ResourceMetadata`](super::ResourceMetadata) document: `GET` and `HEAD` get 200
/// with the JSON, any other method 405. Made by
/// [`ResourceMetadata::service`](super::ResourceMetadata::service); mount it at
/// [`well_known_path`](super::ResourceMetadata::well_known_path) (with axum:
/// `Router::route_service`).
#[derive(Debug, Clone)]
pub struct MetadataService {
    json: Arc<str>,
}

impl MetadataService {
    pub(super) fn new(json: Arc<str>) -> Self {
        Self { json }
    }

    fn respond(&self, method: &Method) -> Response<String> {
        let (status, body) = match *method {
            Method::GET => (StatusCode::OK, self.json.to_string()),
            Method::HEAD => (StatusCode::OK, String::new()),
            _ => (StatusCode::METHOD_NOT_ALLOWED, String::new()),
        };
        let mut response = Response::new(body);
        *response.status_mut() = status;
        let headers = response.headers_mut();
        if status == StatusCode::OK {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            headers.insert(CACHE_CONTROL, HeaderValue::from_static("max-age=3600"));
            headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
            // HEAD announces the length GET would send (RFC 9110 §8.6), not its own empty body.
            headers.insert(CONTENT_LENGTH, HeaderValue::from(self.json.len()));
        } else {
            headers.insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        }
        response
    }
}

impl<B> tower_service::Service<Request<B>> for MetadataService {
    type Response = Response<String>;
    type Error = Infallible;
    type Future = Ready<Result<Response<String>, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        ready(Ok(self.respond(request.method())))
    }
}

#[cfg(test)]
mod tests {
    use tower_service::Service;

    use super::*;
    use crate::resource_metadata::ResourceMetadata;

    fn call(method: Method) -> Response<String> {
        let metadata = ResourceMetadata::builder("https://api.example.com/mcp")
            .authorization_server("https://issuer.example.com")
            .build()
            .unwrap();
        let request = Request::builder().method(method).body(()).unwrap();
        let future = metadata.service().call(request);
        match future.into_inner() {
            Ok(response) => response,
            Err(never) => match never {},
        }
    }

    #[test]
    fn resource_metadata_service_answers_get_and_head_only() {
        let get = call(Method::GET);
        assert_eq!(get.status(), StatusCode::OK);
        assert_eq!(get.headers()[CONTENT_TYPE], "application/json");
        assert_eq!(get.headers()[CACHE_CONTROL], "max-age=3600");
        assert!(get
            .body()
            .contains("\"resource\":\"https://api.example.com/mcp\""));

        let head = call(Method::HEAD);
        assert_eq!(head.status(), StatusCode::OK);
        assert_eq!(head.headers()[CONTENT_TYPE], "application/json");
        assert!(head.body().is_empty());
        assert_eq!(
            head.headers()[CONTENT_LENGTH],
            get.body().len().to_string().as_str()
        );

        for method in [Method::POST, Method::PUT, Method::DELETE, Method::OPTIONS] {
            let refused = call(method.clone());
            assert_eq!(refused.status(), StatusCode::METHOD_NOT_ALLOWED, "{method}");
            assert_eq!(refused.headers()[ALLOW], "GET, HEAD");
            assert!(refused.body().is_empty());
        }
    }
}
