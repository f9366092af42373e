package app

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"

	"tack/app/auth"
	"tack/app/board"
	"tack/app/errs"
	"tack/app/page"
)

// The board's HTTP API, end to end: real server, real SQLite file, real
// tokens. Helpers here are prefixed bt so they do not clash with others in
// package app.

const btPassword = "correct horse battery"

// btUser is a signed-in user.
type btUser struct {
	ID    int64
	Name  string
	Token string
}

// btEnv is a test server with its site admin (the first user, who is a
// member of no project unless a test makes them one).
type btEnv struct {
	ta    *testApp
	admin btUser
	seq   int
}

func newBoardEnv(t *testing.T) *btEnv {
	t.Helper()
	e := &btEnv{ta: newTestApp(t, nil)}
	body := e.must(t, "", "POST", "/api/v1/auth/register", map[string]any{"username": "admin", "password": btPassword}, 201)
	tok := btDecode[auth.Tokens](t, body)
	e.admin = btUser{ID: tok.User.ID, Name: "admin", Token: tok.AccessToken}
	return e
}

// user creates an account through the admin API and signs it in.
func (e *btEnv) user(t *testing.T, name string) btUser {
	t.Helper()
	body := e.must(t, e.admin.Token, "POST", "/api/v1/users", map[string]any{"username": name, "password": btPassword}, 201)
	u := btDecode[auth.User](t, body)
	body = e.must(t, "", "POST", "/api/v1/auth/login", map[string]any{"username": name, "password": btPassword}, 200)
	tok := btDecode[auth.Tokens](t, body)
	return btUser{ID: u.ID, Name: name, Token: tok.AccessToken}
}

// call sends a request. body is nil (no body), a string or []byte (sent as
// it is, as JSON) or anything else (marshalled). hdr are header pairs that
// override the defaults.
func (e *btEnv) call(t *testing.T, token, method, path string, body any, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(j)
	}
	h := []string{}
	if body != nil {
		h = append(h, "Content-Type", "application/json")
	}
	if token != "" {
		h = append(h, "Authorization", "Bearer "+token)
	}
	return e.ta.do(t, method, path, r, append(h, hdr...)...)
}

// must sends a request and fails the test unless it gets status.
func (e *btEnv) must(t *testing.T, token, method, path string, body any, status int) []byte {
	t.Helper()
	res, b := e.call(t, token, method, path, body)
	if res.StatusCode != status {
		t.Fatalf("%s %s: status = %d, want %d (body %s)", method, path, res.StatusCode, status, b)
	}
	return b
}

func btDecode[T any](t *testing.T, body []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("decode %T from %s: %v", v, body, err)
	}
	return v
}

// btCast is the people around a fixture project.
type btCast struct {
	owner, editor, viewer btUser
	extra                 btUser // a second editor, the target of member changes
	outsider              btUser // a member of no project here
	candidate             btUser // not a member, to be added
}

func (e *btEnv) cast(t *testing.T) btCast {
	t.Helper()
	return btCast{
		owner:     e.user(t, "owner"),
		editor:    e.user(t, "editor"),
		viewer:    e.user(t, "viewer"),
		extra:     e.user(t, "extra"),
		outsider:  e.user(t, "outsider"),
		candidate: e.user(t, "candidate"),
	}
}

// btFixture is a project with its default columns, a label and a task (in
// the first column, with the label and assigned to the editor).
type btFixture struct {
	PID     int64
	Cols    []int64
	Label   int64
	Task    int64
	Version int64
}

func (e *btEnv) project(t *testing.T, owner btUser, name string) (int64, []int64) {
	t.Helper()
	p := btDecode[board.Project](t, e.must(t, owner.Token, "POST", "/api/v1/projects", map[string]any{"name": name}, 201))
	cols := btDecode[page.List[board.Column]](t, e.must(t, owner.Token, "GET", fmt.Sprintf("/api/v1/projects/%d/columns", p.ID), nil, 200))
	var ids []int64
	for _, c := range cols.Items {
		ids = append(ids, c.ID)
	}
	return p.ID, ids
}

func (e *btEnv) addMember(t *testing.T, owner btUser, pid int64, u btUser, role string) {
	t.Helper()
	e.must(t, owner.Token, "POST", fmt.Sprintf("/api/v1/projects/%d/members", pid), map[string]any{"user_id": u.ID, "role": role}, 201)
}

func (e *btEnv) label(t *testing.T, tok string, pid int64, name string) int64 {
	t.Helper()
	l := btDecode[board.Label](t, e.must(t, tok, "POST", fmt.Sprintf("/api/v1/projects/%d/labels", pid), map[string]any{"name": name, "color": "#aa0000"}, 201))
	return l.ID
}

func (e *btEnv) task(t *testing.T, tok string, pid int64, in map[string]any) board.Task {
	t.Helper()
	return btDecode[board.Task](t, e.must(t, tok, "POST", fmt.Sprintf("/api/v1/projects/%d/tasks", pid), in, 201))
}

func (e *btEnv) fixture(t *testing.T, c btCast) btFixture {
	t.Helper()
	e.seq++
	pid, cols := e.project(t, c.owner, fmt.Sprintf("Fixture %d", e.seq))
	e.addMember(t, c.owner, pid, c.editor, "editor")
	e.addMember(t, c.owner, pid, c.viewer, "viewer")
	e.addMember(t, c.owner, pid, c.extra, "editor")
	lid := e.label(t, c.owner.Token, pid, "bug")
	tk := e.task(t, c.owner.Token, pid, map[string]any{"title": "First", "label_ids": []int64{lid}, "assignee_ids": []int64{c.editor.ID}})
	return btFixture{PID: pid, Cols: cols, Label: lid, Task: tk.ID, Version: tk.Version}
}

// snapshot is everything a member can read about a project, as the owner
// sees it: project, members, columns, labels, every task and the whole
// activity log. Two equal snapshots mean nothing changed and no event was
// written.
func (e *btEnv) snapshot(t *testing.T, tok string, pid int64) string {
	t.Helper()
	var sb strings.Builder
	for _, p := range []string{"", "/members", "/columns", "/labels", "/tasks?limit=200", "/activity?limit=200"} {
		b := e.must(t, tok, "GET", fmt.Sprintf("/api/v1/projects/%d%s", pid, p), nil, 200)
		sb.WriteString(p + " " + string(b) + "\n")
	}
	return sb.String()
}

// activityCount is how many events a project's log shows.
func (e *btEnv) activityCount(t *testing.T, tok string, pid int64) int {
	t.Helper()
	l := btDecode[page.List[json.RawMessage]](t, e.must(t, tok, "GET", fmt.Sprintf("/api/v1/projects/%d/activity?limit=200", pid), nil, 200))
	return len(l.Items)
}

// projectIDs is the ids of the caller's projects.
func (e *btEnv) projectIDs(t *testing.T, tok string) []int64 {
	t.Helper()
	l := btDecode[page.List[board.Project]](t, e.must(t, tok, "GET", "/api/v1/projects?limit=200", nil, 200))
	ids := []int64{}
	for _, p := range l.Items {
		ids = append(ids, p.ID)
	}
	return ids
}

func btWantSame(t *testing.T, what, before, after string) {
	t.Helper()
	if before == after {
		return
	}
	b, a := strings.Split(before, "\n"), strings.Split(after, "\n")
	for i := range max(len(a), len(b)) {
		var x, y string
		if i < len(b) {
			x = b[i]
		}
		if i < len(a) {
			y = a[i]
		}
		if x != y {
			t.Errorf("%s changed:\nbefore %s\nafter  %s", what, btClip(x), btClip(y))
		}
	}
}

// btClip shortens a long line for a failure message.
func btClip(s string) string {
	if len(s) > 600 {
		return s[:600] + "…"
	}
	return s
}

