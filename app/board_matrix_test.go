package app

import (
	"fmt"
	"testing"

	"tack/app/errs"
)

// btNeed is what a route asks of its caller.
type btNeed int

const (
	btSignedIn btNeed = iota // any signed-in user; no project involved
	btMember                 // any member of the project (viewer up)
	btEditor
	btOwner
)

// btRoute is one board route, with a request that succeeds for a caller
// who has the role.
type btRoute struct {
	name   string
	method string
	path   func(f btFixture, c btCast) string
	body   func(f btFixture, c btCast) any
	need   btNeed
	ok     int
}

func btPath(format string, a ...any) string { return fmt.Sprintf("/api/v1"+format, a...) }

// btRoutes is every route of the board.
var btRoutes = []btRoute{
	{"ListProjects", "GET", func(f btFixture, c btCast) string { return btPath("/projects") }, nil, btSignedIn, 200},
	{"CreateProject", "POST", func(f btFixture, c btCast) string { return btPath("/projects") },
		func(f btFixture, c btCast) any { return map[string]any{"name": "Mine"} }, btSignedIn, 201},
	{"GetProject", "GET", func(f btFixture, c btCast) string { return btPath("/projects/%d", f.PID) }, nil, btMember, 200},
	{"UpdateProject", "PATCH", func(f btFixture, c btCast) string { return btPath("/projects/%d", f.PID) },
		func(f btFixture, c btCast) any { return map[string]any{"name": "Renamed", "archived": true} }, btOwner, 200},
	{"DeleteProject", "DELETE", func(f btFixture, c btCast) string { return btPath("/projects/%d", f.PID) }, nil, btOwner, 204},

	{"ListMembers", "GET", func(f btFixture, c btCast) string { return btPath("/projects/%d/members", f.PID) }, nil, btMember, 200},
	{"AddMember", "POST", func(f btFixture, c btCast) string { return btPath("/projects/%d/members", f.PID) },
		func(f btFixture, c btCast) any { return map[string]any{"user_id": c.candidate.ID, "role": "viewer"} }, btOwner, 201},
	{"UpdateMember", "PATCH", func(f btFixture, c btCast) string { return btPath("/projects/%d/members/%d", f.PID, c.extra.ID) },
		func(f btFixture, c btCast) any { return map[string]any{"role": "viewer"} }, btOwner, 200},
	{"RemoveMember", "DELETE", func(f btFixture, c btCast) string { return btPath("/projects/%d/members/%d", f.PID, c.extra.ID) }, nil, btOwner, 204},

	{"ListColumns", "GET", func(f btFixture, c btCast) string { return btPath("/projects/%d/columns", f.PID) }, nil, btMember, 200},
	{"CreateColumn", "POST", func(f btFixture, c btCast) string { return btPath("/projects/%d/columns", f.PID) },
		func(f btFixture, c btCast) any {
			return map[string]any{"name": "Review", "position": 1, "wip_limit": 3}
		}, btEditor, 201},
	{"UpdateColumn", "PATCH", func(f btFixture, c btCast) string { return btPath("/columns/%d", f.Cols[1]) },
		func(f btFixture, c btCast) any { return map[string]any{"name": "Doing", "wip_limit": 2} }, btEditor, 200},
	{"DeleteColumn", "DELETE", func(f btFixture, c btCast) string { return btPath("/columns/%d", f.Cols[1]) }, nil, btEditor, 204},

	{"ListLabels", "GET", func(f btFixture, c btCast) string { return btPath("/projects/%d/labels", f.PID) }, nil, btMember, 200},
	{"CreateLabel", "POST", func(f btFixture, c btCast) string { return btPath("/projects/%d/labels", f.PID) },
		func(f btFixture, c btCast) any { return map[string]any{"name": "feature", "color": "#00ff00"} }, btEditor, 201},
	{"UpdateLabel", "PATCH", func(f btFixture, c btCast) string { return btPath("/labels/%d", f.Label) },
		func(f btFixture, c btCast) any { return map[string]any{"color": "#0000ff"} }, btEditor, 200},
	{"DeleteLabel", "DELETE", func(f btFixture, c btCast) string { return btPath("/labels/%d", f.Label) }, nil, btEditor, 204},

	{"ListTasks", "GET", func(f btFixture, c btCast) string { return btPath("/projects/%d/tasks", f.PID) }, nil, btMember, 200},
	{"CreateTask", "POST", func(f btFixture, c btCast) string { return btPath("/projects/%d/tasks", f.PID) },
		func(f btFixture, c btCast) any { return map[string]any{"title": "New", "label_ids": []int64{f.Label}} }, btEditor, 201},
	{"GetTask", "GET", func(f btFixture, c btCast) string { return btPath("/tasks/%d", f.Task) }, nil, btMember, 200},
	{"UpdateTask", "PATCH", func(f btFixture, c btCast) string { return btPath("/tasks/%d", f.Task) },
		func(f btFixture, c btCast) any { return map[string]any{"version": f.Version, "title": "Changed"} }, btEditor, 200},
	{"DeleteTask", "DELETE", func(f btFixture, c btCast) string { return btPath("/tasks/%d", f.Task) }, nil, btEditor, 204},
	{"MoveTask", "POST", func(f btFixture, c btCast) string { return btPath("/tasks/%d/move", f.Task) },
		func(f btFixture, c btCast) any { return map[string]any{"column_id": f.Cols[2]} }, btEditor, 200},

	{"ProjectActivity", "GET", func(f btFixture, c btCast) string { return btPath("/projects/%d/activity", f.PID) }, nil, btMember, 200},
	{"TaskActivity", "GET", func(f btFixture, c btCast) string { return btPath("/tasks/%d/activity", f.Task) }, nil, btMember, 200},
}

