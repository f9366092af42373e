package main

// Tests of "tack user ..." (SPEC section 3): in-process through run, and as
// real processes beside a running server, whose very next request must see a
// deactivation or a password reset.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"tack/app/auth"
	"tack/app/errs"
	"tack/db"
)

// userCLI runs the command line in-process with stdin as its standard input
// (a strings.Reader, so never a terminal).
func userCLI(t *testing.T, stdin string, args ...string) cliResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, strings.NewReader(stdin), &stdout, &stderr)
	return cliResult{code, stdout.String(), stderr.String()}
}

// listedUser is one row of "tack user list".
type listedUser struct {
	id, username, displayName, role, active string
}

var userRow = regexp.MustCompile(`(?m)^(\d+)\s+(\S+)\s+(.+?)\s+(admin|member)\s+(true|false)\s+(\d{4}-\d\d-\d\d)\s*$`)

// parseUserList parses the output of "tack user list" by username.
func parseUserList(t *testing.T, out string) map[string]listedUser {
	t.Helper()
	if !strings.HasPrefix(out, "ID") || !strings.Contains(strings.SplitN(out, "\n", 2)[0], "USERNAME") {
		t.Errorf("user list does not start with its header:\n%s", out)
	}
	users := make(map[string]listedUser)
	for _, m := range userRow.FindAllStringSubmatch(out, -1) {
		users[m[2]] = listedUser{id: m[1], username: m[2], displayName: m[3], role: m[4], active: m[5]}
	}
	if lines := strings.Count(strings.TrimSpace(out), "\n"); lines != len(users) {
		t.Errorf("user list has %d rows, %d of them parsed:\n%s", lines, len(users), out)
	}
	return users
}

