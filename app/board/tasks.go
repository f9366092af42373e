package board

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"tack/app/errs"
	"tack/app/opt"
	"tack/app/page"
	"tack/db"
)

// Task is the SPEC's task shape. Position is the task's index in its column,
// from 0 at the top.
type Task struct {
	ID          int64      `json:"id"`
	ProjectID   int64      `json:"project_id"`
	Number      int64      `json:"number"`
	ColumnID    int64      `json:"column_id"`
	Title       string     `json:"title"`
	Description string     `json:"description"`
	Priority    string     `json:"priority"`
	DueAt       *time.Time `json:"due_at"`
	Position    int        `json:"position"`
	AssigneeIDs []int64    `json:"assignee_ids"`
	LabelIDs    []int64    `json:"label_ids"`
	CreatedBy   *int64     `json:"created_by"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	CompletedAt *time.Time `json:"completed_at"`
	Version     int64      `json:"version"`

	// rank orders tasks within a column, for listing and cursors.
	rank int64
}

// taskColumns are a task's fields with its position: the index among all
// tasks of its column, whatever filters the query has. Counting costs a walk
// of the column's index, so lists count only for the page (taskListQuery).
const taskColumns = `
	SELECT t.id, t.project_id, t.number, t.column_id, t.title, t.description, t.priority, t.due_at,
	       (SELECT count(*) FROM tasks o WHERE o.column_id = t.column_id AND o.rank < t.rank),
	       t.created_by, t.created_at, t.updated_at, t.completed_at, t.version, t.rank`

// taskSelect reads one task; append a WHERE on t.
const taskSelect = taskColumns + ` FROM tasks t`

// taskListQuery reads a page of tasks: where (fixed fragments on t and c)
// picks and orders them, and only the page's rows are counted for their
// positions.
func taskListQuery(where string) string {
	return taskColumns + `
	FROM (SELECT t.*, c.position AS column_position FROM tasks t JOIN columns c ON c.id = t.column_id
	      WHERE ` + where + ` ORDER BY c.position, t.rank, t.id LIMIT ?) AS t
	ORDER BY t.column_position, t.rank, t.id`
}

func scanTask(r scanner) (*Task, error) {
	var t Task
	err := r.Scan(&t.ID, &t.ProjectID, &t.Number, &t.ColumnID, &t.Title, &t.Description, &t.Priority,
		db.ScanNullTime(&t.DueAt), &t.Position, &t.CreatedBy, db.ScanTime(&t.CreatedAt), db.ScanTime(&t.UpdatedAt),
		db.ScanNullTime(&t.CompletedAt), &t.Version, &t.rank)
	return &t, err
}

// fillTaskLinks loads the assignees and labels of tasks in two queries.
func fillTaskLinks(ctx context.Context, q db.Querier, tasks []*Task) error {
	if len(tasks) == 0 {
		return nil
	}
	byID := make(map[int64]*Task, len(tasks))
	ids := make([]int64, len(tasks))
	for i, t := range tasks {
		t.AssigneeIDs, t.LabelIDs = []int64{}, []int64{}
		byID[t.ID] = t
		ids[i] = t.ID
	}
	idJSON, _ := json.Marshal(ids)
	for _, link := range []struct {
		query string
		add   func(t *Task, id int64)
	}{
		{"SELECT task_id, user_id FROM task_assignees WHERE task_id IN (SELECT value FROM json_each(?)) ORDER BY task_id, user_id",
			func(t *Task, id int64) { t.AssigneeIDs = append(t.AssigneeIDs, id) }},
		{"SELECT task_id, label_id FROM task_labels WHERE task_id IN (SELECT value FROM json_each(?)) ORDER BY task_id, label_id",
			func(t *Task, id int64) { t.LabelIDs = append(t.LabelIDs, id) }},
	} {
		rows, err := q.QueryContext(ctx, link.query, string(idJSON))
		if err != nil {
			return fmt.Errorf("board: task links: %w", err)
		}
		for rows.Next() {
			var tid, id int64
			if err := rows.Scan(&tid, &id); err != nil {
				rows.Close()
				return fmt.Errorf("board: task links: %w", err)
			}
			link.add(byID[tid], id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("board: task links: %w", err)
		}
	}
	return nil
}

func getTask(ctx context.Context, q db.Querier, id int64) (*Task, error) {
	t, err := getOne(ctx, q, scanTask, "task", taskSelect+" WHERE t.id = ?", id)
	if err != nil {
		return nil, err
	}
	return t, fillTaskLinks(ctx, q, []*Task{t})
}

// Task reads one task of a project the caller is a member of.
func (s *Service) Task(ctx context.Context, userID, id int64) (*Task, error) {
	var t *Task
	err := s.db.ReadTx(ctx, func(tx *db.Tx) error {
		if _, _, err := accessVia(ctx, tx, userID, "tasks", id, RoleViewer, "task"); err != nil {
			return err
		}
		var err error
		t, err = getTask(ctx, tx, id)
		return err
	})
	return t, err
}

// TaskFilter narrows a task list (SPEC section 4).
type TaskFilter struct {
	ColumnID   *int64
	AssigneeID *int64
	LabelID    *int64
	Priority   string
	DueBefore  *time.Time
	Q          string
}

// Tasks lists a project's tasks ordered by column, then position. The cursor
// is the last task's (column, rank, id), and the column's current position
// is looked up when the next page is read, so a page never repeats a task
// and never skips one that existed when listing began, whatever is inserted
// or reordered meanwhile. (If the cursor's column is deleted, the listing
// ends there.)
func (s *Service) Tasks(ctx context.Context, userID, projectID int64, f TaskFilter, pg page.Request) (page.List[*Task], error) {
	var after struct {
		col, rank, id int64
	}
	started, err := page.Decode(pg.Cursor, &after.col, &after.rank, &after.id)
	if err != nil {
		return page.List[*Task]{}, err
	}
	if f.Priority != "" && !validPriority(f.Priority) {
		return page.List[*Task]{}, errs.New(errs.BadRequest, "priority must be one of %s", strings.Join(priorities, ", ")).With("priority", "invalid")
	}
	where := []string{"t.project_id = ?"}
	args := []any{projectID}
	if started {
		where = append(where, "(c.position, t.rank, t.id) > ((SELECT position FROM columns WHERE id = ? AND project_id = t.project_id), ?, ?)")
		args = append(args, after.col, after.rank, after.id)
	}
	if f.ColumnID != nil {
		where, args = append(where, "t.column_id = ?"), append(args, *f.ColumnID)
	}
	if f.AssigneeID != nil {
		where, args = append(where, "EXISTS (SELECT 1 FROM task_assignees a WHERE a.task_id = t.id AND a.user_id = ?)"), append(args, *f.AssigneeID)
	}
	if f.LabelID != nil {
		where, args = append(where, "EXISTS (SELECT 1 FROM task_labels l WHERE l.task_id = t.id AND l.label_id = ?)"), append(args, *f.LabelID)
	}
	if f.Priority != "" {
		where, args = append(where, "t.priority = ?"), append(args, f.Priority)
	}
	if f.DueBefore != nil {
		where, args = append(where, "t.due_at < ?"), append(args, db.Time(*f.DueBefore))
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		if len(q) > 200 {
			return page.List[*Task]{}, errs.New(errs.BadRequest, "q is too long").With("q", "at most 200 characters")
		}
		like := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(q)
		where, args = append(where, `(t.title LIKE '%' || ? || '%' ESCAPE '\' OR t.description LIKE '%' || ? || '%' ESCAPE '\')`), append(args, like, like)
	}
	args = append(args, pg.Limit+1)
	var items []*Task
	err = s.db.ReadTx(ctx, func(tx *db.Tx) error {
		if _, err := access(ctx, tx, userID, projectID, RoleViewer, "project"); err != nil {
			return err
		}
		var err error
		// where holds only the fixed fragments above; every value is bound.
		items, err = scanRows(ctx, tx, func(r *sql.Rows) (*Task, error) { return scanTask(r) },
			taskListQuery(strings.Join(where, " AND ")), args...)
		if err != nil {
			return fmt.Errorf("board: list tasks: %w", err)
		}
		if len(items) > pg.Limit {
			// The extra row only says there is a next page.
			return fillTaskLinks(ctx, tx, items[:pg.Limit])
		}
		return fillTaskLinks(ctx, tx, items)
	})
	if err != nil {
		return page.List[*Task]{}, err
	}
	return page.Trim(items, pg.Limit, func(t *Task) string { return page.Encode(t.ColumnID, t.rank, t.ID) }), nil
}

