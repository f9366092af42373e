package board

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"tack/app/errs"
	"tack/app/opt"
)

func TestRankBetween(t *testing.T) {
	tests := []struct {
		name   string
		lo, hi int64
		want   int64
		wantOK bool
	}{
		{"empty column", 0, 0, rankGap, true},
		{"below the bottom", 5 * rankGap, 0, 6 * rankGap, true},
		{"below the bottom near the ceiling", maxRank - rankGap, 0, 0, false},
		{"above a high top", 3 * rankGap, 0, 4 * rankGap, true},
		{"above the top, room for a gap", 0, 3 * rankGap, 2 * rankGap, true},
		{"above the top, halving", 0, rankGap, rankGap / 2, true},
		{"above a top of 2", 0, 2, 1, true},
		{"above a top of 1", 0, 1, 0, false},
		{"between, halving", rankGap, 2 * rankGap, rankGap + rankGap/2, true},
		{"between, odd gap", 10, 13, 11, true},
		{"between, gap of 2", 10, 12, 11, true},
		{"between, adjacent", 10, 11, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := rankBetween(tt.lo, tt.hi)
			if ok != tt.wantOK || (ok && got != tt.want) {
				t.Errorf("rankBetween(%d, %d) = %d, %v; want %d, %v", tt.lo, tt.hi, got, ok, tt.want, tt.wantOK)
			}
			if ok && (got <= tt.lo || (tt.hi != 0 && got >= tt.hi) || got >= maxRank) {
				t.Errorf("rankBetween(%d, %d) = %d: not strictly between, or past maxRank", tt.lo, tt.hi, got)
			}
		})
	}
}

// boardModel is what the board should look like: each column's task ids
// from the top, and each task's version.
type boardModel struct {
	cols    []int64 // board order
	tasks   map[int64][]int64
	colOf   map[int64]int64
	version map[int64]int64
}

func newModel(cols []*Column) *boardModel {
	m := &boardModel{tasks: map[int64][]int64{}, colOf: map[int64]int64{}, version: map[int64]int64{}}
	for _, c := range cols {
		m.cols = append(m.cols, c.ID)
	}
	return m
}

func (m *boardModel) add(task *Task) {
	m.tasks[task.ColumnID] = append(m.tasks[task.ColumnID], task.ID)
	m.colOf[task.ID] = task.ColumnID
	m.version[task.ID] = task.Version
}

// others is column col's tasks without id.
func (m *boardModel) others(col, id int64) []int64 {
	return slices.DeleteFunc(slices.Clone(m.tasks[col]), func(x int64) bool { return x == id })
}

// move puts task id at index idx of column col (indices counted without
// the task).
func (m *boardModel) move(id, col int64, idx int) {
	from := m.colOf[id]
	m.tasks[from] = m.others(from, id)
	m.tasks[col] = slices.Insert(m.others(col, id), idx, id)
	m.colOf[id] = col
	m.version[id]++
}

func (m *boardModel) last() int64 { return m.cols[len(m.cols)-1] }

// check compares the model with the tasks the service lists: the same tasks
// in the same columns in the same order, positions 0..n-1, the same
// versions, and completed_at set exactly in the last column.
func (m *boardModel) check(t *testing.T, f *fixture, uid, pid int64, step string) {
	t.Helper()
	items := f.allTasks(uid, pid, TaskFilter{})
	got := map[int64][]int64{}
	colIndex := map[int64]int{}
	for i, c := range m.cols {
		colIndex[c] = i
	}
	prevCol := -1
	for _, it := range items {
		ci, ok := colIndex[it.ColumnID]
		if !ok {
			t.Fatalf("%s: task %d is in column %d, not one of the project's %v", step, it.ID, it.ColumnID, m.cols)
		}
		if ci < prevCol {
			t.Fatalf("%s: list not ordered by column: task %d of column index %d after column index %d", step, it.ID, ci, prevCol)
		}
		prevCol = ci
		if want := len(got[it.ColumnID]); it.Position != want {
			t.Fatalf("%s: task %d position = %d, want %d (its index in column %d)", step, it.ID, it.Position, want, it.ColumnID)
		}
		got[it.ColumnID] = append(got[it.ColumnID], it.ID)
		if want := m.version[it.ID]; it.Version != want {
			t.Fatalf("%s: task %d version = %d, want %d", step, it.ID, it.Version, want)
		}
		if inLast := it.ColumnID == m.last(); inLast != (it.CompletedAt != nil) {
			t.Fatalf("%s: task %d in column %d (last %d) has completed_at %v", step, it.ID, it.ColumnID, m.last(), it.CompletedAt)
		}
	}
	for _, c := range m.cols {
		if !slices.Equal(got[c], m.tasks[c]) {
			t.Fatalf("%s: column %d holds %v, want %v", step, c, got[c], m.tasks[c])
		}
	}
	if len(items) != len(m.colOf) {
		t.Fatalf("%s: %d tasks listed, want %d", step, len(items), len(m.colOf))
	}
}

