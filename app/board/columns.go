package board

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"tack/app/errs"
	"tack/app/opt"
	"tack/app/page"
	"tack/db"
)

// Column is the SPEC's column shape. Position is the column's index on the
// board, from 0.
type Column struct {
	ID        int64  `json:"id"`
	ProjectID int64  `json:"project_id"`
	Name      string `json:"name"`
	Position  int    `json:"position"`
	WIPLimit  *int   `json:"wip_limit"`
}

const columnSelect = `SELECT id, project_id, name, position, wip_limit FROM columns`

func scanColumn(r scanner) (*Column, error) {
	var c Column
	err := r.Scan(&c.ID, &c.ProjectID, &c.Name, &c.Position, &c.WIPLimit)
	return &c, err
}

func getColumn(ctx context.Context, q db.Querier, id int64) (*Column, error) {
	return getOne(ctx, q, scanColumn, "column", columnSelect+" WHERE id = ?", id)
}

func projectColumnsOrdered(ctx context.Context, q db.Querier, projectID int64) ([]*Column, error) {
	cols, err := scanRows(ctx, q, func(r *sql.Rows) (*Column, error) { return scanColumn(r) },
		columnSelect+" WHERE project_id = ? ORDER BY position, id", projectID)
	if err != nil {
		return nil, fmt.Errorf("board: list columns: %w", err)
	}
	return cols, nil
}

// Columns lists a project's columns in board order.
func (s *Service) Columns(ctx context.Context, userID, projectID int64, pg page.Request) (page.List[*Column], error) {
	pos, id := -1, int64(0)
	if _, err := page.Decode(pg.Cursor, &pos, &id); err != nil {
		return page.List[*Column]{}, err
	}
	return listInProject(ctx, s, userID, projectID, pg, scanColumn,
		columnSelect+" WHERE project_id = ? AND (position, id) > (?, ?) ORDER BY position, id LIMIT ?",
		[]any{pos, id}, func(c *Column) string { return page.Encode(c.Position, c.ID) })
}

// ColumnInput is a column to create or the changes to one. Position is the
// index the column takes on the board (clamped to the ends); WIPLimit null
// clears the limit.
type ColumnInput struct {
	Name     opt.Field[string] `json:"name"`
	Position opt.Field[int]    `json:"position"`
	WIPLimit opt.Field[int]    `json:"wip_limit"`
}

func (in *ColumnInput) check(creating bool) (string, error) {
	f := errs.Fields{}
	var name string
	if creating || in.Name.Set {
		name = cleanName(f, "name", in.Name.V)
	}
	if in.Position.Set && (in.Position.Null || in.Position.V < 0) {
		f.Add("position", "not a board index from 0")
	}
	if in.WIPLimit.Set && !in.WIPLimit.Null && in.WIPLimit.V < 1 {
		f.Add("wip_limit", "not a positive number")
	}
	return name, f.Err()
}

// placeColumn moves column id to index pos among the project's columns and
// renumbers them 0..n-1.
func placeColumn(ctx context.Context, t *txn, projectID, id int64, pos int) error {
	cols, err := projectColumnsOrdered(ctx, t, projectID)
	if err != nil {
		return err
	}
	order := make([]int64, 0, len(cols))
	for _, c := range cols {
		if c.ID != id {
			order = append(order, c.ID)
		}
	}
	pos = min(pos, len(order))
	order = append(order[:pos], append([]int64{id}, order[pos:]...)...)
	for i, cid := range order {
		if _, err := t.ExecContext(ctx, "UPDATE columns SET position = ? WHERE id = ?", i, cid); err != nil {
			return fmt.Errorf("board: order columns: %w", err)
		}
	}
	return nil
}

// lastColumn is the project's last column: tasks there are complete.
func lastColumn(ctx context.Context, q db.Querier, projectID int64) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, "SELECT id FROM columns WHERE project_id = ? ORDER BY position DESC, id DESC LIMIT 1", projectID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("board: last column: %w", err)
	}
	return id, nil
}

// syncCompletion keeps completed_at true to "the task is in the project's
// last column" after the columns changed order: tasks that are now in the
// last column are completed now, tasks that left it are not. Those tasks
// changed, so their versions move.
func syncCompletion(ctx context.Context, t *txn, projectID int64) error {
	last, err := lastColumn(ctx, t, projectID)
	if err != nil {
		return err
	}
	now := db.Time(t.now)
	if _, err := t.ExecContext(ctx, `
		UPDATE tasks SET completed_at = ?, version = version + 1, updated_at = ?
		WHERE project_id = ? AND column_id = ? AND completed_at IS NULL`, now, now, projectID, last); err != nil {
		return fmt.Errorf("board: sync completion: %w", err)
	}
	if _, err := t.ExecContext(ctx, `
		UPDATE tasks SET completed_at = NULL, version = version + 1, updated_at = ?
		WHERE project_id = ? AND column_id != ? AND completed_at IS NOT NULL`, now, projectID, last); err != nil {
		return fmt.Errorf("board: sync completion: %w", err)
	}
	return nil
}

