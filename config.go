package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/viper"
)

// Config is every setting of SPEC section 2, loaded once by loadConfig and
// passed down by hand.
type Config struct {
	Server struct {
		Addr            string
		BaseURL         string
		AllowedOrigins  []string
		TrustedProxies  []netip.Prefix
		ShutdownTimeout time.Duration
		// baseURLDerived is true when BaseURL was worked out from Addr.
		baseURLDerived bool
	}
	DB struct {
		Path        string
		Synchronous string
		SlowQuery   time.Duration
	}
	Auth struct {
		JWTSecret        string
		Issuer           string
		Audience         string
		AccessTTL        time.Duration
		RefreshTTL       time.Duration
		OpenRegistration bool
	}
	Log struct {
		Level  string
		Format string
	}
	Backup struct {
		Dir      string
		Interval time.Duration
		Keep     int
	}
	Realtime struct {
		MaxSocketsPerUser   int
		EventRetention      time.Duration
		EventRetentionCount int
	}
	Debug struct {
		Pprof bool
	}
	// File is the config file that was read, or "".
	File string
}

// configKey is one setting: its name, its default (as a string, the way a
// user would write it), a one-line description and how to store a raw value.
type configKey struct {
	name   string
	def    string
	help   string
	isBool bool
	set    func(c *Config, raw any) error
}