// btCaller is who sends a request in the matrix.
type btCaller struct {
	name   string
	token  func(e *btEnv, c btCast) string
	member bool
	rank   btNeed // the highest need the caller meets in the project
}

var btCallers = []btCaller{
	{"NonMember", func(e *btEnv, c btCast) string { return c.outsider.Token }, false, btSignedIn},
	{"Viewer", func(e *btEnv, c btCast) string { return c.viewer.Token }, true, btMember},
	{"Editor", func(e *btEnv, c btCast) string { return c.editor.Token }, true, btEditor},
	{"Owner", func(e *btEnv, c btCast) string { return c.owner.Token }, true, btOwner},
	{"SiteAdmin", func(e *btEnv, c btCast) string { return e.admin.Token }, false, btSignedIn},
	{"NoToken", func(e *btEnv, c btCast) string { return "" }, false, -1},
}

// btWant is the SPEC's answer to a caller on a route.
func btWant(r btRoute, c btCaller) (int, errs.Code) {
	switch {
	case c.rank < btSignedIn:
		return 401, errs.Unauthorized
	case r.need == btSignedIn:
		return r.ok, ""
	case !c.member:
		return 404, errs.NotFound // no existence leak, admins included
	case c.rank < r.need:
		return 403, errs.Forbidden
	}
	return r.ok, ""
}

// TestBoardAuthorizationMatrix sends every board route as every kind of
// caller, each on a fresh project, and checks the status, the error code,
// and that a refused request changed nothing while an accepted write wrote
// exactly one event.
func TestBoardAuthorizationMatrix(t *testing.T) {
	e := newBoardEnv(t)
	c := e.cast(t)
	for _, r := range btRoutes {
		for _, who := range btCallers {
			t.Run(r.name+"/"+who.name, func(t *testing.T) {
				f := e.fixture(t, c)
				status, code := btWant(r, who)
				before := e.snapshot(t, c.owner.Token, f.PID)
				events := e.activityCount(t, c.owner.Token, f.PID)
				var body any
				if r.body != nil {
					body = r.body(f, c)
				}
				res, b := e.call(t, who.token(e, c), r.method, r.path(f, c), body)
				if code != "" {
					d := wantError(t, res, b, status, code)
					if status == 401 && d["reason"] != "token_missing" {
						t.Errorf("details = %v, want reason token_missing", d)
					}
					btWantSame(t, "project", before, e.snapshot(t, c.owner.Token, f.PID))
					return
				}
				if res.StatusCode != status {
					t.Fatalf("status = %d, want %d (body %s)", res.StatusCode, status, b)
				}
				switch r.name {
				case "ListProjects":
					if got := btContains(e.projectIDs(t, who.token(e, c)), f.PID); got != who.member {
						t.Errorf("project %d listed = %v, want %v", f.PID, got, who.member)
					}
				case "DeleteProject":
					res, b := e.call(t, c.owner.Token, "GET", btPath("/projects/%d", f.PID), nil)
					wantError(t, res, b, 404, errs.NotFound)
				case "CreateProject":
					btWantSame(t, "fixture project", before, e.snapshot(t, c.owner.Token, f.PID))
				default:
					want := events
					if r.method != "GET" {
						want++ // one change, one event
					}
					if got := e.activityCount(t, c.owner.Token, f.PID); got != want {
						t.Errorf("activity count = %d, want %d", got, want)
					}
				}
			})
		}
	}
}

