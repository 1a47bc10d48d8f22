//! The issuer's HTTP surface as axum routers: discovery, JWKS, the token and revocation
//! endpoints ([`router`]), and the administrators' user API ([`admin_router`]), which cannot be
//! mounted without an authentication layer.

use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL, PRAGMA, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::Deserialize;
use serde_json::{json, Value};

use super::discovery::JWKS_PATH;
use super::oauth::{OAuthError, TokenRequest};
use super::policy::JWKS_MAX_AGE;
use super::service::Issuer;
use super::users::UserUpdate;
use super::{IssuerError, User};
use crate::guard::{scope, GuardLayer};
use crate::AuthLayer;

/// The public routes: `GET /.well-known/openid-configuration` (and the same document at
/// `/.well-known/oauth-authorization-server`), `GET /.well-known/jwks.json`,
/// `POST /oauth/token` and `POST /oauth/revoke`.
pub fn router(issuer: Issuer) -> Router {
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/.well-known/oauth-authorization-server", get(discovery))
        .route(JWKS_PATH, get(jwks))
        .route("/oauth/token", post(token))
        .route("/oauth/revoke", post(revoke))
        .with_state(issuer)
}

/// The administrators' user API under `/admin/users`: `POST` (JSON `{"username", "password",
/// "scopes"}`, 201), `GET` (the list), and `GET`, `PATCH` (any of `username`, `password`,
/// `scopes`, `disabled`) and `DELETE` (204) on `/admin/users/{id}`. Every route needs a
/// principal with scope `admin`, authenticated by `auth` (e.g. an [`AuthLayer`] over a
/// [`JwtProvider`](crate::jwt::JwtProvider) that trusts this issuer). Users are shown without
/// their password hash.
pub fn admin_router(issuer: Issuer, auth: AuthLayer) -> Router {
    Router::new()
        .route("/admin/users", post(create_user).get(list_users))
        .route(
            "/admin/users/{id}",
            get(read_user).patch(update_user).delete(delete_user),
        )
        .route_layer(GuardLayer::new(scope("admin")))
        .route_layer(auth)
        .with_state(issuer)
}

async fn discovery(State(issuer): State<Issuer>) -> Response {
    (
        [(
            CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=300"),
        )],
        Json(issuer.discovery()),
    )
        .into_response()
}

async fn jwks(State(issuer): State<Issuer>) -> Response {
    let max_age = format!("public, max-age={}", JWKS_MAX_AGE.as_secs());
    let mut response = Json(issuer.jwks()).into_response();
    if let Ok(value) = HeaderValue::from_str(&max_age) {
        response.headers_mut().insert(CACHE_CONTROL, value);
    }
    response
}

/// Token responses and errors must not be cached (RFC 6749 §5.1).
fn no_store(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

fn oauth_error(error: &OAuthError, basic: bool) -> Response {
    let status = StatusCode::from_u16(error.status).unwrap_or(StatusCode::BAD_REQUEST);
    let mut response = (
        status,
        Json(json!({ "error": error.error, "error_description": error.description })),
    )
        .into_response();
    if let Some(wait) = error.retry_after {
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(wait.as_secs().max(1)));
    }
    if status == StatusCode::UNAUTHORIZED && basic {
        response.headers_mut().insert(
            WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"oauth\""),
        );
    }
    no_store(response)
}

/// Form fields, each at most once (RFC 6749 §3.2), and the client's credentials from HTTP
/// Basic (RFC 6749 §2.3.1: `client_id:client_secret`, each form-urlencoded) or the form, never
/// both.
struct Request {
    fields: std::collections::BTreeMap<String, String>,
    basic: bool,
    client_id: Option<String>,
    client_secret: Option<String>,
}

fn read_request(
    headers: &HeaderMap,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Request, OAuthError> {
    // Not a form at all: still an RFC 6749 answer, not the framework's rejection.
    let Ok(Form(form)) = form else {
        return Err(OAuthError::invalid_request(
            "the body must be application/x-www-form-urlencoded parameters",
        ));
    };
    let mut fields = std::collections::BTreeMap::new();
    for (name, value) in form {
        if fields.insert(name.clone(), value).is_some() {
            return Err(OAuthError::invalid_request(format!(
                "parameter {name} is given more than once"
            )));
        }
    }
    let basic = match headers
        .get_all(AUTHORIZATION)
        .iter()
        .collect::<Vec<_>>()
        .as_slice()
    {
        [] => None,
        [value] => Some(read_basic(value)?),
        _ => {
            return Err(OAuthError::invalid_request(
                "more than one Authorization header",
            ))
        }
    };
    let (client_id, client_secret, basic) = match basic {
        Some((id, secret)) => {
            if fields.contains_key("client_secret") {
                return Err(OAuthError::invalid_request(
                    "client credentials are given both in the header and in the form",
                ));
            }
            if fields
                .get("client_id")
                .is_some_and(|form_id| *form_id != id)
            {
                return Err(OAuthError::invalid_request(
                    "client_id differs between the header and the form",
                ));
            }
            (Some(id), Some(secret), true)
        }
        None => (
            fields.get("client_id").cloned(),
            fields.get("client_secret").cloned(),
            false,
        ),
    };
    Ok(Request {
        fields,
        basic,
        client_id,
        client_secret,
    })
}

fn read_basic(value: &HeaderValue) -> Result<(String, String), OAuthError> {
    let bad = || OAuthError::invalid_client();
    let text = value.to_str().map_err(|_| bad())?;
    let (scheme, encoded) = text.split_once(' ').ok_or_else(bad)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(bad());
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| bad())?;
    let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(bad)?;
    let unescape = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .ok_or_else(bad)
    };
    Ok((unescape(id)?, unescape(secret)?))
}

