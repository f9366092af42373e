package board

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"tack/app/errs"
	"tack/app/opt"
	"tack/app/page"
)

// TestTasksPagesUnderConcurrentInserts lists a project 7 tasks at a time
// while another goroutine adds tasks to the bottom of its columns. The
// lister waits for two inserts between pages, so inserts always land in the
// middle of the listing.
func TestTasksPagesUnderConcurrentInserts(t *testing.T) {
	f := newFixture(t)
	owner := f.user("owner")
	p, cols := f.project(owner, "Paged")
	colIndex := map[int64]int{}
	for i, c := range cols {
		colIndex[c.ID] = i
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 45 {
		f.task(owner, p.ID, fmt.Sprint("before ", i), cols[rng.IntN(len(cols))].ID)
	}
	existing := map[int64]bool{}
	for _, task := range f.allTasks(owner, p.ID, TaskFilter{}) {
		existing[task.ID] = true
	}

	const maxInserts = 60
	inserted := make(chan int64, maxInserts)
	stop := make(chan struct{})
	var insertErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(inserted)
		rng := rand.New(rand.NewPCG(5, 6))
		for i := range maxInserts {
			select {
			case <-stop:
				return
			default:
			}
			task, err := f.svc.CreateTask(f.ctx, owner, p.ID, NewTask{Title: fmt.Sprint("during ", i), ColumnID: &cols[rng.IntN(len(cols))].ID})
			if err != nil {
				insertErr = err
				return
			}
			inserted <- task.ID
		}
	})

	seen := map[int64]bool{}
	var listed []*Task
	pg := page.Request{Limit: 7}
	pages := 0
	for {
		l, err := f.svc.Tasks(f.ctx, owner, p.ID, TaskFilter{}, pg)
		if err != nil {
			t.Fatalf("Tasks page %d: %v", pages, err)
		}
		pages++
		if len(l.Items) > pg.Limit {
			t.Fatalf("page %d holds %d tasks, limit %d", pages, len(l.Items), pg.Limit)
		}
		for _, task := range l.Items {
			if seen[task.ID] {
				t.Errorf("page %d repeats task %d", pages, task.ID)
			}
			seen[task.ID] = true
		}
		listed = append(listed, l.Items...)
		if l.NextCursor == nil {
			break
		}
		pg.Cursor = *l.NextCursor
		for range 2 {
			<-inserted // returns at once once the inserter is done
		}
	}
	close(stop)
	wg.Wait()
	if insertErr != nil {
		t.Fatalf("insert: %v", insertErr)
	}
	if pages < 7 {
		t.Errorf("only %d pages: the listing did not overlap the inserts much", pages)
	}
	for id := range existing {
		if !seen[id] {
			t.Errorf("task %d existed when listing began but was never listed", id)
		}
	}
	// Inserts go to the bottom, so earlier tasks keep their positions and
	// the pages, put together, are in board order.
	for i := 1; i < len(listed); i++ {
		a, b := listed[i-1], listed[i]
		if ka, kb := [2]int{colIndex[a.ColumnID], a.Position}, [2]int{colIndex[b.ColumnID], b.Position}; slices.Compare(ka[:], kb[:]) >= 0 {
			t.Errorf("task %d (column %d, position %d) listed after task %d (column %d, position %d)",
				b.ID, kb[0], kb[1], a.ID, ka[0], ka[1])
		}
	}
	t.Logf("%d pages, %d tasks listed, %d existed at the start", pages, len(listed), len(existing))
}