// doMove moves a task through the service and the model alike, and checks
// what MoveTask returned and published.
func (m *boardModel) doMove(t *testing.T, f *fixture, uid, id int64, mv Move, idx int, step string) {
	t.Helper()
	calls := f.pub.callCount()
	got, err := f.svc.MoveTask(f.ctx, uid, id, mv)
	if err != nil {
		t.Fatalf("%s: MoveTask(%d, %s): %v", step, id, describeMove(mv), err)
	}
	m.move(id, *mv.ColumnID, idx)
	if got.ID != id || got.ColumnID != *mv.ColumnID || got.Position != idx || got.Version != m.version[id] {
		t.Fatalf("%s: MoveTask(%d, %s) = task %d in column %d at %d version %d; want column %d at %d version %d",
			step, id, describeMove(mv), got.ID, got.ColumnID, got.Position, got.Version, *mv.ColumnID, idx, m.version[id])
	}
	if f.pub.callCount() != calls+1 {
		t.Fatalf("%s: Publish calls = %d, want %d", step, f.pub.callCount(), calls+1)
	}
	if evs := f.pub.lastCall(); len(evs) != 1 || evs[0].Kind != "task.moved" || evs[0].TaskID == nil || *evs[0].TaskID != id {
		t.Fatalf("%s: published %+v, want one task.moved of task %d", step, evs, id)
	}
}

func describeMove(mv Move) string {
	s := "column"
	if mv.ColumnID != nil {
		s += fmt.Sprint(" ", *mv.ColumnID)
	}
	if mv.AfterID != nil {
		s += fmt.Sprint(" after ", *mv.AfterID)
	}
	if mv.BeforeID != nil {
		s += fmt.Sprint(" before ", *mv.BeforeID)
	}
	return s
}

// fourColumns makes a project with four columns and n tasks spread over
// them at random, and its model.
func fourColumns(t *testing.T, f *fixture, owner int64, rng *rand.Rand, n int) (*Project, *boardModel) {
	t.Helper()
	p, _ := f.project(owner, "Moves")
	if _, err := f.svc.CreateColumn(f.ctx, owner, p.ID, ColumnInput{Name: opt.Of("Review"), Position: opt.Of(2)}); err != nil {
		t.Fatal(err)
	}
	m := newModel(f.columns(owner, p.ID))
	for i := range n {
		m.add(f.task(owner, p.ID, fmt.Sprintf("task %d", i), m.cols[rng.IntN(len(m.cols))]))
	}
	m.check(t, f, owner, p.ID, "after setup")
	return p, m
}

func TestMoveRandomAgainstModel(t *testing.T) {
	f := newFixture(t)
	owner := f.user("owner")
	rng := rand.New(rand.NewPCG(1, 2))
	p, m := fourColumns(t, f, owner, rng, 30)
	ids := make([]int64, 0, len(m.colOf))
	for _, c := range m.cols {
		ids = append(ids, m.tasks[c]...)
	}

	steps := 600
	if testing.Short() {
		steps = 150
	}
	for step := range steps {
		id := ids[rng.IntN(len(ids))]
		col := m.cols[rng.IntN(len(m.cols))]
		others := m.others(col, id)
		mv := Move{ColumnID: &col}
		idx := len(others) // no anchor: the bottom
		switch mode := rng.IntN(4); {
		case mode == 1 && len(others) > 0:
			k := rng.IntN(len(others))
			mv.BeforeID, idx = &others[k], k
		case mode == 2 && len(others) > 0:
			k := rng.IntN(len(others))
			mv.AfterID, idx = &others[k], k+1
		case mode == 3 && len(others) > 1:
			k := rng.IntN(len(others) - 1)
			mv.AfterID, mv.BeforeID, idx = &others[k], &others[k+1], k+1
		}
		name := fmt.Sprintf("step %d: task %d to %s", step, id, describeMove(mv))
		m.doMove(t, f, owner, id, mv, idx, name)
		m.check(t, f, owner, p.ID, name)
	}
}

