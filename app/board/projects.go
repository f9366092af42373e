package board

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"tack/app/errs"
	"tack/app/opt"
	"tack/app/page"
	"tack/db"
)

// Project is the SPEC's project shape; Role is the caller's.
type Project struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Archived    bool      `json:"archived"`
	Role        Role      `json:"role"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// projectEventData is a project as events show it: without the role, which
// differs for each member who receives the event.
type projectEventData struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Archived    bool      `json:"archived"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func (p *Project) eventData() projectEventData {
	return projectEventData{ID: p.ID, Name: p.Name, Description: p.Description, Archived: p.Archived, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
}

// defaultColumns are the columns of a new project.
var defaultColumns = []string{"To do", "In progress", "Done"}

const projectColumns = `p.id, p.name, p.description, p.archived, m.role, p.created_at, p.updated_at`

func scanProject(r scanner) (*Project, error) {
	var p Project
	err := r.Scan(&p.ID, &p.Name, &p.Description, &p.Archived, &p.Role, db.ScanTime(&p.CreatedAt), db.ScanTime(&p.UpdatedAt))
	return &p, err
}

func getProject(ctx context.Context, q db.Querier, userID, id int64) (*Project, error) {
	return getOne(ctx, q, scanProject, "project", `
		SELECT `+projectColumns+` FROM projects p
		JOIN project_members m ON m.project_id = p.id AND m.user_id = ?
		WHERE p.id = ?`, userID, id)
}

// NewProject is a project to create.
type NewProject struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

// CreateProject creates a project owned by the caller, with the default
// columns. Its event is member.added for the owner: the first thing that
// happens in a project is that someone joins it.
func (s *Service) CreateProject(ctx context.Context, userID int64, in NewProject) (*Project, error) {
	f := errs.Fields{}
	name := cleanName(f, "name", in.Name)
	desc := cleanBody(f, "description", in.Description, maxDescription, false)
	if err := f.Err(); err != nil {
		return nil, err
	}
	var p *Project
	err := s.write(ctx, userID, func(t *txn) error {
		now := db.Time(t.now)
		var id int64
		if err := t.QueryRowContext(ctx, `
			INSERT INTO projects (name, description, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?) RETURNING id`, name, desc, userID, now, now).Scan(&id); err != nil {
			return fmt.Errorf("board: create project: %w", err)
		}
		if _, err := t.ExecContext(ctx, `
			INSERT INTO project_members (project_id, user_id, role, added_at) VALUES (?, ?, 'owner', ?)`,
			id, userID, now); err != nil {
			return fmt.Errorf("board: create project: %w", err)
		}
		for i, c := range defaultColumns {
			if _, err := t.ExecContext(ctx, `
				INSERT INTO columns (project_id, name, position, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
				id, c, i, now, now); err != nil {
				return fmt.Errorf("board: create project: %w", err)
			}
		}
		var err error
		if p, err = getProject(ctx, t, userID, id); err != nil {
			return err
		}
		m, err := getMember(ctx, t, id, userID)
		if err != nil {
			return err
		}
		return t.emit(id, nil, "member.added", m)
	})
	return p, err
}

// Projects lists the caller's projects by name.
func (s *Service) Projects(ctx context.Context, userID int64, pg page.Request) (page.List[*Project], error) {
	var afterName string
	var afterID int64
	if _, err := page.Decode(pg.Cursor, &afterName, &afterID); err != nil {
		return page.List[*Project]{}, err
	}
	items, err := scanRows(ctx, s.db, func(r *sql.Rows) (*Project, error) { return scanProject(r) }, `
		SELECT `+projectColumns+` FROM projects p
		JOIN project_members m ON m.project_id = p.id AND m.user_id = ?
		WHERE (p.name COLLATE NOCASE, p.id) > (?, ?)
		ORDER BY p.name COLLATE NOCASE, p.id LIMIT ?`, userID, afterName, afterID, pg.Limit+1)
	if err != nil {
		return page.List[*Project]{}, fmt.Errorf("board: list projects: %w", err)
	}
	return page.Trim(items, pg.Limit, func(p *Project) string { return page.Encode(p.Name, p.ID) }), nil
}

// Project reads one project the caller is a member of.
func (s *Service) Project(ctx context.Context, userID, id int64) (*Project, error) {
	return getProject(ctx, s.db, userID, id)
}

// ProjectPatch is what an owner may change.
type ProjectPatch struct {
	Name        opt.Field[string] `json:"name"`
	Description opt.Field[string] `json:"description"`
	Archived    opt.Field[bool]   `json:"archived"`
}

// UpdateProject renames, redescribes, archives or unarchives a project.
func (s *Service) UpdateProject(ctx context.Context, userID, id int64, in ProjectPatch) (*Project, error) {
	f := errs.Fields{}
	var name, desc string
	if in.Name.Set {
		name = cleanName(f, "name", in.Name.V)
	}
	if in.Description.Set {
		desc = cleanBody(f, "description", in.Description.V, maxDescription, false)
	}
	if in.Archived.Set && in.Archived.Null {
		f.Add("archived", "neither true nor false")
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	var p *Project
	err := s.write(ctx, userID, func(t *txn) error {
		if _, err := access(ctx, t, userID, id, RoleOwner, "project"); err != nil {
			return err
		}
		now := db.Time(t.now)
		if _, err := t.ExecContext(ctx, `
			UPDATE projects SET
				name = CASE WHEN ? THEN ? ELSE name END,
				description = CASE WHEN ? THEN ? ELSE description END,
				archived = CASE WHEN ? THEN ? ELSE archived END,
				updated_at = ?
			WHERE id = ?`,
			in.Name.Set, name, in.Description.Set, desc, in.Archived.Set, in.Archived.V, now, id); err != nil {
			return fmt.Errorf("board: update project: %w", err)
		}
		var err error
		if p, err = getProject(ctx, t, userID, id); err != nil {
			return err
		}
		return t.emit(id, nil, "project.updated", p.eventData())
	})
	return p, err
}

// DeleteProject deletes a project with everything in it.
func (s *Service) DeleteProject(ctx context.Context, userID, id int64) error {
	return s.write(ctx, userID, func(t *txn) error {
		if _, err := access(ctx, t, userID, id, RoleOwner, "project"); err != nil {
			return err
		}
		// Tasks first: their column references would otherwise be checked
		// while the columns go.
		if _, err := t.ExecContext(ctx, "DELETE FROM tasks WHERE project_id = ?", id); err != nil {
			return fmt.Errorf("board: delete project: %w", err)
		}
		if _, err := t.ExecContext(ctx, "DELETE FROM projects WHERE id = ?", id); err != nil {
			return fmt.Errorf("board: delete project: %w", err)
		}
		return t.emit(id, nil, "project.deleted", map[string]int64{"id": id})
	})
}
