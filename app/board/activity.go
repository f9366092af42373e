package board

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"tack/app/page"
	"tack/db"
)

// Activity is one entry of a project's or task's history: an event with the
// name of who did it.
type Activity struct {
	Seq       int64     `json:"seq"`
	Kind      string    `json:"kind"`
	ProjectID int64     `json:"project_id"`
	TaskID    *int64    `json:"task_id"`
	ActorID   int64     `json:"actor_id"`
	ActorName string    `json:"actor_name"`
	At        time.Time `json:"at"`
	Data      rawJSON   `json:"data"`
}

// rawJSON is stored JSON passed through as it is.
type rawJSON string

// MarshalJSON writes the stored JSON unchanged.
func (r rawJSON) MarshalJSON() ([]byte, error) { return []byte(r), nil }

// ProjectActivity lists a project's events, newest first.
func (s *Service) ProjectActivity(ctx context.Context, userID, projectID int64, pg page.Request) (page.List[*Activity], error) {
	return s.activity(ctx, userID, pg, func(tx *db.Tx) (string, int64, error) {
		_, err := access(ctx, tx, userID, projectID, RoleViewer, "project")
		return "e.project_id = ?", projectID, err
	})
}

// TaskActivity lists a task's events (its changes and its comments), newest
// first.
func (s *Service) TaskActivity(ctx context.Context, userID, taskID int64, pg page.Request) (page.List[*Activity], error) {
	return s.activity(ctx, userID, pg, func(tx *db.Tx) (string, int64, error) {
		_, _, err := accessVia(ctx, tx, userID, "tasks", taskID, RoleViewer, "task")
		return "e.task_id = ?", taskID, err
	})
}

// activity reads events newest first; scope checks access and names the
// filter (a fixed fragment) and its value.
func (s *Service) activity(ctx context.Context, userID int64, pg page.Request, scope func(tx *db.Tx) (string, int64, error)) (page.List[*Activity], error) {
	var before int64
	ok, err := page.Decode(pg.Cursor, &before)
	if err != nil {
		return page.List[*Activity]{}, err
	}
	if !ok {
		before = 1<<63 - 1
	}
	var items []*Activity
	err = s.db.ReadTx(ctx, func(tx *db.Tx) error {
		where, id, err := scope(tx)
		if err != nil {
			return err
		}
		items, err = scanRows(ctx, tx, func(r *sql.Rows) (*Activity, error) {
			var a Activity
			var actor sql.NullInt64
			var data string
			err := r.Scan(&a.Seq, &a.Kind, &a.ProjectID, &a.TaskID, &actor, &a.ActorName, db.ScanTime(&a.At), &data)
			a.ActorID, a.Data = actor.Int64, rawJSON(data)
			return &a, err
		}, `
			SELECT e.seq, e.kind, e.project_id, e.task_id, e.actor_id, COALESCE(u.display_name, ''), e.at, e.data
			FROM events e LEFT JOIN users u ON u.id = e.actor_id
			WHERE `+where+` AND e.seq < ?
			ORDER BY e.seq DESC LIMIT ?`, id, before, pg.Limit+1)
		if err != nil {
			return fmt.Errorf("board: activity: %w", err)
		}
		return nil
	})
	if err != nil {
		return page.List[*Activity]{}, err
	}
	return page.Trim(items, pg.Limit, func(a *Activity) string { return page.Encode(a.Seq) }), nil
}