// TestMoveForcesRenumbering drives moves that halve the same gap again and
// again, until a column must be renumbered, many times over. A renumbering
// shows as tasks that did not move getting new ranks, all multiples of
// rankGap.
func TestMoveForcesRenumbering(t *testing.T) {
	tests := []struct {
		name string
		// next is the move of step i of movers x and y into column col,
		// where anchor is the column's first task; it returns the move and
		// the index the mover lands at.
		next func(m *boardModel, col, anchor, mover int64) (Move, int)
	}{
		{"directly below the same anchor", func(m *boardModel, col, anchor, mover int64) (Move, int) {
			k := slices.Index(m.others(col, mover), anchor)
			return Move{ColumnID: &col, AfterID: &anchor}, k + 1
		}},
		{"between the anchor and its neighbour", func(m *boardModel, col, anchor, mover int64) (Move, int) {
			o := m.others(col, mover)
			k := slices.Index(o, anchor)
			return Move{ColumnID: &col, AfterID: &anchor, BeforeID: &o[k+1]}, k + 1
		}},
		{"directly above the top task", func(m *boardModel, col, anchor, mover int64) (Move, int) {
			top := m.others(col, mover)[0]
			return Move{ColumnID: &col, BeforeID: &top}, 0
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			owner := f.user("owner")
			p, cols := f.project(owner, "Renumber")
			m := newModel(cols)
			col := cols[1].ID
			for i := range 5 {
				m.add(f.task(owner, p.ID, fmt.Sprint("fixed ", i), col))
			}
			anchor := m.tasks[col][0]
			movers := []int64{f.task(owner, p.ID, "x", cols[0].ID).ID, f.task(owner, p.ID, "y", cols[2].ID).ID}
			for _, id := range movers {
				m.add(f.getTask(owner, id))
			}
			renumbers := 0
			for step := range 200 {
				mover := movers[step%2]
				_, before := f.columnTasks(p.ID)
				mv, idx := tt.next(m, col, anchor, mover)
				name := fmt.Sprintf("step %d: task %d to %s", step, mover, describeMove(mv))
				m.doMove(t, f, owner, mover, mv, idx, name)
				m.check(t, f, owner, p.ID, name)

				order, after := f.columnTasks(p.ID)
				respaced := false
				for _, id := range order[col] {
					if id != mover && after[id] != before[id] {
						respaced = true
					}
				}
				if !respaced {
					continue
				}
				renumbers++
				for _, id := range order[col] {
					if id != mover && after[id]%rankGap != 0 {
						t.Fatalf("%s: after a renumbering task %d has rank %d, not a multiple of %d", name, id, after[id], rankGap)
					}
				}
			}
			// Each halving run lasts about log2(rankGap) = 20 moves.
			if renumbers < 5 {
				t.Errorf("renumberings = %d over 200 moves, want at least 5", renumbers)
			}
			t.Logf("%d renumberings", renumbers)
			if n := f.count("SELECT count(*) - count(DISTINCT rank) FROM tasks WHERE column_id = ?", col); n != 0 {
				t.Errorf("%d duplicate ranks in column %d", n, col)
			}
		})
	}
}

