package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/viper"
)

// clearTackEnv blanks every TACK_* variable of the environment the tests run
// in, so that a developer's shell cannot change what the tests see. Viper
// ignores empty environment variables.
func clearTackEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "TACK_") {
			t.Setenv(name, "")
		}
	}
}

// inTempDir runs the rest of the test in a fresh, empty working folder with
// no TACK_* variables set.
func inTempDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Chdir(dir)
	clearTackEnv(t)
	return dir
}

// envName is the environment variable of a key: TACK_ + key with "." as "_".
func envName(key string) string {
	return "TACK_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// loadArgs loads the config the way every command does: flags (including
// --config) parsed by setup, then loadConfig.
func loadArgs(t *testing.T, args ...string) (*Config, error) {
	t.Helper()
	cfg, rest, err := setup("test", args, io.Discard)
	if len(rest) > 0 {
		t.Fatalf("setup(%q) left positional arguments %q", args, rest)
	}
	return cfg, err
}

// writeFile writes content to name in the working folder and returns name.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return name
}

// yamlFor renders one key as a YAML document: "section:\n  key: value".
func yamlFor(key, value string) string {
	section, leaf, _ := strings.Cut(key, ".")
	return section + ":\n  " + leaf + ": " + value + "\n"
}

// specDefaults is the Config of SPEC section 2 with nothing configured,
// written out by hand rather than taken from configKeys.
func specDefaults() Config {
	var c Config
	c.Server.Addr = ":8080"
	c.Server.BaseURL = "http://localhost:8080"
	c.Server.baseURLDerived = true
	c.Server.ShutdownTimeout = 15 * time.Second
	c.DB.Path = "data/tack.db"
	c.DB.Synchronous = "normal"
	c.DB.SlowQuery = 200 * time.Millisecond
	c.Auth.Issuer = "tack"
	c.Auth.Audience = "tack"
	c.Auth.AccessTTL = 15 * time.Minute
	c.Auth.RefreshTTL = 720 * time.Hour
	c.Log.Level = "info"
	c.Log.Format = "text"
	c.Backup.Dir = "data/backups"
	c.Backup.Keep = 7
	c.Realtime.MaxSocketsPerUser = 20
	c.Realtime.EventRetention = 168 * time.Hour
	c.Realtime.EventRetentionCount = 100000
	return c
}

func TestConfigDefaults(t *testing.T) {
	inTempDir(t)
	c, err := loadConfig("", nil)
	if err != nil {
		t.Fatalf("loadConfig in an empty folder: %v", err)
	}
	tests := []struct {
		key  string
		got  any
		want any
	}{
		{"server.addr", c.Server.Addr, ":8080"},
		{"server.base_url", c.Server.BaseURL, "http://localhost:8080"},
		{"server.allowed_origins", len(c.Server.AllowedOrigins), 0},
		{"server.trusted_proxies", len(c.Server.TrustedProxies), 0},
		{"server.shutdown_timeout", c.Server.ShutdownTimeout, 15 * time.Second},
		{"db.path", c.DB.Path, "data/tack.db"},
		{"db.synchronous", c.DB.Synchronous, "normal"},
		{"db.slow_query", c.DB.SlowQuery, 200 * time.Millisecond},
		{"auth.jwt_secret", c.Auth.JWTSecret, ""},
		{"auth.issuer", c.Auth.Issuer, "tack"},
		{"auth.audience", c.Auth.Audience, "tack"},
		{"auth.access_ttl", c.Auth.AccessTTL, 15 * time.Minute},
		{"auth.refresh_ttl", c.Auth.RefreshTTL, 720 * time.Hour},
		{"auth.open_registration", c.Auth.OpenRegistration, false},
		{"log.level", c.Log.Level, "info"},
		{"log.format", c.Log.Format, "text"},
		{"backup.dir", c.Backup.Dir, "data/backups"},
		{"backup.interval", c.Backup.Interval, time.Duration(0)},
		{"backup.keep", c.Backup.Keep, 7},
		{"realtime.max_sockets_per_user", c.Realtime.MaxSocketsPerUser, 20},
		{"realtime.event_retention", c.Realtime.EventRetention, 168 * time.Hour},
		{"realtime.event_retention_count", c.Realtime.EventRetentionCount, 100000},
		{"debug.pprof", c.Debug.Pprof, false},
		{"file", c.File, ""},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("%s = %#v, want %#v", tt.key, tt.got, tt.want)
			}
		})
	}
	t.Run("whole struct", func(t *testing.T) {
		if want := specDefaults(); !reflect.DeepEqual(*c, want) {
			t.Errorf("defaults:\n got %+v\nwant %+v", *c, want)
		}
	})
	t.Run("every key has a test row", func(t *testing.T) {
		for _, k := range configKeys {
			if !slices.ContainsFunc(tests, func(tt struct {
				key  string
				got  any
				want any
			}) bool {
				return tt.key == k.name
			}) {
				t.Errorf("configKeys has %s but TestConfigDefaults does not check its default", k.name)
			}
		}
	})
}