// configKeys lists every key; config.example.yaml must list the same ones.
var configKeys = []configKey{
	{name: "server.addr", def: ":8080", help: "listen address", set: func(c *Config, raw any) (err error) {
		c.Server.Addr, err = asString(raw)
		if err != nil {
			return err
		}
		_, port, err := net.SplitHostPort(c.Server.Addr)
		if err != nil {
			return errors.New("must be host:port or :port")
		}
		// A numeric port in range, or a service name such as "http".
		if _, err := net.LookupPort("tcp", port); err != nil {
			return fmt.Errorf("port %q is not a port", port)
		}
		return nil
	}},
	{name: "server.base_url", def: "", help: "public URL, for links and the Origin check (derived from server.addr when empty)", set: func(c *Config, raw any) (err error) {
		c.Server.BaseURL, err = asString(raw)
		if err == nil && c.Server.BaseURL != "" {
			c.Server.BaseURL, err = asOrigin(c.Server.BaseURL, true)
		}
		return err
	}},
	{name: "server.allowed_origins", def: "[]", help: "extra browser origins allowed for the API and WebSocket", set: func(c *Config, raw any) error {
		list, err := asStrings(raw)
		if err != nil {
			return err
		}
		c.Server.AllowedOrigins = nil
		for _, s := range list {
			o, err := asOrigin(s, false)
			if err != nil {
				return err
			}
			c.Server.AllowedOrigins = append(c.Server.AllowedOrigins, o)
		}
		return nil
	}},
	{name: "server.trusted_proxies", def: "[]", help: "CIDRs whose X-Forwarded-For is believed", set: func(c *Config, raw any) error {
		list, err := asStrings(raw)
		if err != nil {
			return err
		}
		c.Server.TrustedProxies = nil
		for _, s := range list {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				addr, err2 := netip.ParseAddr(s)
				if err2 != nil {
					return fmt.Errorf("%q is not a CIDR or an IP address", s)
				}
				p = netip.PrefixFrom(addr, addr.BitLen())
			}
			c.Server.TrustedProxies = append(c.Server.TrustedProxies, p.Masked())
		}
		return nil
	}},
	{name: "server.shutdown_timeout", def: "15s", help: "how long in-flight work may finish on shutdown", set: func(c *Config, raw any) (err error) {
		c.Server.ShutdownTimeout, err = asDuration(raw, false)
		return err
	}},
	{name: "db.path", def: "data/tack.db", help: "the SQLite file; its folder is created with mode 0700", set: func(c *Config, raw any) (err error) {
		c.DB.Path, err = asString(raw)
		if err == nil && c.DB.Path == "" {
			err = errors.New("must not be empty")
		}
		return err
	}},
	{name: "db.synchronous", def: "normal", help: "normal, or full for power-loss safety at the cost of an fsync per commit", set: func(c *Config, raw any) (err error) {
		c.DB.Synchronous, err = asEnum(raw, "normal", "full")
		return err
	}},
	{name: "db.slow_query", def: "200ms", help: "statements slower than this are logged (0 turns it off)", set: func(c *Config, raw any) (err error) {
		c.DB.SlowQuery, err = asDuration(raw, true)
		return err
	}},
	{name: "auth.jwt_secret", def: "", help: "at least 32 bytes; when empty, 32 random bytes are generated on first start and kept in the database", set: func(c *Config, raw any) (err error) {
		c.Auth.JWTSecret, err = asString(raw)
		if err == nil && c.Auth.JWTSecret != "" && len(c.Auth.JWTSecret) < 32 {
			err = fmt.Errorf("must be at least 32 bytes, not %d", len(c.Auth.JWTSecret))
		}
		return err
	}},
	{name: "auth.issuer", def: "tack", help: "the iss claim, checked on every token", set: func(c *Config, raw any) (err error) {
		c.Auth.Issuer, err = asNonEmpty(raw)
		return err
	}},
	{name: "auth.audience", def: "tack", help: "the aud claim, checked on every token", set: func(c *Config, raw any) (err error) {
		c.Auth.Audience, err = asNonEmpty(raw)
		return err
	}},
	{name: "auth.access_ttl", def: "15m", help: "access token lifetime", set: func(c *Config, raw any) (err error) {
		c.Auth.AccessTTL, err = asDuration(raw, false)
		return err
	}},
	{name: "auth.refresh_ttl", def: "720h", help: "refresh token (session) lifetime", set: func(c *Config, raw any) (err error) {
		c.Auth.RefreshTTL, err = asDuration(raw, false)
		return err
	}},
	{name: "auth.open_registration", def: "false", isBool: true, help: "whether anyone may register; the very first user always may and becomes admin", set: func(c *Config, raw any) (err error) {
		c.Auth.OpenRegistration, err = asBool(raw)
		return err
	}},
	{name: "log.level", def: "info", help: "debug, info, warn or error", set: func(c *Config, raw any) (err error) {
		c.Log.Level, err = asEnum(raw, "debug", "info", "warn", "error")
		return err
	}},
	{name: "log.format", def: "text", help: "text or json", set: func(c *Config, raw any) (err error) {
		c.Log.Format, err = asEnum(raw, "text", "json")
		return err
	}},
	{name: "backup.dir", def: "data/backups", help: "where scheduled backups go (created with mode 0700)", set: func(c *Config, raw any) (err error) {
		c.Backup.Dir, err = asNonEmpty(raw)
		return err
	}},
	{name: "backup.interval", def: "0", help: "time between scheduled backups; 0 turns them off", set: func(c *Config, raw any) (err error) {
		c.Backup.Interval, err = asDuration(raw, true)
		if err == nil && c.Backup.Interval > 0 && c.Backup.Interval < time.Minute {
			err = errors.New("must be 0 or at least 1m")
		}
		return err
	}},
	{name: "backup.keep", def: "7", help: "how many scheduled backups to keep; 0 keeps them all", set: func(c *Config, raw any) (err error) {
		c.Backup.Keep, err = asInt(raw, 0)
		return err
	}},
	{name: "realtime.max_sockets_per_user", def: "20", help: "sockets one user may hold at once", set: func(c *Config, raw any) (err error) {
		c.Realtime.MaxSocketsPerUser, err = asInt(raw, 1)
		return err
	}},
	{name: "realtime.event_retention", def: "168h", help: "how long events are kept for since replay (the longer of this and the count wins)", set: func(c *Config, raw any) (err error) {
		c.Realtime.EventRetention, err = asDuration(raw, true)
		return err
	}},
	{name: "realtime.event_retention_count", def: "100000", help: "how many events are kept for since replay", set: func(c *Config, raw any) (err error) {
		c.Realtime.EventRetentionCount, err = asInt(raw, 0)
		return err
	}},
	{name: "debug.pprof", def: "false", isBool: true, help: "serve net/http/pprof under /debug/pprof/ to admins only", set: func(c *Config, raw any) (err error) {
		c.Debug.Pprof, err = asBool(raw)
		return err
	}},
}