// TestBoardLeave: any member may remove themselves; the last owner may not;
// only an owner removes others.
func TestBoardLeave(t *testing.T) {
	e := newBoardEnv(t)
	c := e.cast(t)
	member := func(f btFixture, u btUser) string { return btPath("/projects/%d/members/%d", f.PID, u.ID) }
	for _, tc := range []struct {
		name        string
		caller      func(c btCast) btUser
		target      func(c btCast) btUser
		secondOwner bool
		status      int
		code        errs.Code
	}{
		{"ViewerLeaves", func(c btCast) btUser { return c.viewer }, func(c btCast) btUser { return c.viewer }, false, 204, ""},
		{"EditorLeaves", func(c btCast) btUser { return c.editor }, func(c btCast) btUser { return c.editor }, false, 204, ""},
		{"OwnerLeavesWithAnotherOwner", func(c btCast) btUser { return c.owner }, func(c btCast) btUser { return c.owner }, true, 204, ""},
		{"LastOwnerLeaves", func(c btCast) btUser { return c.owner }, func(c btCast) btUser { return c.owner }, false, 409, errs.Conflict},
		{"NonMemberLeaves", func(c btCast) btUser { return c.outsider }, func(c btCast) btUser { return c.outsider }, false, 404, errs.NotFound},
		{"EditorRemovesViewer", func(c btCast) btUser { return c.editor }, func(c btCast) btUser { return c.viewer }, false, 403, errs.Forbidden},
		{"ViewerRemovesEditor", func(c btCast) btUser { return c.viewer }, func(c btCast) btUser { return c.editor }, false, 403, errs.Forbidden},
		{"ViewerRemovesOwner", func(c btCast) btUser { return c.viewer }, func(c btCast) btUser { return c.owner }, false, 403, errs.Forbidden},
		{"OwnerRemovesOwner", func(c btCast) btUser { return c.owner }, func(c btCast) btUser { return c.extra }, true, 204, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := e.fixture(t, c)
			if tc.secondOwner {
				e.must(t, c.owner.Token, "PATCH", member(f, c.extra), map[string]any{"role": "owner"}, 200)
			}
			who, target := tc.caller(c), tc.target(c)
			watcher := c.owner
			if target.ID == c.owner.ID && tc.status == 204 {
				watcher = c.extra
			}
			before := e.snapshot(t, watcher.Token, f.PID)
			events := e.activityCount(t, watcher.Token, f.PID)
			res, b := e.call(t, who.Token, "DELETE", member(f, target), nil)
			if tc.code != "" {
				wantError(t, res, b, tc.status, tc.code)
				btWantSame(t, "project", before, e.snapshot(t, watcher.Token, f.PID))
				return
			}
			if res.StatusCode != tc.status {
				t.Fatalf("status = %d, want %d (body %s)", res.StatusCode, tc.status, b)
			}
			if got := e.activityCount(t, watcher.Token, f.PID); got != events+1 {
				t.Errorf("activity count = %d, want %d", got, events+1)
			}
			res, b = e.call(t, target.Token, "GET", btPath("/projects/%d", f.PID), nil)
			wantError(t, res, b, 404, errs.NotFound)
		})
	}
}