// exampleFile is config.example.yaml, next to this test.
func exampleFile(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(wd, "config.example.yaml")
}

func keyNames() []string {
	var names []string
	for _, k := range configKeys {
		names = append(names, k.name)
	}
	slices.Sort(names)
	return names
}

// diffSets returns the elements of a missing from b.
func diffSets(a, b []string) []string {
	var out []string
	for _, s := range a {
		if !slices.Contains(b, s) {
			out = append(out, s)
		}
	}
	return out
}

func TestConfigExample(t *testing.T) {
	example := exampleFile(t) // before the working folder changes
	inTempDir(t)

	t.Run("loads and equals the defaults", func(t *testing.T) {
		got, err := loadConfig(example, nil)
		if err != nil {
			t.Fatalf("loadConfig(config.example.yaml): %v", err)
		}
		if got.File != example {
			t.Errorf("File = %q, want %q", got.File, example)
		}
		defaults, err := loadConfig("", nil)
		if err != nil {
			t.Fatalf("loadConfig(\"\"): %v", err)
		}
		got.File, defaults.File = "", ""
		if !reflect.DeepEqual(*got, *defaults) {
			t.Errorf("config.example.yaml differs from the defaults:\n got %+v\nwant %+v", *got, *defaults)
		}
		if want := specDefaults(); !reflect.DeepEqual(*got, want) {
			t.Errorf("config.example.yaml differs from SPEC section 2:\n got %+v\nwant %+v", *got, want)
		}
	})

	t.Run("lists exactly configKeys", func(t *testing.T) {
		v := viper.New()
		v.SetConfigFile(example)
		v.SetConfigType("yaml")
		if err := v.ReadInConfig(); err != nil {
			t.Fatalf("parse config.example.yaml: %v", err)
		}
		got := flatten("", v.AllSettings())
		slices.Sort(got)
		want := keyNames()
		if missing := diffSets(want, got); len(missing) > 0 {
			t.Errorf("config.example.yaml lacks keys of configKeys: %q", missing)
		}
		if extra := diffSets(got, want); len(extra) > 0 {
			t.Errorf("config.example.yaml has keys that configKeys lacks: %q", extra)
		}
	})

	t.Run("every key line has a comment", func(t *testing.T) {
		data, err := os.ReadFile(example)
		if err != nil {
			t.Fatal(err)
		}
		var section string
		var seen []string
		sc := bufio.NewScanner(bytes.NewReader(data))
		for n := 1; sc.Scan(); n++ {
			line := sc.Text()
			trimmed := strings.TrimSpace(line)
			if trimmed == "" || strings.HasPrefix(trimmed, "#") {
				continue
			}
			name, rest, ok := strings.Cut(trimmed, ":")
			if !ok {
				t.Errorf("line %d %q: not a key line", n, line)
				continue
			}
			if line == trimmed { // a section header
				section = name
				continue
			}
			key := section + "." + name
			seen = append(seen, key)
			_, comment, ok := strings.Cut(rest, " #")
			if !ok || strings.TrimSpace(comment) == "" {
				t.Errorf("line %d: key %s has no comment: %q", n, key, line)
			}
		}
		slices.Sort(seen)
		if want := keyNames(); !slices.Equal(seen, want) {
			t.Errorf("key lines of config.example.yaml:\n got %q\nwant %q", seen, want)
		}
	})
}

