package board

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"

	"tack/app/errs"
	"tack/app/opt"
	"tack/app/page"
)

// sameJSON reports whether two JSON texts hold the same value.
func sameJSON(t *testing.T, a, b string) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal([]byte(a), &x); err != nil {
		t.Fatalf("not JSON: %s: %v", a, err)
	}
	if err := json.Unmarshal([]byte(b), &y); err != nil {
		t.Fatalf("not JSON: %s: %v", b, err)
	}
	return reflect.DeepEqual(x, y)
}

// TestEveryMutationWritesOneEvent runs each mutation once, in an order that
// builds up and then tears down a project, and checks the one event row it
// wrote and the one event it published.
func TestEveryMutationWritesOneEvent(t *testing.T) {
	f := newFixture(t)
	owner, editor := f.user("owner"), f.user("editor")
	var (
		pid, colID, labelID, taskID int64
		version                     int64
	)
	tests := []struct {
		name  string
		actor int64
		kind  string
		task  bool // the event names the task
		// run does the mutation and returns the event data it should have
		// written, as JSON.
		run func(t *testing.T) string
	}{
		{"CreateProject", owner, "member.added", false, func(t *testing.T) string {
			p, err := f.svc.CreateProject(f.ctx, owner, NewProject{Name: "Events", Description: "all of them"})
			if err != nil {
				t.Fatal(err)
			}
			pid = p.ID
			list, err := f.svc.Members(f.ctx, owner, pid, page.Request{Limit: page.Max})
			ms := list.Items
			if err != nil || len(ms) != 1 {
				t.Fatalf("Members = %v, %v; want the owner", ms, err)
			}
			if ms[0].UserID != owner || ms[0].Role != RoleOwner {
				t.Fatalf("member = %+v, want the owner as owner", ms[0])
			}
			return mustJSON(t, ms[0])
		}},
		{"UpdateProject", owner, "project.updated", false, func(t *testing.T) string {
			p, err := f.svc.UpdateProject(f.ctx, owner, pid, ProjectPatch{Name: opt.Of("Renamed"), Archived: opt.Of(true)})
			if err != nil {
				t.Fatal(err)
			}
			if p.Name != "Renamed" || !p.Archived || p.Role != RoleOwner {
				t.Fatalf("UpdateProject = %+v", p)
			}
			// The event shows the project without the caller's role.
			var m map[string]any
			json.Unmarshal([]byte(mustJSON(t, p)), &m)
			delete(m, "role")
			return mustJSON(t, m)
		}},
		{"AddMember", owner, "member.added", false, func(t *testing.T) string {
			m, err := f.svc.AddMember(f.ctx, owner, pid, NewMember{UserID: editor, Role: RoleViewer})
			if err != nil {
				t.Fatal(err)
			}
			return mustJSON(t, m)
		}},
		{"UpdateMember", owner, "member.updated", false, func(t *testing.T) string {
			m, err := f.svc.UpdateMember(f.ctx, owner, pid, editor, RoleEditor)
			if err != nil {
				t.Fatal(err)
			}
			if m.Role != RoleEditor {
				t.Fatalf("role = %s, want editor", m.Role)
			}
			return mustJSON(t, m)
		}},
		{"CreateColumn", editor, "column.created", false, func(t *testing.T) string {
			c, err := f.svc.CreateColumn(f.ctx, editor, pid, ColumnInput{Name: opt.Of("Backlog"), Position: opt.Of(0), WIPLimit: opt.Of(3)})
			if err != nil {
				t.Fatal(err)
			}
			colID = c.ID
			return mustJSON(t, c)
		}},
		{"UpdateColumn", editor, "column.updated", false, func(t *testing.T) string {
			c, err := f.svc.UpdateColumn(f.ctx, editor, colID, ColumnInput{Name: opt.Of("Icebox"), WIPLimit: opt.Field[int]{Set: true, Null: true}})
			if err != nil {
				t.Fatal(err)
			}
			if c.Name != "Icebox" || c.WIPLimit != nil {
				t.Fatalf("UpdateColumn = %+v", c)
			}
			return mustJSON(t, c)
		}},
		{"CreateLabel", editor, "label.created", false, func(t *testing.T) string {
			l, err := f.svc.CreateLabel(f.ctx, editor, pid, LabelInput{Name: opt.Of("bug"), Color: opt.Of("#FF0000")})
			if err != nil {
				t.Fatal(err)
			}
			labelID = l.ID
			return mustJSON(t, l)
		}},
		{"UpdateLabel", editor, "label.updated", false, func(t *testing.T) string {
			l, err := f.svc.UpdateLabel(f.ctx, editor, labelID, LabelInput{Color: opt.Of("#00ff00")})
			if err != nil {
				t.Fatal(err)
			}
			return mustJSON(t, l)
		}},
		{"CreateTask", editor, "task.created", true, func(t *testing.T) string {
			task, err := f.svc.CreateTask(f.ctx, editor, pid, NewTask{Title: "Write tests", ColumnID: &colID,
				AssigneeIDs: []int64{editor, owner}, LabelIDs: []int64{labelID}, Priority: ptr("high"), DueAt: ptr("2030-01-02T03:04:05Z")})
			if err != nil {
				t.Fatal(err)
			}
			taskID, version = task.ID, task.Version
			return mustJSON(t, task)
		}},
		{"UpdateTask", editor, "task.updated", true, func(t *testing.T) string {
			task, err := f.svc.UpdateTask(f.ctx, editor, taskID, TaskPatch{Version: &version, Title: opt.Of("Write more tests"), LabelIDs: opt.Of([]int64{})})
			if err != nil {
				t.Fatal(err)
			}
			version = task.Version
			return mustJSON(t, task)
		}},
		{"MoveTask", editor, "task.moved", true, func(t *testing.T) string {
			cols := f.columns(editor, pid)
			task, err := f.svc.MoveTask(f.ctx, editor, taskID, Move{ColumnID: &cols[len(cols)-1].ID})
			if err != nil {
				t.Fatal(err)
			}
			if task.CompletedAt == nil {
				t.Errorf("a task moved into the last column has no completed_at")
			}
			return mustJSON(t, task)
		}},
		{"DeleteTask", editor, "task.deleted", true, func(t *testing.T) string {
			if err := f.svc.DeleteTask(f.ctx, editor, taskID); err != nil {
				t.Fatal(err)
			}
			return fmt.Sprintf(`{"id":%d}`, taskID)
		}},
		{"DeleteLabel", editor, "label.deleted", false, func(t *testing.T) string {
			if err := f.svc.DeleteLabel(f.ctx, editor, labelID); err != nil {
				t.Fatal(err)
			}
			return fmt.Sprintf(`{"id":%d}`, labelID)
		}},
		{"DeleteColumn", editor, "column.deleted", false, func(t *testing.T) string {
			if err := f.svc.DeleteColumn(f.ctx, editor, colID, nil); err != nil {
				t.Fatal(err)
			}
			return fmt.Sprintf(`{"id":%d}`, colID)
		}},
		{"RemoveMember", owner, "member.removed", false, func(t *testing.T) string {
			if err := f.svc.RemoveMember(f.ctx, owner, pid, editor); err != nil {
				t.Fatal(err)
			}
			// A member has no id of its own: the event names the user and
			// the project.
			return fmt.Sprintf(`{"user_id":%d,"project_id":%d}`, editor, pid)
		}},
		{"DeleteProject", owner, "project.deleted", false, func(t *testing.T) string {
			if err := f.svc.DeleteProject(f.ctx, owner, pid); err != nil {
				t.Fatal(err)
			}
			return fmt.Sprintf(`{"id":%d}`, pid)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, calls, seq := f.eventCount(), f.pub.callCount(), f.lastSeq()
			want := tt.run(t)
			if got := f.eventCount(); got != rows+1 {
				t.Fatalf("event rows = %d, want %d", got, rows+1)
			}
			evs := f.events(seq)
			if len(evs) != 1 {
				t.Fatalf("new event rows = %d, want 1", len(evs))
			}
			e := evs[0]
			if e.Kind != tt.kind || e.ActorID != tt.actor || e.ProjectID != pid {
				t.Errorf("event = (%s, actor %d, project %d), want (%s, actor %d, project %d)", e.Kind, e.ActorID, e.ProjectID, tt.kind, tt.actor, pid)
			}
			switch {
			case tt.task && (e.TaskID == nil || *e.TaskID != taskID):
				t.Errorf("event task_id = %v, want %d", e.TaskID, taskID)
			case !tt.task && e.TaskID != nil:
				t.Errorf("event task_id = %d, want none", *e.TaskID)
			}
			if !sameJSON(t, string(e.Data), want) {
				t.Errorf("event data:\n got %s\nwant %s", e.Data, want)
			}
			if got := f.pub.callCount(); got != calls+1 {
				t.Fatalf("Publish calls = %d, want %d", got, calls+1)
			}
			pub := f.pub.lastCall()
			if len(pub) != 1 {
				t.Fatalf("published %d events, want 1", len(pub))
			}
			p := pub[0]
			if p.Seq != e.Seq || p.Kind != e.Kind || p.ProjectID != e.ProjectID || p.ActorID != e.ActorID ||
				!p.At.Equal(e.At) || string(p.Data) != string(e.Data) || !reflect.DeepEqual(p.TaskID, e.TaskID) {
				t.Errorf("published %+v (data %s),\nbut the row is %+v (data %s)", p, p.Data, e, e.Data)
			}
		})
	}
	if f.count("SELECT count(*) FROM events WHERE project_id = ? AND kind = 'project.deleted'", pid) != 1 {
		t.Errorf("the project.deleted event did not outlive the project")
	}
}

