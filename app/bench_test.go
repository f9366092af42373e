package app

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"tack/app/auth"
)

// benchApp is a real App on a real SQLite file behind a real HTTP server,
// with one signed-in user.
type benchApp struct {
	url   string
	token string
}

// newBenchApp serves the App as newTestAppWith builds it for a benchmark
// and signs in one user.
func newBenchApp(b *testing.B) *benchApp {
	b.Helper()
	ta := newTestAppWith(b, testOpts{auth: func(o *auth.Options) { o.AccessTTL = time.Hour }})
	srv := ta.srv
	body, _ := json.Marshal(map[string]string{"username": "alice", "password": "correct horse battery"})
	res, err := http.Post(srv.URL+"/api/v1/auth/register", "application/json", bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	var t struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(res.Body).Decode(&t); err != nil || res.StatusCode != http.StatusCreated || t.AccessToken == "" {
		b.Fatalf("register: %d, %v", res.StatusCode, err)
	}
	return &benchApp{url: srv.URL, token: t.AccessToken}
}

// BenchmarkGetMe is GET /api/v1/me end to end over keep-alive connections:
// routing, middleware, the access log, the token and session check, one
// read of the user and the JSON answer. clients goroutines share b.N
// requests; it reports requests per second and the p50 and p99 latency.
func BenchmarkGetMe(b *testing.B) {
	env := newBenchApp(b)
	for _, clients := range []int{1, 16} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			tr := &http.Transport{MaxIdleConns: 64, MaxIdleConnsPerHost: 32}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
			get := func() error {
				req, err := http.NewRequest(http.MethodGet, env.url+"/api/v1/me", nil)
				if err != nil {
					return err
				}
				req.Header.Set("Authorization", "Bearer "+env.token)
				res, err := client.Do(req)
				if err != nil {
					return err
				}
				_, err = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					return fmt.Errorf("GET /api/v1/me: %s", res.Status)
				}
				return err
			}

			// Open every client's connection before timing.
			var warm sync.WaitGroup
			for range clients {
				warm.Go(func() {
					if err := get(); err != nil {
						b.Error(err)
					}
				})
			}
			warm.Wait()

			var (
				next      atomic.Int64
				failures  atomic.Int64
				errOnce   sync.Once
				firstErr  error
				latencies = make([][]time.Duration, clients)
				wg        sync.WaitGroup
			)
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			for i := range clients {
				wg.Go(func() {
					for next.Add(1) <= int64(b.N) {
						t0 := time.Now()
						err := get()
						latencies[i] = append(latencies[i], time.Since(t0))
						if err != nil {
							failures.Add(1)
							errOnce.Do(func() { firstErr = err })
						}
					}
				})
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()

			if n := failures.Load(); n > 0 {
				b.Errorf("%d of %d requests failed, first: %v", n, b.N, firstErr)
			}
			all := slices.Concat(latencies...)
			slices.Sort(all)
			pct := func(p float64) float64 {
				return float64(all[min(len(all)-1, int(float64(len(all))*p))].Nanoseconds()) / 1e3
			}
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
			b.ReportMetric(pct(0.50), "p50-µs")
			b.ReportMetric(pct(0.99), "p99-µs")
		})
	}
}