// flatten turns nested YAML maps into dotted keys of their leaves.
func flatten(prefix string, m map[string]any) []string {
	var out []string
	for k, v := range m {
		if prefix != "" {
			k = prefix + "." + k
		}
		if sub, ok := v.(map[string]any); ok && len(sub) > 0 {
			out = append(out, flatten(k, sub)...)
			continue
		}
		out = append(out, k)
	}
	return out
}

func TestConfigPrecedence(t *testing.T) {
	type layers struct {
		file string // YAML text of the value
		env  string
		flag string
	}
	tests := []struct {
		key  string
		in   layers
		get  func(*Config) any
		want [4]any // default, file, env, flag
	}{
		{
			key:  "server.addr",
			in:   layers{file: `"127.0.0.1:7001"`, env: "127.0.0.1:7002", flag: "127.0.0.1:7003"},
			get:  func(c *Config) any { return c.Server.Addr },
			want: [4]any{":8080", "127.0.0.1:7001", "127.0.0.1:7002", "127.0.0.1:7003"},
		},
		{
			key:  "server.shutdown_timeout",
			in:   layers{file: "1m", env: "2m30s", flag: "3s"},
			get:  func(c *Config) any { return c.Server.ShutdownTimeout },
			want: [4]any{15 * time.Second, time.Minute, 150 * time.Second, 3 * time.Second},
		},
		{
			key:  "auth.open_registration",
			in:   layers{file: "true", env: "false", flag: "true"},
			get:  func(c *Config) any { return c.Auth.OpenRegistration },
			want: [4]any{false, true, false, true},
		},
		{
			key:  "debug.pprof",
			in:   layers{file: "false", env: "true", flag: "false"},
			get:  func(c *Config) any { return c.Debug.Pprof },
			want: [4]any{false, false, true, false},
		},
		{
			key:  "server.trusted_proxies",
			in:   layers{file: `["10.0.0.0/8", "192.168.1.1"]`, env: "172.16.0.0/12, 10.1.2.3", flag: "127.0.0.1/32"},
			get:  func(c *Config) any { return prefixStrings(c.Server.TrustedProxies) },
			want: [4]any{"", "10.0.0.0/8,192.168.1.1/32", "172.16.0.0/12,10.1.2.3/32", "127.0.0.1/32"},
		},
		{
			key:  "server.allowed_origins",
			in:   layers{file: "\n    - https://a.example\n    - http://b.example:8443", env: "https://c.example", flag: "https://d.example,https://e.example"},
			get:  func(c *Config) any { return strings.Join(c.Server.AllowedOrigins, ",") },
			want: [4]any{"", "https://a.example,http://b.example:8443", "https://c.example", "https://d.example,https://e.example"},
		},
		{
			key:  "backup.keep",
			in:   layers{file: "3", env: "0", flag: "12"},
			get:  func(c *Config) any { return c.Backup.Keep },
			want: [4]any{7, 3, 0, 12},
		},
		{
			key:  "realtime.event_retention_count",
			in:   layers{file: "10", env: "20", flag: "30"},
			get:  func(c *Config) any { return c.Realtime.EventRetentionCount },
			want: [4]any{100000, 10, 20, 30},
		},
		{
			key:  "log.level",
			in:   layers{file: "debug", env: "WARN", flag: "error"},
			get:  func(c *Config) any { return c.Log.Level },
			want: [4]any{"info", "debug", "warn", "error"},
		},
		{
			key:  "db.path",
			in:   layers{file: "file/tack.db", env: "env/tack.db", flag: "flag/tack.db"},
			get:  func(c *Config) any { return c.DB.Path },
			want: [4]any{"data/tack.db", "file/tack.db", "env/tack.db", "flag/tack.db"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			cases := []struct {
				name                 string
				file, env, flag      bool
				want                 any
				wantFileNameInConfig bool
			}{
				{name: "default", want: tt.want[0]},
				{name: "file over default", file: true, want: tt.want[1]},
				{name: "env over default", env: true, want: tt.want[2]},
				{name: "env over file", file: true, env: true, want: tt.want[2]},
				{name: "flag over default", flag: true, want: tt.want[3]},
				{name: "flag over file", file: true, flag: true, want: tt.want[3]},
				{name: "flag over env", env: true, flag: true, want: tt.want[3]},
				{name: "flag over env over file", file: true, env: true, flag: true, want: tt.want[3]},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					inTempDir(t)
					var args []string
					if c.file {
						args = append(args, "--config", writeFile(t, "custom.yaml", yamlFor(tt.key, tt.in.file)))
					}
					if c.env {
						t.Setenv(envName(tt.key), tt.in.env)
					}
					if c.flag {
						args = append(args, "--"+tt.key+"="+tt.in.flag)
					}
					cfg, err := loadArgs(t, args...)
					if err != nil {
						t.Fatalf("load %q: %v", args, err)
					}
					if got := tt.get(cfg); got != c.want {
						t.Errorf("%s = %#v, want %#v", tt.key, got, c.want)
					}
				})
			}
		})
	}
}