// TestRenumberNearMaxRank puts a column's bottom task just below maxRank,
// where no rank fits below it, and checks that every way of adding a task
// at the bottom renumbers the column instead of failing.
func TestRenumberNearMaxRank(t *testing.T) {
	f := newFixture(t)
	owner := f.user("owner")
	p, cols := f.project(owner, "Ceiling")
	m := newModel(cols)
	col := cols[1].ID
	for i := range 4 {
		m.add(f.task(owner, p.ID, fmt.Sprint("fixed ", i), col))
	}
	for i := range 6 {
		m.add(f.task(owner, p.ID, fmt.Sprint("other ", i), cols[0].ID))
	}
	lift := func() {
		t.Helper()
		bottom := m.tasks[col][len(m.tasks[col])-1]
		if _, err := f.db.Writer().ExecContext(f.ctx, "UPDATE tasks SET rank = ? WHERE id = ?", maxRank-1, bottom); err != nil {
			t.Fatal(err)
		}
	}
	respaced := func(step string) {
		t.Helper()
		order, ranks := f.columnTasks(p.ID)
		for i, id := range order[col] {
			if ranks[id] >= maxRank/2 {
				t.Fatalf("%s: task %d (index %d) still has rank %d: the column was not renumbered", step, id, i, ranks[id])
			}
		}
	}

	t.Run("move to the bottom", func(t *testing.T) {
		lift()
		id := m.tasks[cols[0].ID][0]
		m.doMove(t, f, owner, id, Move{ColumnID: &col}, len(m.tasks[col]), "move")
		m.check(t, f, owner, p.ID, "move to the bottom")
		respaced("move to the bottom")
	})
	t.Run("move below the bottom task", func(t *testing.T) {
		lift()
		id := m.tasks[cols[0].ID][0]
		bottom := m.tasks[col][len(m.tasks[col])-1]
		m.doMove(t, f, owner, id, Move{ColumnID: &col, AfterID: &bottom}, len(m.tasks[col]), "move")
		m.check(t, f, owner, p.ID, "move below the bottom task")
		respaced("move below the bottom task")
	})
	t.Run("create at the bottom", func(t *testing.T) {
		lift()
		m.add(f.task(owner, p.ID, "new", col))
		m.check(t, f, owner, p.ID, "create at the bottom")
		respaced("create at the bottom")
	})
	t.Run("delete a column into it", func(t *testing.T) {
		lift()
		from := cols[0].ID
		moved := m.tasks[from]
		if err := f.svc.DeleteColumn(f.ctx, owner, from, &col); err != nil {
			t.Fatalf("DeleteColumn: %v", err)
		}
		for _, id := range moved {
			m.tasks[col] = append(m.tasks[col], id)
			m.colOf[id] = col
			m.version[id]++
		}
		delete(m.tasks, from)
		m.cols = m.cols[1:]
		m.check(t, f, owner, p.ID, "delete a column into it")
		respaced("delete a column into it")
	})
}