// TestBoardCrossProjectIDs: a column, label, task or member of project B
// used through project A is refused and attaches nothing, and ids from a
// project the caller is not in answer exactly as ids that do not exist.
func TestBoardCrossProjectIDs(t *testing.T) {
	e := newBoardEnv(t)
	c := e.cast(t)
	a := e.fixture(t, c)
	b := e.fixture(t, c)
	onlyB := e.user(t, "only-b")
	e.addMember(t, c.owner, b.PID, onlyB, "editor")
	taskB2 := e.task(t, c.owner.Token, b.PID, map[string]any{"title": "B two", "column_id": b.Cols[1]})
	// a.Task sits in a.Cols[0]; give A a second task there as a neighbour.
	e.task(t, c.owner.Token, a.PID, map[string]any{"title": "A two"})

	t.Run("MixedIntoA", func(t *testing.T) {
		for _, tc := range []struct {
			name, method, path string
			body               any
			status             int
			code               errs.Code
		}{
			{"CreateTaskColumnOfB", "POST", btPath("/projects/%d/tasks", a.PID), map[string]any{"title": "x", "column_id": b.Cols[0]}, 422, errs.ValidationFailed},
			{"CreateTaskLabelOfB", "POST", btPath("/projects/%d/tasks", a.PID), map[string]any{"title": "x", "label_ids": []int64{a.Label, b.Label}}, 422, errs.ValidationFailed},
			{"CreateTaskAssigneeOfB", "POST", btPath("/projects/%d/tasks", a.PID), map[string]any{"title": "x", "assignee_ids": []int64{c.editor.ID, onlyB.ID}}, 422, errs.ValidationFailed},
			{"UpdateTaskLabelOfB", "PATCH", btPath("/tasks/%d", a.Task), map[string]any{"version": a.Version, "label_ids": []int64{b.Label}}, 422, errs.ValidationFailed},
			{"UpdateTaskAssigneeOfB", "PATCH", btPath("/tasks/%d", a.Task), map[string]any{"version": a.Version, "assignee_ids": []int64{onlyB.ID}}, 422, errs.ValidationFailed},
			{"MoveToColumnOfB", "POST", btPath("/tasks/%d/move", a.Task), map[string]any{"column_id": b.Cols[1]}, 422, errs.ValidationFailed},
			{"MoveBeforeTaskOfB", "POST", btPath("/tasks/%d/move", a.Task), map[string]any{"column_id": a.Cols[0], "before_id": b.Task}, 422, errs.ValidationFailed},
			{"MoveAfterTaskOfB", "POST", btPath("/tasks/%d/move", a.Task), map[string]any{"column_id": a.Cols[0], "after_id": b.Task}, 422, errs.ValidationFailed},
			{"MoveIntoBNextToB", "POST", btPath("/tasks/%d/move", a.Task), map[string]any{"column_id": b.Cols[1], "before_id": taskB2.ID}, 422, errs.ValidationFailed},
			{"MoveBetweenBTasks", "POST", btPath("/tasks/%d/move", a.Task), map[string]any{"column_id": a.Cols[0], "after_id": b.Task, "before_id": taskB2.ID}, 422, errs.ValidationFailed},
			{"DeleteColumnMoveToB", "DELETE", btPath("/columns/%d?move_to=%d", a.Cols[0], b.Cols[0]), nil, 422, errs.ValidationFailed},
			{"UpdateMemberOfB", "PATCH", btPath("/projects/%d/members/%d", a.PID, onlyB.ID), map[string]any{"role": "viewer"}, 404, errs.NotFound},
			{"RemoveMemberOfB", "DELETE", btPath("/projects/%d/members/%d", a.PID, onlyB.ID), nil, 404, errs.NotFound},
		} {
			t.Run(tc.name, func(t *testing.T) {
				beforeA := e.snapshot(t, c.owner.Token, a.PID)
				beforeB := e.snapshot(t, c.owner.Token, b.PID)
				res, body := e.call(t, c.owner.Token, tc.method, tc.path, tc.body)
				wantError(t, res, body, tc.status, tc.code)
				btWantSame(t, "project A", beforeA, e.snapshot(t, c.owner.Token, a.PID))
				btWantSame(t, "project B", beforeB, e.snapshot(t, c.owner.Token, b.PID))
			})
		}
	})

	t.Run("FiltersWithIDsOfB", func(t *testing.T) {
		for _, q := range []string{
			fmt.Sprintf("column_id=%d", b.Cols[0]),
			fmt.Sprintf("label_id=%d", b.Label),
			fmt.Sprintf("assignee_id=%d", onlyB.ID),
		} {
			body := e.must(t, c.owner.Token, "GET", btPath("/projects/%d/tasks?%s", a.PID, q), nil, 200)
			if string(body) != "{\"items\":[],\"next_cursor\":null}\n" {
				t.Errorf("tasks of A with %s = %s, want none", q, body)
			}
		}
	})

	// The owner of A and B is not in C. Anything of C must look exactly like
	// something that does not exist.
	stranger := e.user(t, "stranger")
	cPID, cCols := e.project(t, stranger, "Secret")
	cLabel := e.label(t, stranger.Token, cPID, "secret")
	cTask := e.task(t, stranger.Token, cPID, map[string]any{"title": "Secret plan"})
	const none = 99999999

	t.Run("ForeignPathIDs", func(t *testing.T) {
		for _, tc := range []struct {
			name, method string
			path         func(pid, col, label, task, user int64) string
			body         func(task int64) any
		}{
			{"GetProject", "GET", func(p, _, _, _, _ int64) string { return btPath("/projects/%d", p) }, nil},
			{"UpdateProject", "PATCH", func(p, _, _, _, _ int64) string { return btPath("/projects/%d", p) }, func(int64) any { return map[string]any{"name": "Mine now"} }},
			{"DeleteProject", "DELETE", func(p, _, _, _, _ int64) string { return btPath("/projects/%d", p) }, nil},
			{"ListMembers", "GET", func(p, _, _, _, _ int64) string { return btPath("/projects/%d/members", p) }, nil},
			{"AddMember", "POST", func(p, _, _, _, _ int64) string { return btPath("/projects/%d/members", p) }, func(int64) any { return map[string]any{"user_id": c.owner.ID, "role": "owner"} }},
			{"UpdateMember", "PATCH", func(p, _, _, _, u int64) string { return btPath("/projects/%d/members/%d", p, u) }, func(int64) any { return map[string]any{"role": "viewer"} }},
			{"RemoveMember", "DELETE", func(p, _, _, _, u int64) string { return btPath("/projects/%d/members/%d", p, u) }, nil},
			{"ListColumns", "GET", func(p, _, _, _, _ int64) string { return btPath("/projects/%d/columns", p) }, nil},
			{"CreateColumn", "POST", func(p, _, _, _, _ int64) string { return btPath("/projects/%d/columns", p) }, func(int64) any { return map[string]any{"name": "x"} }},
			{"UpdateColumn", "PATCH", func(_, col, _, _, _ int64) string { return btPath("/columns/%d", col) }, func(int64) any { return map[string]any{"name": "x"} }},
			{"DeleteColumn", "DELETE", func(_, col, _, _, _ int64) string { return btPath("/columns/%d", col) }, nil},
			{"ListLabels", "GET", func(p, _, _, _, _ int64) string { return btPath("/projects/%d/labels", p) }, nil},
			{"CreateLabel", "POST", func(p, _, _, _, _ int64) string { return btPath("/projects/%d/labels", p) }, func(int64) any { return map[string]any{"name": "x", "color": "#123456"} }},
			{"UpdateLabel", "PATCH", func(_, _, l, _, _ int64) string { return btPath("/labels/%d", l) }, func(int64) any { return map[string]any{"name": "x"} }},
			{"DeleteLabel", "DELETE", func(_, _, l, _, _ int64) string { return btPath("/labels/%d", l) }, nil},
			{"ListTasks", "GET", func(p, _, _, _, _ int64) string { return btPath("/projects/%d/tasks", p) }, nil},
			{"CreateTask", "POST", func(p, _, _, _, _ int64) string { return btPath("/projects/%d/tasks", p) }, func(int64) any { return map[string]any{"title": "x"} }},
			{"GetTask", "GET", func(_, _, _, tk, _ int64) string { return btPath("/tasks/%d", tk) }, nil},
			{"UpdateTask", "PATCH", func(_, _, _, tk, _ int64) string { return btPath("/tasks/%d", tk) }, func(int64) any { return map[string]any{"version": cTask.Version, "title": "x"} }},
			{"DeleteTask", "DELETE", func(_, _, _, tk, _ int64) string { return btPath("/tasks/%d", tk) }, nil},
			{"MoveTask", "POST", func(_, _, _, tk, _ int64) string { return btPath("/tasks/%d/move", tk) }, func(int64) any { return map[string]any{"column_id": cCols[1]} }},
			{"ProjectActivity", "GET", func(p, _, _, _, _ int64) string { return btPath("/projects/%d/activity", p) }, nil},
			{"TaskActivity", "GET", func(_, _, _, tk, _ int64) string { return btPath("/tasks/%d/activity", tk) }, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var body any
				if tc.body != nil {
					body = tc.body(0)
				}
				before := e.snapshot(t, stranger.Token, cPID)
				res, foreign := e.call(t, c.owner.Token, tc.method, tc.path(cPID, cCols[1], cLabel, cTask.ID, stranger.ID), body)
				wantError(t, res, foreign, 404, errs.NotFound)
				res, missing := e.call(t, c.owner.Token, tc.method, tc.path(none, none, none, none, none), body)
				wantError(t, res, missing, 404, errs.NotFound)
				if string(foreign) != string(missing) {
					t.Errorf("a foreign id answers %s\na missing id answers %s\nwant the same", foreign, missing)
				}
				btWantSame(t, "project C", before, e.snapshot(t, stranger.Token, cPID))
			})
		}
	})

	t.Run("ForeignBodyIDs", func(t *testing.T) {
		for _, tc := range []struct {
			name, method string
			path         func(id int64) string
			body         func(id int64) any
		}{
			{"CreateTaskColumn", "POST", func(int64) string { return btPath("/projects/%d/tasks", a.PID) }, func(id int64) any { return map[string]any{"title": "x", "column_id": id} }},
			{"CreateTaskLabel", "POST", func(int64) string { return btPath("/projects/%d/tasks", a.PID) }, func(id int64) any { return map[string]any{"title": "x", "label_ids": []int64{id}} }},
			{"CreateTaskAssignee", "POST", func(int64) string { return btPath("/projects/%d/tasks", a.PID) }, func(id int64) any { return map[string]any{"title": "x", "assignee_ids": []int64{id}} }},
			{"UpdateTaskLabel", "PATCH", func(int64) string { return btPath("/tasks/%d", a.Task) }, func(id int64) any { return map[string]any{"version": a.Version, "label_ids": []int64{id}} }},
			{"UpdateTaskAssignee", "PATCH", func(int64) string { return btPath("/tasks/%d", a.Task) }, func(id int64) any { return map[string]any{"version": a.Version, "assignee_ids": []int64{id}} }},
			{"MoveColumn", "POST", func(int64) string { return btPath("/tasks/%d/move", a.Task) }, func(id int64) any { return map[string]any{"column_id": id} }},
			{"MoveBefore", "POST", func(int64) string { return btPath("/tasks/%d/move", a.Task) }, func(id int64) any { return map[string]any{"column_id": a.Cols[0], "before_id": id} }},
			{"MoveAfter", "POST", func(int64) string { return btPath("/tasks/%d/move", a.Task) }, func(id int64) any { return map[string]any{"column_id": a.Cols[0], "after_id": id} }},
			{"DeleteColumnMoveTo", "DELETE", func(id int64) string { return btPath("/columns/%d?move_to=%d", a.Cols[0], id) }, nil},
			{"UpdateMemberPath", "PATCH", func(id int64) string { return btPath("/projects/%d/members/%d", a.PID, id) }, func(int64) any { return map[string]any{"role": "viewer"} }},
			{"RemoveMemberPath", "DELETE", func(id int64) string { return btPath("/projects/%d/members/%d", a.PID, id) }, nil},
		} {
			foreignID := map[string]int64{
				"CreateTaskColumn": cCols[0], "CreateTaskLabel": cLabel, "CreateTaskAssignee": stranger.ID,
				"UpdateTaskLabel": cLabel, "UpdateTaskAssignee": stranger.ID, "MoveColumn": cCols[0],
				"MoveBefore": cTask.ID, "MoveAfter": cTask.ID, "DeleteColumnMoveTo": cCols[0],
				"UpdateMemberPath": stranger.ID, "RemoveMemberPath": stranger.ID,
			}[tc.name]
			t.Run(tc.name, func(t *testing.T) {
				body := func(id int64) any {
					if tc.body == nil {
						return nil
					}
					return tc.body(id)
				}
				beforeA := e.snapshot(t, c.owner.Token, a.PID)
				beforeC := e.snapshot(t, stranger.Token, cPID)
				res, foreign := e.call(t, c.owner.Token, tc.method, tc.path(foreignID), body(foreignID))
				if res.StatusCode != 422 && res.StatusCode != 404 {
					t.Errorf("status = %d, want 422 or 404 (body %s)", res.StatusCode, foreign)
				}
				_, missing := e.call(t, c.owner.Token, tc.method, tc.path(none), body(none))
				if string(foreign) != string(missing) {
					t.Errorf("a foreign id answers %s\na missing id answers %s\nwant the same", foreign, missing)
				}
				btWantSame(t, "project A", beforeA, e.snapshot(t, c.owner.Token, a.PID))
				btWantSame(t, "project C", beforeC, e.snapshot(t, stranger.Token, cPID))
			})
		}
	})
}