func prefixStrings(ps []netip.Prefix) string {
	var s []string
	for _, p := range ps {
		s = append(s, p.String())
	}
	return strings.Join(s, ",")
}

func TestConfigFileDiscovery(t *testing.T) {
	t.Run("tack.yaml in the working folder", func(t *testing.T) {
		inTempDir(t)
		writeFile(t, "tack.yaml", "server:\n  addr: \"127.0.0.1:9999\"\nbackup:\n  keep: 2\n")
		c, err := loadConfig("", nil)
		if err != nil {
			t.Fatalf("loadConfig: %v", err)
		}
		if c.File != "tack.yaml" {
			t.Errorf("File = %q, want %q", c.File, "tack.yaml")
		}
		if c.Server.Addr != "127.0.0.1:9999" || c.Backup.Keep != 2 {
			t.Errorf("server.addr, backup.keep = %q, %d, want %q, 2", c.Server.Addr, c.Backup.Keep, "127.0.0.1:9999")
		}
		if want := "http://127.0.0.1:9999"; c.Server.BaseURL != want {
			t.Errorf("derived base_url = %q, want %q", c.Server.BaseURL, want)
		}
	})
	t.Run("tack.yaml through the command line", func(t *testing.T) {
		inTempDir(t)
		writeFile(t, "tack.yaml", "log:\n  format: json\n")
		c, err := loadArgs(t)
		if err != nil {
			t.Fatalf("load: %v", err)
		}
		if c.Log.Format != "json" {
			t.Errorf("log.format = %q, want %q", c.Log.Format, "json")
		}
	})
	t.Run("--config wins over tack.yaml", func(t *testing.T) {
		inTempDir(t)
		writeFile(t, "tack.yaml", "log:\n  format: json\n  level: debug\n")
		other := writeFile(t, "other.yaml", "log:\n  level: warn\n")
		c, err := loadArgs(t, "--config", other)
		if err != nil {
			t.Fatalf("load: %v", err)
		}
		if c.File != other {
			t.Errorf("File = %q, want %q", c.File, other)
		}
		// tack.yaml is not read at all: not even its log.format.
		if c.Log.Level != "warn" || c.Log.Format != "text" {
			t.Errorf("log.level, log.format = %q, %q, want %q, %q", c.Log.Level, c.Log.Format, "warn", "text")
		}
	})
	t.Run("a broken tack.yaml is not ignored", func(t *testing.T) {
		inTempDir(t)
		writeFile(t, "tack.yaml", "server:\n  adress: x\n")
		_, err := loadConfig("", nil)
		var ce *configError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), "server.adress") {
			t.Errorf("loadConfig with a bad tack.yaml: err = %v, want a *configError naming server.adress", err)
		}
	})
	t.Run("an empty file is all defaults", func(t *testing.T) {
		inTempDir(t)
		c, err := loadConfig(writeFile(t, "empty.yaml", "# nothing here\n"), nil)
		if err != nil {
			t.Fatalf("loadConfig: %v", err)
		}
		c.File = ""
		if want := specDefaults(); !reflect.DeepEqual(*c, want) {
			t.Errorf("got %+v, want %+v", *c, want)
		}
	})
	t.Run("a section with every key commented out", func(t *testing.T) {
		inTempDir(t)
		c, err := loadConfig(writeFile(t, "sparse.yaml", "server:\n  # addr: \":9090\"\ndb:\n  path: x/tack.db\n"), nil)
		if err != nil {
			t.Fatalf("loadConfig: %v", err)
		}
		if c.Server.Addr != ":8080" || c.DB.Path != "x/tack.db" {
			t.Errorf("server.addr, db.path = %q, %q, want %q, %q", c.Server.Addr, c.DB.Path, ":8080", "x/tack.db")
		}
	})
}

