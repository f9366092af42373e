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

// Label is the SPEC's label shape.
type Label struct {
	ID        int64  `json:"id"`
	ProjectID int64  `json:"project_id"`
	Name      string `json:"name"`
	Color     string `json:"color"`
}

const labelSelect = `SELECT id, project_id, name, color FROM labels`

func scanLabel(r scanner) (*Label, error) {
	var l Label
	err := r.Scan(&l.ID, &l.ProjectID, &l.Name, &l.Color)
	return &l, err
}

func getLabel(ctx context.Context, q db.Querier, id int64) (*Label, error) {
	return getOne(ctx, q, scanLabel, "label", labelSelect+" WHERE id = ?", id)
}

// Labels lists a project's labels by name.
func (s *Service) Labels(ctx context.Context, userID, projectID int64, pg page.Request) (page.List[*Label], error) {
	var name string
	var id int64
	if _, err := page.Decode(pg.Cursor, &name, &id); err != nil {
		return page.List[*Label]{}, err
	}
	return listInProject(ctx, s, userID, projectID, pg, scanLabel,
		labelSelect+" WHERE project_id = ? AND (name, id) > (?, ?) ORDER BY name, id LIMIT ?",
		[]any{name, id}, func(l *Label) string { return page.Encode(l.Name, l.ID) })
}

// LabelInput is a label to create or the changes to one.
type LabelInput struct {
	Name  opt.Field[string] `json:"name"`
	Color opt.Field[string] `json:"color"`
}

func (in *LabelInput) check(creating bool) (name, color string, err error) {
	f := errs.Fields{}
	if creating || in.Name.Set {
		name = cleanName(f, "name", in.Name.V)
	}
	if creating || in.Color.Set {
		color = cleanColor(f, in.Color.V)
	}
	return name, color, f.Err()
}

func errLabelTaken(name string) error {
	return errs.New(errs.Conflict, "the project already has a label named %q", name).With("name", "taken")
}

// CreateLabel adds a label to a project; names are unique per project,
// ignoring case.
func (s *Service) CreateLabel(ctx context.Context, userID, projectID int64, in LabelInput) (*Label, error) {
	name, color, err := in.check(true)
	if err != nil {
		return nil, err
	}
	var l *Label
	err = s.write(ctx, userID, func(t *txn) error {
		if _, err := access(ctx, t, userID, projectID, RoleEditor, "project"); err != nil {
			return err
		}
		var id int64
		err := t.QueryRowContext(ctx, `
			INSERT INTO labels (project_id, name, color, created_at) VALUES (?, ?, ?, ?)
			ON CONFLICT DO NOTHING RETURNING id`, projectID, name, color, db.Time(t.now)).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return errLabelTaken(name)
		}
		if err != nil {
			return fmt.Errorf("board: create label: %w", err)
		}
		if l, err = getLabel(ctx, t, id); err != nil {
			return err
		}
		return t.emit(projectID, nil, "label.created", l)
	})
	return l, err
}

// UpdateLabel renames or recolours a label.
func (s *Service) UpdateLabel(ctx context.Context, userID, id int64, in LabelInput) (*Label, error) {
	name, color, err := in.check(false)
	if err != nil {
		return nil, err
	}
	var l *Label
	err = s.write(ctx, userID, func(t *txn) error {
		pid, _, err := accessVia(ctx, t, userID, "labels", id, RoleEditor, "label")
		if err != nil {
			return err
		}
		if in.Name.Set {
			var clash bool
			if err := t.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM labels WHERE project_id = ? AND name = ? AND id != ?)", pid, name, id).Scan(&clash); err != nil {
				return fmt.Errorf("board: update label: %w", err)
			}
			if clash {
				return errLabelTaken(name)
			}
		}
		if _, err := t.ExecContext(ctx, `
			UPDATE labels SET name = CASE WHEN ? THEN ? ELSE name END, color = CASE WHEN ? THEN ? ELSE color END
			WHERE id = ?`, in.Name.Set, name, in.Color.Set, color, id); err != nil {
			return fmt.Errorf("board: update label: %w", err)
		}
		if l, err = getLabel(ctx, t, id); err != nil {
			return err
		}
		return t.emit(pid, nil, "label.updated", l)
	})
	return l, err
}

// DeleteLabel deletes a label; it comes off every task that had it, and
// those tasks' versions move.
func (s *Service) DeleteLabel(ctx context.Context, userID, id int64) error {
	return s.write(ctx, userID, func(t *txn) error {
		pid, _, err := accessVia(ctx, t, userID, "labels", id, RoleEditor, "label")
		if err != nil {
			return err
		}
		if _, err := t.ExecContext(ctx, `
			UPDATE tasks SET version = version + 1, updated_at = ?
			WHERE id IN (SELECT task_id FROM task_labels WHERE label_id = ?)`, db.Time(t.now), id); err != nil {
			return fmt.Errorf("board: delete label: %w", err)
		}
		if _, err := t.ExecContext(ctx, "DELETE FROM labels WHERE id = ?", id); err != nil {
			return fmt.Errorf("board: delete label: %w", err)
		}
		return t.emit(pid, nil, "label.deleted", map[string]int64{"id": id})
	})
}
