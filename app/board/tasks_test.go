package board

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"tack/app/errs"
	"tack/app/opt"
	"tack/app/page"
)

func TestTaskNumbersCountPerProject(t *testing.T) {
	f := newFixture(t)
	owner := f.user("owner")
	p, _ := f.project(owner, "P")
	q, _ := f.project(owner, "Q")
	steps := []struct {
		project int64
		want    int64
	}{{p.ID, 1}, {q.ID, 1}, {p.ID, 2}, {p.ID, 3}, {q.ID, 2}, {p.ID, 4}, {q.ID, 3}}
	var last *Task
	for i, s := range steps {
		last = f.task(owner, s.project, fmt.Sprint("task ", i), 0)
		if last.Number != s.want || last.ProjectID != s.project {
			t.Errorf("task %d: project %d number %d, want project %d number %d", i, last.ProjectID, last.Number, s.project, s.want)
		}
	}
	// A deleted task's number is not given out again.
	if err := f.svc.DeleteTask(f.ctx, owner, last.ID); err != nil {
		t.Fatal(err)
	}
	if got := f.task(owner, q.ID, "after a deletion", 0); got.Number != 4 {
		t.Errorf("number after deleting number 3 = %d, want 4", got.Number)
	}
}

func TestTaskVersionMovesOnEveryChange(t *testing.T) {
	f := newFixture(t)
	owner := f.user("owner")
	p, cols := f.project(owner, "Versions")
	task := f.task(owner, p.ID, "v", 0)
	if task.Version != 1 {
		t.Fatalf("new task version = %d, want 1", task.Version)
	}
	steps := []struct {
		name string
		do   func(v int64) (*Task, error)
	}{
		{"update title", func(v int64) (*Task, error) {
			return f.svc.UpdateTask(f.ctx, owner, task.ID, TaskPatch{Version: &v, Title: opt.Of("v2")})
		}},
		{"move to another column", func(int64) (*Task, error) {
			return f.svc.MoveTask(f.ctx, owner, task.ID, Move{ColumnID: &cols[1].ID})
		}},
		{"update assignees", func(v int64) (*Task, error) {
			return f.svc.UpdateTask(f.ctx, owner, task.ID, TaskPatch{Version: &v, AssigneeIDs: opt.Of([]int64{owner})})
		}},
		{"move within its column", func(int64) (*Task, error) {
			return f.svc.MoveTask(f.ctx, owner, task.ID, Move{ColumnID: &cols[1].ID})
		}},
		{"clear the due date", func(v int64) (*Task, error) {
			return f.svc.UpdateTask(f.ctx, owner, task.ID, TaskPatch{Version: &v, DueAt: opt.Field[string]{Set: true, Null: true}})
		}},
	}
	v := task.Version
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			got, err := s.do(v)
			if err != nil {
				t.Fatal(err)
			}
			if got.Version != v+1 {
				t.Errorf("version = %d, want %d", got.Version, v+1)
			}
			if read := f.getTask(owner, task.ID); read.Version != got.Version {
				t.Errorf("read back version %d, returned %d", read.Version, got.Version)
			}
			v = got.Version
		})
	}
}