// configError is a bad config: main exits with code 2.
type configError struct{ msg string }

func (e *configError) Error() string { return "config: " + e.msg }

func badConfig(format string, args ...any) error {
	return &configError{fmt.Sprintf(format, args...)}
}

// configFlags registers --config and one flag per key (--server.addr and so
// on) on fs. The returned function applies the flags that were set.
func configFlags(fs *flag.FlagSet) (configFile *string, apply func(v *viper.Viper)) {
	configFile = fs.String("config", "", "config `file` (default ./tack.yaml if present)")
	values := make(map[string]*rawFlag, len(configKeys))
	for _, k := range configKeys {
		f := &rawFlag{isBool: k.isBool}
		values[k.name] = f
		fs.Var(f, k.name, k.help)
	}
	return configFile, func(v *viper.Viper) {
		fs.Visit(func(f *flag.Flag) {
			if rf, ok := values[f.Name]; ok {
				v.Set(f.Name, rf.value)
			}
		})
	}
}

// rawFlag holds a flag's text; it is parsed with the rest of the config so
// that a bad flag gets the same message as a bad file value.
type rawFlag struct {
	value  string
	isBool bool
}

func (f *rawFlag) String() string     { return f.value }
func (f *rawFlag) Set(s string) error { f.value = s; return nil }
func (f *rawFlag) IsBoolFlag() bool   { return f.isBool }

// loadConfig merges defaults, the config file, TACK_* environment variables
// and flags, in rising precedence, and validates every value.
func loadConfig(file string, applyFlags func(*viper.Viper)) (*Config, error) {
	v := viper.New()
	for _, k := range configKeys {
		v.SetDefault(k.name, k.def)
	}
	if file == "" {
		if _, err := os.Stat("tack.yaml"); err == nil {
			file = "tack.yaml"
		}
	}
	if file != "" {
		v.SetConfigFile(file)
		v.SetConfigType("yaml")
		if err := v.ReadInConfig(); err != nil {
			var pathErr *os.PathError
			if errors.As(err, &pathErr) {
				return nil, badConfig("cannot read %s: %v", file, pathErr.Err)
			}
			return nil, badConfig("%s is not valid YAML: %v", file, err)
		}
		if err := checkKnownKeys(v, file); err != nil {
			return nil, err
		}
	}
	v.SetEnvPrefix("TACK")
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	v.AutomaticEnv()
	if applyFlags != nil {
		applyFlags(v)
	}

	c := &Config{File: file}
	for _, k := range configKeys {
		raw := v.Get(k.name)
		if err := k.set(c, raw); err != nil {
			return nil, badConfig("%s: bad value %s: %v", k.name, describe(raw), err)
		}
	}
	if c.Server.BaseURL == "" {
		c.Server.BaseURL = deriveBaseURL(c.Server.Addr)
		c.Server.baseURLDerived = true
	}
	return c, nil
}