// btJSONEqual compares two JSON values by meaning.
func btJSONEqual(t *testing.T, a, b any) bool {
	t.Helper()
	norm := func(v any) any {
		j, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var out any
		if err := json.Unmarshal(j, &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	return reflect.DeepEqual(norm(a), norm(b))
}

// btKeys is the sorted keys of a JSON object.
func btKeys(t *testing.T, body []byte) string {
	t.Helper()
	m := btDecode[map[string]json.RawMessage](t, body)
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return strings.Join(btSorted(ks), ",")
}

func btSorted(s []string) []string {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s
}

// TestBoardReadOnlyFields: ids, numbers, versions, positions, authors and
// timestamps are the server's; a body that carries one is refused as an
// unknown field and changes nothing.
func TestBoardReadOnlyFields(t *testing.T) {
	e := newBoardEnv(t)
	c := e.cast(t)
	f := e.fixture(t, c)
	other, _ := e.project(t, c.owner, "Other")
	p := func(format string, a ...any) string { return fmt.Sprintf("/api/v1"+format, a...) }
	type route struct {
		name, method, path string
		base               map[string]any
		fields             []string
	}
	common := []string{"id", "project_id", "created_by", "created_at", "updated_at"}
	routes := []route{
		{"CreateProject", "POST", p("/projects"), map[string]any{"name": "P"},
			append([]string{"role", "version", "position", "number"}, common...)},
		{"UpdateProject", "PATCH", p("/projects/%d", f.PID), map[string]any{"name": "P2"},
			append([]string{"role", "version", "position", "number"}, common...)},
		{"CreateTask", "POST", p("/projects/%d/tasks", f.PID), map[string]any{"title": "T"},
			append([]string{"number", "version", "position", "completed_at"}, common...)},
		{"UpdateTask", "PATCH", p("/tasks/%d", f.Task), map[string]any{"title": "T2", "version": f.Version},
			append([]string{"number", "position", "completed_at", "column_id"}, common...)},
		{"MoveTask", "POST", p("/tasks/%d/move", f.Task), map[string]any{"column_id": f.Cols[1]},
			append([]string{"number", "position", "version"}, common...)},
		{"CreateColumn", "POST", p("/projects/%d/columns", f.PID), map[string]any{"name": "C"}, common},
		{"UpdateColumn", "PATCH", p("/columns/%d", f.Cols[0]), map[string]any{"name": "C2"}, common},
		{"CreateLabel", "POST", p("/projects/%d/labels", f.PID), map[string]any{"name": "L", "color": "#000000"}, common},
		{"UpdateLabel", "PATCH", p("/labels/%d", f.Label), map[string]any{"name": "L2"}, common},
		{"AddMember", "POST", p("/projects/%d/members", f.PID), map[string]any{"user_id": c.candidate.ID, "role": "viewer"},
			[]string{"id", "project_id", "username", "display_name", "added_at"}},
		{"UpdateMember", "PATCH", p("/projects/%d/members/%d", f.PID, c.extra.ID), map[string]any{"role": "viewer"},
			[]string{"id", "project_id", "user_id", "username", "display_name"}},
	}
	for _, r := range routes {
		for _, field := range r.fields {
			t.Run(r.name+"/"+field, func(t *testing.T) {
				body := map[string]any{}
				for k, v := range r.base {
					body[k] = v
				}
				body[field] = other // a plausible value: another project's id
				if strings.HasSuffix(field, "_at") {
					body[field] = "2020-01-01T00:00:00Z"
				}
				before := e.snapshot(t, c.owner.Token, f.PID)
				projects := e.projectIDs(t, c.owner.Token)
				res, b := e.call(t, c.owner.Token, r.method, r.path, body)
				d := wantError(t, res, b, 400, errs.BadRequest)
				if d[field] != "unknown field" {
					t.Errorf("details = %v, want %s: unknown field", d, field)
				}
				btWantSame(t, "project", before, e.snapshot(t, c.owner.Token, f.PID))
				if got := e.projectIDs(t, c.owner.Token); !reflect.DeepEqual(got, projects) {
					t.Errorf("projects = %v, want %v", got, projects)
				}
			})
		}
	}
	// The same bodies without the extra field go through, so the 400s above
	// are about the field and nothing else.
	t.Run("BaseBodiesAccepted", func(t *testing.T) {
		for _, r := range routes {
			res, b := e.call(t, c.owner.Token, r.method, r.path, r.base)
			if res.StatusCode/100 != 2 {
				t.Errorf("%s: status = %d, want 2xx (body %s)", r.name, res.StatusCode, b)
			}
		}
	})
}

// TestBoardStaleVersion: a PATCH with an old version is a 409 whose
// details.current is the task as GET shows it, and changes nothing.
func TestBoardStaleVersion(t *testing.T) {
	e := newBoardEnv(t)
	c := e.cast(t)
	f := e.fixture(t, c)
	path := fmt.Sprintf("/api/v1/tasks/%d", f.Task)
	first := btDecode[board.Task](t, e.must(t, c.editor.Token, "PATCH", path, map[string]any{"version": f.Version, "title": "Edited once"}, 200))
	if first.Version <= f.Version {
		t.Fatalf("version after a PATCH = %d, want above %d", first.Version, f.Version)
	}
	// A move also moves the version.
	moved := btDecode[board.Task](t, e.must(t, c.editor.Token, "POST", path+"/move", map[string]any{"column_id": f.Cols[1]}, 200))
	if moved.Version <= first.Version {
		t.Fatalf("version after a move = %d, want above %d", moved.Version, first.Version)
	}
	for _, stale := range []int64{f.Version, first.Version, moved.Version + 1, 0, -1} {
		t.Run(fmt.Sprint("version=", stale), func(t *testing.T) {
			before := e.snapshot(t, c.owner.Token, f.PID)
			res, b := e.call(t, c.editor.Token, "PATCH", path, map[string]any{"version": stale, "title": "Lost update"})
			d := wantError(t, res, b, 409, errs.Conflict)
			current := e.must(t, c.editor.Token, "GET", path, nil, 200)
			var want any
			json.Unmarshal(current, &want)
			if !reflect.DeepEqual(d["current"], want) {
				t.Errorf("details.current = %v\nwant GET /tasks/%d = %s", d["current"], f.Task, current)
			}
			btWantSame(t, "project", before, e.snapshot(t, c.owner.Token, f.PID))
		})
	}
	t.Run("CurrentVersionWins", func(t *testing.T) {
		got := btDecode[board.Task](t, e.must(t, c.editor.Token, "PATCH", path, map[string]any{"version": moved.Version, "title": "Edited twice"}, 200))
		if got.Title != "Edited twice" || got.Version <= moved.Version {
			t.Errorf("task = %q v%d, want %q above v%d", got.Title, got.Version, "Edited twice", moved.Version)
		}
	})
}

// TestBoardMembers: adding, re-adding, refusing unknown and deactivated
// users, the last owner, and removal taking effect on the next request.
func TestBoardMembers(t *testing.T) {
	e := newBoardEnv(t)
	c := e.cast(t)
	f := e.fixture(t, c)
	members := fmt.Sprintf("/api/v1/projects/%d/members", f.PID)

	t.Run("AddShape", func(t *testing.T) {
		before := e.activityCount(t, c.owner.Token, f.PID)
		res, b := e.call(t, c.owner.Token, "POST", members, map[string]any{"user_id": c.candidate.ID, "role": "viewer"})
		if res.StatusCode != 201 {
			t.Fatalf("status = %d, want 201 (body %s)", res.StatusCode, b)
		}
		if got, want := btKeys(t, b), "display_name,role,user_id,username"; got != want {
			t.Errorf("member keys = %s, want %s", got, want)
		}
		m := btDecode[board.Member](t, b)
		if m.UserID != c.candidate.ID || m.Username != "candidate" || m.Role != "viewer" {
			t.Errorf("member = %+v, want candidate as viewer", m)
		}
		if got := e.activityCount(t, c.owner.Token, f.PID); got != before+1 {
			t.Errorf("activity count = %d, want %d", got, before+1)
		}
		// The new member sees the project at once, as a viewer.
		p := btDecode[board.Project](t, e.must(t, c.candidate.Token, "GET", fmt.Sprintf("/api/v1/projects/%d", f.PID), nil, 200))
		if p.Role != "viewer" {
			t.Errorf("role = %q, want viewer", p.Role)
		}
	})
	t.Run("AddTwice", func(t *testing.T) {
		before := e.snapshot(t, c.owner.Token, f.PID)
		for _, role := range []string{"viewer", "owner"} {
			res, b := e.call(t, c.owner.Token, "POST", members, map[string]any{"user_id": c.candidate.ID, "role": role})
			wantError(t, res, b, 409, errs.Conflict)
		}
		btWantSame(t, "project", before, e.snapshot(t, c.owner.Token, f.PID))
	})
	t.Run("AddUnknownOrInactive", func(t *testing.T) {
		gone := e.user(t, "gone")
		e.must(t, e.admin.Token, "PATCH", fmt.Sprintf("/api/v1/users/%d", gone.ID), map[string]any{"is_active": false}, 200)
		before := e.snapshot(t, c.owner.Token, f.PID)
		for name, id := range map[string]int64{"deactivated": gone.ID, "nonexistent": 999999} {
			t.Run(name, func(t *testing.T) {
				res, b := e.call(t, c.owner.Token, "POST", members, map[string]any{"user_id": id, "role": "editor"})
				if d := wantError(t, res, b, 422, errs.ValidationFailed); d["user_id"] == nil {
					t.Errorf("details = %v, want user_id", d)
				}
			})
		}
		btWantSame(t, "project", before, e.snapshot(t, c.owner.Token, f.PID))
	})
	t.Run("LastOwner", func(t *testing.T) {
		before := e.snapshot(t, c.owner.Token, f.PID)
		self := fmt.Sprintf("%s/%d", members, c.owner.ID)
		for _, role := range []string{"editor", "viewer"} {
			res, b := e.call(t, c.owner.Token, "PATCH", self, map[string]any{"role": role})
			wantError(t, res, b, 409, errs.Conflict)
		}
		res, b := e.call(t, c.owner.Token, "DELETE", self, nil)
		wantError(t, res, b, 409, errs.Conflict)
		// Staying an owner is not a demotion.
		btWantSame(t, "project", before, e.snapshot(t, c.owner.Token, f.PID))
		e.must(t, c.owner.Token, "PATCH", self, map[string]any{"role": "owner"}, 200)
	})
	t.Run("SecondOwnerLetsFirstGo", func(t *testing.T) {
		g := e.fixture(t, c)
		ms := fmt.Sprintf("/api/v1/projects/%d/members", g.PID)
		e.must(t, c.owner.Token, "PATCH", fmt.Sprintf("%s/%d", ms, c.extra.ID), map[string]any{"role": "owner"}, 200)
		e.must(t, c.owner.Token, "PATCH", fmt.Sprintf("%s/%d", ms, c.owner.ID), map[string]any{"role": "editor"}, 200)
		// Now extra is the last owner.
		res, b := e.call(t, c.extra.Token, "DELETE", fmt.Sprintf("%s/%d", ms, c.extra.ID), nil)
		wantError(t, res, b, 409, errs.Conflict)
		// The demoted first owner may no longer manage members.
		res, b = e.call(t, c.owner.Token, "PATCH", fmt.Sprintf("%s/%d", ms, c.viewer.ID), map[string]any{"role": "editor"})
		wantError(t, res, b, 403, errs.Forbidden)
		e.must(t, c.owner.Token, "DELETE", fmt.Sprintf("%s/%d", ms, c.owner.ID), nil, 204)
		res, b = e.call(t, c.owner.Token, "GET", fmt.Sprintf("/api/v1/projects/%d", g.PID), nil)
		wantError(t, res, b, 404, errs.NotFound)
	})
	t.Run("RemovedMemberGets404", func(t *testing.T) {
		g := e.fixture(t, c)
		// The editor can work in the project before...
		for _, path := range btMemberReads(g) {
			e.must(t, c.editor.Token, "GET", path, nil, 200)
		}
		e.must(t, c.owner.Token, "DELETE", fmt.Sprintf("/api/v1/projects/%d/members/%d", g.PID, c.editor.ID), nil, 204)
		// ...and nowhere in it after, as if it did not exist.
		for _, path := range btMemberReads(g) {
			res, b := e.call(t, c.editor.Token, "GET", path, nil)
			wantError(t, res, b, 404, errs.NotFound)
		}
		res, b := e.call(t, c.editor.Token, "POST", fmt.Sprintf("/api/v1/projects/%d/tasks", g.PID), map[string]any{"title": "after removal"})
		wantError(t, res, b, 404, errs.NotFound)
		res, b = e.call(t, c.editor.Token, "PATCH", fmt.Sprintf("/api/v1/tasks/%d", g.Task), map[string]any{"version": g.Version, "title": "x"})
		wantError(t, res, b, 404, errs.NotFound)
		if ids := e.projectIDs(t, c.editor.Token); btContains(ids, g.PID) {
			t.Errorf("the removed member still lists project %d: %v", g.PID, ids)
		}
		// Their assignment went with them, and the task's version moved.
		tk := btDecode[board.Task](t, e.must(t, c.owner.Token, "GET", fmt.Sprintf("/api/v1/tasks/%d", g.Task), nil, 200))
		if len(tk.AssigneeIDs) != 0 || tk.Version == g.Version {
			t.Errorf("task after its assignee left: assignees %v version %d (was %d)", tk.AssigneeIDs, tk.Version, g.Version)
		}
	})
	t.Run("BadRoles", func(t *testing.T) {
		before := e.snapshot(t, c.owner.Token, f.PID)
		for _, role := range []string{"", "admin", "Owner", "member"} {
			res, b := e.call(t, c.owner.Token, "POST", members, map[string]any{"user_id": c.outsider.ID, "role": role})
			if d := wantError(t, res, b, 422, errs.ValidationFailed); d["role"] == nil {
				t.Errorf("POST role %q: details = %v, want role", role, d)
			}
			res, b = e.call(t, c.owner.Token, "PATCH", fmt.Sprintf("%s/%d", members, c.viewer.ID), map[string]any{"role": role})
			if d := wantError(t, res, b, 422, errs.ValidationFailed); d["role"] == nil {
				t.Errorf("PATCH role %q: details = %v, want role", role, d)
			}
		}
		btWantSame(t, "project", before, e.snapshot(t, c.owner.Token, f.PID))
	})
	t.Run("NotAMember", func(t *testing.T) {
		for _, m := range []string{"PATCH", "DELETE"} {
			var body any
			if m == "PATCH" {
				body = map[string]any{"role": "viewer"}
			}
			res, b := e.call(t, c.owner.Token, m, fmt.Sprintf("%s/%d", members, c.outsider.ID), body)
			wantError(t, res, b, 404, errs.NotFound)
		}
	})
}

// btMemberReads is every read a member may make in a fixture project.
func btMemberReads(f btFixture) []string {
	return []string{
		fmt.Sprintf("/api/v1/projects/%d", f.PID),
		fmt.Sprintf("/api/v1/projects/%d/members", f.PID),
		fmt.Sprintf("/api/v1/projects/%d/columns", f.PID),
		fmt.Sprintf("/api/v1/projects/%d/labels", f.PID),
		fmt.Sprintf("/api/v1/projects/%d/tasks", f.PID),
		fmt.Sprintf("/api/v1/projects/%d/activity", f.PID),
		fmt.Sprintf("/api/v1/tasks/%d", f.Task),
		fmt.Sprintf("/api/v1/tasks/%d/activity", f.Task),
	}
}

func btContains(ids []int64, id int64) bool {
	for _, v := range ids {
		if v == id {
			return true
		}
	}
	return false
}

// TestBoardLimitsAccepted: the SPEC's limits are inclusive; the longest
// allowed strings go through (the refusals are in TestBoardBadInput).
func TestBoardLimitsAccepted(t *testing.T) {
	e := newBoardEnv(t)
	c := e.cast(t)
	f := e.fixture(t, c)
	name, title, desc := strings.Repeat("n", 100), strings.Repeat("é", 200), strings.Repeat("d", 20000)
	e.must(t, c.owner.Token, "POST", "/api/v1/projects", map[string]any{"name": name, "description": desc}, 201)
	e.must(t, c.owner.Token, "PATCH", fmt.Sprintf("/api/v1/projects/%d", f.PID), map[string]any{"name": name, "description": desc}, 200)
	e.must(t, c.editor.Token, "POST", fmt.Sprintf("/api/v1/projects/%d/columns", f.PID), map[string]any{"name": name}, 201)
	e.must(t, c.editor.Token, "POST", fmt.Sprintf("/api/v1/projects/%d/labels", f.PID), map[string]any{"name": name, "color": "#A0b1C2"}, 201)
	tk := e.task(t, c.editor.Token, f.PID, map[string]any{"title": "  " + title + "  ", "description": desc})
	if tk.Title != title {
		t.Errorf("title = %q, want it trimmed to %d characters", tk.Title, 200)
	}
	e.must(t, c.editor.Token, "PATCH", fmt.Sprintf("/api/v1/tasks/%d", tk.ID), map[string]any{"version": tk.Version, "title": title, "description": desc}, 200)
}

// btBad is one bad request and the SPEC's answer to it.
type btBad struct {
	name, method, path string
	body               any    // nil: no body; string: sent raw
	ct                 string // Content-Type when not JSON; "none" for no header
	status             int
	code               errs.Code
	field              string // a details entry the answer must have
}

// TestBoardBadInput sends bad input to every board route and checks the
// SPEC's status and code, and that nothing changed: no project, member,
// column, label, task or event appeared, changed or went.
func TestBoardBadInput(t *testing.T) {
	e := newBoardEnv(t)
	c := e.cast(t)
	f := e.fixture(t, c)
	feature := e.label(t, c.owner.Token, f.PID, "feature")
	t2 := e.task(t, c.owner.Token, f.PID, map[string]any{"title": "Second"})
	t3 := e.task(t, c.owner.Token, f.PID, map[string]any{"title": "Third"})
	other := e.task(t, c.owner.Token, f.PID, map[string]any{"title": "Elsewhere", "column_id": f.Cols[1]})
	v := f.Version
	long := func(n int) string { return strings.Repeat("x", n) }
	const (
		bad  = 400
		vf   = 422
		conf = 409
	)
	var rows []btBad
	add := func(r ...btBad) { rows = append(rows, r...) }

	// Every route with a body: malformed, not an object, unknown fields,
	// wrong media type, too large.
	bodyRoutes := []struct{ name, method, path, valid string }{
		{"CreateProject", "POST", btPath("/projects"), `{"name":"x"}`},
		{"UpdateProject", "PATCH", btPath("/projects/%d", f.PID), `{"name":"x"}`},
		{"AddMember", "POST", btPath("/projects/%d/members", f.PID), fmt.Sprintf(`{"user_id":%d,"role":"viewer"}`, c.candidate.ID)},
		{"UpdateMember", "PATCH", btPath("/projects/%d/members/%d", f.PID, c.extra.ID), `{"role":"viewer"}`},
		{"CreateColumn", "POST", btPath("/projects/%d/columns", f.PID), `{"name":"x"}`},
		{"UpdateColumn", "PATCH", btPath("/columns/%d", f.Cols[1]), `{"name":"x"}`},
		{"CreateLabel", "POST", btPath("/projects/%d/labels", f.PID), `{"name":"x","color":"#000000"}`},
		{"UpdateLabel", "PATCH", btPath("/labels/%d", f.Label), `{"name":"x"}`},
		{"CreateTask", "POST", btPath("/projects/%d/tasks", f.PID), `{"title":"x"}`},
		{"UpdateTask", "PATCH", btPath("/tasks/%d", f.Task), fmt.Sprintf(`{"version":%d,"title":"x"}`, v)},
		{"MoveTask", "POST", btPath("/tasks/%d/move", f.Task), fmt.Sprintf(`{"column_id":%d}`, f.Cols[2])},
	}
	for _, r := range bodyRoutes {
		add(
			// Every body is an object: null is not an empty patch.
			btBad{r.name + "/Null", r.method, r.path, `null`, "", bad, errs.BadRequest, ""},
			btBad{r.name + "/Malformed", r.method, r.path, `{"name":`, "", bad, errs.BadRequest, ""},
			btBad{r.name + "/NotJSON", r.method, r.path, `name=x`, "", bad, errs.BadRequest, ""},
			btBad{r.name + "/Empty", r.method, r.path, ``, "", bad, errs.BadRequest, ""},
			btBad{r.name + "/Array", r.method, r.path, `[` + r.valid + `]`, "", bad, errs.BadRequest, ""},
			btBad{r.name + "/Trailing", r.method, r.path, r.valid + ` {}`, "", bad, errs.BadRequest, ""},
			btBad{r.name + "/UnknownField", r.method, r.path, r.valid[:len(r.valid)-1] + `,"nope":1}`, "", bad, errs.BadRequest, "nope"},
			btBad{r.name + "/UnknownFieldCase", r.method, r.path, r.valid[:len(r.valid)-1] + `,"Titel":"x"}`, "", bad, errs.BadRequest, "Titel"},
			btBad{r.name + "/NoContentType", r.method, r.path, r.valid, "none", 415, errs.UnsupportedMediaType, ""},
			btBad{r.name + "/TextPlain", r.method, r.path, r.valid, "text/plain", 415, errs.UnsupportedMediaType, ""},
			btBad{r.name + "/TooLarge", r.method, r.path, `{"name":"` + long(1<<20) + `"}`, "", 413, errs.PayloadTooLarge, ""},
		)
	}

	p, pp := btPath("/projects"), btPath("/projects/%d", f.PID)
	add(
		btBad{"CreateProject/NameNumber", "POST", p, `{"name":5}`, "", bad, errs.BadRequest, "name"},
		btBad{"CreateProject/NameMissing", "POST", p, `{"description":"x"}`, "", vf, errs.ValidationFailed, "name"},
		btBad{"CreateProject/NameNull", "POST", p, `{"name":null}`, "", vf, errs.ValidationFailed, "name"},
		btBad{"CreateProject/NameEmpty", "POST", p, `{"name":""}`, "", vf, errs.ValidationFailed, "name"},
		btBad{"CreateProject/NameBlank", "POST", p, `{"name":" \t "}`, "", vf, errs.ValidationFailed, "name"},
		btBad{"CreateProject/Name101", "POST", p, map[string]any{"name": long(101)}, "", vf, errs.ValidationFailed, "name"},
		btBad{"CreateProject/NameControl", "POST", p, `{"name":"a\u0000b"}`, "", vf, errs.ValidationFailed, "name"},
		btBad{"CreateProject/Description20001", "POST", p, map[string]any{"name": "x", "description": long(20001)}, "", vf, errs.ValidationFailed, "description"},
		btBad{"CreateProject/DescriptionNumber", "POST", p, `{"name":"x","description":1}`, "", bad, errs.BadRequest, "description"},
		btBad{"UpdateProject/ArchivedYes", "PATCH", pp, `{"archived":"yes"}`, "", bad, errs.BadRequest, "archived"},
		btBad{"UpdateProject/ArchivedNumber", "PATCH", pp, `{"archived":1}`, "", bad, errs.BadRequest, "archived"},
		btBad{"UpdateProject/ArchivedNull", "PATCH", pp, `{"archived":null}`, "", vf, errs.ValidationFailed, "archived"},
		btBad{"UpdateProject/NameNumber", "PATCH", pp, `{"name":5}`, "", bad, errs.BadRequest, "name"},
		btBad{"UpdateProject/NameNull", "PATCH", pp, `{"name":null}`, "", vf, errs.ValidationFailed, "name"},
		btBad{"UpdateProject/NameEmpty", "PATCH", pp, `{"name":""}`, "", vf, errs.ValidationFailed, "name"},
		btBad{"UpdateProject/NameBlank", "PATCH", pp, `{"name":"   "}`, "", vf, errs.ValidationFailed, "name"},
		btBad{"UpdateProject/Name101", "PATCH", pp, map[string]any{"name": long(101)}, "", vf, errs.ValidationFailed, "name"},
		btBad{"UpdateProject/Description20001", "PATCH", pp, map[string]any{"description": long(20001)}, "", vf, errs.ValidationFailed, "description"},
	)

	m, mm := btPath("/projects/%d/members", f.PID), btPath("/projects/%d/members/%d", f.PID, c.extra.ID)
	add(
		btBad{"AddMember/UserIDString", "POST", m, fmt.Sprintf(`{"user_id":"%d","role":"viewer"}`, c.candidate.ID), "", bad, errs.BadRequest, "user_id"},
		btBad{"AddMember/UserIDMissing", "POST", m, `{"role":"viewer"}`, "", vf, errs.ValidationFailed, "user_id"},
		btBad{"AddMember/UserIDNegative", "POST", m, `{"user_id":-1,"role":"viewer"}`, "", vf, errs.ValidationFailed, "user_id"},
		btBad{"AddMember/UserIDFraction", "POST", m, `{"user_id":1.5,"role":"viewer"}`, "", bad, errs.BadRequest, "user_id"},
		btBad{"AddMember/UserIDHuge", "POST", m, `{"user_id":99999999999999999999,"role":"viewer"}`, "", bad, errs.BadRequest, "user_id"},
		btBad{"AddMember/UserNonexistent", "POST", m, `{"user_id":999999,"role":"viewer"}`, "", vf, errs.ValidationFailed, "user_id"},
		btBad{"AddMember/RoleNumber", "POST", m, fmt.Sprintf(`{"user_id":%d,"role":1}`, c.candidate.ID), "", bad, errs.BadRequest, "role"},
		btBad{"AddMember/RoleMissing", "POST", m, fmt.Sprintf(`{"user_id":%d}`, c.candidate.ID), "", vf, errs.ValidationFailed, "role"},
		btBad{"AddMember/AlreadyMember", "POST", m, fmt.Sprintf(`{"user_id":%d,"role":"owner"}`, c.viewer.ID), "", conf, errs.Conflict, ""},
		btBad{"UpdateMember/RoleNumber", "PATCH", mm, `{"role":1}`, "", bad, errs.BadRequest, "role"},
		btBad{"UpdateMember/RoleMissing", "PATCH", mm, `{}`, "", vf, errs.ValidationFailed, "role"},
		btBad{"UpdateMember/RoleAdmin", "PATCH", mm, `{"role":"admin"}`, "", vf, errs.ValidationFailed, "role"},
		btBad{"UpdateMember/NotAMember", "PATCH", btPath("/projects/%d/members/%d", f.PID, c.candidate.ID), `{"role":"viewer"}`, "", 404, errs.NotFound, ""},
		btBad{"UpdateMember/NoUser", "PATCH", btPath("/projects/%d/members/999999", f.PID), `{"role":"viewer"}`, "", 404, errs.NotFound, ""},
		btBad{"RemoveMember/NotAMember", "DELETE", btPath("/projects/%d/members/%d", f.PID, c.candidate.ID), nil, "", 404, errs.NotFound, ""},
		btBad{"RemoveMember/LastOwner", "DELETE", btPath("/projects/%d/members/%d", f.PID, c.owner.ID), nil, "", conf, errs.Conflict, ""},
	)

	cc, uc := btPath("/projects/%d/columns", f.PID), btPath("/columns/%d", f.Cols[1])
	dc := func(q string) string { return btPath("/columns/%d%s", f.Cols[0], q) } // Cols[0] holds tasks
	add(
		btBad{"CreateColumn/NameMissing", "POST", cc, `{}`, "", vf, errs.ValidationFailed, "name"},
		btBad{"CreateColumn/NameEmpty", "POST", cc, `{"name":""}`, "", vf, errs.ValidationFailed, "name"},
		btBad{"CreateColumn/NameNull", "POST", cc, `{"name":null}`, "", vf, errs.ValidationFailed, "name"},
		btBad{"CreateColumn/Name101", "POST", cc, map[string]any{"name": long(101)}, "", vf, errs.ValidationFailed, "name"},
		btBad{"CreateColumn/NameNumber", "POST", cc, `{"name":7}`, "", bad, errs.BadRequest, "name"},
		btBad{"CreateColumn/WIPString", "POST", cc, `{"name":"x","wip_limit":"3"}`, "", bad, errs.BadRequest, "wip_limit"},
		btBad{"CreateColumn/WIPFraction", "POST", cc, `{"name":"x","wip_limit":1.5}`, "", bad, errs.BadRequest, "wip_limit"},
		btBad{"CreateColumn/WIPZero", "POST", cc, `{"name":"x","wip_limit":0}`, "", vf, errs.ValidationFailed, "wip_limit"},
		btBad{"CreateColumn/WIPNegative", "POST", cc, `{"name":"x","wip_limit":-2}`, "", vf, errs.ValidationFailed, "wip_limit"},
		btBad{"CreateColumn/PositionNegative", "POST", cc, `{"name":"x","position":-1}`, "", vf, errs.ValidationFailed, "position"},
		btBad{"CreateColumn/PositionNull", "POST", cc, `{"name":"x","position":null}`, "", vf, errs.ValidationFailed, "position"},
		btBad{"CreateColumn/PositionString", "POST", cc, `{"name":"x","position":"1"}`, "", bad, errs.BadRequest, "position"},
		btBad{"UpdateColumn/NameEmpty", "PATCH", uc, `{"name":""}`, "", vf, errs.ValidationFailed, "name"},
		btBad{"UpdateColumn/NameNull", "PATCH", uc, `{"name":null}`, "", vf, errs.ValidationFailed, "name"},
		btBad{"UpdateColumn/Name101", "PATCH", uc, map[string]any{"name": long(101)}, "", vf, errs.ValidationFailed, "name"},
		btBad{"UpdateColumn/WIPString", "PATCH", uc, `{"wip_limit":"3"}`, "", bad, errs.BadRequest, "wip_limit"},
		btBad{"UpdateColumn/WIPZero", "PATCH", uc, `{"wip_limit":0}`, "", vf, errs.ValidationFailed, "wip_limit"},
		btBad{"UpdateColumn/PositionNegative", "PATCH", uc, `{"position":-1}`, "", vf, errs.ValidationFailed, "position"},
		btBad{"UpdateColumn/NoSuchColumn", "PATCH", btPath("/columns/999999"), `{"name":"x"}`, "", 404, errs.NotFound, ""},
		btBad{"DeleteColumn/HoldsTasksNoMoveTo", "DELETE", dc(""), nil, "", vf, errs.ValidationFailed, "move_to"},
		btBad{"DeleteColumn/MoveToText", "DELETE", dc("?move_to=x"), nil, "", bad, errs.BadRequest, "move_to"},
		btBad{"DeleteColumn/MoveToZero", "DELETE", dc("?move_to=0"), nil, "", bad, errs.BadRequest, "move_to"},
		btBad{"DeleteColumn/MoveToNegative", "DELETE", dc("?move_to=-1"), nil, "", bad, errs.BadRequest, "move_to"},
		btBad{"DeleteColumn/MoveToSelf", "DELETE", dc(fmt.Sprintf("?move_to=%d", f.Cols[0])), nil, "", vf, errs.ValidationFailed, "move_to"},
		btBad{"DeleteColumn/MoveToNonexistent", "DELETE", dc("?move_to=999999"), nil, "", vf, errs.ValidationFailed, "move_to"},
		btBad{"DeleteColumn/NoSuchColumn", "DELETE", btPath("/columns/999999"), nil, "", 404, errs.NotFound, ""},
	)

	cl, ul := btPath("/projects/%d/labels", f.PID), btPath("/labels/%d", feature)
	for _, color := range []string{"#fff", "red", "#gggggg", "", "#12345", "#1234567", "ff0000", " #ff0000", "#ff000g"} {
		add(
			btBad{"CreateLabel/Color" + color, "POST", cl, map[string]any{"name": "x", "color": color}, "", vf, errs.ValidationFailed, "color"},
			btBad{"UpdateLabel/Color" + color, "PATCH", ul, map[string]any{"color": color}, "", vf, errs.ValidationFailed, "color"},
		)
	}
	add(
		btBad{"CreateLabel/ColorMissing", "POST", cl, `{"name":"x"}`, "", vf, errs.ValidationFailed, "color"},
		btBad{"CreateLabel/ColorNumber", "POST", cl, `{"name":"x","color":16711680}`, "", bad, errs.BadRequest, "color"},
		btBad{"CreateLabel/NameMissing", "POST", cl, `{"color":"#000000"}`, "", vf, errs.ValidationFailed, "name"},
		btBad{"CreateLabel/Name101", "POST", cl, map[string]any{"name": long(101), "color": "#000000"}, "", vf, errs.ValidationFailed, "name"},
		btBad{"CreateLabel/Duplicate", "POST", cl, `{"name":"BUG","color":"#000000"}`, "", conf, errs.Conflict, ""},
		btBad{"UpdateLabel/ColorNull", "PATCH", ul, `{"color":null}`, "", vf, errs.ValidationFailed, "color"},
		btBad{"UpdateLabel/NameNull", "PATCH", ul, `{"name":null}`, "", vf, errs.ValidationFailed, "name"},
		btBad{"UpdateLabel/NameEmpty", "PATCH", ul, `{"name":" "}`, "", vf, errs.ValidationFailed, "name"},
		btBad{"UpdateLabel/Name101", "PATCH", ul, map[string]any{"name": long(101)}, "", vf, errs.ValidationFailed, "name"},
		btBad{"UpdateLabel/Duplicate", "PATCH", ul, `{"name":"Bug"}`, "", conf, errs.Conflict, ""},
		btBad{"UpdateLabel/NoSuchLabel", "PATCH", btPath("/labels/999999"), `{"name":"x"}`, "", 404, errs.NotFound, ""},
		btBad{"DeleteLabel/NoSuchLabel", "DELETE", btPath("/labels/999999"), nil, "", 404, errs.NotFound, ""},
	)

	ct, ut := btPath("/projects/%d/tasks", f.PID), btPath("/tasks/%d", f.Task)
	patch := func(extra string) string { return fmt.Sprintf(`{"version":%d,%s}`, v, extra) }
	tooMany := make([]int64, 101)
	for i := range tooMany {
		tooMany[i] = int64(i + 1)
	}
	add(
		btBad{"CreateTask/TitleNumber", "POST", ct, `{"title":5}`, "", bad, errs.BadRequest, "title"},
		btBad{"CreateTask/TitleMissing", "POST", ct, `{}`, "", vf, errs.ValidationFailed, "title"},
		btBad{"CreateTask/TitleNull", "POST", ct, `{"title":null}`, "", vf, errs.ValidationFailed, "title"},
		btBad{"CreateTask/TitleEmpty", "POST", ct, `{"title":""}`, "", vf, errs.ValidationFailed, "title"},
		btBad{"CreateTask/TitleBlank", "POST", ct, `{"title":"   "}`, "", vf, errs.ValidationFailed, "title"},
		btBad{"CreateTask/TitleWhitespace", "POST", ct, `{"title":"\t\n\r "}`, "", vf, errs.ValidationFailed, "title"},
		btBad{"CreateTask/TitleNBSP", "POST", ct, `{"title":"\u00a0\u2003"}`, "", vf, errs.ValidationFailed, "title"},
		btBad{"CreateTask/Title201", "POST", ct, map[string]any{"title": long(201)}, "", vf, errs.ValidationFailed, "title"},
		btBad{"CreateTask/TitleControl", "POST", ct, `{"title":"a\u0007b"}`, "", vf, errs.ValidationFailed, "title"},
		btBad{"CreateTask/Description20001", "POST", ct, map[string]any{"title": "x", "description": long(20001)}, "", vf, errs.ValidationFailed, "description"},
		btBad{"CreateTask/AssigneesString", "POST", ct, `{"title":"x","assignee_ids":"x"}`, "", bad, errs.BadRequest, "assignee_ids"},
		btBad{"CreateTask/AssigneesStrings", "POST", ct, `{"title":"x","assignee_ids":["1"]}`, "", bad, errs.BadRequest, ""},
		btBad{"CreateTask/LabelsString", "POST", ct, `{"title":"x","label_ids":"x"}`, "", bad, errs.BadRequest, "label_ids"},
		btBad{"CreateTask/LabelsObject", "POST", ct, `{"title":"x","label_ids":{}}`, "", bad, errs.BadRequest, "label_ids"},
		btBad{"CreateTask/ColumnString", "POST", ct, fmt.Sprintf(`{"title":"x","column_id":"%d"}`, f.Cols[0]), "", bad, errs.BadRequest, "column_id"},
		btBad{"CreateTask/ColumnZero", "POST", ct, `{"title":"x","column_id":0}`, "", vf, errs.ValidationFailed, "column_id"},
		btBad{"CreateTask/ColumnNonexistent", "POST", ct, `{"title":"x","column_id":999999}`, "", vf, errs.ValidationFailed, "column_id"},
		btBad{"CreateTask/LabelNonexistent", "POST", ct, `{"title":"x","label_ids":[999999]}`, "", vf, errs.ValidationFailed, "label_ids"},
		btBad{"CreateTask/LabelNegative", "POST", ct, `{"title":"x","label_ids":[-1]}`, "", vf, errs.ValidationFailed, "label_ids"},
		btBad{"CreateTask/AssigneeNonexistent", "POST", ct, `{"title":"x","assignee_ids":[999999]}`, "", vf, errs.ValidationFailed, "assignee_ids"},
		btBad{"CreateTask/AssigneeZero", "POST", ct, `{"title":"x","assignee_ids":[0]}`, "", vf, errs.ValidationFailed, "assignee_ids"},
		btBad{"CreateTask/AssigneeNotMember", "POST", ct, map[string]any{"title": "x", "assignee_ids": []int64{c.candidate.ID}}, "", vf, errs.ValidationFailed, "assignee_ids"},
		btBad{"CreateTask/AssigneeSiteAdmin", "POST", ct, map[string]any{"title": "x", "assignee_ids": []int64{e.admin.ID}}, "", vf, errs.ValidationFailed, "assignee_ids"},
		btBad{"CreateTask/TooManyLabels", "POST", ct, map[string]any{"title": "x", "label_ids": tooMany}, "", vf, errs.ValidationFailed, "label_ids"},
		btBad{"CreateTask/PriorityUnknown", "POST", ct, `{"title":"x","priority":"critical"}`, "", vf, errs.ValidationFailed, "priority"},
		btBad{"CreateTask/PriorityCase", "POST", ct, `{"title":"x","priority":"High"}`, "", vf, errs.ValidationFailed, "priority"},
		btBad{"CreateTask/PriorityNumber", "POST", ct, `{"title":"x","priority":3}`, "", bad, errs.BadRequest, "priority"},
		btBad{"CreateTask/DueTomorrow", "POST", ct, `{"title":"x","due_at":"tomorrow"}`, "", vf, errs.ValidationFailed, "due_at"},
		btBad{"CreateTask/DueMonth13", "POST", ct, `{"title":"x","due_at":"2026-13-01T00:00:00Z"}`, "", vf, errs.ValidationFailed, "due_at"},
		btBad{"CreateTask/DueDateOnly", "POST", ct, `{"title":"x","due_at":"2026-12-01"}`, "", vf, errs.ValidationFailed, "due_at"},
		btBad{"CreateTask/DueNoZone", "POST", ct, `{"title":"x","due_at":"2026-12-01T10:00:00"}`, "", vf, errs.ValidationFailed, "due_at"},
		btBad{"CreateTask/DueFeb30", "POST", ct, `{"title":"x","due_at":"2026-02-30T00:00:00Z"}`, "", vf, errs.ValidationFailed, "due_at"},
		btBad{"CreateTask/DueNumber", "POST", ct, `{"title":"x","due_at":1767225600}`, "", bad, errs.BadRequest, "due_at"},

		btBad{"UpdateTask/VersionMissing", "PATCH", ut, `{"title":"x"}`, "", vf, errs.ValidationFailed, "version"},
		btBad{"UpdateTask/VersionNull", "PATCH", ut, `{"version":null,"title":"x"}`, "", vf, errs.ValidationFailed, "version"},
		btBad{"UpdateTask/VersionOnlyMissing", "PATCH", ut, `{}`, "", vf, errs.ValidationFailed, "version"},
		btBad{"UpdateTask/VersionString", "PATCH", ut, fmt.Sprintf(`{"version":"%d","title":"x"}`, v), "", bad, errs.BadRequest, "version"},
		btBad{"UpdateTask/TitleNumber", "PATCH", ut, patch(`"title":5`), "", bad, errs.BadRequest, "title"},
		btBad{"UpdateTask/TitleNull", "PATCH", ut, patch(`"title":null`), "", vf, errs.ValidationFailed, "title"},
		btBad{"UpdateTask/TitleEmpty", "PATCH", ut, patch(`"title":""`), "", vf, errs.ValidationFailed, "title"},
		btBad{"UpdateTask/TitleBlank", "PATCH", ut, patch(`"title":"  \t"`), "", vf, errs.ValidationFailed, "title"},
		btBad{"UpdateTask/Title201", "PATCH", ut, patch(`"title":"` + long(201) + `"`), "", vf, errs.ValidationFailed, "title"},
		btBad{"UpdateTask/Description20001", "PATCH", ut, patch(`"description":"` + long(20001) + `"`), "", vf, errs.ValidationFailed, "description"},
		btBad{"UpdateTask/AssigneesString", "PATCH", ut, patch(`"assignee_ids":"x"`), "", bad, errs.BadRequest, "assignee_ids"},
		btBad{"UpdateTask/LabelsString", "PATCH", ut, patch(`"label_ids":"x"`), "", bad, errs.BadRequest, "label_ids"},
		btBad{"UpdateTask/LabelNonexistent", "PATCH", ut, patch(`"label_ids":[999999]`), "", vf, errs.ValidationFailed, "label_ids"},
		btBad{"UpdateTask/AssigneeNotMember", "PATCH", ut, patch(fmt.Sprintf(`"assignee_ids":[%d]`, c.candidate.ID)), "", vf, errs.ValidationFailed, "assignee_ids"},
		btBad{"UpdateTask/PriorityUnknown", "PATCH", ut, patch(`"priority":"asap"`), "", vf, errs.ValidationFailed, "priority"},
		btBad{"UpdateTask/PriorityNull", "PATCH", ut, patch(`"priority":null`), "", vf, errs.ValidationFailed, "priority"},
		btBad{"UpdateTask/DueTomorrow", "PATCH", ut, patch(`"due_at":"tomorrow"`), "", vf, errs.ValidationFailed, "due_at"},
		btBad{"UpdateTask/DueMonth13", "PATCH", ut, patch(`"due_at":"2026-13-01T00:00:00Z"`), "", vf, errs.ValidationFailed, "due_at"},
		btBad{"UpdateTask/NoSuchTask", "PATCH", btPath("/tasks/999999"), patch(`"title":"x"`), "", 404, errs.NotFound, ""},
		btBad{"DeleteTask/NoSuchTask", "DELETE", btPath("/tasks/999999"), nil, "", 404, errs.NotFound, ""},
	)

	mv := btPath("/tasks/%d/move", f.Task)
	move := func(s string, a ...any) string { return fmt.Sprintf(s, a...) }
	add(
		btBad{"MoveTask/ColumnMissing", "POST", mv, `{}`, "", vf, errs.ValidationFailed, "column_id"},
		btBad{"MoveTask/ColumnNull", "POST", mv, `{"column_id":null}`, "", vf, errs.ValidationFailed, "column_id"},
		btBad{"MoveTask/ColumnString", "POST", mv, move(`{"column_id":"%d"}`, f.Cols[1]), "", bad, errs.BadRequest, "column_id"},
		btBad{"MoveTask/ColumnZero", "POST", mv, `{"column_id":0}`, "", vf, errs.ValidationFailed, "column_id"},
		btBad{"MoveTask/ColumnNonexistent", "POST", mv, `{"column_id":999999}`, "", vf, errs.ValidationFailed, "column_id"},
		btBad{"MoveTask/BeforeString", "POST", mv, move(`{"column_id":%d,"before_id":"x"}`, f.Cols[0]), "", bad, errs.BadRequest, "before_id"},
		btBad{"MoveTask/BeforeNonexistent", "POST", mv, move(`{"column_id":%d,"before_id":999999}`, f.Cols[0]), "", vf, errs.ValidationFailed, "before_id"},
		btBad{"MoveTask/AfterNonexistent", "POST", mv, move(`{"column_id":%d,"after_id":999999}`, f.Cols[0]), "", vf, errs.ValidationFailed, "after_id"},
		btBad{"MoveTask/BeforeSelf", "POST", mv, move(`{"column_id":%d,"before_id":%d}`, f.Cols[0], f.Task), "", vf, errs.ValidationFailed, ""},
		btBad{"MoveTask/AfterSelf", "POST", mv, move(`{"column_id":%d,"after_id":%d}`, f.Cols[0], f.Task), "", vf, errs.ValidationFailed, ""},
		btBad{"MoveTask/BeforeInOtherColumn", "POST", mv, move(`{"column_id":%d,"before_id":%d}`, f.Cols[0], other.ID), "", vf, errs.ValidationFailed, "before_id"},
		btBad{"MoveTask/AfterInOtherColumn", "POST", mv, move(`{"column_id":%d,"after_id":%d}`, f.Cols[2], t2.ID), "", vf, errs.ValidationFailed, "after_id"},
		btBad{"MoveTask/NotNeighbours", "POST", mv, move(`{"column_id":%d,"after_id":%d,"before_id":%d}`, f.Cols[0], t3.ID, t2.ID), "", vf, errs.ValidationFailed, ""},
		btBad{"MoveTask/NoSuchTask", "POST", btPath("/tasks/999999/move"), move(`{"column_id":%d}`, f.Cols[0]), "", 404, errs.NotFound, ""},
	)

	// Query parameters of the lists.
	tl := btPath("/projects/%d/tasks", f.PID)
	for _, q := range []string{
		"limit=0", "limit=-1", "limit=x", "limit=1.5", "limit=", "cursor=garbage", "cursor=%25%25", "cursor=" + long(2000),
		"column_id=x", "column_id=0", "column_id=-1", "column_id=1.0", "assignee_id=x", "label_id=x", "label_id=0",
		"due_before=x", "due_before=2026-13-01T00:00:00Z", "due_before=2026-12-01", "priority=x", "priority=HIGH",
		"q=" + long(201),
	} {
		field, _, _ := strings.Cut(q, "=")
		if q == "limit=" {
			continue // an empty value means the default
		}
		add(btBad{"ListTasks/" + q[:min(len(q), 30)], "GET", tl + "?" + q, nil, "", bad, errs.BadRequest, field})
	}
	for _, path := range []string{btPath("/projects/%d/activity", f.PID), btPath("/tasks/%d/activity", f.Task), btPath("/projects")} {
		for _, q := range []string{"limit=0", "limit=x", "cursor=garbage"} {
			field, _, _ := strings.Cut(q, "=")
			add(btBad{"List" + path + "/" + q, "GET", path + "?" + q, nil, "", bad, errs.BadRequest, field})
		}
	}
	// A cursor of one list is not a cursor of another.
	for range 3 {
		e.task(t, c.owner.Token, f.PID, map[string]any{"title": "filler"})
	}
	acts := btDecode[page.List[json.RawMessage]](t, e.must(t, c.owner.Token, "GET", btPath("/projects/%d/activity?limit=1", f.PID), nil, 200))
	if acts.NextCursor == nil {
		t.Fatal("activity with limit=1 has no next cursor")
	}
	add(btBad{"ListTasks/ActivityCursor", "GET", tl + "?cursor=" + *acts.NextCursor, nil, "", bad, errs.BadRequest, "cursor"})

	// Malformed path ids are 404 on every route that takes one.
	for _, id := range []string{"abc", "0", "-1", "1.5", "1e3", "99999999999999999999", "0x10", "%20"} {
		for i, r := range []struct{ method, path, body string }{
			{"GET", "/projects/%s", ""},
			{"PATCH", "/projects/%s", `{"name":"x"}`},
			{"DELETE", "/projects/%s", ""},
			{"GET", "/projects/%s/members", ""},
			{"POST", "/projects/%s/members", fmt.Sprintf(`{"user_id":%d,"role":"viewer"}`, c.candidate.ID)},
			{"PATCH", fmt.Sprintf("/projects/%%s/members/%d", c.extra.ID), `{"role":"viewer"}`},
			{"DELETE", fmt.Sprintf("/projects/%%s/members/%d", c.extra.ID), ""},
			{"PATCH", fmt.Sprintf("/projects/%d/members/%%s", f.PID), `{"role":"viewer"}`},
			{"DELETE", fmt.Sprintf("/projects/%d/members/%%s", f.PID), ""},
			{"GET", "/projects/%s/columns", ""},
			{"POST", "/projects/%s/columns", `{"name":"x"}`},
			{"PATCH", "/columns/%s", `{"name":"x"}`},
			{"DELETE", "/columns/%s", ""},
			{"GET", "/projects/%s/labels", ""},
			{"POST", "/projects/%s/labels", `{"name":"x","color":"#000000"}`},
			{"PATCH", "/labels/%s", `{"name":"x"}`},
			{"DELETE", "/labels/%s", ""},
			{"GET", "/projects/%s/tasks", ""},
			{"POST", "/projects/%s/tasks", `{"title":"x"}`},
			{"GET", "/tasks/%s", ""},
			{"PATCH", "/tasks/%s", fmt.Sprintf(`{"version":%d,"title":"x"}`, v)},
			{"DELETE", "/tasks/%s", ""},
			{"POST", "/tasks/%s/move", fmt.Sprintf(`{"column_id":%d}`, f.Cols[1])},
			{"GET", "/projects/%s/activity", ""},
			{"GET", "/tasks/%s/activity", ""},
		} {
			if i > 1 && id != "abc" && id != "-1" && id != "99999999999999999999" {
				continue // every odd id on the first routes, three on all
			}
			var body any
			if r.body != "" {
				body = r.body
			}
			path := "/api/v1" + strings.ReplaceAll(r.path, "%s", id)
			add(btBad{"PathID/" + r.method + strings.ReplaceAll(r.path, "%s", id), r.method, path, body, "", 404, errs.NotFound, ""})
		}
	}

	// Rows run in turn, so the state after one is the state before the next.
	before := e.snapshot(t, c.owner.Token, f.PID)
	projects := e.projectIDs(t, c.owner.Token)
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			var hdr []string
			switch r.ct {
			case "":
			case "none":
				hdr = []string{"Content-Type", ""}
			default:
				hdr = []string{"Content-Type", r.ct}
			}
			res, b := e.call(t, c.owner.Token, r.method, r.path, r.body, hdr...)
			d := wantError(t, res, b, r.status, r.code)
			if r.field != "" && d[r.field] == nil {
				t.Errorf("details = %v, want an entry for %s", d, r.field)
			}
			after := e.snapshot(t, c.owner.Token, f.PID)
			btWantSame(t, "project", before, after)
			got := e.projectIDs(t, c.owner.Token)
			if !reflect.DeepEqual(got, projects) {
				t.Errorf("projects = %v, want %v", got, projects)
			}
			before, projects = after, got
		})
	}
}