func TestTaskCompletion(t *testing.T) {
	f := newFixture(t)
	owner := f.user("owner")
	p, cols := f.project(owner, "Done or not")
	firstCol, done := cols[0].ID, cols[2].ID
	open := f.task(owner, p.ID, "open", firstCol)
	if open.CompletedAt != nil {
		t.Errorf("task created in the first column: completed_at = %v, want none", open.CompletedAt)
	}
	closed := f.task(owner, p.ID, "closed", done)
	if closed.CompletedAt == nil {
		t.Fatalf("task created in the last column: no completed_at")
	}

	moved, err := f.svc.MoveTask(f.ctx, owner, open.ID, Move{ColumnID: &done})
	if err != nil {
		t.Fatal(err)
	}
	if moved.CompletedAt == nil {
		t.Fatalf("task moved into the last column: no completed_at")
	}
	within, err := f.svc.MoveTask(f.ctx, owner, open.ID, Move{ColumnID: &done, BeforeID: &closed.ID})
	if err != nil {
		t.Fatal(err)
	}
	if within.CompletedAt == nil || !within.CompletedAt.Equal(*moved.CompletedAt) {
		t.Errorf("moved within the last column: completed_at %v, want it kept at %v", within.CompletedAt, moved.CompletedAt)
	}
	out, err := f.svc.MoveTask(f.ctx, owner, open.ID, Move{ColumnID: &cols[1].ID})
	if err != nil {
		t.Fatal(err)
	}
	if out.CompletedAt != nil {
		t.Errorf("task moved out of the last column: completed_at = %v, want none", out.CompletedAt)
	}

	// A column added after the last one: "Done" is no longer last, so its
	// tasks are no longer complete, and they changed.
	before := f.getTask(owner, closed.ID)
	otherBefore := f.getTask(owner, open.ID)
	archive, err := f.svc.CreateColumn(f.ctx, owner, p.ID, ColumnInput{Name: opt.Of("Archive")})
	if err != nil {
		t.Fatal(err)
	}
	after := f.getTask(owner, closed.ID)
	if after.CompletedAt != nil || after.Version != before.Version+1 {
		t.Errorf("after adding a last column: completed_at %v version %d, want none and %d", after.CompletedAt, after.Version, before.Version+1)
	}
	if got := f.getTask(owner, open.ID); got.Version != otherBefore.Version {
		t.Errorf("a task outside the old last column changed version: %d, want %d", got.Version, otherBefore.Version)
	}

	// A column added in front changes nothing.
	if _, err := f.svc.CreateColumn(f.ctx, owner, p.ID, ColumnInput{Name: opt.Of("Inbox"), Position: opt.Of(0)}); err != nil {
		t.Fatal(err)
	}
	if got := f.getTask(owner, closed.ID); got.Version != after.Version || got.CompletedAt != nil {
		t.Errorf("adding a first column changed a task: version %d completed_at %v", got.Version, got.CompletedAt)
	}

	// Moving the new last column to the front makes "Done" last again.
	if _, err := f.svc.UpdateColumn(f.ctx, owner, archive.ID, ColumnInput{Position: opt.Of(0)}); err != nil {
		t.Fatal(err)
	}
	again := f.getTask(owner, closed.ID)
	if again.CompletedAt == nil || again.Version != after.Version+1 {
		t.Errorf("after \"Done\" became last again: completed_at %v version %d, want set and %d", again.CompletedAt, again.Version, after.Version+1)
	}

	// Deleting the last column moves its tasks out of completion.
	if err := f.svc.DeleteColumn(f.ctx, owner, done, &firstCol); err != nil {
		t.Fatal(err)
	}
	if got := f.getTask(owner, closed.ID); got.CompletedAt != nil || got.ColumnID != firstCol {
		t.Errorf("after deleting the last column: column %d completed_at %v, want column %d and none", got.ColumnID, got.CompletedAt, firstCol)
	}
	// Every task agrees with where it is.
	cs := f.columns(owner, p.ID)
	last := cs[len(cs)-1].ID
	for _, task := range f.allTasks(owner, p.ID, TaskFilter{}) {
		if (task.ColumnID == last) != (task.CompletedAt != nil) {
			t.Errorf("task %d in column %d (last %d): completed_at %v", task.ID, task.ColumnID, last, task.CompletedAt)
		}
	}
}

