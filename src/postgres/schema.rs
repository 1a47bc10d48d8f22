//! The tables tollgate keeps in PostgreSQL (API keys, revoked tokens, revoked subjects), the
//! trigger that announces every change on one `NOTIFY` channel, and the idempotent migration that
//! creates them.

use tokio_postgres::Client;

use super::PostgresError;

/// The channel every change is announced on. Payloads are `key:<id>`, `jti:<jti>` and
/// `sub:<subject>`: which row changed, never what it holds.
pub const CHANNEL: &str = "tollgate_changes";

/// The schema, written so it can run any number of times, by several replicas at once (an
/// advisory lock serialises them). Times are `timestamptz`; a key's digest is the SHA-256 of the
/// whole key text. `jti` and subjects are bounded so a notification always fits PostgreSQL's
/// 8000-byte payload limit. The trigger makes every writer, `psql` included, notify the replicas.
const SCHEMA: &str = r"
SELECT pg_advisory_xact_lock(7451046313652461377);

CREATE TABLE IF NOT EXISTS tollgate_api_keys (
    id           text PRIMARY KEY CHECK (id ~ '^[0-9A-Za-z]{16}$'),
    digest       bytea NOT NULL UNIQUE CHECK (octet_length(digest) = 32),
    owner        text NOT NULL CHECK (owner ~ '^[0-9A-Za-z._:-]{1,128}$'),
    scopes       text[] NOT NULL DEFAULT '{}',
    metadata     jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz,
    revoked_at   timestamptz,
    last_used_at timestamptz,
    replaced_by  text
);
CREATE INDEX IF NOT EXISTS tollgate_api_keys_owner ON tollgate_api_keys (owner);

CREATE TABLE IF NOT EXISTS tollgate_revoked_tokens (
    jti        text PRIMARY KEY CHECK (octet_length(jti) BETWEEN 1 AND 1024),
    revoked_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS tollgate_revoked_subjects (
    subject    text PRIMARY KEY CHECK (octet_length(subject) BETWEEN 1 AND 1024),
    before     timestamptz NOT NULL,
    revoked_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);

CREATE OR REPLACE FUNCTION tollgate_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed jsonb;
BEGIN
    IF TG_OP = 'DELETE' THEN changed := to_jsonb(OLD); ELSE changed := to_jsonb(NEW); END IF;
    PERFORM pg_notify('tollgate_changes', TG_ARGV[0] || ':' || (changed ->> TG_ARGV[1]));
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS tollgate_api_keys_notify ON tollgate_api_keys;
CREATE TRIGGER tollgate_api_keys_notify AFTER INSERT OR DELETE ON tollgate_api_keys
    FOR EACH ROW EXECUTE FUNCTION tollgate_notify('key', 'id');
-- Writing `last_used_at` (done in batches by every replica) changes nothing a replica caches,
-- so it does not notify: only updates of what authenticates do.
DROP TRIGGER IF EXISTS tollgate_api_keys_notify_update ON tollgate_api_keys;
CREATE TRIGGER tollgate_api_keys_notify_update AFTER UPDATE ON tollgate_api_keys
    FOR EACH ROW
    WHEN ((OLD.id, OLD.digest, OLD.owner, OLD.scopes, OLD.metadata, OLD.expires_at, OLD.revoked_at)
          IS DISTINCT FROM
          (NEW.id, NEW.digest, NEW.owner, NEW.scopes, NEW.metadata, NEW.expires_at, NEW.revoked_at))
    EXECUTE FUNCTION tollgate_notify('key', 'id');
DROP TRIGGER IF EXISTS tollgate_revoked_tokens_notify ON tollgate_revoked_tokens;
CREATE TRIGGER tollgate_revoked_tokens_notify AFTER INSERT OR UPDATE OR DELETE ON tollgate_revoked_tokens
    FOR EACH ROW EXECUTE FUNCTION tollgate_notify('jti', 'jti');
DROP TRIGGER IF EXISTS tollgate_revoked_subjects_notify ON tollgate_revoked_subjects;
CREATE TRIGGER tollgate_revoked_subjects_notify AFTER INSERT OR UPDATE OR DELETE ON tollgate_revoked_subjects
    FOR EACH ROW EXECUTE FUNCTION tollgate_notify('sub', 'subject');
";

/// Creates (or completes) the schema in one transaction.
pub(crate) async fn migrate(client: &mut Client) -> Result<(), PostgresError> {
    let tx = client
        .transaction()
        .await
        .map_err(|e| PostgresError::with_source("cannot start the migration", e))?;
    tx.batch_execute(SCHEMA)
        .await
        .map_err(|e| PostgresError::with_source("the migration failed", e))?;
    tx.commit()
        .await
        .map_err(|e| PostgresError::with_source("the migration failed to commit", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trigger_notifies_on_the_public_channel() {
        assert!(SCHEMA.contains(&format!("pg_notify('{CHANNEL}'")));
    }
}