func TestCLIUser(t *testing.T) {
	dbPath := cliDir(t)
	dbFlag := "--db.path=" + dbPath
	const (
		rootPW  = "root password 1"
		alicePW = "alice password 1"
		newPW   = "alice password 2"
		bossPW  = "boss password 1"
	)
	secrets := []string{rootPW, alicePW, newPW, bossPW, "short9"}

	steps := []struct {
		name       string
		stdin      string
		args       []string
		wantCode   int
		wantStdout string // substring, if not empty
		wantStderr string // substring, if not empty
	}{
		{"list before any database", "", []string{"user", "list"}, 1, "", "no such file"},
		{"add without a password", "", []string{"user", "add", "--username", "root"}, 1, "", "no password on stdin"},
		{"add with an empty line", "\n", []string{"user", "add", "--username", "root"}, 1, "", "no password on stdin"},
		{"add with a short password", "short9\n", []string{"user", "add", "--username", "root"}, 1, "", "password is too short"},
		{"add with a bad username", rootPW + "\n", []string{"user", "add", "--username", "not ok!"}, 1, "", "username"},
		{"first user is admin", rootPW + "\n", []string{"user", "add", "--username", "root"}, 0, "created user root (id 1, admin)", ""},
		{"second user is member", alicePW, []string{"user", "add", "--username", "alice", "--display-name", "Alice Liddell"}, 0, "created user alice (id 2, member)", ""},
		{"duplicate username", alicePW + "\n", []string{"user", "add", "--username", "alice"}, 1, "", "taken"},
		{"duplicate username other case", alicePW + "\n", []string{"user", "add", "--username", "ALICE"}, 1, "", "taken"},
		{"add admin", bossPW + "\r\n", []string{"user", "add", "--admin", "--username", "boss"}, 0, "created user boss (id 3, admin)", ""},
		{"passwd", newPW + "\n", []string{"user", "passwd", "alice"}, 0, "password of alice changed", ""},
		{"passwd without a password", "", []string{"user", "passwd", "alice"}, 1, "", "no password on stdin"},
		{"passwd too short", "short9\n", []string{"user", "passwd", "alice"}, 1, "", "password is too short"},
		{"passwd unknown user", newPW + "\n", []string{"user", "passwd", "nobody"}, 1, "", "no such user"},
		{"deactivate unknown user", "", []string{"user", "deactivate", "nobody"}, 1, "", "no such user"},
		{"activate unknown user", "", []string{"user", "activate", "nobody"}, 1, "", "no such user"},
		{"deactivate", "", []string{"user", "deactivate", "alice"}, 0, "alice deactivated", ""},
		{"activate", "", []string{"user", "activate", "Alice"}, 0, "alice activated", ""},
		{"deactivate an admin while another is active", "", []string{"user", "deactivate", "boss"}, 0, "boss deactivated", ""},
		{"deactivate the last active admin", "", []string{"user", "deactivate", "root"}, 1, "", "last active admin"},
	}
	var outputs []string
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			args := append(s.args[:len(s.args):len(s.args)], dbFlag)
			r := userCLI(t, s.stdin, args...)
			outputs = append(outputs, r.stdout, r.stderr)
			r.wantCode(t, args, s.wantCode)
			if s.wantStdout != "" && !strings.Contains(r.stdout, s.wantStdout) {
				t.Errorf("stdout %q does not contain %q", r.stdout, s.wantStdout)
			}
			if s.wantStderr != "" && !strings.Contains(r.stderr, s.wantStderr) {
				t.Errorf("stderr %q does not contain %q", r.stderr, s.wantStderr)
			}
			if s.wantCode != 0 && !strings.Contains(r.stderr, "tack: ") {
				t.Errorf("stderr %q lacks the one-line \"tack: ...\" message", r.stderr)
			}
		})
	}

	t.Run("list", func(t *testing.T) {
		r := mustRun(t, 0, "user", "list", dbFlag)
		outputs = append(outputs, r.stdout, r.stderr)
		got := parseUserList(t, r.stdout)
		want := map[string]listedUser{
			"alice": {id: "2", username: "alice", displayName: "Alice Liddell", role: "member", active: "true"},
			"boss":  {id: "3", username: "boss", displayName: "boss", role: "admin", active: "false"},
			"root":  {id: "1", username: "root", displayName: "root", role: "admin", active: "true"},
		}
		if len(got) != len(want) {
			t.Errorf("listed %d users, want %d:\n%s", len(got), len(want), r.stdout)
		}
		for name, w := range want {
			if got[name] != w {
				t.Errorf("user %s = %+v, want %+v", name, got[name], w)
			}
		}
	})

	t.Run("PasswordNeverPrinted", func(t *testing.T) {
		for _, out := range outputs {
			for _, pw := range secrets {
				if strings.Contains(out, pw) {
					t.Errorf("output holds the password %q:\n%s", pw, out)
				}
			}
		}
	})

	t.Run("PasswordsAsSet", func(t *testing.T) {
		// The database says what the commands did: alice signs in with the
		// password set by passwd and no longer with the first one.
		ctx := context.Background()
		d, err := db.Open(ctx, db.Options{Path: dbPath, MustExist: true})
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		svc := auth.New(auth.Options{
			DB: d, Secret: bytes.Repeat([]byte("s"), 32), Issuer: "tack", Audience: "tack",
			AccessTTL: time.Minute, RefreshTTL: time.Hour,
			Hasher: auth.NewHasher(auth.DefaultHashParams, 1),
		})
		tests := []struct {
			name, username, password string
			want                     errs.Code // "" means signed in
		}{
			{"new password", "alice", newPW, ""},
			{"old password", "alice", alicePW, errs.Unauthorized},
			{"first user", "root", rootPW, ""},
			{"deactivated admin", "boss", bossPW, errs.Forbidden},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := svc.Login(ctx, tt.username, tt.password, auth.Client{})
				if tt.want == "" {
					if err != nil {
						t.Fatalf("Login(%s) = %v, want success", tt.username, err)
					}
					return
				}
				if !errs.Is(err, tt.want) {
					t.Fatalf("Login(%s) = %v, want %s", tt.username, err, tt.want)
				}
			})
		}
	})
}