// btColumnOrder is the task ids of a column, top first, with their
// positions checked to be 0..n-1.
func (e *btEnv) columnOrder(t *testing.T, tok string, pid, col int64) []int64 {
	t.Helper()
	l := btDecode[page.List[board.Task]](t, e.must(t, tok, "GET", btPath("/projects/%d/tasks?limit=200&column_id=%d", pid, col), nil, 200))
	ids := []int64{}
	for i, tk := range l.Items {
		if tk.Position != i {
			t.Errorf("task %d at index %d has position %d", tk.ID, i, tk.Position)
		}
		ids = append(ids, tk.ID)
	}
	return ids
}

// TestBoardMovePlacement: a move lands exactly where asked, positions stay
// 0..n-1 with no collision, however often tasks go to the same spot.
func TestBoardMovePlacement(t *testing.T) {
	e := newBoardEnv(t)
	c := e.cast(t)
	pid, cols := e.project(t, c.owner, "Moves")
	var ids []int64
	for i := range 6 {
		ids = append(ids, e.task(t, c.owner.Token, pid, map[string]any{"title": fmt.Sprint("t", i)}).ID)
	}
	move := func(id int64, body map[string]any) board.Task {
		t.Helper()
		return btDecode[board.Task](t, e.must(t, c.owner.Token, "POST", btPath("/tasks/%d/move", id), body, 200))
	}
	want := func(col int64, ids ...int64) {
		t.Helper()
		if got := e.columnOrder(t, c.owner.Token, pid, col); !reflect.DeepEqual(got, ids) {
			t.Fatalf("column %d = %v, want %v", col, got, ids)
		}
	}
	want(cols[0], ids...)
	t.Run("AlwaysToTheTop", func(t *testing.T) {
		// Each move halves the gap above the top task until a renumbering.
		for i := range 80 {
			order := e.columnOrder(t, c.owner.Token, pid, cols[0])
			last := order[len(order)-1]
			got := move(last, map[string]any{"column_id": cols[0], "before_id": order[0]})
			if got.Position != 0 {
				t.Fatalf("move %d: position = %d, want 0", i, got.Position)
			}
			want(cols[0], append([]int64{last}, order[:len(order)-1]...)...)
		}
	})
	t.Run("AlwaysBetweenTheSameTwo", func(t *testing.T) {
		// The gap between the first two shrinks to nothing and is renumbered.
		for i := range 80 {
			order := e.columnOrder(t, c.owner.Token, pid, cols[0])
			last := order[len(order)-1]
			got := move(last, map[string]any{"column_id": cols[0], "after_id": order[0], "before_id": order[1]})
			if got.Position != 1 {
				t.Fatalf("move %d: position = %d, want 1", i, got.Position)
			}
			want(cols[0], append([]int64{order[0], last}, order[1:len(order)-1]...)...)
		}
	})
	t.Run("AcrossColumns", func(t *testing.T) {
		order := e.columnOrder(t, c.owner.Token, pid, cols[0])
		move(order[2], map[string]any{"column_id": cols[1]})
		move(order[4], map[string]any{"column_id": cols[1], "before_id": order[2]})
		got := move(order[0], map[string]any{"column_id": cols[1], "after_id": order[4]})
		if got.ColumnID != cols[1] || got.Position != 1 || got.CompletedAt != nil {
			t.Errorf("moved task = column %d position %d completed %v, want column %d position 1, not completed", got.ColumnID, got.Position, got.CompletedAt, cols[1])
		}
		want(cols[1], order[4], order[0], order[2])
		want(cols[0], order[1], order[3], order[5])
		// The last column completes a task; leaving it un-completes it.
		done := move(order[1], map[string]any{"column_id": cols[2]})
		if done.CompletedAt == nil {
			t.Error("a task moved to the last column has no completed_at")
		}
		back := move(order[1], map[string]any{"column_id": cols[0], "before_id": order[3]})
		if back.CompletedAt != nil || back.Position != 0 {
			t.Errorf("moved back: completed_at %v position %d, want none and 0", back.CompletedAt, back.Position)
		}
	})
}