// TestMoveLandsWhereAsked checks each way of naming a place on a small
// board whose layout is known.
func TestMoveLandsWhereAsked(t *testing.T) {
	tests := []struct {
		name string
		task string
		col  int
		// before and after name anchors by title; "" is none.
		before, after string
		want          [3][]string
	}{
		{"bottom of another column", "a", 1, "", "", [3][]string{{"b", "c"}, {"d", "e", "a"}, {}}},
		{"bottom of its own column", "a", 0, "", "", [3][]string{{"b", "c", "a"}, {"d", "e"}, {}}},
		{"into an empty column", "b", 2, "", "", [3][]string{{"a", "c"}, {"d", "e"}, {"b"}}},
		{"above the top", "e", 0, "a", "", [3][]string{{"e", "a", "b", "c"}, {"d"}, {}}},
		{"above the middle", "d", 0, "b", "", [3][]string{{"a", "d", "b", "c"}, {"e"}, {}}},
		{"below the bottom", "d", 0, "", "c", [3][]string{{"a", "b", "c", "d"}, {"e"}, {}}},
		{"below the top", "e", 0, "", "a", [3][]string{{"a", "e", "b", "c"}, {"d"}, {}}},
		{"between neighbours", "d", 0, "c", "b", [3][]string{{"a", "b", "d", "c"}, {"e"}, {}}},
		{"up within its column", "c", 0, "a", "", [3][]string{{"c", "a", "b"}, {"d", "e"}, {}}},
		{"down within its column", "a", 0, "", "c", [3][]string{{"b", "c", "a"}, {"d", "e"}, {}}},
		{"down by one", "a", 0, "c", "b", [3][]string{{"b", "a", "c"}, {"d", "e"}, {}}},
		{"where it already is, both anchors", "b", 0, "c", "a", [3][]string{{"a", "b", "c"}, {"d", "e"}, {}}},
		{"where it already is, after", "b", 0, "", "a", [3][]string{{"a", "b", "c"}, {"d", "e"}, {}}},
		{"where it already is, before", "b", 0, "c", "", [3][]string{{"a", "b", "c"}, {"d", "e"}, {}}},
		{"into the last column", "a", 2, "", "", [3][]string{{"b", "c"}, {"d", "e"}, {"a"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			owner := f.user("owner")
			p, cols := f.project(owner, "Places")
			ids, titles := map[string]int64{}, map[int64]string{}
			for i, col := range [][]string{{"a", "b", "c"}, {"d", "e"}} {
				for _, title := range col {
					task := f.task(owner, p.ID, title, cols[i].ID)
					ids[title], titles[task.ID] = task.ID, title
				}
			}
			mv := Move{ColumnID: &cols[tt.col].ID}
			if tt.before != "" {
				mv.BeforeID = ptr(ids[tt.before])
			}
			if tt.after != "" {
				mv.AfterID = ptr(ids[tt.after])
			}
			got, err := f.svc.MoveTask(f.ctx, owner, ids[tt.task], mv)
			if err != nil {
				t.Fatalf("MoveTask: %v", err)
			}
			if want := slices.Index(tt.want[tt.col], tt.task); got.ColumnID != cols[tt.col].ID || got.Position != want {
				t.Errorf("MoveTask returned column %d position %d, want column %d position %d", got.ColumnID, got.Position, cols[tt.col].ID, want)
			}
			if got.Version != 2 {
				t.Errorf("version = %d, want 2", got.Version)
			}
			var layout [3][]string
			for _, task := range f.allTasks(owner, p.ID, TaskFilter{}) {
				i := slices.IndexFunc(cols, func(c *Column) bool { return c.ID == task.ColumnID })
				if task.Position != len(layout[i]) {
					t.Errorf("task %s position = %d, want %d", titles[task.ID], task.Position, len(layout[i]))
				}
				layout[i] = append(layout[i], titles[task.ID])
			}
			for i := range layout {
				if !slices.Equal(layout[i], tt.want[i]) {
					t.Errorf("column %d = %v, want %v", i, layout[i], tt.want[i])
				}
			}
		})
	}
}

// TestMoveRefused checks that each impossible move is a 422 that changes
// nothing, writes no event and publishes nothing.
func TestMoveRefused(t *testing.T) {
	f := newFixture(t)
	owner := f.user("owner")
	p, cols := f.project(owner, "Here")
	q, qcols := f.project(owner, "Elsewhere")
	ids := map[string]int64{}
	for i, col := range [][]string{{"a", "b", "c"}, {"d", "e"}} {
		for _, title := range col {
			ids[title] = f.task(owner, p.ID, title, cols[i].ID).ID
		}
	}
	z := f.task(owner, q.ID, "z", qcols[0].ID).ID
	c0, c1 := cols[0].ID, cols[1].ID
	tests := []struct {
		name string
		task int64
		move Move
		code errs.Code
	}{
		{"no column", ids["a"], Move{}, errs.ValidationFailed},
		{"anchors not neighbours", ids["d"], Move{ColumnID: &c0, AfterID: ptr(ids["a"]), BeforeID: ptr(ids["c"])}, errs.ValidationFailed},
		{"anchors the wrong way round", ids["d"], Move{ColumnID: &c0, AfterID: ptr(ids["b"]), BeforeID: ptr(ids["a"])}, errs.ValidationFailed},
		{"anchors the same task", ids["d"], Move{ColumnID: &c0, AfterID: ptr(ids["b"]), BeforeID: ptr(ids["b"])}, errs.ValidationFailed},
		{"before in another column", ids["a"], Move{ColumnID: &c0, BeforeID: ptr(ids["d"])}, errs.ValidationFailed},
		{"after in another column", ids["a"], Move{ColumnID: &c1, AfterID: ptr(ids["b"])}, errs.ValidationFailed},
		{"before in another project", ids["a"], Move{ColumnID: &c0, BeforeID: &z}, errs.ValidationFailed},
		{"after in another project", ids["a"], Move{ColumnID: &c1, AfterID: &z}, errs.ValidationFailed},
		{"before is the task itself", ids["b"], Move{ColumnID: &c0, BeforeID: ptr(ids["b"])}, errs.ValidationFailed},
		{"after is the task itself", ids["b"], Move{ColumnID: &c0, AfterID: ptr(ids["b"])}, errs.ValidationFailed},
		{"both anchors around the task itself", ids["b"], Move{ColumnID: &c0, AfterID: ptr(ids["b"]), BeforeID: ptr(ids["c"])}, errs.ValidationFailed},
		{"no such anchor", ids["a"], Move{ColumnID: &c0, BeforeID: ptr(int64(1 << 40))}, errs.ValidationFailed},
		{"column of another project", ids["a"], Move{ColumnID: &qcols[0].ID}, errs.ValidationFailed},
		{"no such column", ids["a"], Move{ColumnID: ptr(int64(1 << 40))}, errs.ValidationFailed},
		{"no such task", 1 << 40, Move{ColumnID: &c0}, errs.NotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.unchanged(t, tt.code, func() error {
				_, err := f.svc.MoveTask(f.ctx, owner, tt.task, tt.move)
				return err
			})
		})
	}
}