func TestCLIUserUsage(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		want       int
		wantStderr string
	}{
		{"no subcommand", []string{"user"}, 2, "usage:"},
		{"flag instead of subcommand", []string{"user", "--admin"}, 2, "usage:"},
		{"unknown subcommand", []string{"user", "remove", "alice"}, 2, `unknown user command "remove"`},
		{"add without --username", []string{"user", "add"}, 2, "needs --username"},
		{"add with --username empty", []string{"user", "add", "--username="}, 2, "needs --username"},
		{"add with an argument", []string{"user", "add", "--username", "alice", "bob"}, 2, "usage:"},
		{"add with an unknown flag", []string{"user", "add", "--username", "alice", "--role", "admin"}, 2, "role"},
		{"passwd without a name", []string{"user", "passwd"}, 2, "usage:"},
		{"passwd with two names", []string{"user", "passwd", "alice", "bob"}, 2, "usage:"},
		{"deactivate without a name", []string{"user", "deactivate"}, 2, "usage:"},
		{"activate without a name", []string{"user", "activate"}, 2, "usage:"},
		{"list with an argument", []string{"user", "list", "all"}, 2, "usage:"},
		{"passwd with --admin", []string{"user", "passwd", "alice", "--admin"}, 2, "admin"},
		{"add -h", []string{"user", "add", "-h"}, 0, "-username"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dbPath := cliDir(t)
			// None of these may get as far as opening (or creating) the
			// database, nor reading the password given on stdin.
			args := append(tt.args[:len(tt.args):len(tt.args)], "--db.path", dbPath)
			r := userCLI(t, "a fine password\n", args...)
			r.wantCode(t, args, tt.want)
			if !strings.Contains(r.stderr, tt.wantStderr) {
				t.Errorf("stderr %q does not contain %q", r.stderr, tt.wantStderr)
			}
			if strings.Contains(r.stdout+r.stderr, "a fine password") {
				t.Errorf("the password was printed")
			}
			if _, err := os.Stat(filepath.Dir(dbPath)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the database folder was created (stat: %v)", err)
			}
		})
	}
}

// runTackWithStdin runs the test binary to completion with stdin piped in,
// against the environment of a child process (no TACK_* variables).
func runTackWithStdin(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, tackBin, args...)
	cmd.Dir = t.TempDir()
	cmd.Env = childEnv()
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit) && ctx.Err() == nil:
		code = exit.ExitCode()
	default:
		t.Fatalf("tack %q: %v\nstderr:\n%s", args, err, errOut.String())
	}
	return code, out.String(), errOut.String()
}

// apiCall sends a JSON request to a running server and decodes the answer.
func apiCall(t *testing.T, c *http.Client, method, url, token string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("%s %s: %d, body %q is not JSON: %v", method, url, res.StatusCode, raw, err)
		}
	}
	return res.StatusCode, m
}

// errorReason is details.reason of an error body, or "".
func errorReason(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	d, _ := e["details"].(map[string]any)
	r, _ := d["reason"].(string)
	return r
}