// TestBoardConcurrentWrites: writers racing on one task or one column never
// both win, never collide, and never lose a task number.
func TestBoardConcurrentWrites(t *testing.T) {
	e := newBoardEnv(t)
	c := e.cast(t)
	f := e.fixture(t, c)
	const n = 12
	t.Run("SameVersion", func(t *testing.T) {
		statuses := make([]int, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, _ := e.call(t, c.editor.Token, "PATCH", btPath("/tasks/%d", f.Task), map[string]any{"version": f.Version, "title": fmt.Sprint("writer ", i)})
				statuses[i] = res.StatusCode
			}()
		}
		wg.Wait()
		won := 0
		for _, s := range statuses {
			switch s {
			case 200:
				won++
			case 409:
			default:
				t.Errorf("status %d, want 200 or 409", s)
			}
		}
		if won != 1 {
			t.Errorf("%d writers won with the same version (%v), want exactly 1", won, statuses)
		}
	})
	t.Run("CreatesAndMoves", func(t *testing.T) {
		var wg sync.WaitGroup
		created := make([]board.Task, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, b := e.call(t, c.editor.Token, "POST", btPath("/projects/%d/tasks", f.PID), map[string]any{"title": fmt.Sprint("racer ", i)})
				if res.StatusCode != 201 {
					t.Errorf("create: status %d (body %s)", res.StatusCode, b)
					return
				}
				json.Unmarshal(b, &created[i])
				// Everyone piles onto the top of the next column.
				res, b = e.call(t, c.editor.Token, "POST", btPath("/tasks/%d/move", created[i].ID), map[string]any{"column_id": f.Cols[1]})
				if res.StatusCode != 200 {
					t.Errorf("move: status %d (body %s)", res.StatusCode, b)
				}
			}()
		}
		wg.Wait()
		numbers := map[int64]bool{}
		for _, tk := range created {
			numbers[tk.Number] = true
		}
		if len(numbers) != n {
			t.Errorf("%d distinct task numbers among %d creates", len(numbers), n)
		}
		if got := e.columnOrder(t, c.owner.Token, f.PID, f.Cols[1]); len(got) != n {
			t.Errorf("column holds %d tasks, want %d", len(got), n)
		}
	})
}

