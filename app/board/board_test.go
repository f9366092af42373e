package board

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"tack/app/errs"
	"tack/app/page"
	"tack/db"
	"tack/migrations"
)

// fixture is a migrated SQLite file in the test's temp dir, a Service on it
// and the Publisher that records what the Service published.
type fixture struct {
	t   *testing.T
	ctx context.Context
	db  *db.DB
	svc *Service
	pub *recorder
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	d, err := db.Open(ctx, db.Options{Path: filepath.Join(t.TempDir(), "tack.db")})
	if err != nil {
		t.Fatalf("db.Open: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	m, err := d.NewMigrator(migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Up(ctx); err != nil {
		t.Fatal(err)
	}
	pub := &recorder{t: t, db: d}
	return &fixture{t: t, ctx: ctx, db: d, svc: New(Options{DB: d, Publisher: pub}), pub: pub}
}

// recorder is a Publisher that keeps every call, in the order the calls
// were made, and checks that what it is handed is already committed: each
// event must be readable, as it was published, through the read pool.
type recorder struct {
	t     *testing.T
	db    *db.DB
	mu    sync.Mutex
	calls [][]Event
}

func (r *recorder) Publish(events []Event) {
	// Record first, so that the order kept is the order of the calls.
	r.mu.Lock()
	r.calls = append(r.calls, slices.Clone(events))
	r.mu.Unlock()
	for _, e := range events {
		var kind, data string
		var pid int64
		err := r.db.QueryRowContext(context.Background(), "SELECT project_id, kind, data FROM events WHERE seq = ?", e.Seq).Scan(&pid, &kind, &data)
		if err != nil {
			r.t.Errorf("Publish(seq %d %s): not visible through the read pool: %v", e.Seq, e.Kind, err)
			continue
		}
		if pid != e.ProjectID || kind != e.Kind || data != string(e.Data) {
			r.t.Errorf("Publish(seq %d): published (%d, %s, %s), committed row (%d, %s, %s)", e.Seq, e.ProjectID, e.Kind, e.Data, pid, kind, data)
		}
	}
}

// published is every event published so far, in call order.
func (r *recorder) published() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Event
	for _, c := range r.calls {
		out = append(out, c...)
	}
	return out
}

func (r *recorder) callCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.calls)
}

// lastCall is the events of the newest Publish call.
func (r *recorder) lastCall() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.calls) == 0 {
		return nil
	}
	return r.calls[len(r.calls)-1]
}

func ptr[T any](v T) *T { return &v }

// user inserts an active site member and returns its id.
func (f *fixture) user(name string) int64 {
	f.t.Helper()
	var id int64
	now := db.Time(db.Now())
	err := f.db.WriteTx(f.ctx, func(tx *db.Tx) error {
		return tx.QueryRowContext(f.ctx, `
			INSERT INTO users (username, display_name, password_hash, role, is_active, created_at, updated_at)
			VALUES (?, ?, 'not-a-hash', 'member', 1, ?, ?) RETURNING id`, name, strings.ToUpper(name[:1])+name[1:], now, now).Scan(&id)
	})
	if err != nil {
		f.t.Fatalf("insert user %s: %v", name, err)
	}
	return id
}

// project creates a project owned by owner and returns it with its columns
// in board order.
func (f *fixture) project(owner int64, name string) (*Project, []*Column) {
	f.t.Helper()
	p, err := f.svc.CreateProject(f.ctx, owner, NewProject{Name: name})
	if err != nil {
		f.t.Fatalf("CreateProject(%q): %v", name, err)
	}
	return p, f.columns(owner, p.ID)
}

func (f *fixture) columns(uid, pid int64) []*Column {
	f.t.Helper()
	list, err := f.svc.Columns(f.ctx, uid, pid, page.Request{Limit: page.Max})
	if err != nil {
		f.t.Fatalf("Columns: %v", err)
	}
	return list.Items
}

func (f *fixture) addMember(owner, pid, uid int64, role Role) {
	f.t.Helper()
	if _, err := f.svc.AddMember(f.ctx, owner, pid, NewMember{UserID: uid, Role: role}); err != nil {
		f.t.Fatalf("AddMember(%d as %s): %v", uid, role, err)
	}
}

// task creates a task in column col (0: the first column).
func (f *fixture) task(uid, pid int64, title string, col int64) *Task {
	f.t.Helper()
	in := NewTask{Title: title}
	if col != 0 {
		in.ColumnID = &col
	}
	task, err := f.svc.CreateTask(f.ctx, uid, pid, in)
	if err != nil {
		f.t.Fatalf("CreateTask(%q): %v", title, err)
	}
	return task
}

