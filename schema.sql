-- Parlor's schema. Applied at start inside one transaction; each version is a
-- step below, run when PRAGMA user_version is lower than its number, so a
-- later change is a new step (a migration), never an edit of an old one.

-- version 1: accounts, refresh tokens, server metadata
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS users (
    id             TEXT PRIMARY KEY,
    username       TEXT NOT NULL,
    username_lower TEXT NOT NULL UNIQUE,
    display_name   TEXT NOT NULL,
    email          TEXT,
    password_hash  TEXT NOT NULL,
    is_admin       INTEGER NOT NULL DEFAULT 0,
    disabled       INTEGER NOT NULL DEFAULT 0,
    created_at     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS users_display_name_lower ON users (lower(display_name));

-- Refresh tokens are stored as SHA-256 hashes; a row is deleted when used.
CREATE TABLE IF NOT EXISTS refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS refresh_tokens_user ON refresh_tokens (user_id);

-- version 2: persistent rooms, their members and every message
CREATE TABLE IF NOT EXISTS rooms (
    id               TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    description      TEXT NOT NULL,
    owner_id         TEXT NOT NULL,
    visibility       TEXT NOT NULL,
    status           TEXT NOT NULL,
    max_participants INTEGER NOT NULL,
    created_at       TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS room_members (
    room_id    TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       TEXT NOT NULL,
    joined_at  TEXT NOT NULL,
    join_order INTEGER NOT NULL,
    read_seq   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (room_id, user_id)
);
CREATE INDEX IF NOT EXISTS room_members_user ON room_members (user_id);

CREATE TABLE IF NOT EXISTS messages (
    id         TEXT PRIMARY KEY,
    room_id    TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    author_id  TEXT NOT NULL,
    text       TEXT NOT NULL,
    reply_to   TEXT,
    created_at TEXT NOT NULL,
    edited_at  TEXT,
    deleted    INTEGER NOT NULL DEFAULT 0,
    UNIQUE (room_id, seq)
);

-- version 3: room governance (bans, invites, join requests), blocks, direct messages
CREATE TABLE IF NOT EXISTS room_bans (
    room_id    TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL,
    by_id      TEXT NOT NULL,
    reason     TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (room_id, user_id)
);

CREATE TABLE IF NOT EXISTS room_invites (
    id         TEXT PRIMARY KEY,
    room_id    TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL,
    by_id      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (room_id, user_id)
);

-- Only pending requests are kept; a decided request is deleted.
CREATE TABLE IF NOT EXISTS join_requests (
    id         TEXT PRIMARY KEY,
    room_id    TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL,
    message    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (room_id, user_id)
);

CREATE TABLE IF NOT EXISTS blocks (
    blocker_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    blocked_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id)
);

-- A 1:1 conversation; user_a < user_b so each pair has one row.
CREATE TABLE IF NOT EXISTS conversations (
    id         TEXT PRIMARY KEY,
    user_a     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    user_b     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    last_seq   INTEGER NOT NULL DEFAULT 0,
    read_a     INTEGER NOT NULL DEFAULT 0,
    read_b     INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (user_a, user_b)
);
CREATE INDEX IF NOT EXISTS conversations_b ON conversations (user_b);

CREATE TABLE IF NOT EXISTS dm_messages (
    id              TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq             INTEGER NOT NULL,
    author_id       TEXT NOT NULL,
    text            TEXT NOT NULL,
    reply_to        TEXT,
    created_at      TEXT NOT NULL,
    edited_at       TEXT,
    deleted         INTEGER NOT NULL DEFAULT 0,
    UNIQUE (conversation_id, seq)
);

-- version 4: reactions and full-text search over persistent rooms' messages
CREATE TABLE IF NOT EXISTS message_reactions (
    message_id TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    emoji      TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (message_id, emoji, user_id)
);

-- External-content FTS5 index over messages.text, kept in step by triggers;
-- a deleted message's text is emptied, so it stops matching.
CREATE VIRTUAL TABLE IF NOT EXISTS messages_fts USING fts5 (
    text,
    content = 'messages',
    content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, text) VALUES (new.rowid, new.text);
END;
CREATE TRIGGER IF NOT EXISTS messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
END;
CREATE TRIGGER IF NOT EXISTS messages_fts_update AFTER UPDATE OF text ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
    INSERT INTO messages_fts (rowid, text) VALUES (new.rowid, new.text);
END;
-- Messages stored before this version.
INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');