// blockedDBPath is a database path whose folder cannot be created (its
// parent is a file), so that a command that wrongly accepted its config
// fails at once with exit code 1 instead of serving.
func blockedDBPath(t *testing.T) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "not-a-folder")
	if err := os.WriteFile(f, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(f, "tack.db")
}

func TestConfigUnknownKeys(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		wantKey string
	}{
		{"misspelt nested key", "server:\n  adress: \":9090\"\n", "server.adress"},
		{"misspelt key beside good ones", "db:\n  path: x.db\n  synchronus: full\n", "db.synchronus"},
		{"key in capitals", "log:\n  Levle: debug\n", "levle"},
		{"unknown top-level section", "metrics:\n  enabled: true\n", "metrics"},
		{"unknown top-level scalar", "verbose: true\n", "verbose"},
		{"misspelt section", "serverr:\n  addr: \":9090\"\n", "serverr"},
		{"known section as a scalar", "server: 1\n", "server"},
		{"known section as a list", "auth:\n  - issuer\n", "auth"},
		{"known key as a section", "server:\n  addr:\n    host: localhost\n", "server.addr"},
		{"misspelt flat dotted key", "server.adress: \":9090\"\n", "server.adress"},
		{"known section as an empty string", "log: \"\"\n", "log"},
		{"known section as an empty list", "log: []\n", "log"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inTempDir(t)
			f := writeFile(t, "bad.yaml", tt.yaml)

			_, err := loadConfig(f, nil)
			var ce *configError
			if !errors.As(err, &ce) {
				t.Fatalf("loadConfig(%q): err = %v (%T), want a *configError", tt.yaml, err, err)
			}
			if !strings.Contains(err.Error(), tt.wantKey) {
				t.Errorf("error %q does not name %q", err, tt.wantKey)
			}

			var stdout, stderr bytes.Buffer
			// The blocked db.path comes first so that the file is what is
			// tested; it only matters if the file were wrongly accepted.
			code := run([]string{"--db.path", blockedDBPath(t), "--config", f}, strings.NewReader(""), &stdout, &stderr)
			if code != 2 {
				t.Errorf("run --config %s: exit code %d, want 2 (stderr %q)", f, code, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.wantKey) {
				t.Errorf("stderr %q does not name %q", stderr.String(), tt.wantKey)
			}
		})
	}
}