func (f *fixture) getTask(uid, id int64) *Task {
	f.t.Helper()
	task, err := f.svc.Task(f.ctx, uid, id)
	if err != nil {
		f.t.Fatalf("Task(%d): %v", id, err)
	}
	return task
}

// allTasks lists every task of a project through the service, page by page.
func (f *fixture) allTasks(uid, pid int64, filter TaskFilter) []*Task {
	f.t.Helper()
	var out []*Task
	pg := page.Request{Limit: page.Max}
	for {
		l, err := f.svc.Tasks(f.ctx, uid, pid, filter, pg)
		if err != nil {
			f.t.Fatalf("Tasks: %v", err)
		}
		out = append(out, l.Items...)
		if l.NextCursor == nil {
			return out
		}
		pg.Cursor = *l.NextCursor
	}
}

// count runs a count(*) query on the read pool.
func (f *fixture) count(query string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.db.QueryRowContext(f.ctx, query, args...).Scan(&n); err != nil {
		f.t.Fatalf("%s: %v", query, err)
	}
	return n
}

func (f *fixture) eventCount() int { return f.count("SELECT count(*) FROM events") }

// events reads the event rows with seq > after, in seq order.
func (f *fixture) events(after int64) []Event {
	f.t.Helper()
	evs, err := scanRows(f.ctx, f.db, func(r *sql.Rows) (Event, error) {
		var e Event
		var actor sql.NullInt64
		var data string
		err := r.Scan(&e.Seq, &e.ProjectID, &e.TaskID, &e.Kind, &actor, db.ScanTime(&e.At), &data)
		e.ActorID, e.Data = actor.Int64, json.RawMessage(data)
		return e, err
	}, "SELECT seq, project_id, task_id, kind, actor_id, at, data FROM events WHERE seq > ? ORDER BY seq", after)
	if err != nil {
		f.t.Fatalf("read events: %v", err)
	}
	return evs
}

func (f *fixture) lastSeq() int64 {
	f.t.Helper()
	var seq int64
	if err := f.db.QueryRowContext(f.ctx, "SELECT COALESCE(MAX(seq), 0) FROM events").Scan(&seq); err != nil {
		f.t.Fatal(err)
	}
	return seq
}

// dump is every board table's content, to show that a refused mutation
// changed nothing.
func (f *fixture) dump() string {
	f.t.Helper()
	var b strings.Builder
	for _, table := range []string{"projects", "project_members", "columns", "labels", "tasks", "task_assignees", "task_labels", "events"} {
		rows, err := f.db.QueryContext(f.ctx, "SELECT * FROM "+table+" ORDER BY 1, 2")
		if err != nil {
			f.t.Fatalf("dump %s: %v", table, err)
		}
		cols, _ := rows.Columns()
		fmt.Fprintf(&b, "%s %v\n", table, cols)
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				f.t.Fatalf("dump %s: %v", table, err)
			}
			fmt.Fprintf(&b, "  %v\n", vals)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			f.t.Fatalf("dump %s: %v", table, err)
		}
	}
	return b.String()
}

// unchanged runs fn, which must fail with code, and checks that it changed
// no table, wrote no event and published nothing.
func (f *fixture) unchanged(t *testing.T, code errs.Code, fn func() error) {
	t.Helper()
	before, calls := f.dump(), f.pub.callCount()
	err := fn()
	wantCode(t, err, code)
	if after := f.dump(); after != before {
		t.Errorf("a refused mutation changed the database:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if got := f.pub.callCount(); got != calls {
		t.Errorf("a refused mutation published: Publish calls = %d, want %d", got, calls)
	}
}

func wantCode(t *testing.T, err error, code errs.Code) {
	t.Helper()
	if !errs.Is(err, code) {
		t.Fatalf("err = %v, want %s", err, code)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// columnTasks reads each column's task ids in rank order, and their ranks,
// straight from the table.
func (f *fixture) columnTasks(pid int64) (order map[int64][]int64, ranks map[int64]int64) {
	f.t.Helper()
	order, ranks = map[int64][]int64{}, map[int64]int64{}
	rows, err := f.db.QueryContext(f.ctx, "SELECT id, column_id, rank FROM tasks WHERE project_id = ? ORDER BY column_id, rank", pid)
	if err != nil {
		f.t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, col, rank int64
		if err := rows.Scan(&id, &col, &rank); err != nil {
			f.t.Fatal(err)
		}
		order[col] = append(order[col], id)
		ranks[id] = rank
	}
	if err := rows.Err(); err != nil {
		f.t.Fatal(err)
	}
	return order, ranks
}