async fn token(
    State(issuer): State<Issuer>,
    headers: HeaderMap,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let request = match read_request(&headers, form) {
        Ok(request) => request,
        Err(error) => return oauth_error(&error, false),
    };
    let field = |name: &str| request.fields.get(name).cloned();
    let token_request = TokenRequest {
        grant_type: field("grant_type").unwrap_or_default(),
        client_id: request.client_id.clone(),
        client_secret: request.client_secret.clone(),
        username: field("username"),
        password: field("password"),
        refresh_token: field("refresh_token"),
        scope: field("scope"),
    };
    match issuer.token(token_request).await {
        Ok(answer) => no_store(Json(answer).into_response()),
        Err(error) => oauth_error(&error, request.basic),
    }
}

async fn revoke(
    State(issuer): State<Issuer>,
    headers: HeaderMap,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let request = match read_request(&headers, form) {
        Ok(request) => request,
        Err(error) => return oauth_error(&error, false),
    };
    let Some(token) = request.fields.get("token") else {
        return oauth_error(&OAuthError::invalid_request("token is required"), false);
    };
    match issuer
        .revoke(
            token,
            request.client_id.as_deref(),
            request.client_secret.as_deref(),
        )
        .await
    {
        // RFC 7009 §2.2: 200 whether or not the token was known.
        Ok(()) => no_store(StatusCode::OK.into_response()),
        Err(error) => oauth_error(&error, request.basic),
    }
}

fn user_json(user: &User) -> Value {
    json!({
        "id": user.id,
        "username": user.username,
        "scopes": user.scopes,
        "disabled": user.disabled,
    })
}

fn admin_error(error: &IssuerError) -> Response {
    let (status, message) = match error {
        IssuerError::Invalid(message) => (StatusCode::BAD_REQUEST, message.clone()),
        IssuerError::Conflict(_) => (StatusCode::CONFLICT, error.to_string()),
        other => {
            tracing::warn!(target: "tollgate::issuer", error = %other, "admin API failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "the issuer's store failed; retry shortly".to_owned(),
            )
        }
    };
    (status, Json(json!({ "error": message }))).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewUser {
    username: String,
    password: String,
    #[serde(default)]
    scopes: Vec<String>,
}

async fn create_user(State(issuer): State<Issuer>, Json(new): Json<NewUser>) -> Response {
    match issuer
        .create_user(&new.username, &new.password, new.scopes)
        .await
    {
        Ok(user) => (StatusCode::CREATED, Json(user_json(&user))).into_response(),
        Err(error) => admin_error(&error),
    }
}

async fn list_users(State(issuer): State<Issuer>) -> Response {
    match issuer.users().await {
        Ok(users) => Json(Value::Array(users.iter().map(user_json).collect())).into_response(),
        Err(error) => admin_error(&error),
    }
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({ "error": "no such user" })),
    )
        .into_response()
}

async fn read_user(State(issuer): State<Issuer>, Path(id): Path<String>) -> Response {
    match issuer.user(&id).await {
        Ok(Some(user)) => Json(user_json(&user)).into_response(),
        Ok(None) => not_found(),
        Err(error) => admin_error(&error),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Patch {
    username: Option<String>,
    password: Option<String>,
    scopes: Option<Vec<String>>,
    disabled: Option<bool>,
}

async fn update_user(
    State(issuer): State<Issuer>,
    Path(id): Path<String>,
    Json(patch): Json<Patch>,
) -> Response {
    let update = UserUpdate {
        username: patch.username,
        password: patch.password,
        scopes: patch.scopes,
        disabled: patch.disabled,
    };
    match issuer.update_user(&id, update).await {
        Ok(Some(user)) => Json(user_json(&user)).into_response(),
        Ok(None) => not_found(),
        Err(error) => admin_error(&error),
    }
}

async fn delete_user(State(issuer): State<Issuer>, Path(id): Path<String>) -> Response {
    match issuer.delete_user(&id).await {
        Ok(true) => StatusCode::NO_CONTENT.into_response(),
        Ok(false) => not_found(),
        Err(error) => admin_error(&error),
    }
}