func TestConfigBadValues(t *testing.T) {
	// in holds the value as it is written in each form: "file" is YAML text,
	// "env" and "flag" the raw string. A form that is absent is not tried.
	all := func(v string) map[string]string { return map[string]string{"file": v, "env": v, "flag": v} }
	tests := []struct {
		name string
		key  string
		in   map[string]string
	}{
		{"addr without port", "server.addr", all("nonsense")},
		{"addr as a list", "server.addr", map[string]string{"file": `[":1", ":2"]`}},
		{"base_url not http", "server.base_url", all("ftp://x")},
		{"base_url without host", "server.base_url", all("http://")},
		{"base_url with query", "server.base_url", all("https://x.example/?a=1")},
		{"allowed_origins not a url", "server.allowed_origins", map[string]string{"file": `["not a url"]`, "env": "not a url", "flag": "not a url"}},
		{"allowed_origins with a path", "server.allowed_origins", all("https://a.example/app")},
		{"allowed_origins not strings", "server.allowed_origins", map[string]string{"file": "[1, 2]"}},
		{"trusted_proxies prefix too long", "server.trusted_proxies", all("10.0.0.0/33")},
		{"trusted_proxies not an address", "server.trusted_proxies", map[string]string{"file": `["10.0.0.1", "gateway"]`, "env": "10.0.0.1,gateway", "flag": "gateway"}},
		{"shutdown_timeout without unit", "server.shutdown_timeout", all("15")},
		{"shutdown_timeout negative", "server.shutdown_timeout", all("-5s")},
		{"shutdown_timeout zero", "server.shutdown_timeout", all("0")},
		{"shutdown_timeout not a string", "server.shutdown_timeout", map[string]string{"file": "[1, 2]"}},
		{"shutdown_timeout a bool", "server.shutdown_timeout", map[string]string{"file": "true"}},
		{"shutdown_timeout gibberish", "server.shutdown_timeout", all("soon")},
		{"db.path empty", "db.path", map[string]string{"file": `""`, "flag": ""}},
		{"db.path a list", "db.path", map[string]string{"file": "[a, b]"}},
		{"db.synchronous unknown", "db.synchronous", all("maybe")},
		{"db.slow_query negative", "db.slow_query", all("-1ms")},
		{"db.slow_query without unit", "db.slow_query", all("200")},
		{"jwt_secret too short", "auth.jwt_secret", all(strings.Repeat("s", 31))},
		{"issuer empty", "auth.issuer", map[string]string{"file": `""`, "env": "  ", "flag": ""}},
		{"audience empty", "auth.audience", map[string]string{"file": `""`, "env": "  ", "flag": ""}},
		{"access_ttl zero", "auth.access_ttl", all("0")},
		{"access_ttl without unit", "auth.access_ttl", all("900")},
		{"refresh_ttl negative", "auth.refresh_ttl", all("-720h")},
		{"refresh_ttl days", "auth.refresh_ttl", all("30d")},
		{"open_registration not a bool", "auth.open_registration", all("perhaps")},
		{"open_registration a number", "auth.open_registration", map[string]string{"file": "2"}},
		{"log.level unknown", "log.level", all("loud")},
		{"log.format unknown", "log.format", all("xml")},
		{"backup.dir empty", "backup.dir", map[string]string{"file": `""`, "env": " ", "flag": ""}},
		{"backup.interval below a minute", "backup.interval", all("10s")},
		{"backup.interval negative", "backup.interval", all("-1h")},
		{"backup.interval without unit", "backup.interval", all("24")},
		{"backup.keep negative", "backup.keep", all("-1")},
		{"backup.keep a word", "backup.keep", all("seven")},
		{"backup.keep a fraction", "backup.keep", all("1.5")},
		{"max_sockets_per_user zero", "realtime.max_sockets_per_user", all("0")},
		{"max_sockets_per_user negative", "realtime.max_sockets_per_user", all("-3")},
		{"event_retention without unit", "realtime.event_retention", all("168")},
		{"event_retention negative", "realtime.event_retention", all("-1h")},
		{"event_retention_count negative", "realtime.event_retention_count", all("-1")},
		{"pprof not a bool", "debug.pprof", all("perhaps")},
		{"pprof a list", "debug.pprof", map[string]string{"file": "[true]"}},
	}
	for _, tt := range tests {
		for _, form := range []string{"file", "env", "flag"} {
			value, ok := tt.in[form]
			if !ok {
				continue
			}
			t.Run(tt.name+"/"+form, func(t *testing.T) {
				inTempDir(t)
				// migrate status on a database that does not exist fails with
				// exit code 1, so a wrongly accepted value cannot look like 2.
				args := []string{"migrate", "status"}
				switch form {
				case "file":
					args = append(args, "--config", writeFile(t, "bad.yaml", yamlFor(tt.key, value)))
				case "env":
					t.Setenv(envName(tt.key), value)
				case "flag":
					args = append(args, "--"+tt.key+"="+value)
				}

				_, err := loadArgs(t, args[2:]...)
				var ce *configError
				if !errors.As(err, &ce) {
					t.Fatalf("load %q with %s %q: err = %v (%T), want a *configError", args[2:], form, value, err, err)
				}
				if !strings.Contains(err.Error(), tt.key) {
					t.Errorf("error %q does not name %s", err, tt.key)
				}

				var stdout, stderr bytes.Buffer
				code := run(args, strings.NewReader(""), &stdout, &stderr)
				if code != 2 {
					t.Errorf("run %q: exit code %d, want 2 (stderr %q)", args, code, stderr.String())
				}
				if !strings.Contains(stderr.String(), tt.key) {
					t.Errorf("stderr %q does not name %s", stderr.String(), tt.key)
				}
				if _, err := os.Stat("data"); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("a bad config created the data folder (stat: %v)", err)
				}
			})
		}
	}
}

