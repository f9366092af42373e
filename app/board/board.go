// Package board is projects, members, columns, labels and tasks, and the
// event log that records every change to them.
//
// Every mutation runs in one write transaction that checks the caller's
// role, applies the change, writes exactly one event row, and commits; only
// then is the event handed to the Publisher. A failed mutation writes no
// event and publishes nothing.
package board

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"tack/app/errs"
	"tack/app/page"
	"tack/db"
)

// Event is one row of the event log (SPEC section 5).
type Event struct {
	Seq       int64           `json:"seq"`
	ProjectID int64           `json:"project_id"`
	TaskID    *int64          `json:"task_id,omitempty"`
	Kind      string          `json:"kind"`
	ActorID   int64           `json:"actor_id"`
	At        time.Time       `json:"at"`
	Data      json.RawMessage `json:"data"`
}

// Publisher receives events after their transaction committed, in seq
// order. The real-time hub implements it; it must not block.
type Publisher interface {
	Publish(events []Event)
}

// Options configures a Service.
type Options struct {
	DB        *db.DB
	Logger    *slog.Logger
	Publisher Publisher
	// Now is the clock; nil means db.Now.
	Now func() time.Time
}

// Service is the board's domain rules.
type Service struct {
	db     *db.DB
	logger *slog.Logger
	pub    Publisher
	now    func() time.Time
}

type noPublisher struct{}

func (noPublisher) Publish([]Event) {}

// New returns a Service.
func New(o Options) *Service {
	if o.Publisher == nil {
		o.Publisher = noPublisher{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = db.Now
	}
	return &Service{db: o.DB, logger: o.Logger, pub: o.Publisher,
		now: func() time.Time { return o.Now().UTC().Truncate(time.Millisecond) }}
}

// txn is a write transaction of one mutation: its clock reading, its actor
// and the events it wrote.
type txn struct {
	*db.Tx
	ctx    context.Context
	now    time.Time
	actor  int64
	events []Event
}

// write runs fn in a write transaction and publishes its events after the
// commit, before any later write can commit (see db.Tx.AfterCommit), so the
// Publisher receives events in seq order.
func (s *Service) write(ctx context.Context, actor int64, fn func(t *txn) error) error {
	return s.db.WriteTx(ctx, func(tx *db.Tx) error {
		t := &txn{Tx: tx, ctx: ctx, now: s.now(), actor: actor}
		if err := fn(t); err != nil {
			return err
		}
		if len(t.events) > 0 {
			tx.AfterCommit(func() { s.pub.Publish(t.events) })
		}
		return nil
	})
}

// emit writes the event row of this mutation.
func (t *txn) emit(projectID int64, taskID *int64, kind string, data any) error {
	b, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("board: event data: %w", err)
	}
	ev := Event{ProjectID: projectID, TaskID: taskID, Kind: kind, ActorID: t.actor, At: t.now, Data: b}
	err = t.QueryRowContext(t.ctx, `
		INSERT INTO events (project_id, task_id, kind, actor_id, at, data) VALUES (?, ?, ?, ?, ?, ?)
		RETURNING seq`, projectID, taskID, kind, t.actor, db.Time(t.now), string(b)).Scan(&ev.Seq)
	if err != nil {
		return fmt.Errorf("board: write event: %w", err)
	}
	t.events = append(t.events, ev)
	return nil
}

// Role is a project role.
type Role string

// Project roles, weakest first.
const (
	RoleViewer Role = "viewer"
	RoleEditor Role = "editor"
	RoleOwner  Role = "owner"
)

func (r Role) rank() int {
	switch r {
	case RoleViewer:
		return 1
	case RoleEditor:
		return 2
	case RoleOwner:
		return 3
	}
	return 0
}

func (r Role) valid() bool { return r.rank() > 0 }

// notFound is the answer for anything that does not exist or that the caller
// may not know exists: a non-member learns nothing about a project.
func notFound(what string) error { return errs.New(errs.NotFound, "no such %s", what) }

// access checks that userID is a member of projectID with at least min, and
// returns their role. A non-member gets 404 (no existence leak); a member
// below min gets 403.
func access(ctx context.Context, q db.Querier, userID, projectID int64, min Role, what string) (Role, error) {
	var role Role
	err := q.QueryRowContext(ctx, "SELECT role FROM project_members WHERE project_id = ? AND user_id = ?", projectID, userID).Scan(&role)
	if errors.Is(err, sql.ErrNoRows) {
		return "", notFound(what)
	}
	if err != nil {
		return "", fmt.Errorf("board: check membership: %w", err)
	}
	if role.rank() < min.rank() {
		return role, errs.New(errs.Forbidden, "this needs the %s role in the project; you are %s", min, role)
	}
	return role, nil
}

// projectOf finds the project a column, label or task belongs to; a missing
// row is a 404 named after what.
func projectOf(ctx context.Context, q db.Querier, table string, id int64, what string) (int64, error) {
	var pid int64
	// table is one of a fixed set of names from this package, never input.
	err := q.QueryRowContext(ctx, "SELECT project_id FROM "+table+" WHERE id = ?", id).Scan(&pid)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, notFound(what)
	}
	if err != nil {
		return 0, fmt.Errorf("board: find %s: %w", what, err)
	}
	return pid, nil
}

// accessVia resolves a column, label or task to its project and checks the
// caller's role there.
func accessVia(ctx context.Context, q db.Querier, userID int64, table string, id int64, min Role, what string) (int64, Role, error) {
	pid, err := projectOf(ctx, q, table, id, what)
	if err != nil {
		return 0, "", err
	}
	role, err := access(ctx, q, userID, pid, min, what)
	return pid, role, err
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(...any) error }

// getOne reads one row with scan; no row is a 404 named after what.
func getOne[T any](ctx context.Context, q db.Querier, scan func(scanner) (T, error), what, query string, args ...any) (T, error) {
	v, err := scan(q.QueryRowContext(ctx, query, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return v, notFound(what)
	}
	if err != nil {
		return v, fmt.Errorf("board: get %s: %w", what, err)
	}
	return v, nil
}

// listInProject reads a page of a project's rows for a member of it (any
// role). query takes the project id, then after (the cursor's values), then
// the limit; key makes the cursor of a row.
func listInProject[T any](ctx context.Context, s *Service, userID, projectID int64, pg page.Request,
	scan func(scanner) (T, error), query string, after []any, key func(T) string) (page.List[T], error) {
	var items []T
	err := s.db.ReadTx(ctx, func(tx *db.Tx) error {
		if _, err := access(ctx, tx, userID, projectID, RoleViewer, "project"); err != nil {
			return err
		}
		args := append(append([]any{projectID}, after...), pg.Limit+1)
		var err error
		if items, err = scanRows(ctx, tx, func(r *sql.Rows) (T, error) { return scan(r) }, query, args...); err != nil {
			return fmt.Errorf("board: list: %w", err)
		}
		return nil
	})
	if err != nil {
		return page.List[T]{}, err
	}
	return page.Trim(items, pg.Limit, key), nil
}

// scanRows runs a query and scans each row with scan.
func scanRows[T any](ctx context.Context, q db.Querier, scan func(rows *sql.Rows) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