// TestBoardDeletedIDsNeverReused: a project or task deleted by one user
// never lends its id, and so its history, to something another user makes.
func TestBoardDeletedIDsNeverReused(t *testing.T) {
	e := newBoardEnv(t)
	alice, bob := e.user(t, "alice"), e.user(t, "bob")
	pid, _ := e.project(t, alice, "Alice's secrets")
	tk := e.task(t, alice.Token, pid, map[string]any{"title": "alice private title"})
	e.must(t, alice.Token, "DELETE", fmt.Sprintf("/api/v1/tasks/%d", tk.ID), nil, 204)
	e.must(t, alice.Token, "DELETE", fmt.Sprintf("/api/v1/projects/%d", pid), nil, 204)

	bobPID, _ := e.project(t, bob, "Bob's")
	bobTask := e.task(t, bob.Token, bobPID, map[string]any{"title": "bob's task"})
	if bobPID == pid || bobTask.ID == tk.ID {
		t.Errorf("ids reused: project %d (was %d), task %d (was %d)", bobPID, pid, bobTask.ID, tk.ID)
	}
	for _, path := range []string{
		fmt.Sprintf("/api/v1/projects/%d/activity?limit=200", bobPID),
		fmt.Sprintf("/api/v1/tasks/%d/activity?limit=200", bobTask.ID),
	} {
		body := e.must(t, bob.Token, "GET", path, nil, 200)
		if strings.Contains(string(body), "alice") {
			t.Errorf("%s shows alice's history: %s", path, body)
		}
	}
}