func TestConfigBadFile(t *testing.T) {
	tests := []struct {
		name     string
		content  *string // nil: the file does not exist
		wantText string
	}{
		{"missing file", nil, "missing.yaml"},
		{"unclosed list", ptr("server: [unclosed\n"), "bad.yaml"},
		{"tab indentation", ptr("server:\n\taddr: \":1\"\n"), "bad.yaml"},
		{"bad mapping", ptr("server:\n  addr: \":1\"\n   base_url: x\n"), "bad.yaml"},
		{"duplicate key", ptr("server:\n  addr: \":1\"\n  addr: \":2\"\n"), "bad.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inTempDir(t)
			f := "missing.yaml"
			if tt.content != nil {
				f = writeFile(t, "bad.yaml", *tt.content)
			}
			_, err := loadConfig(f, nil)
			var ce *configError
			if !errors.As(err, &ce) {
				t.Fatalf("loadConfig(%s): err = %v (%T), want a *configError", f, err, err)
			}
			var stdout, stderr bytes.Buffer
			code := run([]string{"--db.path", blockedDBPath(t), "--config", f}, strings.NewReader(""), &stdout, &stderr)
			if code != 2 {
				t.Errorf("run --config %s: exit code %d, want 2 (stderr %q)", f, code, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.wantText) {
				t.Errorf("stderr %q does not name %q", stderr.String(), tt.wantText)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestConfigEdgeValues(t *testing.T) {
	tests := []struct {
		name string
		args []string          // flags
		env  map[string]string // environment
		file string            // YAML, written to --config when not empty
		get  func(*Config) any
		want any
	}{
		{
			name: "trusted proxy IPv4 address becomes /32",
			args: []string{"--server.trusted_proxies=10.1.2.3"},
			get:  func(c *Config) any { return prefixStrings(c.Server.TrustedProxies) },
			want: "10.1.2.3/32",
		},
		{
			name: "trusted proxy IPv6 address becomes /128",
			env:  map[string]string{"TACK_SERVER_TRUSTED_PROXIES": "::1"},
			get:  func(c *Config) any { return prefixStrings(c.Server.TrustedProxies) },
			want: "::1/128",
		},
		{
			name: "trusted proxy as a YAML scalar",
			file: "server:\n  trusted_proxies: 192.168.0.1\n",
			get:  func(c *Config) any { return prefixStrings(c.Server.TrustedProxies) },
			want: "192.168.0.1/32",
		},
		{
			name: "trusted proxy CIDR with host bits is masked",
			file: "server:\n  trusted_proxies: [\"10.1.2.3/8\"]\n",
			get:  func(c *Config) any { return prefixStrings(c.Server.TrustedProxies) },
			want: "10.0.0.0/8",
		},
		{
			name: "trusted proxies [] in the environment is empty",
			env:  map[string]string{"TACK_SERVER_TRUSTED_PROXIES": "[]"},
			get:  func(c *Config) any { return len(c.Server.TrustedProxies) },
			want: 0,
		},
		{
			name: "base_url trailing slash removed",
			args: []string{"--server.base_url=https://tack.example.com/"},
			get:  func(c *Config) any { return c.Server.BaseURL },
			want: "https://tack.example.com",
		},
		{
			name: "base_url scheme and host lowercased, path kept",
			file: "server:\n  base_url: HTTPS://Tack.Example.com:8443/Board/\n",
			get:  func(c *Config) any { return c.Server.BaseURL },
			want: "https://tack.example.com:8443/Board",
		},
		{
			name: "base_url derived from a specific host",
			args: []string{"--server.addr=127.0.0.1:9090"},
			get:  func(c *Config) any { return c.Server.BaseURL },
			want: "http://127.0.0.1:9090",
		},
		{
			name: "base_url derived from an unspecified IPv6 host",
			args: []string{"--server.addr=[::]:9090"},
			get:  func(c *Config) any { return c.Server.BaseURL },
			want: "http://localhost:9090",
		},
		{
			name: "allowed origin trailing slash removed",
			env:  map[string]string{"TACK_SERVER_ALLOWED_ORIGINS": "https://A.example/ , http://b.example:3000"},
			get:  func(c *Config) any { return strings.Join(c.Server.AllowedOrigins, ",") },
			want: "https://a.example,http://b.example:3000",
		},
		{
			name: "backup.interval 0 as a flag",
			args: []string{"--backup.interval=0"},
			get:  func(c *Config) any { return c.Backup.Interval },
			want: time.Duration(0),
		},
		{
			name: "backup.interval \"0\" in the file",
			file: "backup:\n  interval: \"0\"\n",
			get:  func(c *Config) any { return c.Backup.Interval },
			want: time.Duration(0),
		},
		{
			name: "backup.interval 0 in the environment overrides the file",
			file: "backup:\n  interval: 24h\n",
			env:  map[string]string{"TACK_BACKUP_INTERVAL": "0"},
			get:  func(c *Config) any { return c.Backup.Interval },
			want: time.Duration(0),
		},
		{
			name: "backup.interval of exactly a minute",
			args: []string{"--backup.interval=1m"},
			get:  func(c *Config) any { return c.Backup.Interval },
			want: time.Minute,
		},
		{
			name: "db.slow_query 0 turns it off",
			env:  map[string]string{"TACK_DB_SLOW_QUERY": "0"},
			get:  func(c *Config) any { return c.DB.SlowQuery },
			want: time.Duration(0),
		},
		{
			name: "jwt_secret of exactly 32 bytes",
			args: []string{"--auth.jwt_secret=" + strings.Repeat("k", 32)},
			get:  func(c *Config) any { return len(c.Auth.JWTSecret) },
			want: 32,
		},
		{
			name: "bool flag without a value",
			args: []string{"--debug.pprof"},
			get:  func(c *Config) any { return c.Debug.Pprof },
			want: true,
		},
		{
			name: "db.synchronous is case-insensitive",
			args: []string{"--db.synchronous=FULL"},
			get:  func(c *Config) any { return c.DB.Synchronous },
			want: "full",
		},
		{
			name: "flat dotted key in the file",
			file: "server.addr: \"127.0.0.1:7777\"\n",
			get:  func(c *Config) any { return c.Server.Addr },
			want: "127.0.0.1:7777",
		},
		{
			name: "empty sections in the file",
			file: "server:\nlog: ~\nbackup:\n  keep: 1\n",
			get:  func(c *Config) any { return [3]any{c.Server.Addr, c.Log.Level, c.Backup.Keep} },
			want: [3]any{":8080", "info", 1},
		},
		{
			name: "backup.keep 0 keeps all",
			file: "backup:\n  keep: 0\n",
			get:  func(c *Config) any { return c.Backup.Keep },
			want: 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inTempDir(t)
			args := tt.args
			if tt.file != "" {
				args = append([]string{"--config", writeFile(t, "edge.yaml", tt.file)}, args...)
			}
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			c, err := loadArgs(t, args...)
			if err != nil {
				t.Fatalf("load %q: %v", args, err)
			}
			if got := tt.get(c); got != tt.want {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}