func TestTaskFilters(t *testing.T) {
	f := newFixture(t)
	owner, alice, bob, stranger := f.user("owner"), f.user("alice"), f.user("bob"), f.user("stranger")
	p, cols := f.project(owner, "Filtered")
	_, qcols := f.project(stranger, "Other")
	f.addMember(owner, p.ID, alice, RoleEditor)
	f.addMember(owner, p.ID, bob, RoleViewer)
	var labels []int64
	for _, name := range []string{"bug", "ui"} {
		l, err := f.svc.CreateLabel(f.ctx, owner, p.ID, LabelInput{Name: opt.Of(name), Color: opt.Of("#abcdef")})
		if err != nil {
			t.Fatal(err)
		}
		labels = append(labels, l.ID)
	}
	bug, ui := labels[0], labels[1]
	c0, c1, c2 := cols[0].ID, cols[1].ID, cols[2].ID
	seed := []struct {
		title, desc string
		col         int64
		priority    string
		due         string
		assignees   []int64
		labels      []int64
	}{
		{"100% done", "", c0, "high", "2030-01-01T00:00:00Z", []int64{alice}, []int64{bug}},
		{"100 percent", "", c1, "low", "2030-06-01T00:00:00Z", []int64{bob}, nil},
		{"snake_case name", "", c0, "high", "", []int64{alice, bob}, []int64{ui}},
		{"snakeXcase name", "", c2, "none", "", nil, nil},
		{"plain", "has 50% off\nand an under_score", c1, "none", "2029-12-31T23:59:59Z", nil, []int64{bug, ui}},
		{`back\slash`, "", c2, "urgent", "", nil, nil},
	}
	byTitle := map[int64]string{}
	for _, s := range seed {
		in := NewTask{Title: s.title, Description: s.desc, ColumnID: &s.col, Priority: &s.priority, AssigneeIDs: s.assignees, LabelIDs: s.labels}
		if s.due != "" {
			in.DueAt = &s.due
		}
		task, err := f.svc.CreateTask(f.ctx, owner, p.ID, in)
		if err != nil {
			t.Fatalf("CreateTask(%q): %v", s.title, err)
		}
		byTitle[task.ID] = s.title
	}
	due := func(s string) *time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return &v
	}

	tests := []struct {
		name   string
		filter TaskFilter
		want   []string // in list order
	}{
		{"none", TaskFilter{}, []string{"100% done", "snake_case name", "100 percent", "plain", "snakeXcase name", `back\slash`}},
		{"column", TaskFilter{ColumnID: &c0}, []string{"100% done", "snake_case name"}},
		{"no such column", TaskFilter{ColumnID: ptr(int64(1 << 40))}, nil},
		{"column of another project", TaskFilter{ColumnID: &qcols[0].ID}, nil},
		{"assignee alice", TaskFilter{AssigneeID: &alice}, []string{"100% done", "snake_case name"}},
		{"assignee bob", TaskFilter{AssigneeID: &bob}, []string{"snake_case name", "100 percent"}},
		{"assignee not a member", TaskFilter{AssigneeID: &stranger}, nil},
		{"label bug", TaskFilter{LabelID: &bug}, []string{"100% done", "plain"}},
		{"label ui", TaskFilter{LabelID: &ui}, []string{"snake_case name", "plain"}},
		{"priority high", TaskFilter{Priority: "high"}, []string{"100% done", "snake_case name"}},
		{"priority urgent", TaskFilter{Priority: "urgent"}, []string{`back\slash`}},
		{"due before, strictly", TaskFilter{DueBefore: due("2030-01-01T00:00:00Z")}, []string{"plain"}},
		{"due before, just after", TaskFilter{DueBefore: due("2030-01-01T00:00:00.001Z")}, []string{"100% done", "plain"}},
		{"due before, in another zone", TaskFilter{DueBefore: due("2030-06-01T02:00:01+02:00")}, []string{"100% done", "100 percent", "plain"}},
		{"q percent is literal", TaskFilter{Q: "%"}, []string{"100% done", "plain"}},
		{"q 100% is literal", TaskFilter{Q: "100%"}, []string{"100% done"}},
		{"q underscore is literal", TaskFilter{Q: "_"}, []string{"snake_case name", "plain"}},
		{"q e_c is not a wildcard", TaskFilter{Q: "e_c"}, []string{"snake_case name"}},
		{"q backslash is literal", TaskFilter{Q: `\`}, []string{`back\slash`}},
		{"q ignores case", TaskFilter{Q: "SNAKE"}, []string{"snake_case name", "snakeXcase name"}},
		{"q matches descriptions", TaskFilter{Q: "50% off"}, []string{"plain"}},
		{"q with no match", TaskFilter{Q: "%%"}, nil},
		{"column and label", TaskFilter{ColumnID: &c0, LabelID: &ui}, []string{"snake_case name"}},
		{"priority and assignee", TaskFilter{Priority: "high", AssigneeID: &bob}, []string{"snake_case name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, limit := range []int{1, 2, page.Max} {
				var got []string
				pg := page.Request{Limit: limit}
				for {
					l, err := f.svc.Tasks(f.ctx, bob, p.ID, tt.filter, pg)
					if err != nil {
						t.Fatalf("Tasks: %v", err)
					}
					for _, task := range l.Items {
						got = append(got, byTitle[task.ID])
					}
					if l.NextCursor == nil {
						break
					}
					pg.Cursor = *l.NextCursor
				}
				if !slices.Equal(got, tt.want) {
					t.Errorf("limit %d: got %q, want %q", limit, got, tt.want)
				}
			}
		})
	}

	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	bad := []struct {
		name   string
		filter TaskFilter
		cursor string
	}{
		{"cursor not base64", TaskFilter{}, "!!!"},
		{"cursor not JSON", TaskFilter{}, enc("{")},
		{"cursor with too few parts", TaskFilter{}, enc("[1,2]")},
		{"cursor with parts of the wrong type", TaskFilter{}, enc(`["a","b","c"]`)},
		{"cursor of another list", TaskFilter{}, page.Encode(int64(5))},
		{"unknown priority", TaskFilter{Priority: "meh"}, ""},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.svc.Tasks(f.ctx, owner, p.ID, tt.filter, page.Request{Limit: 10, Cursor: tt.cursor})
			wantCode(t, err, errs.BadRequest)
		})
	}
}

// TestTasksPagesWhileColumnsReorder pages through a board while a column is
// added in front and another moved: the cursor holds its column's id, not
// its position, so no task is repeated or skipped.
func TestTasksPagesWhileColumnsReorder(t *testing.T) {
	f := newFixture(t)
	owner := f.user("owner")
	p, cols := f.project(owner, "Reordered")
	for i := range 12 {
		f.task(owner, p.ID, fmt.Sprint("t", i), cols[i%len(cols)].ID)
	}
	want := map[int64]bool{}
	for _, task := range f.allTasks(owner, p.ID, TaskFilter{}) {
		want[task.ID] = true
	}
	seen := map[int64]bool{}
	pg := page.Request{Limit: 3}
	for pages := 0; ; pages++ {
		l, err := f.svc.Tasks(f.ctx, owner, p.ID, TaskFilter{}, pg)
		if err != nil {
			t.Fatal(err)
		}
		for _, task := range l.Items {
			if seen[task.ID] {
				t.Errorf("page %d repeats task %d", pages, task.ID)
			}
			seen[task.ID] = true
		}
		switch pages {
		case 0: // a new column in front shifts every position
			if _, err := f.svc.CreateColumn(f.ctx, owner, p.ID, ColumnInput{Name: opt.Of("Inbox"), Position: opt.Of(0)}); err != nil {
				t.Fatal(err)
			}
		case 1: // the last column moves to the front
			if _, err := f.svc.UpdateColumn(f.ctx, owner, cols[2].ID, ColumnInput{Position: opt.Of(0)}); err != nil {
				t.Fatal(err)
			}
		}
		if l.NextCursor == nil {
			break
		}
		pg.Cursor = *l.NextCursor
	}
	// Moving a column ahead of the cursor's may hide its unread tasks: that
	// is the board's order changing under the reader, not a repeat. Tasks
	// of the columns still ahead are all seen.
	for id := range want {
		task := f.getTask(owner, id)
		if !seen[id] && task.ColumnID != cols[2].ID {
			t.Errorf("task %d (column %d) was skipped", id, task.ColumnID)
		}
	}
}
