-- +goose Up
-- Times are TEXT in UTC with millisecond precision and fixed width
-- (2006-01-02T15:04:05.000Z), so text order is time order. Ids are
-- AUTOINCREMENT: never reused, so an old token can never name a new session.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT NOT NULL COLLATE NOCASE UNIQUE,
    display_name  TEXT NOT NULL,
    -- " username display name", lowercased in Go (SQLite's lower() folds
    -- only ASCII), so the directory finds the start of any word.
    search        TEXT NOT NULL DEFAULT '',
    email         TEXT,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'member')),
    is_active     INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
) STRICT;

-- One row per sign-in (device). Only a hash of the current refresh token is
-- kept; it rotates on every use.
CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    refresh_hash BLOB NOT NULL UNIQUE,
    created_at   TEXT NOT NULL,
    last_used_at TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    user_agent   TEXT NOT NULL DEFAULT '',
    ip           TEXT NOT NULL DEFAULT '',
    revoked_at   TEXT
) STRICT;
CREATE INDEX sessions_user ON sessions (user_id, revoked_at);

-- Hashes of refresh tokens already exchanged: presenting one again means it
-- was stolen or replayed, and revokes its session.
CREATE TABLE used_refresh_tokens (
    hash       BLOB PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;
CREATE INDEX used_refresh_tokens_session ON used_refresh_tokens (session_id);

-- +goose Down
DROP TABLE used_refresh_tokens;
DROP TABLE sessions;
DROP TABLE users;