// NewTask is a task to create.
type NewTask struct {
	Title       string  `json:"title"`
	Description string  `json:"description"`
	ColumnID    *int64  `json:"column_id"`
	Priority    *string `json:"priority"`
	DueAt       *string `json:"due_at"`
	AssigneeIDs []int64 `json:"assignee_ids"`
	LabelIDs    []int64 `json:"label_ids"`
}

// parseDue reads an RFC 3339 due date; empty is none.
func parseDue(f errs.Fields, s string) *string {
	if s == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil || t.Year() < 1 || t.Year() > 9999 {
		f.Add("due_at", "not an RFC 3339 time such as 2026-12-31T17:00:00Z")
		return nil
	}
	v := db.Time(t)
	return &v
}

// checkLinks verifies that assignees are members and labels belong to the
// project: an id from another project is refused, never attached.
func checkLinks(ctx context.Context, t *txn, f errs.Fields, projectID int64, assignees, labels []int64) error {
	for _, c := range []struct {
		field, query string
		ids          []int64
	}{
		{"assignee_ids", "SELECT count(*) FROM project_members WHERE project_id = ? AND user_id IN (SELECT value FROM json_each(?))", assignees},
		{"label_ids", "SELECT count(*) FROM labels WHERE project_id = ? AND id IN (SELECT value FROM json_each(?))", labels},
	} {
		if len(c.ids) == 0 {
			continue
		}
		b, _ := json.Marshal(c.ids)
		var n int
		if err := t.QueryRowContext(ctx, c.query, projectID, string(b)).Scan(&n); err != nil {
			return fmt.Errorf("board: check %s: %w", c.field, err)
		}
		if n != len(c.ids) {
			if c.field == "assignee_ids" {
				f.Add(c.field, "holding a user who is not a member of the project")
			} else {
				f.Add(c.field, "holding a label that is not the project's")
			}
		}
	}
	return nil
}