// TestConcurrentMoves runs random moves from several goroutines at once.
// Anchors are pinned tasks that never move themselves, so every move is
// valid whatever the others did first.
func TestConcurrentMoves(t *testing.T) {
	f := newFixture(t)
	owner := f.user("owner")
	p, cols := f.project(owner, "Busy")
	pinned := map[int64][2]int64{}
	var movers []int64
	for _, c := range cols {
		pinned[c.ID] = [2]int64{f.task(owner, p.ID, "pin 1", c.ID).ID, f.task(owner, p.ID, "pin 2", c.ID).ID}
		for i := range 8 {
			movers = append(movers, f.task(owner, p.ID, fmt.Sprint("mover ", i), c.ID).ID)
		}
	}
	total := f.count("SELECT count(*) FROM tasks WHERE project_id = ?", p.ID)
	startSeq := f.lastSeq()

	const workers = 8
	each := 50
	if testing.Short() {
		each = 20
	}
	var mu sync.Mutex
	moves := map[int64]int64{}
	var failures []error
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 99))
			for range each {
				id := movers[rng.IntN(len(movers))]
				col := cols[rng.IntN(len(cols))].ID
				mv := Move{ColumnID: &col}
				switch pin := pinned[col][rng.IntN(2)]; rng.IntN(3) {
				case 1:
					mv.BeforeID = &pin
				case 2:
					mv.AfterID = &pin
				}
				_, err := f.svc.MoveTask(f.ctx, owner, id, mv)
				mu.Lock()
				if err != nil {
					failures = append(failures, fmt.Errorf("MoveTask(%d, %s): %w", id, describeMove(mv), err))
				} else {
					moves[id]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for _, err := range failures {
		t.Error(err)
	}

	items := f.allTasks(owner, p.ID, TaskFilter{})
	if len(items) != total {
		t.Errorf("%d tasks listed after the moves, want %d", len(items), total)
	}
	if n := f.count("SELECT count(*) FROM tasks WHERE project_id = ?", p.ID); n != total {
		t.Errorf("%d task rows after the moves, want %d", n, total)
	}
	pos := map[int64]int{}
	byCol := map[int64][]int64{}
	for _, it := range items {
		if it.Position != pos[it.ColumnID] {
			t.Errorf("task %d in column %d: position %d, want %d", it.ID, it.ColumnID, it.Position, pos[it.ColumnID])
		}
		pos[it.ColumnID]++
		byCol[it.ColumnID] = append(byCol[it.ColumnID], it.ID)
		if want := 1 + moves[it.ID]; it.Version != want {
			t.Errorf("task %d: version %d, want %d (1 + its %d moves)", it.ID, it.Version, want, moves[it.ID])
		}
	}
	for col, pin := range pinned {
		i, j := slices.Index(byCol[col], pin[0]), slices.Index(byCol[col], pin[1])
		if i < 0 || j < 0 || i > j {
			t.Errorf("column %d: pinned tasks %v at %d and %d, want both there in order", col, pin, i, j)
		}
	}
	if n := f.count("SELECT count(*) - count(DISTINCT column_id || '/' || rank) FROM tasks WHERE project_id = ?", p.ID); n != 0 {
		t.Errorf("%d duplicate (column, rank) pairs", n)
	}
	var sum int64
	for _, n := range moves {
		sum += n
	}
	if got := len(f.events(startSeq)); int64(got) != sum {
		t.Errorf("%d events written for %d moves", got, sum)
	}
}