func TestTaskLinksMustBelongToTheProject(t *testing.T) {
	f := newFixture(t)
	owner, member, outsider, elsewhere := f.user("owner"), f.user("member"), f.user("outsider"), f.user("elsewhere")
	p, _ := f.project(owner, "Mine")
	q, _ := f.project(elsewhere, "Theirs")
	f.addMember(owner, p.ID, member, RoleEditor)
	mine, err := f.svc.CreateLabel(f.ctx, owner, p.ID, LabelInput{Name: opt.Of("mine"), Color: opt.Of("#111111")})
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := f.svc.CreateLabel(f.ctx, elsewhere, q.ID, LabelInput{Name: opt.Of("theirs"), Color: opt.Of("#222222")})
	if err != nil {
		t.Fatal(err)
	}
	task, err := f.svc.CreateTask(f.ctx, owner, p.ID, NewTask{Title: "linked", AssigneeIDs: []int64{member}, LabelIDs: []int64{mine.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(task.AssigneeIDs, []int64{member}) || !slices.Equal(task.LabelIDs, []int64{mine.ID}) {
		t.Fatalf("created with assignees %v labels %v", task.AssigneeIDs, task.LabelIDs)
	}

	tests := []struct {
		name      string
		assignees []int64
		labels    []int64
		field     string
	}{
		{"assignee not a member", []int64{outsider}, nil, "assignee_ids"},
		{"assignee a member of another project", []int64{elsewhere}, nil, "assignee_ids"},
		{"a member and a non-member", []int64{member, outsider}, nil, "assignee_ids"},
		{"assignee no such user", []int64{1 << 40}, nil, "assignee_ids"},
		{"label of another project", nil, []int64{theirs.ID}, "label_ids"},
		{"own label and another project's", nil, []int64{mine.ID, theirs.ID}, "label_ids"},
		{"label that does not exist", nil, []int64{1 << 40}, "label_ids"},
	}
	for _, tt := range tests {
		t.Run("create: "+tt.name, func(t *testing.T) {
			f.unchanged(t, errs.ValidationFailed, func() error {
				_, err := f.svc.CreateTask(f.ctx, owner, p.ID, NewTask{Title: "x", AssigneeIDs: tt.assignees, LabelIDs: tt.labels})
				if e := errs.As(err); e != nil && e.Details[tt.field] == nil {
					t.Errorf("details = %v, want an entry for %s", e.Details, tt.field)
				}
				return err
			})
		})
		t.Run("update: "+tt.name, func(t *testing.T) {
			in := TaskPatch{Version: &task.Version}
			if tt.assignees != nil {
				in.AssigneeIDs = opt.Of(tt.assignees)
			}
			if tt.labels != nil {
				in.LabelIDs = opt.Of(tt.labels)
			}
			f.unchanged(t, errs.ValidationFailed, func() error {
				_, err := f.svc.UpdateTask(f.ctx, owner, task.ID, in)
				return err
			})
		})
	}
	if got := f.getTask(owner, task.ID); !slices.Equal(got.AssigneeIDs, []int64{member}) || !slices.Equal(got.LabelIDs, []int64{mine.ID}) {
		t.Errorf("after refused changes: assignees %v labels %v, want [%d] [%d]", got.AssigneeIDs, got.LabelIDs, member, mine.ID)
	}
}

func TestRemovingAMemberDropsTheirAssignments(t *testing.T) {
	for _, by := range []string{"owner removes", "member leaves"} {
		t.Run(by, func(t *testing.T) {
			f := newFixture(t)
			owner, member := f.user("owner"), f.user("member")
			p, _ := f.project(owner, "P")
			q, _ := f.project(owner, "Q")
			f.addMember(owner, p.ID, member, RoleEditor)
			f.addMember(owner, q.ID, member, RoleEditor)
			mk := func(pid int64, title string, assignees ...int64) *Task {
				task, err := f.svc.CreateTask(f.ctx, owner, pid, NewTask{Title: title, AssigneeIDs: assignees})
				if err != nil {
					t.Fatal(err)
				}
				return task
			}
			both := mk(p.ID, "both", owner, member)
			only := mk(p.ID, "only", member)
			none := mk(p.ID, "none", owner)
			other := mk(q.ID, "other project", member)

			actor := owner
			if by == "member leaves" {
				actor = member
			}
			if err := f.svc.RemoveMember(f.ctx, actor, p.ID, member); err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				task    *Task
				want    []int64
				changed bool
			}{{both, []int64{owner}, true}, {only, []int64{}, true}, {none, []int64{owner}, false}, {other, []int64{member}, false}} {
				got := f.getTask(owner, c.task.ID)
				if !slices.Equal(got.AssigneeIDs, c.want) {
					t.Errorf("task %q assignees = %v, want %v", c.task.Title, got.AssigneeIDs, c.want)
				}
				if want := c.task.Version + map[bool]int64{true: 1}[c.changed]; got.Version != want {
					t.Errorf("task %q version = %d, want %d", c.task.Title, got.Version, want)
				}
			}
		})
	}
}

func TestDeletingALabelTakesItOffTasks(t *testing.T) {
	f := newFixture(t)
	owner := f.user("owner")
	p, _ := f.project(owner, "Labels")
	var labels []int64
	for _, name := range []string{"bug", "ui"} {
		l, err := f.svc.CreateLabel(f.ctx, owner, p.ID, LabelInput{Name: opt.Of(name), Color: opt.Of("#abcdef")})
		if err != nil {
			t.Fatal(err)
		}
		labels = append(labels, l.ID)
	}
	bug, ui := labels[0], labels[1]
	mk := func(title string, ls ...int64) *Task {
		task, err := f.svc.CreateTask(f.ctx, owner, p.ID, NewTask{Title: title, LabelIDs: ls})
		if err != nil {
			t.Fatal(err)
		}
		return task
	}
	both, onlyBug, onlyUI := mk("both", bug, ui), mk("bug", bug), mk("ui", ui)
	if err := f.svc.DeleteLabel(f.ctx, owner, bug); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		task    *Task
		want    []int64
		changed bool
	}{{both, []int64{ui}, true}, {onlyBug, []int64{}, true}, {onlyUI, []int64{ui}, false}} {
		got := f.getTask(owner, c.task.ID)
		if !slices.Equal(got.LabelIDs, c.want) {
			t.Errorf("task %q labels = %v, want %v", c.task.Title, got.LabelIDs, c.want)
		}
		if want := c.task.Version + map[bool]int64{true: 1}[c.changed]; got.Version != want {
			t.Errorf("task %q version = %d, want %d", c.task.Title, got.Version, want)
		}
	}
	if n := f.count("SELECT count(*) FROM task_labels WHERE label_id = ?", bug); n != 0 {
		t.Errorf("%d task_labels rows left for the deleted label", n)
	}
	if got := f.allTasks(owner, p.ID, TaskFilter{LabelID: &bug}); len(got) != 0 {
		t.Errorf("filtering by the deleted label lists %d tasks", len(got))
	}
}

func TestDeleteColumn(t *testing.T) {
	f := newFixture(t)
	owner, stranger := f.user("owner"), f.user("stranger")
	p, cols := f.project(owner, "Columns")
	_, qcols := f.project(stranger, "Theirs")
	var from, to []int64
	for i := range 3 {
		from = append(from, f.task(owner, p.ID, fmt.Sprint("from ", i), cols[1].ID).ID)
	}
	for i := range 2 {
		to = append(to, f.task(owner, p.ID, fmt.Sprint("to ", i), cols[0].ID).ID)
	}

	refusals := []struct {
		name   string
		moveTo *int64
	}{
		{"no move_to", nil},
		{"move_to of another project", &qcols[0].ID},
		{"move_to itself", &cols[1].ID},
		{"move_to no such column", ptr(int64(1 << 40))},
	}
	for _, r := range refusals {
		t.Run("refused: "+r.name, func(t *testing.T) {
			f.unchanged(t, errs.ValidationFailed, func() error { return f.svc.DeleteColumn(f.ctx, owner, cols[1].ID, r.moveTo) })
		})
	}

	t.Run("tasks go to the bottom of the target in order", func(t *testing.T) {
		if err := f.svc.DeleteColumn(f.ctx, owner, cols[1].ID, &cols[0].ID); err != nil {
			t.Fatal(err)
		}
		var got []int64
		for i, task := range f.allTasks(owner, p.ID, TaskFilter{}) {
			if task.ColumnID != cols[0].ID || task.Position != i {
				t.Errorf("task %d: column %d position %d, want column %d position %d", task.ID, task.ColumnID, task.Position, cols[0].ID, i)
			}
			got = append(got, task.ID)
		}
		if want := append(slices.Clone(to), from...); !slices.Equal(got, want) {
			t.Errorf("target column holds %v, want %v", got, want)
		}
		left := f.columns(owner, p.ID)
		if len(left) != 2 || left[0].ID != cols[0].ID || left[1].ID != cols[2].ID || left[0].Position != 0 || left[1].Position != 1 {
			t.Errorf("columns left = %+v, want the first and last at positions 0 and 1", left)
		}
	})
	t.Run("an empty column needs no move_to", func(t *testing.T) {
		if err := f.svc.DeleteColumn(f.ctx, owner, cols[2].ID, nil); err != nil {
			t.Fatal(err)
		}
		// The only column left is now the last: its tasks are complete.
		for _, task := range f.allTasks(owner, p.ID, TaskFilter{}) {
			if task.CompletedAt == nil {
				t.Errorf("task %d in the only (last) column has no completed_at", task.ID)
			}
		}
	})
	t.Run("the only column cannot be deleted", func(t *testing.T) {
		f.unchanged(t, errs.Conflict, func() error { return f.svc.DeleteColumn(f.ctx, owner, cols[0].ID, nil) })
		f.unchanged(t, errs.Conflict, func() error { return f.svc.DeleteColumn(f.ctx, owner, cols[0].ID, &qcols[0].ID) })
	})
}

func TestDeleteProjectRemovesEverything(t *testing.T) {
	f := newFixture(t)
	owner, member := f.user("owner"), f.user("member")
	p, cols := f.project(owner, "Doomed")
	keep, _ := f.project(owner, "Kept")
	var taskIDs []int64
	for _, pid := range []int64{p.ID, keep.ID} {
		f.addMember(owner, pid, member, RoleEditor)
		l, err := f.svc.CreateLabel(f.ctx, owner, pid, LabelInput{Name: opt.Of("bug"), Color: opt.Of("#ff0000")})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			task, err := f.svc.CreateTask(f.ctx, owner, pid, NewTask{Title: fmt.Sprint("t", i), AssigneeIDs: []int64{owner, member}, LabelIDs: []int64{l.ID}})
			if err != nil {
				t.Fatal(err)
			}
			if pid == p.ID {
				taskIDs = append(taskIDs, task.ID)
			}
		}
	}
	if _, err := f.svc.MoveTask(f.ctx, owner, taskIDs[0], Move{ColumnID: &cols[2].ID}); err != nil {
		t.Fatal(err)
	}
	keptBefore := f.allTasks(owner, keep.ID, TaskFilter{})
	eventsBefore := f.count("SELECT count(*) FROM events WHERE project_id = ?", p.ID)

	if err := f.svc.DeleteProject(f.ctx, owner, p.ID); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, query string }{
		{"projects", "SELECT count(*) FROM projects WHERE id = ?"},
		{"project_members", "SELECT count(*) FROM project_members WHERE project_id = ?"},
		{"columns", "SELECT count(*) FROM columns WHERE project_id = ?"},
		{"labels", "SELECT count(*) FROM labels WHERE project_id = ?"},
		{"tasks", "SELECT count(*) FROM tasks WHERE project_id = ?"},
	} {
		if n := f.count(c.query, p.ID); n != 0 {
			t.Errorf("%d %s rows left", n, c.name)
		}
	}
	for _, table := range []string{"task_assignees", "task_labels"} {
		if n := f.count("SELECT count(*) FROM "+table+" WHERE task_id IN (SELECT value FROM json_each(?))", mustJSON(t, taskIDs)); n != 0 {
			t.Errorf("%d %s rows left", n, table)
		}
	}
	if n := f.count("SELECT count(*) FROM events WHERE project_id = ?", p.ID); n != eventsBefore+1 {
		t.Errorf("events of the project = %d, want %d (the old ones and project.deleted)", n, eventsBefore+1)
	}
	if n := f.count("SELECT count(*) FROM events WHERE project_id = ? AND kind = 'project.deleted'", p.ID); n != 1 {
		t.Errorf("project.deleted events = %d, want 1", n)
	}
	_, err := f.svc.Project(f.ctx, owner, p.ID)
	wantCode(t, err, errs.NotFound)
	_, err = f.svc.Task(f.ctx, owner, taskIDs[0])
	wantCode(t, err, errs.NotFound)
	if got := f.allTasks(owner, keep.ID, TaskFilter{}); mustJSON(t, got) != mustJSON(t, keptBefore) {
		t.Errorf("the other project's tasks changed:\n got %s\nwant %s", mustJSON(t, got), mustJSON(t, keptBefore))
	}
}

