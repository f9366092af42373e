-- +goose Up
-- Ids are AUTOINCREMENT: an id is never handed out again after a deletion,
-- so the event log of a deleted project or task can never be read through a
-- new one that happens to get its id.
CREATE TABLE projects (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    name             TEXT NOT NULL,
    description      TEXT NOT NULL DEFAULT '',
    archived         INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)),
    -- the number the project's next task gets
    next_task_number INTEGER NOT NULL DEFAULT 1,
    created_by       INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
) STRICT;

CREATE TABLE project_members (
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('owner', 'editor', 'viewer')),
    added_at   TEXT NOT NULL,
    PRIMARY KEY (project_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX project_members_user ON project_members (user_id, project_id);

-- position is the column's index on the board, 0 to n-1.
CREATE TABLE columns (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    position   INTEGER NOT NULL,
    wip_limit  INTEGER CHECK (wip_limit IS NULL OR wip_limit > 0),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;
CREATE INDEX columns_project ON columns (project_id, position);

CREATE TABLE labels (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name       TEXT NOT NULL COLLATE NOCASE,
    color      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (project_id, name)
) STRICT;

-- rank orders a column's tasks: always positive, unique within the column,
-- spaced so that a task fits between two others; a column is renumbered in
-- the same transaction when two ranks meet. The API's position is the
-- task's index in its column, derived from rank.
CREATE TABLE tasks (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id   INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    number       INTEGER NOT NULL,
    column_id    INTEGER NOT NULL REFERENCES columns (id),
    rank         INTEGER NOT NULL CHECK (rank > 0),
    title        TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    priority     TEXT NOT NULL DEFAULT 'none' CHECK (priority IN ('none', 'low', 'medium', 'high', 'urgent')),
    due_at       TEXT,
    created_by   INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    completed_at TEXT,
    version      INTEGER NOT NULL DEFAULT 1,
    UNIQUE (project_id, number),
    UNIQUE (column_id, rank)
) STRICT;
CREATE INDEX tasks_project ON tasks (project_id);

CREATE TABLE task_assignees (
    task_id INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (task_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX task_assignees_user ON task_assignees (user_id);

CREATE TABLE task_labels (
    task_id  INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    label_id INTEGER NOT NULL REFERENCES labels (id) ON DELETE CASCADE,
    PRIMARY KEY (task_id, label_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX task_labels_label ON task_labels (label_id);

-- The event log: one row per change, written in the change's transaction.
-- seq is one sequence for the whole server and never reused (AUTOINCREMENT),
-- even after old events are pruned. project_id has no foreign key: a
-- project's deletion is itself an event that must outlive the project.
CREATE TABLE events (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id INTEGER NOT NULL,
    task_id    INTEGER,
    kind       TEXT NOT NULL,
    actor_id   INTEGER,
    at         TEXT NOT NULL,
    data       TEXT NOT NULL
) STRICT;
CREATE INDEX events_project ON events (project_id, seq);
CREATE INDEX events_task ON events (task_id, seq) WHERE task_id IS NOT NULL;

-- +goose Down
DROP TABLE events;
DROP TABLE task_labels;
DROP TABLE task_assignees;
DROP TABLE tasks;
DROP TABLE labels;
DROP TABLE columns;
DROP TABLE project_members;
DROP TABLE projects;
