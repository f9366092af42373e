package main

// Process-level tests: they build the real binary once (with the tacktest
// build tag, which adds GET /api/v1/_test/slow and POST /api/v1/_test/write,
// see hooks_tacktest.go) and run it as a child process, to check what only a
// real process shows: signals, exit codes, kill -9, file modes, and the
// messages a user sees when start-up fails (SPEC sections 2, 3 and 6).

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"tack/db"
)

// tackBin is the binary built by TestMain with -tags tacktest. It is set
// only there.
var tackBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tack-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "TestMain:", err)
		os.Exit(1)
	}
	tackBin = filepath.Join(dir, "tack")
	build := exec.Command("go", "build", "-tags", "tacktest", "-o", tackBin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "TestMain: go build -tags tacktest: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// Bounds on every wait. They are generous: they only catch hangs, they do
// not measure speed (except secondSignalBound, which is what SPEC section 6
// promises: "a second signal exits at once").
const (
	readyBound        = 10 * time.Second
	exitBound         = 10 * time.Second
	secondSignalBound = 3 * time.Second
)

// logBuf collects a child's output. Writes come from exec's copying
// goroutine while the test reads, so it is locked; changed is poked on every
// write so that waiters do not poll.
type logBuf struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{}
}

func newLogBuf() *logBuf { return &logBuf{changed: make(chan struct{}, 1)} }

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	l.buf.Write(p)
	l.mu.Unlock()
	select {
	case l.changed <- struct{}{}:
	default:
	}
	return len(p), nil
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// records parses the complete JSON log lines written so far; other lines
// (such as the "tack: ..." error line) are skipped.
func (l *logBuf) records() []map[string]any {
	s := l.String()
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	} else {
		return nil
	}
	var out []map[string]any
	for line := range strings.SplitSeq(s, "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil {
			out = append(out, rec)
		}
	}
	return out
}

// proc is a running (or finished) child process.
type proc struct {
	tb     testing.TB
	cmd    *exec.Cmd
	stderr *logBuf
	stdout *logBuf
	done   chan struct{} // closed once the process has exited and its output is read
	addr   string        // from the "listening" log line
	dbPath string
}

// childEnv is the test's environment without TACK_* variables, so that
// nothing from the shell changes the child's config.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TACK_") {
			env = append(env, kv)
		}
	}
	return env
}

// startProcess starts bin with args in a fresh working folder (so that no
// ./tack.yaml is picked up) and kills it at the end of the test if it is
// still running.
func startProcess(tb testing.TB, bin string, args ...string) *proc {
	tb.Helper()
	p := &proc{tb: tb, stderr: newLogBuf(), stdout: newLogBuf(), done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Dir = tb.TempDir()
	p.cmd.Env = childEnv()
	p.cmd.Stdout = p.stdout
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		tb.Fatalf("start %s: %v", bin, err)
	}
	go func() {
		p.cmd.Wait() // the exit status is read from cmd.ProcessState
		close(p.done)
	}()
	tb.Cleanup(func() {
		if !p.exited() {
			p.cmd.Process.Kill()
			select {
			case <-p.done:
			case <-time.After(exitBound):
				tb.Errorf("pid %d did not die after SIGKILL", p.cmd.Process.Pid)
			}
		}
		if tb.Failed() {
			tb.Logf("stderr of %s %q:\n%s", filepath.Base(bin), args, tail(p.stderr.String(), 100))
		}
	})
	return p
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.SplitAfter(s, "\n")
	if len(lines) <= n {
		return s
	}
	return fmt.Sprintf("[%d lines left out]\n", len(lines)-n) + strings.Join(lines[len(lines)-n:], "")
}

// startServer runs the test binary on a fresh database in a temp folder and
// waits until it is ready.
func startServer(tb testing.TB, extra ...string) *proc {
	tb.Helper()
	return startServerOn(tb, filepath.Join(tb.TempDir(), "tack.db"), extra...)
}

// startServerOn runs the test binary on dbPath and waits until it is ready.
func startServerOn(tb testing.TB, dbPath string, extra ...string) *proc {
	tb.Helper()
	p := startServerBin(tb, tackBin, dbPath, extra...)
	p.waitReady(readyBound)
	return p
}