// TestFailedMutationWritesNoEvent checks that every kind of refusal
// (validation, role, not found, conflict) leaves every table as it was and
// publishes nothing.
func TestFailedMutationWritesNoEvent(t *testing.T) {
	f := newFixture(t)
	owner, editor, viewer, stranger := f.user("owner"), f.user("editor"), f.user("viewer"), f.user("stranger")
	p, cols := f.project(owner, "Refusals")
	other, otherCols := f.project(stranger, "Theirs")
	f.addMember(owner, p.ID, editor, RoleEditor)
	f.addMember(owner, p.ID, viewer, RoleViewer)
	label, err := f.svc.CreateLabel(f.ctx, owner, p.ID, LabelInput{Name: opt.Of("bug"), Color: opt.Of("#ff0000")})
	if err != nil {
		t.Fatal(err)
	}
	label2, err := f.svc.CreateLabel(f.ctx, owner, p.ID, LabelInput{Name: opt.Of("feature"), Color: opt.Of("#00ff00")})
	if err != nil {
		t.Fatal(err)
	}
	task := f.task(editor, p.ID, "a task", cols[0].ID)
	f.task(editor, p.ID, "another", cols[1].ID)
	if _, err := f.db.Writer().ExecContext(f.ctx, "UPDATE users SET is_active = 0 WHERE id = ?", stranger); err != nil {
		t.Fatal(err)
	}
	stale := task.Version - 1
	const none = 1 << 40

	tests := []struct {
		name string
		code errs.Code
		run  func() error
	}{
		{"CreateProject without a name", errs.ValidationFailed, func() error {
			_, err := f.svc.CreateProject(f.ctx, owner, NewProject{Name: "  "})
			return err
		}},
		{"UpdateProject by an editor", errs.Forbidden, func() error {
			_, err := f.svc.UpdateProject(f.ctx, editor, p.ID, ProjectPatch{Name: opt.Of("x")})
			return err
		}},
		{"UpdateProject by a non-member", errs.NotFound, func() error {
			_, err := f.svc.UpdateProject(f.ctx, owner, other.ID, ProjectPatch{Name: opt.Of("x")})
			return err
		}},
		{"UpdateProject with a too long name", errs.ValidationFailed, func() error {
			_, err := f.svc.UpdateProject(f.ctx, owner, p.ID, ProjectPatch{Name: opt.Of(string(make([]byte, 101)))})
			return err
		}},
		{"DeleteProject by an editor", errs.Forbidden, func() error { return f.svc.DeleteProject(f.ctx, editor, p.ID) }},
		{"DeleteProject that does not exist", errs.NotFound, func() error { return f.svc.DeleteProject(f.ctx, owner, none) }},
		{"AddMember twice", errs.Conflict, func() error {
			_, err := f.svc.AddMember(f.ctx, owner, p.ID, NewMember{UserID: editor, Role: RoleViewer})
			return err
		}},
		{"AddMember by an editor", errs.Forbidden, func() error {
			_, err := f.svc.AddMember(f.ctx, editor, p.ID, NewMember{UserID: stranger, Role: RoleViewer})
			return err
		}},
		{"AddMember of an inactive user", errs.ValidationFailed, func() error {
			_, err := f.svc.AddMember(f.ctx, owner, p.ID, NewMember{UserID: stranger, Role: RoleViewer})
			return err
		}},
		{"AddMember of no such user", errs.ValidationFailed, func() error {
			_, err := f.svc.AddMember(f.ctx, owner, p.ID, NewMember{UserID: none, Role: RoleViewer})
			return err
		}},
		{"AddMember with a bad role", errs.ValidationFailed, func() error {
			_, err := f.svc.AddMember(f.ctx, owner, p.ID, NewMember{UserID: stranger, Role: "admin"})
			return err
		}},
		{"UpdateMember demoting the last owner", errs.Conflict, func() error {
			_, err := f.svc.UpdateMember(f.ctx, owner, p.ID, owner, RoleEditor)
			return err
		}},
		{"UpdateMember of a non-member", errs.NotFound, func() error {
			_, err := f.svc.UpdateMember(f.ctx, owner, p.ID, stranger, RoleEditor)
			return err
		}},
		{"RemoveMember of the last owner", errs.Conflict, func() error { return f.svc.RemoveMember(f.ctx, owner, p.ID, owner) }},
		{"RemoveMember by an editor", errs.Forbidden, func() error { return f.svc.RemoveMember(f.ctx, editor, p.ID, viewer) }},
		{"CreateColumn by a viewer", errs.Forbidden, func() error {
			_, err := f.svc.CreateColumn(f.ctx, viewer, p.ID, ColumnInput{Name: opt.Of("x")})
			return err
		}},
		{"CreateColumn without a name", errs.ValidationFailed, func() error {
			_, err := f.svc.CreateColumn(f.ctx, owner, p.ID, ColumnInput{})
			return err
		}},
		{"UpdateColumn that does not exist", errs.NotFound, func() error {
			_, err := f.svc.UpdateColumn(f.ctx, owner, none, ColumnInput{Name: opt.Of("x")})
			return err
		}},
		{"UpdateColumn with a zero WIP limit", errs.ValidationFailed, func() error {
			_, err := f.svc.UpdateColumn(f.ctx, owner, cols[0].ID, ColumnInput{WIPLimit: opt.Of(0)})
			return err
		}},
		{"DeleteColumn holding tasks without move_to", errs.ValidationFailed, func() error { return f.svc.DeleteColumn(f.ctx, owner, cols[0].ID, nil) }},
		{"CreateLabel with a taken name", errs.Conflict, func() error {
			_, err := f.svc.CreateLabel(f.ctx, owner, p.ID, LabelInput{Name: opt.Of("BUG"), Color: opt.Of("#000000")})
			return err
		}},
		{"CreateLabel with a bad colour", errs.ValidationFailed, func() error {
			_, err := f.svc.CreateLabel(f.ctx, owner, p.ID, LabelInput{Name: opt.Of("x"), Color: opt.Of("red")})
			return err
		}},
		{"UpdateLabel to a taken name", errs.Conflict, func() error {
			_, err := f.svc.UpdateLabel(f.ctx, owner, label2.ID, LabelInput{Name: opt.Of("Bug")})
			return err
		}},
		{"DeleteLabel by a viewer", errs.Forbidden, func() error { return f.svc.DeleteLabel(f.ctx, viewer, label.ID) }},
		{"CreateTask without a title", errs.ValidationFailed, func() error {
			_, err := f.svc.CreateTask(f.ctx, editor, p.ID, NewTask{Title: " "})
			return err
		}},
		{"CreateTask assigned to a non-member", errs.ValidationFailed, func() error {
			_, err := f.svc.CreateTask(f.ctx, editor, p.ID, NewTask{Title: "x", AssigneeIDs: []int64{stranger}})
			return err
		}},
		{"CreateTask in another project's column", errs.ValidationFailed, func() error {
			_, err := f.svc.CreateTask(f.ctx, editor, p.ID, NewTask{Title: "x", ColumnID: &otherCols[0].ID})
			return err
		}},
		{"CreateTask by a viewer", errs.Forbidden, func() error {
			_, err := f.svc.CreateTask(f.ctx, viewer, p.ID, NewTask{Title: "x"})
			return err
		}},
		{"UpdateTask with a stale version", errs.Conflict, func() error {
			_, err := f.svc.UpdateTask(f.ctx, editor, task.ID, TaskPatch{Version: &stale, Title: opt.Of("x")})
			return err
		}},
		{"UpdateTask without a version", errs.ValidationFailed, func() error {
			_, err := f.svc.UpdateTask(f.ctx, editor, task.ID, TaskPatch{Title: opt.Of("x")})
			return err
		}},
		{"DeleteTask that does not exist", errs.NotFound, func() error { return f.svc.DeleteTask(f.ctx, editor, none) }},
		{"DeleteTask by a viewer", errs.Forbidden, func() error { return f.svc.DeleteTask(f.ctx, viewer, task.ID) }},
		{"MoveTask next to itself", errs.ValidationFailed, func() error {
			_, err := f.svc.MoveTask(f.ctx, editor, task.ID, Move{ColumnID: &cols[0].ID, AfterID: &task.ID})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { f.unchanged(t, tt.code, tt.run) })
	}
}

// TestConcurrentWritesPublishInCommitOrder fires a burst of writes from
// several goroutines and checks that Publish was called in seq order, with
// every committed event published exactly once.
func TestConcurrentWritesPublishInCommitOrder(t *testing.T) {
	f := newFixture(t)
	owner := f.user("owner")
	p, cols := f.project(owner, "Burst")
	var tasks []int64
	for i := range 10 {
		tasks = append(tasks, f.task(owner, p.ID, fmt.Sprint("task ", i), cols[i%len(cols)].ID).ID)
	}
	startSeq, startCalls := f.lastSeq(), f.pub.callCount()

	const workers, each = 8, 25
	var wg sync.WaitGroup
	errc := make(chan error, workers*each)
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for i := range each {
				var err error
				switch rng.IntN(4) {
				case 0:
					_, err = f.svc.CreateTask(f.ctx, owner, p.ID, NewTask{Title: fmt.Sprintf("burst %d/%d", w, i), ColumnID: &cols[rng.IntN(len(cols))].ID})
				case 1:
					_, err = f.svc.MoveTask(f.ctx, owner, tasks[rng.IntN(len(tasks))], Move{ColumnID: &cols[rng.IntN(len(cols))].ID})
				case 2:
					_, err = f.svc.CreateLabel(f.ctx, owner, p.ID, LabelInput{Name: opt.Of(fmt.Sprintf("label %d/%d", w, i)), Color: opt.Of("#123456")})
				case 3:
					_, err = f.svc.UpdateColumn(f.ctx, owner, cols[rng.IntN(len(cols))].ID, ColumnInput{Name: opt.Of(fmt.Sprintf("column %d/%d", w, i))})
				}
				if err != nil {
					errc <- err
				}
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Errorf("write failed: %v", err)
	}

	if got := f.pub.callCount() - startCalls; got != workers*each {
		t.Errorf("Publish calls = %d, want %d", got, workers*each)
	}
	var published []int64
	for _, e := range f.pub.published() {
		if e.Seq > startSeq {
			published = append(published, e.Seq)
		}
	}
	for i := 1; i < len(published); i++ {
		if published[i] <= published[i-1] {
			t.Errorf("Publish call %d carried seq %d after seq %d: not in commit order", i, published[i], published[i-1])
		}
	}
	rows := f.events(startSeq)
	if len(rows) != workers*each {
		t.Errorf("event rows = %d, want %d", len(rows), workers*each)
	}
	pubSet := map[int64]int{}
	for _, s := range published {
		pubSet[s]++
	}
	for _, e := range rows {
		if pubSet[e.Seq] != 1 {
			t.Errorf("event seq %d (%s) published %d times, want once", e.Seq, e.Kind, pubSet[e.Seq])
		}
		delete(pubSet, e.Seq)
	}
	for s := range pubSet {
		t.Errorf("seq %d published but not in the event table", s)
	}
}