func errorCode(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

// TestProcessUserCommandsBesideServer: "tack user deactivate" and "tack user
// passwd", run as separate processes on the database of a running server,
// end the user's sessions on the server's very next request (SPEC section 3:
// "manage users offline or beside a running server").
func TestProcessUserCommandsBesideServer(t *testing.T) {
	p := startServer(t)
	dbFlag := "--db.path=" + p.dbPath
	const (
		rootPW  = "root password 1"
		alicePW = "alice password 1"
		newPW   = "alice password 2"
	)
	userCmd := func(t *testing.T, stdin string, want int, args ...string) string {
		t.Helper()
		args = append(args, dbFlag, "--log.format=json")
		code, stdout, stderr := runTackWithStdin(t, stdin, args...)
		if code != want {
			t.Fatalf("tack %q: exit code %d, want %d\nstdout: %s\nstderr: %s", args, code, want, stdout, stderr)
		}
		for _, pw := range []string{rootPW, alicePW, newPW} {
			if strings.Contains(stdout+stderr, pw) {
				t.Errorf("tack %q printed a password", args)
			}
		}
		return stdout
	}
	client := newClient(t)
	login := func(t *testing.T, username, password string, want int) string {
		t.Helper()
		status, body := apiCall(t, client, "POST", p.url("/api/v1/auth/login"), "", map[string]string{"username": username, "password": password})
		if status != want {
			t.Fatalf("login %s: %d %v, want %d", username, status, body, want)
		}
		token, _ := body["access_token"].(string)
		if want == http.StatusOK && token == "" {
			t.Fatalf("login %s: no access_token in %v", username, body)
		}
		return token
	}
	me := func(t *testing.T, token string) (int, map[string]any) {
		t.Helper()
		return apiCall(t, client, "GET", p.url("/api/v1/me"), token, nil)
	}
	wantRevoked := func(t *testing.T, token string) {
		t.Helper()
		status, body := me(t, token)
		if status != http.StatusUnauthorized || errorCode(body) != "unauthorized" || errorReason(body) != auth.ReasonSessionRevoked {
			t.Fatalf("GET /me with the old token: %d %v, want 401 unauthorized with reason %s", status, body, auth.ReasonSessionRevoked)
		}
	}

	// root is the first user (admin), so that alice is not the last admin.
	if out := userCmd(t, rootPW+"\n", 0, "user", "add", "--username", "root"); !strings.Contains(out, "admin") {
		t.Errorf("first user: %q, want admin", out)
	}
	userCmd(t, alicePW+"\n", 0, "user", "add", "--username", "alice")

	token := login(t, "alice", alicePW, http.StatusOK)
	rootToken := login(t, "root", rootPW, http.StatusOK)
	if status, body := me(t, token); status != http.StatusOK || body["username"] != "alice" || body["is_active"] != true {
		t.Fatalf("GET /me: %d %v", status, body)
	}

	t.Run("Deactivate", func(t *testing.T) {
		userCmd(t, "", 0, "user", "deactivate", "alice")
		// Deactivation revokes every session, and the session check comes
		// before the user check: 401 session_revoked.
		wantRevoked(t, token)
		// The right password now gets 403, a wrong one the usual 401.
		status, body := apiCall(t, client, "POST", p.url("/api/v1/auth/login"), "", map[string]string{"username": "alice", "password": alicePW})
		if status != http.StatusForbidden || errorCode(body) != "forbidden" {
			t.Errorf("login while deactivated: %d %v, want 403 forbidden", status, body)
		}
		login(t, "alice", "wrong password!", http.StatusUnauthorized)
		// Others are untouched.
		if status, body := me(t, rootToken); status != http.StatusOK {
			t.Errorf("root's GET /me: %d %v", status, body)
		}
	})

	t.Run("Activate", func(t *testing.T) {
		userCmd(t, "", 0, "user", "activate", "alice")
		token = login(t, "alice", alicePW, http.StatusOK)
		if status, body := me(t, token); status != http.StatusOK {
			t.Fatalf("GET /me after activation: %d %v", status, body)
		}
	})

	t.Run("Passwd", func(t *testing.T) {
		userCmd(t, newPW+"\n", 0, "user", "passwd", "alice")
		wantRevoked(t, token)
		login(t, "alice", alicePW, http.StatusUnauthorized)
		token = login(t, "alice", newPW, http.StatusOK)
		if status, body := me(t, token); status != http.StatusOK {
			t.Fatalf("GET /me with the new password's session: %d %v", status, body)
		}
		if status, body := me(t, rootToken); status != http.StatusOK {
			t.Errorf("root's GET /me: %d %v", status, body)
		}
	})

	t.Run("LastAdmin", func(t *testing.T) {
		userCmd(t, "", 1, "user", "deactivate", "root")
		if status, body := me(t, rootToken); status != http.StatusOK {
			t.Errorf("root's GET /me after a refused deactivation: %d %v", status, body)
		}
	})

	t.Run("List", func(t *testing.T) {
		users := parseUserList(t, userCmd(t, "", 0, "user", "list"))
		if users["alice"].active != "true" || users["root"].role != "admin" || len(users) != 2 {
			t.Errorf("user list = %+v", users)
		}
	})

	p.signal(syscall.SIGTERM)
	if code := p.waitExit(exitBound); code != 0 {
		t.Errorf("server exit code %d after SIGTERM, want 0", code)
	}
	checkIntegrity(t, openTestDB(t, p.dbPath))
}