// TestBoardSmallListsPage: members, columns and labels take limit and
// cursor like every list.
func TestBoardSmallListsPage(t *testing.T) {
	e := newBoardEnv(t)
	owner := e.user(t, "owner")
	pid, _ := e.project(t, owner, "Paged")
	for _, n := range []string{"mem1", "mem2", "mem3"} {
		e.addMember(t, owner, pid, e.user(t, n), "viewer")
	}
	for _, n := range []string{"a", "b", "c", "d"} {
		e.label(t, owner.Token, pid, n)
	}
	e.must(t, owner.Token, "POST", fmt.Sprintf("/api/v1/projects/%d/columns", pid), map[string]any{"name": "Later"}, 201)
	for _, tc := range []struct {
		list string
		want int
	}{{"members", 4}, {"columns", 4}, {"labels", 4}} {
		t.Run(tc.list, func(t *testing.T) {
			seen := map[string]bool{}
			path := fmt.Sprintf("/api/v1/projects/%d/%s?limit=1", pid, tc.list)
			for pages := 0; ; pages++ {
				l := btDecode[page.List[json.RawMessage]](t, e.must(t, owner.Token, "GET", path, nil, 200))
				if len(l.Items) > 1 {
					t.Fatalf("page of %d with limit=1", len(l.Items))
				}
				for _, it := range l.Items {
					if seen[string(it)] {
						t.Errorf("repeated %s", it)
					}
					seen[string(it)] = true
				}
				if l.NextCursor == nil {
					break
				}
				if pages > tc.want {
					t.Fatal("more pages than items")
				}
				path = fmt.Sprintf("/api/v1/projects/%d/%s?limit=1&cursor=%s", pid, tc.list, *l.NextCursor)
			}
			if len(seen) != tc.want {
				t.Errorf("%d %s seen, want %d", len(seen), tc.list, tc.want)
			}
			res, body := e.call(t, owner.Token, "GET", fmt.Sprintf("/api/v1/projects/%d/%s?cursor=nonsense", pid, tc.list), nil)
			wantError(t, res, body, 400, errs.BadRequest)
		})
	}
}