// setLinks replaces a task's assignees or labels.
func setLinks(ctx context.Context, t *txn, taskID int64, table, col string, ids []int64) error {
	// table and col are fixed names from this package.
	if _, err := t.ExecContext(ctx, "DELETE FROM "+table+" WHERE task_id = ?", taskID); err != nil {
		return fmt.Errorf("board: set %s: %w", table, err)
	}
	for _, id := range ids {
		if _, err := t.ExecContext(ctx, "INSERT INTO "+table+" (task_id, "+col+") VALUES (?, ?)", taskID, id); err != nil {
			return fmt.Errorf("board: set %s: %w", table, err)
		}
	}
	return nil
}

// CreateTask adds a task at the bottom of its column (the first column when
// none is given).
func (s *Service) CreateTask(ctx context.Context, userID, projectID int64, in NewTask) (*Task, error) {
	f := errs.Fields{}
	title := cleanLine(f, "title", in.Title, maxTitle)
	desc := cleanBody(f, "description", in.Description, maxDescription, false)
	priority := "none"
	if in.Priority != nil {
		priority = *in.Priority
		if !validPriority(priority) {
			f.Add("priority", "not one of "+strings.Join(priorities, ", "))
		}
	}
	assignees := uniqueIDs(f, "assignee_ids", in.AssigneeIDs)
	labels := uniqueIDs(f, "label_ids", in.LabelIDs)
	if in.ColumnID != nil && *in.ColumnID <= 0 {
		f.Add("column_id", "not a column of this project")
	}
	var due *string
	if in.DueAt != nil {
		due = parseDue(f, *in.DueAt)
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	var task *Task
	err := s.write(ctx, userID, func(t *txn) error {
		if _, err := access(ctx, t, userID, projectID, RoleEditor, "project"); err != nil {
			return err
		}
		var colID int64
		if in.ColumnID != nil {
			c, err := getColumn(ctx, t, *in.ColumnID)
			if err != nil || c.ProjectID != projectID {
				f.Add("column_id", "not a column of this project")
			} else {
				colID = c.ID
			}
		} else if err := t.QueryRowContext(ctx, "SELECT id FROM columns WHERE project_id = ? ORDER BY position LIMIT 1", projectID).Scan(&colID); err != nil {
			return fmt.Errorf("board: first column: %w", err)
		}
		if err := checkLinks(ctx, t, f, projectID, assignees, labels); err != nil {
			return err
		}
		if err := f.Err(); err != nil {
			return err
		}
		rank, err := place(ctx, t, 0, colID, nil, nil)
		if err != nil {
			return err
		}
		last, err := lastColumn(ctx, t, projectID)
		if err != nil {
			return err
		}
		var completed *string
		if colID == last {
			v := db.Time(t.now)
			completed = &v
		}
		now := db.Time(t.now)
		var id int64
		err = t.QueryRowContext(ctx, `
			INSERT INTO tasks (project_id, number, column_id, rank, title, description, priority, due_at,
			                   created_by, created_at, updated_at, completed_at)
			VALUES (?, (SELECT next_task_number FROM projects WHERE id = ?), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			RETURNING id`,
			projectID, projectID, colID, rank, title, desc, priority, due, userID, now, now, completed).Scan(&id)
		if err != nil {
			return fmt.Errorf("board: create task: %w", err)
		}
		if _, err := t.ExecContext(ctx, "UPDATE projects SET next_task_number = next_task_number + 1 WHERE id = ?", projectID); err != nil {
			return fmt.Errorf("board: create task: %w", err)
		}
		if err := setLinks(ctx, t, id, "task_assignees", "user_id", assignees); err != nil {
			return err
		}
		if err := setLinks(ctx, t, id, "task_labels", "label_id", labels); err != nil {
			return err
		}
		if task, err = getTask(ctx, t, id); err != nil {
			return err
		}
		return t.emit(projectID, &id, "task.created", task)
	})
	return task, err
}

// TaskPatch is the change to a task. Version is the version the client last
// saw; a stale one is refused with 409 and the current task.
type TaskPatch struct {
	Version     *int64             `json:"version"`
	Title       opt.Field[string]  `json:"title"`
	Description opt.Field[string]  `json:"description"`
	Priority    opt.Field[string]  `json:"priority"`
	DueAt       opt.Field[string]  `json:"due_at"`
	AssigneeIDs opt.Field[[]int64] `json:"assignee_ids"`
	LabelIDs    opt.Field[[]int64] `json:"label_ids"`
}

// UpdateTask changes a task if the caller saw its current version.
func (s *Service) UpdateTask(ctx context.Context, userID, id int64, in TaskPatch) (*Task, error) {
	f := errs.Fields{}
	if in.Version == nil {
		f.Add("version", "required")
	}
	var title, desc string
	if in.Title.Set {
		title = cleanLine(f, "title", in.Title.V, maxTitle)
	}
	if in.Description.Set {
		desc = cleanBody(f, "description", in.Description.V, maxDescription, false)
	}
	if in.Priority.Set && !validPriority(in.Priority.V) {
		f.Add("priority", "not one of "+strings.Join(priorities, ", "))
	}
	var due *string
	if in.DueAt.Set && !in.DueAt.Null {
		due = parseDue(f, in.DueAt.V)
	}
	var assignees, labels []int64
	if in.AssigneeIDs.Set {
		assignees = uniqueIDs(f, "assignee_ids", in.AssigneeIDs.V)
	}
	if in.LabelIDs.Set {
		labels = uniqueIDs(f, "label_ids", in.LabelIDs.V)
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	var task *Task
	err := s.write(ctx, userID, func(t *txn) error {
		pid, _, err := accessVia(ctx, t, userID, "tasks", id, RoleEditor, "task")
		if err != nil {
			return err
		}
		cur, err := getTask(ctx, t, id)
		if err != nil {
			return err
		}
		if cur.Version != *in.Version {
			return errs.New(errs.Conflict, "the task changed since you read it (version %d, not %d)", cur.Version, *in.Version).
				With("current", cur)
		}
		if err := checkLinks(ctx, t, f, pid, assignees, labels); err != nil {
			return err
		}
		if err := f.Err(); err != nil {
			return err
		}
		if _, err := t.ExecContext(ctx, `
			UPDATE tasks SET
				title = CASE WHEN ? THEN ? ELSE title END,
				description = CASE WHEN ? THEN ? ELSE description END,
				priority = CASE WHEN ? THEN ? ELSE priority END,
				due_at = CASE WHEN ? THEN ? ELSE due_at END,
				version = version + 1,
				updated_at = ?
			WHERE id = ?`,
			in.Title.Set, title, in.Description.Set, desc, in.Priority.Set && !in.Priority.Null, in.Priority.V,
			in.DueAt.Set, due, db.Time(t.now), id); err != nil {
			return fmt.Errorf("board: update task: %w", err)
		}
		if in.AssigneeIDs.Set {
			if err := setLinks(ctx, t, id, "task_assignees", "user_id", assignees); err != nil {
				return err
			}
		}
		if in.LabelIDs.Set {
			if err := setLinks(ctx, t, id, "task_labels", "label_id", labels); err != nil {
				return err
			}
		}
		if task, err = getTask(ctx, t, id); err != nil {
			return err
		}
		return t.emit(pid, &id, "task.updated", task)
	})
	return task, err
}

// DeleteTask deletes a task.
func (s *Service) DeleteTask(ctx context.Context, userID, id int64) error {
	return s.write(ctx, userID, func(t *txn) error {
		pid, _, err := accessVia(ctx, t, userID, "tasks", id, RoleEditor, "task")
		if err != nil {
			return err
		}
		if _, err := t.ExecContext(ctx, "DELETE FROM tasks WHERE id = ?", id); err != nil {
			return fmt.Errorf("board: delete task: %w", err)
		}
		return t.emit(pid, &id, "task.deleted", map[string]int64{"id": id})
	})
}

// Move is where a task goes: a column, and directly below AfterID or
// directly above BeforeID (both: between them, which must be neighbours;
// neither: the bottom).
type Move struct {
	ColumnID *int64 `json:"column_id"`
	BeforeID *int64 `json:"before_id"`
	AfterID  *int64 `json:"after_id"`
}

// MoveTask puts a task exactly where asked, in the same or another column of
// its project.
func (s *Service) MoveTask(ctx context.Context, userID, id int64, m Move) (*Task, error) {
	if m.ColumnID == nil {
		return nil, errs.New(errs.ValidationFailed, "column_id is required").With("column_id", "required")
	}
	var task *Task
	err := s.write(ctx, userID, func(t *txn) error {
		pid, _, err := accessVia(ctx, t, userID, "tasks", id, RoleEditor, "task")
		if err != nil {
			return err
		}
		col, err := getColumn(ctx, t, *m.ColumnID)
		if err != nil || col.ProjectID != pid {
			return errs.New(errs.ValidationFailed, "column_id is not a column of this project").With("column_id", "not a column of this project")
		}
		rank, err := place(ctx, t, id, col.ID, m.BeforeID, m.AfterID)
		if err != nil {
			return err
		}
		last, err := lastColumn(ctx, t, pid)
		if err != nil {
			return err
		}
		now := db.Time(t.now)
		if _, err := t.ExecContext(ctx, `
			UPDATE tasks SET column_id = ?, rank = ?, version = version + 1, updated_at = ?,
				completed_at = CASE WHEN ? THEN COALESCE(completed_at, ?) ELSE NULL END
			WHERE id = ?`, col.ID, rank, now, col.ID == last, now, id); err != nil {
			return fmt.Errorf("board: move task: %w", err)
		}
		if task, err = getTask(ctx, t, id); err != nil {
			return err
		}
		return t.emit(pid, &id, "task.moved", task)
	})
	return task, err
}