// CreateColumn adds a column (editors and owners), at the end unless a
// position is given.
func (s *Service) CreateColumn(ctx context.Context, userID, projectID int64, in ColumnInput) (*Column, error) {
	name, err := in.check(true)
	if err != nil {
		return nil, err
	}
	var c *Column
	err = s.write(ctx, userID, func(t *txn) error {
		if _, err := access(ctx, t, userID, projectID, RoleEditor, "project"); err != nil {
			return err
		}
		now := db.Time(t.now)
		var id int64
		if err := t.QueryRowContext(ctx, `
			INSERT INTO columns (project_id, name, position, wip_limit, created_at, updated_at)
			VALUES (?, ?, (SELECT COALESCE(MAX(position) + 1, 0) FROM columns WHERE project_id = ?), ?, ?, ?)
			RETURNING id`, projectID, name, projectID, in.WIPLimit.Ptr(), now, now).Scan(&id); err != nil {
			return fmt.Errorf("board: create column: %w", err)
		}
		if in.Position.Set {
			if err := placeColumn(ctx, t, projectID, id, in.Position.V); err != nil {
				return err
			}
		}
		if err := syncCompletion(ctx, t, projectID); err != nil {
			return err
		}
		var err error
		if c, err = getColumn(ctx, t, id); err != nil {
			return err
		}
		return t.emit(projectID, nil, "column.created", c)
	})
	return c, err
}

// UpdateColumn renames, moves or changes the WIP limit of a column.
func (s *Service) UpdateColumn(ctx context.Context, userID, id int64, in ColumnInput) (*Column, error) {
	name, err := in.check(false)
	if err != nil {
		return nil, err
	}
	var c *Column
	err = s.write(ctx, userID, func(t *txn) error {
		pid, _, err := accessVia(ctx, t, userID, "columns", id, RoleEditor, "column")
		if err != nil {
			return err
		}
		if _, err := t.ExecContext(ctx, `
			UPDATE columns SET
				name = CASE WHEN ? THEN ? ELSE name END,
				wip_limit = CASE WHEN ? THEN ? ELSE wip_limit END,
				updated_at = ?
			WHERE id = ?`, in.Name.Set, name, in.WIPLimit.Set, in.WIPLimit.Ptr(), db.Time(t.now), id); err != nil {
			return fmt.Errorf("board: update column: %w", err)
		}
		if in.Position.Set {
			if err := placeColumn(ctx, t, pid, id, in.Position.V); err != nil {
				return err
			}
			if err := syncCompletion(ctx, t, pid); err != nil {
				return err
			}
		}
		if c, err = getColumn(ctx, t, id); err != nil {
			return err
		}
		return t.emit(pid, nil, "column.updated", c)
	})
	return c, err
}

// DeleteColumn deletes a column. One that holds tasks needs moveTo, another
// column of the same project, where its tasks go (to the bottom, in order).
// A project's only column cannot be deleted.
func (s *Service) DeleteColumn(ctx context.Context, userID, id int64, moveTo *int64) error {
	return s.write(ctx, userID, func(t *txn) error {
		pid, _, err := accessVia(ctx, t, userID, "columns", id, RoleEditor, "column")
		if err != nil {
			return err
		}
		var columns, tasks int
		if err := t.QueryRowContext(ctx, `
			SELECT (SELECT count(*) FROM columns WHERE project_id = ?), (SELECT count(*) FROM tasks WHERE column_id = ?)`,
			pid, id).Scan(&columns, &tasks); err != nil {
			return fmt.Errorf("board: delete column: %w", err)
		}
		if columns <= 1 {
			return errs.New(errs.Conflict, "a project's only column cannot be deleted")
		}
		data := map[string]any{"id": id}
		if tasks > 0 || moveTo != nil {
			if moveTo == nil {
				return errs.New(errs.ValidationFailed, "move_to is required: the column holds tasks").With("move_to", "required: the column holds tasks")
			}
			if *moveTo == id {
				return errs.New(errs.ValidationFailed, "move_to must be another column").With("move_to", "the column being deleted")
			}
			target, err := getColumn(ctx, t, *moveTo)
			if err != nil || target.ProjectID != pid {
				return errs.New(errs.ValidationFailed, "move_to is not a column of this project").With("move_to", "not a column of this project")
			}
			if err := moveAllTasks(ctx, t, id, *moveTo); err != nil {
				return err
			}
			data["moved_to"] = *moveTo
		}
		if _, err := t.ExecContext(ctx, "DELETE FROM columns WHERE id = ?", id); err != nil {
			return fmt.Errorf("board: delete column: %w", err)
		}
		cols, err := projectColumnsOrdered(ctx, t, pid)
		if err != nil {
			return err
		}
		for i, c := range cols {
			if c.Position != i {
				if _, err := t.ExecContext(ctx, "UPDATE columns SET position = ? WHERE id = ?", i, c.ID); err != nil {
					return fmt.Errorf("board: delete column: %w", err)
				}
			}
		}
		if err := syncCompletion(ctx, t, pid); err != nil {
			return err
		}
		return t.emit(pid, nil, "column.deleted", data)
	})
}