// checkKnownKeys refuses a file that names a key Tack does not know, so a
// typo never silently leaves a setting at its default.
func checkKnownKeys(v *viper.Viper, file string) error {
	known := make(map[string]bool, len(configKeys))
	sections := make(map[string]bool)
	for _, k := range configKeys {
		known[k.name] = true
		sections[k.name[:strings.IndexByte(k.name, '.')]] = true
	}
	var unknown []string
	for _, k := range v.AllKeys() {
		// A section left empty ("server:" with every key commented out)
		// is null in YAML, and means no keys.
		if !known[k] && !(sections[k] && !v.InConfig(k)) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	slices.Sort(unknown)
	if sections[unknown[0]] {
		// "server: 1" hides the section's keys behind one scalar.
		return badConfig("%s in %s must be a section of keys, not a single value", unknown[0], file)
	}
	return badConfig("unknown key %q in %s", unknown[0], file)
}

func deriveBaseURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://localhost:8080"
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

func describe(raw any) string {
	if s, ok := raw.(string); ok {
		return strconv.Quote(s)
	}
	return fmt.Sprintf("%v", raw)
}

func asString(raw any) (string, error) {
	switch x := raw.(type) {
	case string:
		return x, nil
	case nil:
		return "", nil
	case map[string]any, []any:
		return "", errors.New("must be a single value")
	}
	return fmt.Sprint(raw), nil
}

func asNonEmpty(raw any) (string, error) {
	s, err := asString(raw)
	if err == nil && strings.TrimSpace(s) == "" {
		err = errors.New("must not be empty")
	}
	return s, err
}

func asEnum(raw any, allowed ...string) (string, error) {
	s, err := asString(raw)
	if err != nil {
		return "", err
	}
	s = strings.ToLower(s)
	if !slices.Contains(allowed, s) {
		return "", fmt.Errorf("must be one of %s", strings.Join(allowed, ", "))
	}
	return s, nil
}

func asDuration(raw any, zeroOK bool) (time.Duration, error) {
	var d time.Duration
	switch x := raw.(type) {
	case int:
		if x != 0 {
			return 0, errors.New("must be a duration with a unit, such as 15s or 2h")
		}
	case string:
		if x == "0" {
			break
		}
		var err error
		d, err = time.ParseDuration(x)
		if err != nil {
			return 0, errors.New("must be a duration with a unit, such as 15s or 2h")
		}
	default:
		return 0, errors.New("must be a duration with a unit, such as 15s or 2h")
	}
	if d < 0 || (d == 0 && !zeroOK) {
		return 0, errors.New("must be positive")
	}
	return d, nil
}

func asInt(raw any, min int) (int, error) {
	var n int
	switch x := raw.(type) {
	case int:
		n = x
	case string:
		var err error
		n, err = strconv.Atoi(strings.TrimSpace(x))
		if err != nil {
			return 0, errors.New("must be a whole number")
		}
	default:
		return 0, errors.New("must be a whole number")
	}
	if n < min {
		return 0, fmt.Errorf("must be at least %d", min)
	}
	return n, nil
}

func asBool(raw any) (bool, error) {
	switch x := raw.(type) {
	case bool:
		return x, nil
	case string:
		b, err := strconv.ParseBool(strings.TrimSpace(x))
		if err != nil {
			return false, errors.New("must be true or false")
		}
		return b, nil
	}
	return false, errors.New("must be true or false")
}

// asStrings accepts a YAML list, or a comma-separated string (environment
// variables and flags); "[]" is the empty list.
func asStrings(raw any) ([]string, error) {
	var out []string
	switch x := raw.(type) {
	case nil:
	case string:
		if strings.TrimSpace(x) == "[]" {
			return nil, nil
		}
		for _, s := range strings.Split(x, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	case []any:
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, errors.New("must be a list of strings")
			}
			out = append(out, strings.TrimSpace(s))
		}
	case []string:
		out = x
	default:
		return nil, errors.New("must be a list of strings")
	}
	return out, nil
}

// asOrigin checks an http(s) URL with a host and returns it as an origin
// (scheme://host[:port]); a base URL may also carry a path.
func asOrigin(s string, pathOK bool) (string, error) {
	u, err := url.Parse(strings.TrimRight(s, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%q must be an http or https URL", s)
	}
	if !pathOK && u.Path != "" {
		return "", fmt.Errorf("%q must be an origin, without a path", s)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%q must not carry a user, query or fragment", s)
	}
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host) + u.Path, nil
}