// startServerBin starts bin as a server on 127.0.0.1 with a random port and
// JSON logs, without waiting.
func startServerBin(tb testing.TB, bin, dbPath string, extra ...string) *proc {
	tb.Helper()
	args := append([]string{"--server.addr=127.0.0.1:0", "--db.path=" + dbPath, "--log.format=json"}, extra...)
	p := startProcess(tb, bin, args...)
	p.dbPath = dbPath
	return p
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// waitLog waits until a log record matches, the process exits, or the
// timeout passes.
func (p *proc) waitLog(timeout time.Duration, match func(map[string]any) bool) (map[string]any, bool) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		for _, rec := range p.stderr.records() {
			if match(rec) {
				return rec, true
			}
		}
		select {
		case <-p.stderr.changed:
		case <-p.done:
			for _, rec := range p.stderr.records() {
				if match(rec) {
					return rec, true
				}
			}
			return nil, false
		case <-timer.C:
			return nil, false
		}
	}
}

func msgIs(msg string) func(map[string]any) bool {
	return func(rec map[string]any) bool { return rec["msg"] == msg }
}

// waitListening reads the address from the "listening" log line.
func (p *proc) waitListening(timeout time.Duration) {
	p.tb.Helper()
	rec, ok := p.waitLog(timeout, msgIs("listening"))
	if !ok {
		p.tb.Fatalf("no \"listening\" log line within %v (exited: %v)", timeout, p.exited())
	}
	addr, _ := rec["addr"].(string)
	if host, _, err := net.SplitHostPort(addr); err != nil || host != "127.0.0.1" {
		p.tb.Fatalf("listening on %q, want 127.0.0.1:port", addr)
	}
	// With port 0 the derived base URL must carry the port actually bound,
	// or an Origin check built on it would refuse the server's own pages.
	if got, want := rec["base_url"], "http://"+addr; got != want {
		p.tb.Errorf("base_url = %v, want %s", got, want)
	}
	p.addr = addr
}

// waitReady waits for the "listening" line, then for GET /readyz to answer
// 200, all within timeout.
func (p *proc) waitReady(timeout time.Duration) {
	p.tb.Helper()
	deadline := time.Now().Add(timeout)
	p.waitListening(timeout)
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	last := "no answer"
	for time.Now().Before(deadline) {
		if p.exited() {
			p.tb.Fatalf("exited with code %d before /readyz answered 200", p.cmd.ProcessState.ExitCode())
		}
		resp, err := client.Get(p.url("/readyz"))
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.tb.Fatalf("/readyz did not answer 200 within %v; last: %s", timeout, last)
}

func (p *proc) url(path string) string { return "http://" + p.addr + path }

func (p *proc) signal(sig os.Signal) {
	p.tb.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.tb.Fatalf("signal %v: %v", sig, err)
	}
}

// waitExit waits for the process to exit and returns its exit code; it fails
// the test if that takes longer than timeout.
func (p *proc) waitExit(timeout time.Duration) int {
	p.tb.Helper()
	select {
	case <-p.done:
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(timeout):
		p.tb.Fatalf("process did not exit within %v", timeout)
		return 0
	}
}

// newClient is an HTTP client with its own connection pool, closed at the
// end of the test.
func newClient(tb testing.TB) *http.Client {
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	tb.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 60 * time.Second}
}

// slowResult is the outcome of one GET /api/v1/_test/slow.
type slowResult struct {
	status int
	err    error
}