// TestConcurrentPatchOneWinner sends the same version from many goroutines:
// one change wins, every other gets 409 with the winner's task.
func TestConcurrentPatchOneWinner(t *testing.T) {
	f := newFixture(t)
	owner := f.user("owner")
	p, _ := f.project(owner, "Race")
	task := f.task(owner, p.ID, "contested", 0)
	const n = 16
	type result struct {
		title string
		task  *Task
		err   error
	}
	results := make([]result, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			title := fmt.Sprint("writer ", i)
			got, err := f.svc.UpdateTask(f.ctx, owner, task.ID, TaskPatch{Version: ptr(task.Version), Title: opt.Of(title)})
			results[i] = result{title, got, err}
		})
	}
	wg.Wait()
	var winner *result
	for i := range results {
		if results[i].err == nil {
			if winner != nil {
				t.Fatalf("two writers won with the same version: %q and %q", winner.title, results[i].title)
			}
			winner = &results[i]
		}
	}
	if winner == nil {
		t.Fatalf("no writer won; first error: %v", results[0].err)
	}
	if winner.task.Version != task.Version+1 || winner.task.Title != winner.title {
		t.Errorf("winner got version %d title %q, want %d %q", winner.task.Version, winner.task.Title, task.Version+1, winner.title)
	}
	for _, r := range results {
		if r.err == nil {
			continue
		}
		e := errs.As(r.err)
		if e == nil || e.Code != errs.Conflict {
			t.Errorf("%s: err = %v, want conflict", r.title, r.err)
			continue
		}
		cur, ok := e.Details["current"].(*Task)
		if !ok {
			t.Errorf("%s: details[current] = %T, want *Task", r.title, e.Details["current"])
			continue
		}
		if cur.ID != task.ID || cur.Version != task.Version+1 || cur.Title != winner.title {
			t.Errorf("%s: current = task %d version %d title %q, want task %d version %d title %q",
				r.title, cur.ID, cur.Version, cur.Title, task.ID, task.Version+1, winner.title)
		}
	}
	if got := f.getTask(owner, task.ID); got.Version != task.Version+1 || got.Title != winner.title {
		t.Errorf("stored version %d title %q, want %d %q", got.Version, got.Title, task.Version+1, winner.title)
	}
	if n := f.count("SELECT count(*) FROM events WHERE task_id = ? AND kind = 'task.updated'", task.ID); n != 1 {
		t.Errorf("task.updated events = %d, want 1", n)
	}
}

