package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// releaseBins are the normal (no tacktest tag) builds the startup benchmark
// measures: stripped as a release would ship it, and plain "go build".
var releaseBins struct {
	once     sync.Once
	stripped string
	plain    string
	err      error
}

func buildReleaseBins() (stripped, plain string, err error) {
	releaseBins.once.Do(func() {
		// Next to the test binary, in the folder TestMain removes.
		dir := filepath.Dir(tackBin)
		releaseBins.stripped = filepath.Join(dir, "tack-release")
		releaseBins.plain = filepath.Join(dir, "tack-plain")
		for _, args := range [][]string{
			{"build", "-trimpath", "-ldflags=-s -w", "-o", releaseBins.stripped, "."},
			{"build", "-o", releaseBins.plain, "."},
		} {
			if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
				releaseBins.err = fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
				return
			}
		}
	})
	return releaseBins.stripped, releaseBins.plain, releaseBins.err
}

func fileMiB(tb testing.TB, path string) float64 {
	st, err := os.Stat(path)
	if err != nil {
		tb.Fatal(err)
	}
	return float64(st.Size()) / (1 << 20)
}

// vmRSSMiB reads the resident set size of pid from /proc.
func vmRSSMiB(tb testing.TB, pid int) float64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// "VmRSS:	   12345 kB"
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			if err != nil {
				tb.Fatalf("VmRSS %q: %v", rest, err)
			}
			return kb / 1024
		}
	}
	tb.Fatalf("no VmRSS in /proc/%d/status", pid)
	return 0
}

// BenchmarkStartup starts the release build (no tacktest tag, -trimpath,
// -ldflags=-s -w) on a fresh database each iteration and reports the time
// from exec to the first /readyz 200 (which includes creating the file and
// applying every migration), the resident memory once idle, and the binary
// sizes.
func BenchmarkStartup(b *testing.B) {
	stripped, plain, err := buildReleaseBins()
	if err != nil {
		b.Fatal(err)
	}
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	var ready time.Duration
	var rss float64
	b.ResetTimer()
	for range b.N {
		dbPath := filepath.Join(b.TempDir(), "tack.db")
		start := time.Now()
		p := startServerBin(b, stripped, dbPath)
		p.waitListening(readyBound)
		for {
			if time.Since(start) > readyBound {
				b.Fatalf("/readyz did not answer 200 within %v", readyBound)
			}
			resp, err := client.Get(p.url("/readyz"))
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
			time.Sleep(time.Millisecond)
		}
		ready += time.Since(start)

		b.StopTimer()
		time.Sleep(500 * time.Millisecond) // idle
		rss += vmRSSMiB(b, p.cmd.Process.Pid)
		p.signal(syscall.SIGTERM)
		if code := p.waitExit(exitBound); code != 0 {
			b.Fatalf("exit code %d after SIGTERM", code)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(ready.Microseconds())/1000/float64(b.N), "ms/ready")
	b.ReportMetric(rss/float64(b.N), "idle-RSS-MiB")
	// After the loop: ResetTimer drops metrics reported before it.
	b.ReportMetric(fileMiB(b, stripped), "binary-MiB")
	b.ReportMetric(fileMiB(b, plain), "binary-plain-MiB")
}