// startInFlight starts n concurrent GET /api/v1/_test/slow?ms=ms and returns
// once the server has accepted every one of their connections, so that a
// signal sent next finds them in flight. Each request is written before a
// fresh probe connection is opened; the kernel's accept queue is FIFO, so
// once the probe is answered, the server has accepted every earlier
// connection, and http.Server.Shutdown waits for accepted connections.
func startInFlight(t *testing.T, p *proc, n, ms int) <-chan slowResult {
	t.Helper()
	client := newClient(t)
	results := make(chan slowResult, n)
	var wrote sync.WaitGroup
	wrote.Add(n)
	for range n {
		go func() {
			var once sync.Once
			trace := &httptrace.ClientTrace{
				WroteRequest: func(httptrace.WroteRequestInfo) { once.Do(wrote.Done) },
			}
			ctx := httptrace.WithClientTrace(context.Background(), trace)
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.url(fmt.Sprintf("/api/v1/_test/slow?ms=%d", ms)), nil)
			resp, err := client.Do(req)
			once.Do(wrote.Done) // failed before it was written
			if err != nil {
				results <- slowResult{err: err}
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			results <- slowResult{status: resp.StatusCode}
		}()
	}
	if !waitGroupTimeout(&wrote, readyBound) {
		t.Fatalf("the %d slow requests were not written within %v", n, readyBound)
	}
	probe := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := probe.Get(p.url("/healthz"))
	if err != nil {
		t.Fatalf("probe: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("probe: %s", resp.Status)
	}
	return results
}

func waitGroupTimeout(wg *sync.WaitGroup, timeout time.Duration) bool {
	ch := make(chan struct{})
	go func() { wg.Wait(); close(ch) }()
	select {
	case <-ch:
		return true
	case <-time.After(timeout):
		return false
	}
}

// openTestDB opens a database file the way the server does (db.Open recovers a
// WAL left by a crash) and closes it at the end of the test.
func openTestDB(t *testing.T, path string) *db.DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d, err := db.Open(ctx, db.Options{Path: path, MustExist: true})
	if err != nil {
		t.Fatalf("db.Open(%s): %v", path, err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// checkIntegrity fails the test unless PRAGMA integrity_check says "ok".
func checkIntegrity(t *testing.T, d *db.DB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rows, err := d.Writer().QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		t.Fatalf("integrity_check: %v", err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatalf("integrity_check: %v", err)
		}
		got = append(got, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("integrity_check: %v", err)
	}
	if len(got) != 1 || got[0] != "ok" {
		t.Fatalf("integrity_check of %s = %q, want [ok]", d.Path(), got)
	}
}

// testKeys loads the keys written through POST /api/v1/_test/write.
func testKeys(t *testing.T, d *db.DB) map[string]bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rows, err := d.Writer().QueryContext(ctx, "SELECT key, value FROM settings WHERE key LIKE 'test.%'")
	if err != nil {
		t.Fatalf("load keys: %v", err)
	}
	defer rows.Close()
	keys := make(map[string]bool)
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			t.Fatalf("load keys: %v", err)
		}
		if k != "test."+v {
			t.Errorf("row %q holds %q", k, v)
		}
		keys[v] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("load keys: %v", err)
	}
	return keys
}

// checkHasKeys fails the test for every key of want missing from d.
func checkHasKeys(t *testing.T, d *db.DB, want []string) {
	t.Helper()
	have := testKeys(t, d)
	var missing []string
	for _, k := range want {
		if !have[k] {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		t.Fatalf("%d of %d acknowledged writes are missing from %s, e.g. %q", len(missing), len(want), d.Path(), missing[:min(5, len(missing))])
	}
}

// writers is a stream of POST /api/v1/_test/write?key=K from a few
// goroutines, remembering every key that was answered 201.
type writers struct {
	mu       sync.Mutex
	acked    []string
	failures []string // errors and non-201 answers seen before stop
	cancel   context.CancelFunc
	wg       sync.WaitGroup
}

func startWriters(t *testing.T, p *proc, n int) *writers {
	t.Helper()
	client := newClient(t)
	ctx, cancel := context.WithCancel(context.Background())
	w := &writers{cancel: cancel}
	for g := range n {
		w.wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				key := fmt.Sprintf("w%d-%d", g, i)
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, p.url("/api/v1/_test/write?key="+key), nil)
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						w.fail(fmt.Sprintf("%s: %v", key, err))
						time.Sleep(10 * time.Millisecond) // the server may be gone: do not spin
					}
					continue
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusCreated {
					w.mu.Lock()
					w.acked = append(w.acked, key)
					w.mu.Unlock()
				} else {
					w.fail(fmt.Sprintf("%s: %s %s", key, resp.Status, bytes.TrimSpace(body)))
				}
			}
		})
	}
	t.Cleanup(func() { w.stop(t) })
	return w
}