func TestAuthorization(t *testing.T) {
	f := newFixture(t)
	owner, editor, viewer, stranger := f.user("owner"), f.user("editor"), f.user("viewer"), f.user("stranger")
	p, cols := f.project(owner, "Guarded")
	f.addMember(owner, p.ID, editor, RoleEditor)
	f.addMember(owner, p.ID, viewer, RoleViewer)
	label, err := f.svc.CreateLabel(f.ctx, owner, p.ID, LabelInput{Name: opt.Of("bug"), Color: opt.Of("#ff0000")})
	if err != nil {
		t.Fatal(err)
	}
	task := f.task(owner, p.ID, "guarded", cols[0].ID)
	pg := page.Request{Limit: 10}

	// mutations are every write on the project, as a given user.
	mutations := []struct {
		name string
		min  Role
		run  func(uid int64) error
	}{
		{"UpdateProject", RoleOwner, func(uid int64) error {
			_, err := f.svc.UpdateProject(f.ctx, uid, p.ID, ProjectPatch{Name: opt.Of("x")})
			return err
		}},
		{"DeleteProject", RoleOwner, func(uid int64) error { return f.svc.DeleteProject(f.ctx, uid, p.ID) }},
		{"AddMember", RoleOwner, func(uid int64) error {
			_, err := f.svc.AddMember(f.ctx, uid, p.ID, NewMember{UserID: stranger, Role: RoleViewer})
			return err
		}},
		{"UpdateMember", RoleOwner, func(uid int64) error {
			_, err := f.svc.UpdateMember(f.ctx, uid, p.ID, viewer, RoleEditor)
			return err
		}},
		{"RemoveMember of someone else", RoleOwner, func(uid int64) error {
			target := viewer
			if uid == viewer {
				target = editor
			}
			return f.svc.RemoveMember(f.ctx, uid, p.ID, target)
		}},
		{"CreateColumn", RoleEditor, func(uid int64) error {
			_, err := f.svc.CreateColumn(f.ctx, uid, p.ID, ColumnInput{Name: opt.Of("x")})
			return err
		}},
		{"UpdateColumn", RoleEditor, func(uid int64) error {
			_, err := f.svc.UpdateColumn(f.ctx, uid, cols[1].ID, ColumnInput{Name: opt.Of("x")})
			return err
		}},
		{"DeleteColumn", RoleEditor, func(uid int64) error { return f.svc.DeleteColumn(f.ctx, uid, cols[1].ID, nil) }},
		{"CreateLabel", RoleEditor, func(uid int64) error {
			_, err := f.svc.CreateLabel(f.ctx, uid, p.ID, LabelInput{Name: opt.Of("x"), Color: opt.Of("#000000")})
			return err
		}},
		{"UpdateLabel", RoleEditor, func(uid int64) error {
			_, err := f.svc.UpdateLabel(f.ctx, uid, label.ID, LabelInput{Name: opt.Of("x")})
			return err
		}},
		{"DeleteLabel", RoleEditor, func(uid int64) error { return f.svc.DeleteLabel(f.ctx, uid, label.ID) }},
		{"CreateTask", RoleEditor, func(uid int64) error {
			_, err := f.svc.CreateTask(f.ctx, uid, p.ID, NewTask{Title: "x"})
			return err
		}},
		{"UpdateTask", RoleEditor, func(uid int64) error {
			_, err := f.svc.UpdateTask(f.ctx, uid, task.ID, TaskPatch{Version: &task.Version, Title: opt.Of("x")})
			return err
		}},
		{"MoveTask", RoleEditor, func(uid int64) error {
			_, err := f.svc.MoveTask(f.ctx, uid, task.ID, Move{ColumnID: &cols[1].ID})
			return err
		}},
		{"DeleteTask", RoleEditor, func(uid int64) error { return f.svc.DeleteTask(f.ctx, uid, task.ID) }},
	}
	reads := []struct {
		name string
		run  func(uid int64) error
	}{
		{"Project", func(uid int64) error { _, err := f.svc.Project(f.ctx, uid, p.ID); return err }},
		{"Members", func(uid int64) error { _, err := f.svc.Members(f.ctx, uid, p.ID, page.Request{Limit: 1}); return err }},
		{"Columns", func(uid int64) error { _, err := f.svc.Columns(f.ctx, uid, p.ID, page.Request{Limit: 1}); return err }},
		{"Labels", func(uid int64) error { _, err := f.svc.Labels(f.ctx, uid, p.ID, page.Request{Limit: 1}); return err }},
		{"Tasks", func(uid int64) error { _, err := f.svc.Tasks(f.ctx, uid, p.ID, TaskFilter{}, pg); return err }},
		{"Task", func(uid int64) error { _, err := f.svc.Task(f.ctx, uid, task.ID); return err }},
		{"ProjectActivity", func(uid int64) error { _, err := f.svc.ProjectActivity(f.ctx, uid, p.ID, pg); return err }},
		{"TaskActivity", func(uid int64) error { _, err := f.svc.TaskActivity(f.ctx, uid, task.ID, pg); return err }},
	}

	for _, who := range []struct {
		name string
		uid  int64
		role Role
	}{{"viewer", viewer, RoleViewer}, {"editor", editor, RoleEditor}} {
		for _, m := range mutations {
			if who.role.rank() >= m.min.rank() {
				continue
			}
			t.Run(who.name+" cannot "+m.name, func(t *testing.T) {
				f.unchanged(t, errs.Forbidden, func() error { return m.run(who.uid) })
			})
		}
		for _, r := range reads {
			t.Run(who.name+" can "+r.name, func(t *testing.T) {
				if err := r.run(who.uid); err != nil {
					t.Errorf("err = %v, want none", err)
				}
			})
		}
	}
	for _, m := range mutations {
		t.Run("non-member "+m.name, func(t *testing.T) {
			f.unchanged(t, errs.NotFound, func() error { return m.run(stranger) })
		})
	}
	for _, r := range reads {
		t.Run("non-member "+r.name, func(t *testing.T) { wantCode(t, r.run(stranger), errs.NotFound) })
	}
	t.Run("non-member does not see it in Projects", func(t *testing.T) {
		l, err := f.svc.Projects(f.ctx, stranger, pg)
		if err != nil || len(l.Items) != 0 {
			t.Errorf("Projects = %v, %v; want none", l.Items, err)
		}
	})

	t.Run("the last owner cannot be demoted or leave", func(t *testing.T) {
		f.unchanged(t, errs.Conflict, func() error {
			_, err := f.svc.UpdateMember(f.ctx, owner, p.ID, owner, RoleEditor)
			return err
		})
		f.unchanged(t, errs.Conflict, func() error { return f.svc.RemoveMember(f.ctx, owner, p.ID, owner) })
	})
	t.Run("with a second owner, the first can step down", func(t *testing.T) {
		if _, err := f.svc.UpdateMember(f.ctx, owner, p.ID, editor, RoleOwner); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.UpdateMember(f.ctx, owner, p.ID, owner, RoleEditor); err != nil {
			t.Fatalf("demoting one of two owners: %v", err)
		}
		// editor is now the last owner.
		f.unchanged(t, errs.Conflict, func() error { return f.svc.RemoveMember(f.ctx, editor, p.ID, editor) })
		f.unchanged(t, errs.Conflict, func() error {
			_, err := f.svc.UpdateMember(f.ctx, editor, p.ID, editor, RoleViewer)
			return err
		})
	})
	t.Run("a member can leave", func(t *testing.T) {
		if err := f.svc.RemoveMember(f.ctx, viewer, p.ID, viewer); err != nil {
			t.Fatalf("viewer leaving: %v", err)
		}
		_, err := f.svc.Project(f.ctx, viewer, p.ID)
		wantCode(t, err, errs.NotFound)
		// Once out, leaving again is a 404 like anything else.
		f.unchanged(t, errs.NotFound, func() error { return f.svc.RemoveMember(f.ctx, viewer, p.ID, viewer) })
	})
}
