package app

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"tack/app/auth"
	"tack/app/board"
)

// The board over real HTTP: keep-alive connections to a real server on a
// real SQLite file, as newTestApp builds it. Each benchmark reports req/s
// and the p50 and p99 latency of single requests, and fails on any non-2xx.
//
//	go test ./app -run '^$' -bench 'Task' -benchtime 3s

// btBenchClient talks to the server as one signed-in user over a shared
// keep-alive transport.
type btBenchClient struct {
	url    string
	client *http.Client
	token  string
}

// newBoardBench serves the App as newTestAppWith builds it for a
// benchmark and signs in its first user.
func newBoardBench(b *testing.B) *btBenchClient {
	b.Helper()
	srv := newTestAppWith(b, testOpts{auth: func(o *auth.Options) { o.AccessTTL = time.Hour }}).srv
	tr := &http.Transport{MaxIdleConns: 64, MaxIdleConnsPerHost: 64, IdleConnTimeout: time.Minute}
	b.Cleanup(tr.CloseIdleConnections)
	c := &btBenchClient{url: srv.URL, client: &http.Client{Transport: tr}}
	var tok auth.Tokens
	c.must(b, "POST", "/api/v1/auth/register", map[string]any{"username": "bench", "password": btPassword}, 201, &tok)
	c.token = tok.AccessToken
	return c
}

// do sends one request and reads the whole answer, so the connection goes
// back to the pool.
func (c *btBenchClient) do(method, path string, body []byte) (int, []byte, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, c.url+path, r)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := c.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	return res.StatusCode, out, err
}

func (c *btBenchClient) must(b *testing.B, method, path string, in any, status int, out any) {
	b.Helper()
	var body []byte
	if in != nil {
		body, _ = json.Marshal(in)
	}
	got, resp, err := c.do(method, path, body)
	if err != nil || got != status {
		b.Fatalf("%s %s: %d %v (body %s), want %d", method, path, got, err, resp, status)
	}
	if out != nil {
		if err := json.Unmarshal(resp, out); err != nil {
			b.Fatal(err)
		}
	}
}

// project creates a project with n tasks spread over its columns in turn
// and returns its id, its column ids and the tasks' ids with their columns.
func (c *btBenchClient) project(b *testing.B, n int) (int64, []int64, []int64, []int64) {
	b.Helper()
	var p board.Project
	c.must(b, "POST", "/api/v1/projects", map[string]any{"name": "Bench"}, 201, &p)
	var cols struct{ Items []board.Column }
	c.must(b, "GET", fmt.Sprintf("/api/v1/projects/%d/columns", p.ID), nil, 200, &cols)
	colIDs := []int64{}
	for _, col := range cols.Items {
		colIDs = append(colIDs, col.ID)
	}
	var ids, where []int64
	for i := range n {
		col := colIDs[i%len(colIDs)]
		var t board.Task
		c.must(b, "POST", fmt.Sprintf("/api/v1/projects/%d/tasks", p.ID),
			map[string]any{"title": fmt.Sprintf("Task %d", i), "column_id": col, "priority": "medium"}, 201, &t)
		ids, where = append(ids, t.ID), append(where, col)
	}
	return p.ID, colIDs, ids, where
}

// btOp is one request of a benchmark worker.
type btOp func() (status int, body []byte, err error)