func (w *writers) fail(msg string) {
	w.mu.Lock()
	w.failures = append(w.failures, msg)
	w.mu.Unlock()
}

// ackedKeys is a copy of the keys answered 201 so far.
func (w *writers) ackedKeys() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.acked...)
}

func (w *writers) failed() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.failures...)
}

// waitAcked waits until at least n writes were acknowledged.
func (w *writers) waitAcked(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(readyBound)
	for len(w.ackedKeys()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("only %d writes acknowledged within %v (want %d); failures: %q", len(w.ackedKeys()), readyBound, n, w.failed())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// stop ends the stream and waits for the goroutines; it may be called more
// than once.
func (w *writers) stop(t *testing.T) {
	w.cancel()
	if !waitGroupTimeout(&w.wg, exitBound) {
		t.Errorf("writers did not stop within %v", exitBound)
	}
}

// indexOfMsg is the index of the first record with message msg, or -1.
func indexOfMsg(recs []map[string]any, msg string) int {
	for i, rec := range recs {
		if rec["msg"] == msg {
			return i
		}
	}
	return -1
}

// TestProcessSIGTERMDrainsInFlight: on SIGTERM the listener closes, every
// request in flight finishes with 200, the database is closed cleanly and
// the process exits 0 (SPEC section 6).
func TestProcessSIGTERMDrainsInFlight(t *testing.T) {
	p := startServer(t)
	const n = 8
	// 1500 ms leaves ample room for the signal to land while every request
	// is still in its handler, even on a loaded machine.
	const slowMS = 1500
	results := startInFlight(t, p, n, slowMS)

	p.signal(syscall.SIGTERM)

	// New connections must be refused while the in-flight requests finish:
	// a refusal seen while the process still runs proves the listener was
	// closed before exit.
	refused := make(chan string, 1)
	go func() {
		deadline := time.Now().Add(exitBound)
		for time.Now().Before(deadline) {
			c, err := net.DialTimeout("tcp", p.addr, time.Second)
			if err == nil {
				c.Close() // never hold a connection the server would wait for
				time.Sleep(5 * time.Millisecond)
				continue
			}
			if errors.Is(err, syscall.ECONNREFUSED) {
				if p.exited() {
					refused <- "refused only after the process had exited"
				} else {
					refused <- ""
				}
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
		refused <- "connections were still accepted " + exitBound.String() + " after SIGTERM"
	}()

	for i := range n {
		select {
		case r := <-results:
			if r.err != nil || r.status != http.StatusOK {
				t.Errorf("in-flight request %d: status %d, err %v; want 200", i, r.status, r.err)
			}
		case <-time.After(exitBound + slowMS*time.Millisecond):
			t.Fatalf("in-flight request %d did not finish", i)
		}
	}
	if msg := <-refused; msg != "" {
		t.Errorf("after SIGTERM: %s", msg)
	}
	if code := p.waitExit(exitBound); code != 0 {
		t.Fatalf("exit code %d after SIGTERM, want 0", code)
	}

	// The log tells the order: the signal was handled while every slow
	// request was still in its handler, and the database closed last.
	recs := p.stderr.records()
	shutdown := indexOfMsg(recs, "shutting down")
	stopped := indexOfMsg(recs, "server stopped")
	closed := indexOfMsg(recs, "database closed")
	if shutdown < 0 || stopped < 0 || closed < 0 {
		t.Fatalf("log lacks \"shutting down\" (%d), \"server stopped\" (%d) or \"database closed\" (%d)", shutdown, stopped, closed)
	}
	var after int
	for i, rec := range recs {
		if rec["msg"] == "request" && rec["path"] == "/api/v1/_test/slow" {
			if i < shutdown {
				t.Errorf("a slow request finished before the signal was handled: the test did not prove anything for it")
			}
			if i > stopped {
				t.Errorf("a slow request was logged after \"server stopped\"")
			}
			after++
		}
	}
	if after != n {
		t.Errorf("%d slow requests logged, want %d", after, n)
	}
	if !(stopped < closed) {
		t.Errorf("\"database closed\" logged before \"server stopped\"")
	}
	if !strings.Contains(p.stderr.String(), "database closed") {
		t.Errorf("stderr lacks \"database closed\"")
	}

	// The WAL was checkpointed and truncated on close.
	if st, err := os.Stat(p.dbPath + "-wal"); err == nil && st.Size() != 0 {
		t.Errorf("WAL holds %d bytes after a clean shutdown, want it truncated", st.Size())
	}
	checkIntegrity(t, openTestDB(t, p.dbPath))
}

// TestProcessSecondSignalExitsAtOnce: a second signal during a shutdown that
// waits for a long request exits at once, with code 1 (SPEC section 6).
func TestProcessSecondSignalExitsAtOnce(t *testing.T) {
	p := startServer(t, "--server.shutdown_timeout=60s")
	results := startInFlight(t, p, 1, 20000)

	p.signal(syscall.SIGTERM)
	if _, ok := p.waitLog(exitBound, msgIs("shutting down")); !ok {
		t.Fatalf("no \"shutting down\" log line after SIGTERM")
	}
	time.Sleep(100 * time.Millisecond)
	if p.exited() {
		t.Fatalf("exited (code %d) after one signal while a 20 s request was in flight and shutdown_timeout is 60s", p.cmd.ProcessState.ExitCode())
	}

	p.signal(syscall.SIGTERM)
	if code := p.waitExit(secondSignalBound); code != 1 {
		t.Errorf("exit code %d after a second signal, want 1", code)
	}
	if !strings.Contains(p.stderr.String(), "second signal") {
		t.Errorf("log does not mention the second signal")
	}
	select {
	case r := <-results:
		if r.err == nil {
			t.Errorf("the in-flight request was answered %d, want it cut off", r.status)
		}
	case <-time.After(exitBound):
		t.Errorf("the in-flight request did not end after the process exited")
	}
	// Exiting without closing the database loses nothing: the file is sound.
	checkIntegrity(t, openTestDB(t, p.dbPath))
}

// TestProcessKill9KeepsAcknowledgedWrites: a write answered 2xx survives a
// kill -9 (SPEC section 6), and the server starts again on the crashed file.
func TestProcessKill9KeepsAcknowledgedWrites(t *testing.T) {
	for _, tc := range []struct {
		name  string
		extra []string
	}{
		{"synchronous=normal", nil},
		{"synchronous=full", []string{"--db.synchronous=full"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := startServer(t, tc.extra...)
			w := startWriters(t, p, 4)
			w.waitAcked(t, 1)
			time.Sleep(400 * time.Millisecond)

			p.signal(syscall.SIGKILL)
			p.waitExit(exitBound)
			if ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
				t.Fatalf("process ended with %v, want killed by SIGKILL", p.cmd.ProcessState)
			}
			w.stop(t)
			acked := w.ackedKeys()
			if len(acked) == 0 {
				t.Fatalf("no write was acknowledged before the kill")
			}
			if st, err := os.Stat(p.dbPath + "-wal"); err == nil {
				t.Logf("%d writes acknowledged; WAL left by the crash: %d bytes", len(acked), st.Size())
			}

			// Check a copy of the crashed files, so that the restart below
			// also meets the file exactly as the crash left it.
			copyPath := filepath.Join(t.TempDir(), "crashed.db")
			for _, suffix := range []string{"", "-wal", "-shm"} {
				b, err := os.ReadFile(p.dbPath + suffix)
				if errors.Is(err, os.ErrNotExist) && suffix != "" {
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(copyPath+suffix, b, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			d := openTestDB(t, copyPath)
			checkIntegrity(t, d)
			checkHasKeys(t, d, acked)

			// The server starts on the crashed file, recovers it, and shuts
			// down cleanly with every acknowledged write in place.
			p2 := startServerOn(t, p.dbPath, tc.extra...)
			p2.signal(syscall.SIGTERM)
			if code := p2.waitExit(exitBound); code != 0 {
				t.Fatalf("restarted server: exit code %d after SIGTERM, want 0", code)
			}
			d2 := openTestDB(t, p.dbPath)
			checkIntegrity(t, d2)
			checkHasKeys(t, d2, acked)
		})
	}
}

// TestProcessBackupWhileServing: "tack backup FILE" beside a running server
// that is writing gives a sound copy holding every write acknowledged before
// it started, and disturbs no write (SPEC section 3).
func TestProcessBackupWhileServing(t *testing.T) {
	p := startServer(t)
	w := startWriters(t, p, 4)
	w.waitAcked(t, 20)
	before := w.ackedKeys()

	out := filepath.Join(t.TempDir(), "copy.db")
	b := startProcess(t, tackBin, "backup", out, "--db.path="+p.dbPath, "--log.format=json")
	code := b.waitExit(30 * time.Second)
	during := len(w.ackedKeys()) - len(before)
	// Let the stream run on a little after the backup, then stop it.
	time.Sleep(100 * time.Millisecond)
	w.stop(t)
	if code != 0 {
		t.Fatalf("tack backup: exit code %d, want 0; stderr:\n%s", code, b.stderr.String())
	}
	if !strings.Contains(b.stdout.String(), "backed up") {
		t.Errorf("tack backup printed %q, want a \"backed up\" line", b.stdout.String())
	}
	// A command that only reads must not write to the live database, not
	// even on close, so it logs nothing alarming.
	for _, rec := range b.stderr.records() {
		if rec["level"] == "ERROR" || rec["level"] == "WARN" {
			t.Errorf("tack backup logged %v", rec)
		}
	}
	if f := w.failed(); len(f) > 0 {
		t.Errorf("%d writes failed while the backup ran, e.g. %q", len(f), f[:min(3, len(f))])
	}
	t.Logf("%d writes acknowledged before the backup, %d while it ran", len(before), during)

	st, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if m := st.Mode().Perm(); m != 0o600 {
		t.Errorf("backup file mode %#o, want 0600", m)
	}
	d := openTestDB(t, out)
	checkIntegrity(t, d)
	checkHasKeys(t, d, before)

	p.signal(syscall.SIGTERM)
	if code := p.waitExit(exitBound); code != 0 {
		t.Errorf("server exit code %d after SIGTERM, want 0", code)
	}
}

// runTack runs the test binary to completion in a fresh working folder and
// returns its exit code and output.
func runTack(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	p := startProcess(t, tackBin, args...)
	code = p.waitExit(30 * time.Second)
	return code, p.stdout.String(), p.stderr.String()
}

// TestProcessBadStart: a start that cannot work says why in one line and
// exits non-zero (2 for bad usage or config, 1 otherwise; SPEC section 3),
// never with a panic trace, and never harms an existing file.
func TestProcessBadStart(t *testing.T) {
	type check struct {
		name     string
		args     func(t *testing.T) []string
		wantCode int
		wantMsg  []string // each must appear in stderr
		after    func(t *testing.T)
	}
	serve := func(dbPath string, extra ...string) []string {
		return append([]string{"serve", "--server.addr=127.0.0.1:0", "--db.path=" + dbPath, "--log.format=json"}, extra...)
	}
	notSQLite := bytes.Repeat([]byte("this is a text file, not a database\n"), 100)
	var notSQLitePath string // set by the check's args

	checks := []check{
		{
			name: "file is not SQLite",
			args: func(t *testing.T) []string {
				notSQLitePath = filepath.Join(t.TempDir(), "tack.db")
				if err := os.WriteFile(notSQLitePath, notSQLite, 0o600); err != nil {
					t.Fatal(err)
				}
				return serve(notSQLitePath)
			},
			wantCode: 1,
			wantMsg:  []string{"not a SQLite database"},
			after: func(t *testing.T) {
				// The file that is not a database is left exactly as it was.
				got, err := os.ReadFile(notSQLitePath)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, notSQLite) {
					t.Errorf("the non-SQLite file was changed (%d bytes, was %d)", len(got), len(notSQLite))
				}
			},
		},
		{
			name:     "folder cannot be created",
			args:     func(t *testing.T) []string { return serve("/proc/self/nope/tack.db") },
			wantCode: 1,
			wantMsg:  []string{"/proc/self/nope"},
		},
		{
			name: "unknown config key",
			args: func(t *testing.T) []string {
				cfg := filepath.Join(t.TempDir(), "tack.yaml")
				if err := os.WriteFile(cfg, []byte("server:\n  addr: 127.0.0.1:0\n  shutdown_timeuot: 5s\n"), 0o600); err != nil {
					t.Fatal(err)
				}
				return serve(filepath.Join(t.TempDir(), "tack.db"), "--config="+cfg)
			},
			wantCode: 2,
			wantMsg:  []string{"server.shutdown_timeuot"},
		},
		{
			name: "bad flag value",
			args: func(t *testing.T) []string {
				return serve(filepath.Join(t.TempDir(), "tack.db"), "--server.shutdown_timeout=5")
			},
			wantCode: 2,
			wantMsg:  []string{"server.shutdown_timeout"},
		},
		{
			name: "address in use",
			args: func(t *testing.T) []string {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { ln.Close() })
				return serve(filepath.Join(t.TempDir(), "tack.db"), "--server.addr="+ln.Addr().String())
			},
			wantCode: 1,
			wantMsg:  []string{"listen", "address already in use"},
		},
		{
			name: "unknown migrate direction",
			args: func(t *testing.T) []string {
				return []string{"migrate", "sideways", "--db.path=" + filepath.Join(t.TempDir(), "tack.db")}
			},
			wantCode: 2,
			wantMsg:  []string{"migrate up|down|status"},
		},
	}
	if os.Geteuid() != 0 {
		// Root ignores permission bits, so these only mean something for
		// other users; the /proc case above covers root.
		readOnly := func(t *testing.T) string {
			dir := filepath.Join(t.TempDir(), "ro")
			if err := os.Mkdir(dir, 0o500); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.Chmod(dir, 0o700) })
			return dir
		}
		checks = append(checks,
			check{
				name:     "folder under a read-only folder",
				args:     func(t *testing.T) []string { return serve(filepath.Join(readOnly(t), "sub", "tack.db")) },
				wantCode: 1,
				wantMsg:  []string{"permission denied"},
			},
			check{
				name:     "file in a read-only folder",
				args:     func(t *testing.T) []string { return serve(filepath.Join(readOnly(t), "tack.db")) },
				wantCode: 1,
				wantMsg:  []string{"permission denied"},
			},
		)
	}

	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := runTack(t, c.args(t)...)
			if code != c.wantCode {
				t.Errorf("exit code %d, want %d", code, c.wantCode)
			}
			for _, m := range c.wantMsg {
				if !strings.Contains(stderr, m) {
					t.Errorf("stderr does not mention %q", m)
				}
			}
			if strings.Contains(stderr, "goroutine ") || strings.Contains(stderr, "panic:") {
				t.Errorf("stderr holds a panic trace")
			}
			if !strings.Contains(stderr, "tack: ") {
				t.Errorf("stderr lacks the one-line \"tack: ...\" message")
			}
			if c.after != nil {
				c.after(t)
			}
		})
	}
}

// TestProcessFileModes: the real binary creates the database folder 0700 and
// the file (and its -wal and -shm) 0600 (SPEC section 2).
func TestProcessFileModes(t *testing.T) {
	root := t.TempDir()
	dbPath := filepath.Join(root, "data", "tack", "tack.db")
	p := startServerOn(t, dbPath)

	// One write, so that the WAL has content.
	resp, err := newClient(t).Post(p.url("/api/v1/_test/write?key=modes"), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("write: %s", resp.Status)
	}

	for _, dir := range []string{filepath.Join(root, "data"), filepath.Dir(dbPath)} {
		st, err := os.Stat(dir)
		if err != nil {
			t.Fatal(err)
		}
		if m := st.Mode().Perm(); m != 0o700 {
			t.Errorf("folder %s: mode %#o, want 0700", dir, m)
		}
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		st, err := os.Stat(dbPath + suffix)
		if errors.Is(err, os.ErrNotExist) && suffix != "" {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if m := st.Mode().Perm(); m != 0o600 {
			t.Errorf("file %s: mode %#o, want 0600", filepath.Base(dbPath+suffix), m)
		}
	}

	p.signal(syscall.SIGTERM)
	if code := p.waitExit(exitBound); code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0", code)
	}
}