// btLoad runs b.N requests from clients workers at once (each made by
// newOp before the clock starts) and reports throughput and latency.
func btLoad(b *testing.B, clients int, newOp func(worker int) btOp) {
	b.Helper()
	ops := make([]btOp, clients)
	for w := range clients {
		ops[w] = newOp(w)
	}
	lat := make([][]time.Duration, clients)
	var next, failed atomic.Int64
	var report sync.Once
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for w := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := make([]time.Duration, 0, b.N/clients+1)
			for next.Add(1) <= int64(b.N) {
				t0 := time.Now()
				status, body, err := ops[w]()
				mine = append(mine, time.Since(t0))
				if err != nil || status/100 != 2 {
					failed.Add(1)
					report.Do(func() { b.Errorf("request failed: status %d, err %v, body %s", status, err, body) })
				}
			}
			lat[w] = mine
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if n := failed.Load(); n > 0 {
		b.Errorf("%d of %d requests failed (%.1f%%)", n, b.N, 100*float64(n)/float64(b.N))
	}
	all := slices.Concat(lat...)
	slices.Sort(all)
	pct := func(p float64) float64 {
		if len(all) == 0 {
			return 0
		}
		return float64(all[min(len(all)-1, int(p*float64(len(all))))].Microseconds())
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
}

var btClientCounts = []int{1, 16}

func BenchmarkTaskCreate(b *testing.B) {
	c := newBoardBench(b)
	for _, clients := range btClientCounts {
		b.Run(fmt.Sprint("clients=", clients), func(b *testing.B) {
			pid, _, _, _ := c.project(b, 0)
			path := fmt.Sprintf("/api/v1/projects/%d/tasks", pid)
			body := []byte(`{"title":"Write the benchmark","description":"with a description","priority":"high"}`)
			btLoad(b, clients, func(int) btOp {
				return func() (int, []byte, error) { return c.do("POST", path, body) }
			})
		})
	}
}

func BenchmarkTaskUpdate(b *testing.B) {
	c := newBoardBench(b)
	for _, clients := range btClientCounts {
		b.Run(fmt.Sprint("clients=", clients), func(b *testing.B) {
			pid, _, _, _ := c.project(b, 0)
			btLoad(b, clients, func(w int) btOp {
				// Each worker edits its own task, so no edit is stale.
				var t board.Task
				c.must(b, "POST", fmt.Sprintf("/api/v1/projects/%d/tasks", pid), map[string]any{"title": "Mine"}, 201, &t)
				path, version, n := fmt.Sprintf("/api/v1/tasks/%d", t.ID), t.Version, 0
				return func() (int, []byte, error) {
					n++
					body := fmt.Appendf(nil, `{"version":%d,"title":"Edit %d of worker %d"}`, version, n, w)
					status, resp, err := c.do("PATCH", path, body)
					if status == 200 {
						var got struct{ Version int64 }
						if err := json.Unmarshal(resp, &got); err != nil {
							return 0, resp, err
						}
						version = got.Version
					}
					return status, resp, err
				}
			})
		})
	}
}

func BenchmarkTaskMove(b *testing.B) {
	c := newBoardBench(b)
	for _, clients := range btClientCounts {
		b.Run(fmt.Sprint("clients=", clients), func(b *testing.B) {
			_, cols, ids, where := c.project(b, 300)
			btLoad(b, clients, func(w int) btOp {
				// Each worker moves its own share of the tasks (all in the same
				// columns as everyone else's) and so always knows which column
				// each of them is in: its before_id and after_id are never stale.
				var mine []int64
				col := map[int64]int64{}
				for i, id := range ids {
					if i%clients == w {
						mine = append(mine, id)
						col[id] = where[i]
					}
				}
				rng := rand.New(rand.NewPCG(uint64(w), 7))
				return func() (int, []byte, error) {
					task := mine[rng.IntN(len(mine))]
					to := cols[rng.IntN(len(cols))]
					var there []int64
					for _, id := range mine {
						if id != task && col[id] == to {
							there = append(there, id)
						}
					}
					body := fmt.Appendf(nil, `{"column_id":%d}`, to)
					if len(there) > 0 {
						switch rng.IntN(3) {
						case 0:
							body = fmt.Appendf(nil, `{"column_id":%d,"before_id":%d}`, to, there[rng.IntN(len(there))])
						case 1:
							body = fmt.Appendf(nil, `{"column_id":%d,"after_id":%d}`, to, there[rng.IntN(len(there))])
						}
					}
					status, resp, err := c.do("POST", fmt.Sprintf("/api/v1/tasks/%d/move", task), body)
					if status == 200 {
						col[task] = to
					}
					return status, resp, err
				}
			})
		})
	}
}

func BenchmarkTaskList50(b *testing.B) {
	c := newBoardBench(b)
	pid, _, _, _ := c.project(b, 200)
	path := fmt.Sprintf("/api/v1/projects/%d/tasks?limit=50", pid)
	// The page is what the benchmark says it is.
	var page struct {
		Items      []board.Task
		NextCursor *string `json:"next_cursor"`
	}
	c.must(b, "GET", path, nil, 200, &page)
	if len(page.Items) != 50 || page.NextCursor == nil {
		b.Fatalf("first page: %d tasks, next cursor %v; want 50 and a cursor", len(page.Items), page.NextCursor)
	}
	for _, clients := range btClientCounts {
		b.Run(fmt.Sprint("clients=", clients), func(b *testing.B) {
			btLoad(b, clients, func(int) btOp {
				return func() (int, []byte, error) { return c.do("GET", path, nil) }
			})
		})
	}
}
