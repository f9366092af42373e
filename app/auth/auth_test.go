package auth

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"tack/app/errs"
	"tack/app/opt"
	"tack/db"
	"tack/migrations"
)

// cheapParams is a real argon2id at a test cost: the production cost is
// benchmarked (bench_test.go), not tested.
var cheapParams = HashParams{MemoryKiB: 64, Passes: 1, Lanes: 1}

const testPassword = "correct horse battery"

// fakeClock is a clock that moves only when told to.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// openTestDB opens a database file at path and migrates it.
func openTestDB(tb testing.TB, path string) *db.DB {
	tb.Helper()
	ctx := context.Background()
	d, err := db.Open(ctx, db.Options{Path: path})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { d.Close() })
	m, err := d.NewMigrator(migrations.FS)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := m.Up(ctx); err != nil {
		tb.Fatal(err)
	}
	return d
}

func newTestDB(tb testing.TB) *db.DB {
	tb.Helper()
	return openTestDB(tb, filepath.Join(tb.TempDir(), "tack.db"))
}

// testEnv is a Service on a fresh database with a clock the test moves.
type testEnv struct {
	svc   *Service
	db    *db.DB
	clock *fakeClock
	opts  Options
	// rec records OnRevoke calls once recordRevocations was called.
	rec *revocations
}

// newTestEnv builds a Service; edit may change its options.
func newTestEnv(tb testing.TB, edit ...func(*Options)) *testEnv {
	tb.Helper()
	d := newTestDB(tb)
	clock := newFakeClock()
	o := Options{
		DB:         d,
		Secret:     bytes.Repeat([]byte("k"), 32),
		Issuer:     "tack",
		Audience:   "tack",
		AccessTTL:  15 * time.Minute,
		RefreshTTL: 720 * time.Hour,
		Hasher:     NewHasher(cheapParams, 4),
		Now:        clock.Now,
	}
	for _, e := range edit {
		e(&o)
	}
	return &testEnv{svc: New(o), db: d, clock: clock, opts: o}
}

// sibling is a second Service on the same database and clock with other
// options (another hasher, secret, ...).
func (e *testEnv) sibling(edit func(*Options)) *Service {
	o := e.opts
	edit(&o)
	return New(o)
}

func (e *testEnv) createUser(tb testing.TB, name string, role Role) *User {
	tb.Helper()
	in := NewUser{Username: name, Password: testPassword}
	if role != "" {
		in.Role = &role
	}
	u, err := e.svc.CreateUser(context.Background(), nil, in)
	if err != nil {
		tb.Fatalf("CreateUser(%s): %v", name, err)
	}
	return u
}

// login signs name in and returns the tokens and the principal behind them.
func (e *testEnv) login(tb testing.TB, name string) (*Tokens, *Principal) {
	tb.Helper()
	ctx := context.Background()
	tok, err := e.svc.Login(ctx, name, testPassword, Client{IP: "127.0.0.1", UserAgent: "test"})
	if err != nil {
		tb.Fatalf("Login(%s): %v", name, err)
	}
	p, err := e.svc.Authenticate(ctx, tok.AccessToken)
	if err != nil {
		tb.Fatalf("Authenticate after Login(%s): %v", name, err)
	}
	return tok, p
}

func (e *testEnv) exec(tb testing.TB, query string, args ...any) {
	tb.Helper()
	ctx := context.Background()
	err := e.db.WriteTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, query, args...)
		return err
	})
	if err != nil {
		tb.Fatalf("%s: %v", query, err)
	}
}

func (e *testEnv) count(tb testing.TB, query string, args ...any) int {
	tb.Helper()
	var n int
	if err := e.db.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		tb.Fatalf("%s: %v", query, err)
	}
	return n
}

func (e *testEnv) storedHash(tb testing.TB, id int64) string {
	tb.Helper()
	var h string
	if err := e.db.QueryRowContext(context.Background(), "SELECT password_hash FROM users WHERE id = ?", id).Scan(&h); err != nil {
		tb.Fatal(err)
	}
	return h
}

// wantCode fails unless err carries code (and, for a 401, reason).
func wantCode(t *testing.T, err error, code errs.Code, reason string) {
	t.Helper()
	e := errs.As(err)
	if e == nil {
		t.Fatalf("err = %v, want code %s", err, code)
	}
	if e.Code != code {
		t.Fatalf("code = %s (%v), want %s", e.Code, err, code)
	}
	if reason != "" && e.Details["reason"] != reason {
		t.Fatalf("reason = %v (%v), want %s", e.Details["reason"], err, reason)
	}
}

func TestHasher(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(cheapParams, 2)
	encoded, err := h.Hash(ctx, testPassword)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("PHCStringHoldsParameters", func(t *testing.T) {
		prefix := "$argon2id$v=19$m=64,t=1,p=1$"
		if !strings.HasPrefix(encoded, prefix) {
			t.Fatalf("hash %q does not start with %q", encoded, prefix)
		}
		p, salt, key, err := parseHash(encoded)
		if err != nil {
			t.Fatal(err)
		}
		if p != cheapParams || len(salt) != saltLen || len(key) != keyLen {
			t.Errorf("parsed %+v, salt %d bytes, key %d bytes; want %+v, %d, %d", p, len(salt), len(key), cheapParams, saltLen, keyLen)
		}
		again, _ := h.Hash(ctx, testPassword)
		if again == encoded {
			t.Error("two hashes of one password are equal: the salt is not random")
		}
	})

	stronger := NewHasher(HashParams{MemoryKiB: 128, Passes: 2, Lanes: 1}, 1)
	weaker, _ := NewHasher(HashParams{MemoryKiB: 32, Passes: 1, Lanes: 1}, 1).Hash(ctx, testPassword)
	tests := []struct {
		name        string
		h           *Hasher
		encoded     string
		password    string
		wantOK      bool
		wantRehash  bool
		wantErr     bool
		description string
	}{
		{name: "RoundTrip", h: h, encoded: encoded, password: testPassword, wantOK: true},
		{name: "WrongPassword", h: h, encoded: encoded, password: testPassword + "!"},
		{name: "EmptyPassword", h: h, encoded: encoded, password: ""},
		{name: "WeakerHashNeedsRehash", h: stronger, encoded: encoded, password: testPassword, wantOK: true, wantRehash: true},
		{name: "WeakerHashWrongPassword", h: stronger, encoded: encoded, password: "nope nope nope", wantRehash: true},
		{name: "OtherWeakerHash", h: h, encoded: weaker, password: testPassword, wantOK: true, wantRehash: true},
		// A hash stronger than the current settings is kept, not weakened.
		{name: "StrongerHashKept", h: NewHasher(HashParams{MemoryKiB: 32, Passes: 1, Lanes: 1}, 1), encoded: encoded, password: testPassword, wantOK: true},
		// An unknown user: verified against the dummy hash, never a match,
		// whatever the password (even the dummy's own).
		{name: "UnknownUser", h: h, encoded: "", password: testPassword},
		{name: "UnknownUserDummyPassword", h: h, encoded: "", password: "not a real password: timing equaliser"},
		{name: "UnknownUserEmptyPassword", h: h, encoded: "", password: ""},
		{name: "NotAHash", h: h, encoded: "hunter2", password: testPassword, wantErr: true},
		{name: "Bcrypt", h: h, encoded: "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy", password: testPassword, wantErr: true},
		{name: "Argon2i", h: h, encoded: strings.Replace(encoded, "argon2id", "argon2i", 1), password: testPassword, wantErr: true},
		{name: "OtherVersion", h: h, encoded: strings.Replace(encoded, "v=19", "v=16", 1), password: testPassword, wantErr: true},
		{name: "BadParams", h: h, encoded: strings.Replace(encoded, "m=64,t=1,p=1", "m=x,t=1,p=1", 1), password: testPassword, wantErr: true},
		{name: "ZeroPasses", h: h, encoded: strings.Replace(encoded, "t=1", "t=0", 1), password: testPassword, wantErr: true},
		{name: "ZeroLanes", h: h, encoded: strings.Replace(encoded, "p=1$", "p=0$", 1), password: testPassword, wantErr: true},
		{name: "BadSalt", h: h, encoded: replaceField(encoded, 4, "!!!"), password: testPassword, wantErr: true},
		{name: "BadKey", h: h, encoded: replaceField(encoded, 5, "***"), password: testPassword, wantErr: true},
		{name: "EmptyKey", h: h, encoded: replaceField(encoded, 5, ""), password: testPassword, wantErr: true},
		{name: "Truncated", h: h, encoded: encoded[:strings.LastIndexByte(encoded, '$')], password: testPassword, wantErr: true},
		{name: "ExtraField", h: h, encoded: encoded + "$x", password: testPassword, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, rehash, err := tt.h.Verify(ctx, tt.encoded, tt.password)
			if tt.wantErr {
				if err == nil || ok {
					t.Fatalf("Verify(%q) = %v, %v, nil; want an error and not ok", tt.encoded, ok, rehash)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ok != tt.wantOK || rehash != tt.wantRehash {
				t.Errorf("Verify = ok %v, rehash %v; want %v, %v", ok, rehash, tt.wantOK, tt.wantRehash)
			}
		})
	}
}

// replaceField replaces the i-th $-separated field of a PHC string.
func replaceField(encoded string, i int, v string) string {
	parts := strings.Split(encoded, "$")
	parts[i] = v
	return strings.Join(parts, "$")
}

func TestLoginRehashesWeakerHash(t *testing.T) {
	ctx := context.Background()
	env := newTestEnv(t)
	u := env.createUser(t, "alice", "")
	before := env.storedHash(t, u.ID)

	strongParams := HashParams{MemoryKiB: 256, Passes: 2, Lanes: 1}
	strong := NewHasher(strongParams, 1)
	svc := env.sibling(func(o *Options) { o.Hasher = strong })

	if _, err := svc.Login(ctx, "alice", "wrong password!", Client{}); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("wrong password: %v", err)
	}
	if got := env.storedHash(t, u.ID); got != before {
		t.Fatalf("a failed sign-in rehashed the password")
	}
	if _, err := svc.Login(ctx, "alice", testPassword, Client{}); err != nil {
		t.Fatal(err)
	}
	after := env.storedHash(t, u.ID)
	p, _, _, err := parseHash(after)
	if err != nil {
		t.Fatal(err)
	}
	if p != strongParams {
		t.Errorf("stored params after sign-in = %+v, want %+v", p, strongParams)
	}
	ok, rehash, err := strong.Verify(ctx, after, testPassword)
	if err != nil || !ok || rehash {
		t.Errorf("Verify(new hash) = %v, %v, %v; want ok, no rehash", ok, rehash, err)
	}
	// The rehashed password still signs in, and once is enough.
	if _, err := svc.Login(ctx, "alice", testPassword, Client{}); err != nil {
		t.Fatal(err)
	}
	if got := env.storedHash(t, u.ID); got != after {
		t.Error("a hash with the current parameters was rehashed again")
	}
}

func TestHasherBoundsWaiters(t *testing.T) {
	h := NewHasher(cheapParams, 1)
	// Fill the one slot.
	release, err := h.acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}

	t.Run("CancelledWhileWaiting", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := h.Hash(ctx, testPassword); !errors.Is(err, context.Canceled) {
			t.Fatalf("Hash with a cancelled context and no free slot: %v, want context.Canceled", err)
		}
	})

	t.Run("TooManyWaitersRefusedAtOnce", func(t *testing.T) {
		// maxHashWaiters goroutines queue for the slot.
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		waitErrs := make(chan error, maxHashWaiters)
		for range maxHashWaiters {
			wg.Go(func() {
				rel, err := h.acquire(ctx)
				if err == nil {
					rel()
				}
				waitErrs <- err
			})
		}
		for h.waiters.Load() < maxHashWaiters {
			time.Sleep(time.Millisecond)
		}
		// One more is refused with 429, whether by the bound or (if the
		// queue was slow to fill) by hashWait.
		_, err := h.Hash(context.Background(), testPassword)
		wantCode(t, err, errs.RateLimited, "")
		if e := errs.As(err); e.RetryAfter <= 0 {
			t.Errorf("RetryAfter = %v, want > 0", e.RetryAfter)
		}
		_, _, err = h.Verify(context.Background(), "", testPassword)
		wantCode(t, err, errs.RateLimited, "")

		cancel()
		wg.Wait()
		close(waitErrs)
		for err := range waitErrs {
			if !errors.Is(err, context.Canceled) {
				t.Errorf("a queued waiter got %v, want context.Canceled", err)
			}
		}
		if n := h.waiters.Load(); n != 0 {
			t.Errorf("waiters = %d after every waiter left, want 0", n)
		}
	})

	release()
	if _, err := h.Hash(context.Background(), testPassword); err != nil {
		t.Fatalf("Hash after the slot was freed: %v", err)
	}
}

func TestTokens(t *testing.T) {
	secret := bytes.Repeat([]byte("s"), 32)
	clock := newFakeClock()
	const ttl = 15 * time.Minute
	tk := newTokens(secret, "tack", "tack", ttl, clock.Now)

	issued := clock.Now()
	token, err := tk.issue(42, 7, issued)
	if err != nil {
		t.Fatal(err)
	}
	// The exp claim has whole seconds.
	exp := issued.Add(ttl).Truncate(time.Second)

	t.Run("RoundTrip", func(t *testing.T) {
		uid, sid, gotExp, err := tk.parse(token)
		if err != nil {
			t.Fatal(err)
		}
		if uid != 42 || sid != 7 || !gotExp.Equal(exp) {
			t.Errorf("parse = %d, %d, %v; want 42, 7, %v", uid, sid, gotExp, exp)
		}
	})

	// sign makes a token with the right secret and method, so that only the
	// property under test is wrong.
	sign := func(c accessClaims, method jwt.SigningMethod, key any) string {
		s, err := jwt.NewWithClaims(method, c).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	claims := func(edit func(*accessClaims)) accessClaims {
		c := accessClaims{SID: 7, RegisteredClaims: jwt.RegisteredClaims{
			Subject: "42", Issuer: "tack", Audience: jwt.ClaimStrings{"tack"},
			IssuedAt: jwt.NewNumericDate(issued), NotBefore: jwt.NewNumericDate(issued),
			ExpiresAt: jwt.NewNumericDate(issued.Add(ttl)),
		}}
		if edit != nil {
			edit(&c)
		}
		return c
	}
	hs256 := jwt.SigningMethodHS256
	parts := strings.Split(token, ".")

	// Just under and just over maxTokenLen, both validly signed: only the
	// length tells them apart.
	padded := func(n int) string {
		withPad := func(pad int) string {
			return sign(claims(func(c *accessClaims) { c.ID = strings.Repeat("x", pad) }), hs256, secret)
		}
		// Each byte of padding adds 4/3 bytes of base64: jump close, then
		// creep up one byte at a time.
		pad := max(0, (n-len(withPad(0)))*3/4-8)
		for {
			if s := withPad(pad); len(s) >= n {
				return s
			}
			pad++
		}
	}
	atLimit := padded(maxTokenLen - 1)
	overLimit := padded(maxTokenLen + 1)
	if len(atLimit) > maxTokenLen || len(overLimit) <= maxTokenLen {
		t.Fatalf("padded tokens of %d and %d bytes do not straddle %d", len(atLimit), len(overLimit), maxTokenLen)
	}

	tests := []struct {
		name   string
		token  string
		reason string // "" means valid
	}{
		{"Valid", token, ""},
		{"AtLengthLimit", atLimit, ""},
		{"OverLengthLimit", overLimit, ReasonTokenInvalid},
		{"Huge", token + strings.Repeat("A", 1<<20), ReasonTokenInvalid},
		{"Empty", "", ReasonTokenMissing},
		{"Garbage", "not.a.token", ReasonTokenInvalid},
		{"TamperedPayload", parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"sid":1,"sub":"1","iss":"tack","aud":["tack"],"exp":4102444800,"iat":1}`)) + "." + parts[2], ReasonTokenInvalid},
		{"NoSignature", parts[0] + "." + parts[1] + ".", ReasonTokenInvalid},
		{"OtherSecret", sign(claims(nil), hs256, bytes.Repeat([]byte("o"), 32)), ReasonTokenInvalid},
		{"HS512", sign(claims(nil), jwt.SigningMethodHS512, secret), ReasonTokenInvalid},
		{"AlgNone", sign(claims(nil), jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType), ReasonTokenInvalid},
		{"OtherIssuer", sign(claims(func(c *accessClaims) { c.Issuer = "evil" }), hs256, secret), ReasonTokenInvalid},
		{"OtherAudience", sign(claims(func(c *accessClaims) { c.Audience = jwt.ClaimStrings{"evil"} }), hs256, secret), ReasonTokenInvalid},
		{"NoExpiry", sign(claims(func(c *accessClaims) { c.ExpiresAt = nil }), hs256, secret), ReasonTokenInvalid},
		{"IssuedInFuture", sign(claims(func(c *accessClaims) { c.IssuedAt = jwt.NewNumericDate(issued.Add(time.Hour)) }), hs256, secret), ReasonTokenInvalid},
		{"NotYetValid", sign(claims(func(c *accessClaims) { c.NotBefore = jwt.NewNumericDate(issued.Add(time.Hour)) }), hs256, secret), ReasonTokenInvalid},
		{"Expired", sign(claims(func(c *accessClaims) { c.ExpiresAt = jwt.NewNumericDate(issued.Add(-time.Second)) }), hs256, secret), ReasonTokenExpired},
		{"NoSubject", sign(claims(func(c *accessClaims) { c.Subject = "" }), hs256, secret), ReasonTokenInvalid},
		{"NonNumericSubject", sign(claims(func(c *accessClaims) { c.Subject = "alice" }), hs256, secret), ReasonTokenInvalid},
		{"NegativeSubject", sign(claims(func(c *accessClaims) { c.Subject = "-1" }), hs256, secret), ReasonTokenInvalid},
		{"NoSession", sign(claims(func(c *accessClaims) { c.SID = 0 }), hs256, secret), ReasonTokenInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			uid, sid, _, err := tk.parse(tt.token)
			if tt.reason == "" {
				if err != nil || uid != 42 || sid != 7 {
					t.Fatalf("parse = %d, %d, %v; want 42, 7, nil", uid, sid, err)
				}
				return
			}
			wantCode(t, err, errs.Unauthorized, tt.reason)
			if uid != 0 || sid != 0 {
				t.Errorf("a refused token yielded user %d, session %d", uid, sid)
			}
		})
	}

	t.Run("OverLengthLimitNotParsed", func(t *testing.T) {
		// A parser that would accept anything: refusing the long token
		// anyway shows it is refused before parsing.
		lax := *tk
		lax.parser = jwt.NewParser(jwt.WithoutClaimsValidation())
		if _, _, _, err := lax.parse(atLimit); err != nil {
			t.Fatalf("lax parser refused a token at the limit: %v", err)
		}
		_, _, _, err := lax.parse(overLimit)
		wantCode(t, err, errs.Unauthorized, ReasonTokenInvalid)
	})

	t.Run("ExpiryFollowsTheClock", func(t *testing.T) {
		clock := newFakeClock()
		tk := newTokens(secret, "tack", "tack", ttl, clock.Now)
		token, err := tk.issue(1, 2, clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		steps := []struct {
			advance time.Duration
			reason  string
		}{
			{0, ""},
			{ttl - 2*time.Second, ""},
			{3 * time.Second, ReasonTokenExpired},
			{time.Hour, ReasonTokenExpired},
		}
		for _, s := range steps {
			clock.Advance(s.advance)
			_, _, _, err := tk.parse(token)
			if s.reason == "" {
				if err != nil {
					t.Fatalf("at +%v: %v, want valid", clock.Now().Sub(newFakeClock().Now()), err)
				}
				continue
			}
			wantCode(t, err, errs.Unauthorized, s.reason)
		}
	})
}

func TestLoadSecret(t *testing.T) {
	ctx := context.Background()

	t.Run("Configured", func(t *testing.T) {
		d := newTestDB(t)
		configured := strings.Repeat("c", 40)
		got, err := LoadSecret(ctx, d, configured)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != configured {
			t.Errorf("secret = %q, want the configured one", got)
		}
		var n int
		if err := d.QueryRowContext(ctx, "SELECT count(*) FROM settings WHERE key = ?", secretKey).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Error("a configured secret was written to the database")
		}
	})

	t.Run("ConfiguredTooShort", func(t *testing.T) {
		if _, err := LoadSecret(ctx, newTestDB(t), strings.Repeat("c", 31)); err == nil {
			t.Error("a 31-byte secret was accepted")
		}
	})

	t.Run("GeneratedKeptAndShared", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "tack.db")
		d, err := db.Open(ctx, db.Options{Path: path})
		if err != nil {
			t.Fatal(err)
		}
		m, err := d.NewMigrator(migrations.FS)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Up(ctx); err != nil {
			t.Fatal(err)
		}
		first, err := LoadSecret(ctx, d, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(first) != 32 {
			t.Fatalf("generated secret is %d bytes, want 32", len(first))
		}
		if bytes.Equal(first, make([]byte, 32)) {
			t.Fatal("generated secret is all zeros")
		}
		var stored string
		if err := d.QueryRowContext(ctx, "SELECT value FROM settings WHERE key = ?", secretKey).Scan(&stored); err != nil {
			t.Fatalf("the generated secret is not in settings: %v", err)
		}
		if raw, err := base64.StdEncoding.DecodeString(stored); err != nil || !bytes.Equal(raw, first) {
			t.Errorf("settings holds %q, want the secret in base64", stored)
		}

		second, err := LoadSecret(ctx, d, "")
		if err != nil || !bytes.Equal(second, first) {
			t.Fatalf("second LoadSecret = %x, %v; want the first secret", second, err)
		}

		const n = 8
		got := make([][]byte, n)
		gotErr := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { got[i], gotErr[i] = LoadSecret(ctx, d, "") })
		}
		wg.Wait()
		for i := range n {
			if gotErr[i] != nil || !bytes.Equal(got[i], first) {
				t.Errorf("concurrent LoadSecret %d = %x, %v; want the first secret", i, got[i], gotErr[i])
			}
		}

		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
		reopened := openTestDB(t, path)
		after, err := LoadSecret(ctx, reopened, "")
		if err != nil || !bytes.Equal(after, first) {
			t.Errorf("after reopening: %x, %v; want the first secret", after, err)
		}
	})

	t.Run("FreshDatabasesDiffer", func(t *testing.T) {
		a, err := LoadSecret(ctx, newTestDB(t), "")
		if err != nil {
			t.Fatal(err)
		}
		b, err := LoadSecret(ctx, newTestDB(t), "")
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(a, b) {
			t.Error("two fresh databases generated the same secret")
		}
	})

	t.Run("ConcurrentFirstStart", func(t *testing.T) {
		d := newTestDB(t)
		const n = 8
		got := make([][]byte, n)
		gotErr := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { got[i], gotErr[i] = LoadSecret(ctx, d, "") })
		}
		wg.Wait()
		for i := range n {
			if gotErr[i] != nil || !bytes.Equal(got[i], got[0]) || len(got[i]) != 32 {
				t.Errorf("LoadSecret %d = %x, %v; want one 32-byte secret for all", i, got[i], gotErr[i])
			}
		}
	})
}

// revocations records what OnRevoke hooks were called with.
type revocations struct {
	mu  sync.Mutex
	got []Revocation
	// committed holds, per call, whether every session named was already
	// revoked in the database when the hook ran (it runs after commit).
	committed []bool
}

func (e *testEnv) recordRevocations() *revocations {
	r := &revocations{}
	e.svc.OnRevoke(func(rv Revocation) {
		all := true
		for _, id := range rv.SessionIDs {
			var revoked bool
			err := e.db.QueryRowContext(context.Background(), "SELECT revoked_at IS NOT NULL FROM sessions WHERE id = ?", id).Scan(&revoked)
			all = all && err == nil && revoked
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		r.got = append(r.got, rv)
		r.committed = append(r.committed, all)
	})
	return r
}

// take returns and forgets the calls so far.
func (r *revocations) take() ([]Revocation, []bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	got, committed := r.got, r.committed
	r.got, r.committed = nil, nil
	return got, committed
}

func TestOnRevoke(t *testing.T) {
	ctx := context.Background()
	type fixture struct {
		env   *testEnv
		admin *User
		alice *User
		bob   *User
	}
	setup := func(t *testing.T) *fixture {
		env := newTestEnv(t)
		return &fixture{
			env:   env,
			admin: env.createUser(t, "admin", RoleAdmin),
			alice: env.createUser(t, "alice", ""),
			bob:   env.createUser(t, "bob", ""),
		}
	}
	sids := func(ps ...*Principal) []int64 {
		var out []int64
		for _, p := range ps {
			out = append(out, p.SessionID)
		}
		return out
	}

	tests := []struct {
		name string
		// do runs the operation and returns the revocation wanted, or nil
		// when the operation must fail and call no hook.
		do func(t *testing.T, f *fixture) *Revocation
	}{
		{"Logout", func(t *testing.T, f *fixture) *Revocation {
			_, p := f.env.login(t, "alice")
			f.env.login(t, "alice") // another device stays signed in
			if err := f.env.svc.Logout(ctx, p); err != nil {
				t.Fatal(err)
			}
			return &Revocation{UserID: f.alice.ID, SessionIDs: sids(p)}
		}},
		{"LogoutTwiceFails", func(t *testing.T, f *fixture) *Revocation {
			_, p := f.env.login(t, "alice")
			if err := f.env.svc.Logout(ctx, p); err != nil {
				t.Fatal(err)
			}
			f.env.take(t)
			wantCode(t, f.env.svc.Logout(ctx, p), errs.NotFound, "")
			return nil
		}},
		{"RevokeSession", func(t *testing.T, f *fixture) *Revocation {
			_, p1 := f.env.login(t, "alice")
			_, p2 := f.env.login(t, "alice")
			if err := f.env.svc.RevokeSession(ctx, p1, p2.SessionID); err != nil {
				t.Fatal(err)
			}
			return &Revocation{UserID: f.alice.ID, SessionIDs: sids(p2)}
		}},
		{"RevokeSomeoneElsesSessionFails", func(t *testing.T, f *fixture) *Revocation {
			_, pa := f.env.login(t, "alice")
			_, pb := f.env.login(t, "bob")
			wantCode(t, f.env.svc.RevokeSession(ctx, pa, pb.SessionID), errs.NotFound, "")
			if _, err := f.env.svc.Authenticate(ctx, mustToken(t, f.env, pb)); err != nil {
				t.Errorf("bob's session after alice tried to revoke it: %v", err)
			}
			return nil
		}},
		{"ChangePasswordRevokesOthersOnly", func(t *testing.T, f *fixture) *Revocation {
			_, cur := f.env.login(t, "alice")
			_, o1 := f.env.login(t, "alice")
			_, o2 := f.env.login(t, "alice")
			f.env.login(t, "bob")
			if err := f.env.svc.ChangePassword(ctx, cur, testPassword, "a brand new password"); err != nil {
				t.Fatal(err)
			}
			return &Revocation{UserID: f.alice.ID, SessionIDs: sids(o1, o2)}
		}},
		{"ChangePasswordWrongCurrentFails", func(t *testing.T, f *fixture) *Revocation {
			_, cur := f.env.login(t, "alice")
			f.env.login(t, "alice")
			err := f.env.svc.ChangePassword(ctx, cur, "not the password", "a brand new password")
			wantCode(t, err, errs.ValidationFailed, "")
			return nil
		}},
		{"ChangePasswordTooShortFails", func(t *testing.T, f *fixture) *Revocation {
			_, cur := f.env.login(t, "alice")
			f.env.login(t, "alice")
			wantCode(t, f.env.svc.ChangePassword(ctx, cur, testPassword, "short"), errs.ValidationFailed, "")
			return nil
		}},
		{"DeactivateUser", func(t *testing.T, f *fixture) *Revocation {
			_, p1 := f.env.login(t, "alice")
			_, p2 := f.env.login(t, "alice")
			f.env.login(t, "bob")
			_, ap := f.env.login(t, "admin")
			f.env.take(t)
			if _, err := f.env.svc.UpdateUser(ctx, ap, f.alice.ID, UserPatch{IsActive: opt.Of(false)}); err != nil {
				t.Fatal(err)
			}
			return &Revocation{UserID: f.alice.ID, SessionIDs: sids(p1, p2), Deactivated: true}
		}},
		{"DeactivateFromCommandLine", func(t *testing.T, f *fixture) *Revocation {
			_, p := f.env.login(t, "bob")
			if _, err := f.env.svc.UpdateUser(ctx, nil, f.bob.ID, UserPatch{IsActive: opt.Of(false)}); err != nil {
				t.Fatal(err)
			}
			return &Revocation{UserID: f.bob.ID, SessionIDs: sids(p), Deactivated: true}
		}},
		{"DeactivateLastAdminFails", func(t *testing.T, f *fixture) *Revocation {
			_, ap := f.env.login(t, "admin")
			f.env.take(t)
			_, err := f.env.svc.UpdateUser(ctx, ap, f.admin.ID, UserPatch{IsActive: opt.Of(false)})
			wantCode(t, err, errs.Conflict, "")
			if _, err := f.env.svc.Authenticate(ctx, mustToken(t, f.env, ap)); err != nil {
				t.Errorf("the admin's session after a refused deactivation: %v", err)
			}
			return nil
		}},
		{"DeactivateByNonAdminFails", func(t *testing.T, f *fixture) *Revocation {
			f.env.login(t, "bob")
			_, ap := f.env.login(t, "alice")
			_, err := f.env.svc.UpdateUser(ctx, ap, f.bob.ID, UserPatch{IsActive: opt.Of(false)})
			wantCode(t, err, errs.Forbidden, "")
			return nil
		}},
		{"RenameRevokesNothing", func(t *testing.T, f *fixture) *Revocation {
			f.env.login(t, "alice")
			if _, err := f.env.svc.UpdateUser(ctx, nil, f.alice.ID, UserPatch{DisplayName: opt.Of("Alice"), IsActive: opt.Of(true)}); err != nil {
				t.Fatal(err)
			}
			return nil
		}},
		{"SetPassword", func(t *testing.T, f *fixture) *Revocation {
			_, p1 := f.env.login(t, "alice")
			_, p2 := f.env.login(t, "alice")
			f.env.login(t, "bob")
			if err := f.env.svc.SetPassword(ctx, f.alice.ID, "another good password"); err != nil {
				t.Fatal(err)
			}
			return &Revocation{UserID: f.alice.ID, SessionIDs: sids(p1, p2)}
		}},
		{"SetPasswordUnknownUserFails", func(t *testing.T, f *fixture) *Revocation {
			f.env.login(t, "alice")
			wantCode(t, f.env.svc.SetPassword(ctx, 9999, "another good password"), errs.NotFound, "")
			return nil
		}},
		{"SetPasswordTooShortFails", func(t *testing.T, f *fixture) *Revocation {
			f.env.login(t, "alice")
			wantCode(t, f.env.svc.SetPassword(ctx, f.alice.ID, "short"), errs.ValidationFailed, "")
			return nil
		}},
		{"RefreshTokenReuse", func(t *testing.T, f *fixture) *Revocation {
			tok, p := f.env.login(t, "alice")
			f.env.login(t, "alice") // another device is untouched
			if _, err := f.env.svc.Refresh(ctx, tok.RefreshToken, Client{}); err != nil {
				t.Fatal(err)
			}
			if got, _ := f.env.take(t); len(got) != 0 {
				t.Fatalf("a normal refresh called the hook: %+v", got)
			}
			_, err := f.env.svc.Refresh(ctx, tok.RefreshToken, Client{})
			wantCode(t, err, errs.Unauthorized, ReasonSessionRevoked)
			return &Revocation{UserID: f.alice.ID, SessionIDs: sids(p)}
		}},
		{"RefreshUnknownTokenFails", func(t *testing.T, f *fixture) *Revocation {
			f.env.login(t, "alice")
			unknown, _ := newRefreshToken()
			_, err := f.env.svc.Refresh(ctx, unknown, Client{})
			wantCode(t, err, errs.Unauthorized, ReasonTokenInvalid)
			return nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t)
			f.env.rec = f.env.recordRevocations()
			want := tt.do(t, f)
			got, committed := f.env.rec.take()
			if want == nil {
				if len(got) != 0 {
					t.Fatalf("hook called %d times (%+v), want never", len(got), got)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("hook called %d times (%+v), want once", len(got), got)
			}
			slices.Sort(got[0].SessionIDs)
			slices.Sort(want.SessionIDs)
			if got[0].UserID != want.UserID || got[0].Deactivated != want.Deactivated || !slices.Equal(got[0].SessionIDs, want.SessionIDs) {
				t.Errorf("hook got %+v, want %+v", got[0], *want)
			}
			if !committed[0] {
				t.Errorf("when the hook ran, the sessions it names were not yet revoked in the database")
			}
			// The hook names exactly the sessions that ended.
			for _, id := range want.SessionIDs {
				if f.env.count(t, "SELECT count(*) FROM sessions WHERE id = ? AND revoked_at IS NOT NULL", id) != 1 {
					t.Errorf("session %d is not revoked", id)
				}
			}
		})
	}
}

// take drops the revocations recorded so far (setup noise), if recording.
func (e *testEnv) take(t *testing.T) ([]Revocation, []bool) {
	t.Helper()
	if e.rec == nil {
		return nil, nil
	}
	return e.rec.take()
}

// mustToken issues a fresh access token for p's session.
func mustToken(t *testing.T, e *testEnv, p *Principal) string {
	t.Helper()
	tok, err := e.svc.tokens.issue(p.UserID, p.SessionID, e.svc.now())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestAuthenticate(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		// token prepares the case and returns the token to present.
		token      func(t *testing.T, env *testEnv) string
		wantCode   errs.Code // "" means success
		wantReason string
	}{
		{"Valid", func(t *testing.T, env *testEnv) string {
			tok, _ := env.login(t, "alice")
			return tok.AccessToken
		}, "", ""},
		{"Missing", func(t *testing.T, env *testEnv) string { return "" }, errs.Unauthorized, ReasonTokenMissing},
		{"Garbage", func(t *testing.T, env *testEnv) string { return "a.b.c" }, errs.Unauthorized, ReasonTokenInvalid},
		{"OtherSecret", func(t *testing.T, env *testEnv) string {
			env.login(t, "alice")
			other := env.sibling(func(o *Options) { o.Secret = bytes.Repeat([]byte("z"), 32) })
			tok, _ := other.tokens.issue(2, 1, env.clock.Now())
			return tok
		}, errs.Unauthorized, ReasonTokenInvalid},
		{"Expired", func(t *testing.T, env *testEnv) string {
			tok, _ := env.login(t, "alice")
			env.clock.Advance(env.opts.AccessTTL + time.Second)
			return tok.AccessToken
		}, errs.Unauthorized, ReasonTokenExpired},
		{"LoggedOut", func(t *testing.T, env *testEnv) string {
			tok, p := env.login(t, "alice")
			if err := env.svc.Logout(ctx, p); err != nil {
				t.Fatal(err)
			}
			return tok.AccessToken
		}, errs.Unauthorized, ReasonSessionRevoked},
		{"SessionExpired", func(t *testing.T, env *testEnv) string {
			// A session shorter than the access token: the token is still
			// valid, the session has ended.
			short := env.sibling(func(o *Options) { o.RefreshTTL = time.Minute })
			tok, err := short.Login(ctx, "alice", testPassword, Client{})
			if err != nil {
				t.Fatal(err)
			}
			env.clock.Advance(2 * time.Minute)
			return tok.AccessToken
		}, errs.Unauthorized, ReasonSessionRevoked},
		{"SessionDeleted", func(t *testing.T, env *testEnv) string {
			tok, p := env.login(t, "alice")
			env.exec(t, "DELETE FROM sessions WHERE id = ?", p.SessionID)
			return tok.AccessToken
		}, errs.Unauthorized, ReasonSessionRevoked},
		{"SomeoneElsesSession", func(t *testing.T, env *testEnv) string {
			// A correctly signed token naming bob's session for alice.
			_, pa := env.login(t, "alice")
			_, pb := env.login(t, "bob")
			tok, _ := env.svc.tokens.issue(pa.UserID, pb.SessionID, env.clock.Now())
			return tok
		}, errs.Unauthorized, ReasonSessionRevoked},
		{"DeactivatedUser", func(t *testing.T, env *testEnv) string {
			// Deactivated behind the Service's back, sessions left alone:
			// the user check alone refuses.
			tok, p := env.login(t, "alice")
			env.exec(t, "UPDATE users SET is_active = 0 WHERE id = ?", p.UserID)
			return tok.AccessToken
		}, errs.Forbidden, ""},
		{"DeactivatedThroughService", func(t *testing.T, env *testEnv) string {
			// UpdateUser revokes the sessions too, and the session check
			// comes first.
			tok, p := env.login(t, "alice")
			if _, err := env.svc.UpdateUser(ctx, nil, p.UserID, UserPatch{IsActive: opt.Of(false)}); err != nil {
				t.Fatal(err)
			}
			return tok.AccessToken
		}, errs.Unauthorized, ReasonSessionRevoked},
		{"PasswordReset", func(t *testing.T, env *testEnv) string {
			tok, p := env.login(t, "alice")
			if err := env.svc.SetPassword(ctx, p.UserID, "a whole new password"); err != nil {
				t.Fatal(err)
			}
			return tok.AccessToken
		}, errs.Unauthorized, ReasonSessionRevoked},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv(t)
			env.createUser(t, "admin", RoleAdmin)
			alice := env.createUser(t, "alice", "")
			env.createUser(t, "bob", "")
			token := tt.token(t, env)
			p, err := env.svc.Authenticate(ctx, token)
			if tt.wantCode != "" {
				wantCode(t, err, tt.wantCode, tt.wantReason)
				if p != nil {
					t.Errorf("a refused token yielded a principal %+v", p)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.UserID != alice.ID || p.Username != "alice" || p.Role != RoleMember || p.IsAdmin() || p.SessionID <= 0 {
				t.Errorf("principal = %+v", p)
			}
		})
	}
}

func TestAuthenticateNeverWrites(t *testing.T) {
	ctx := context.Background()
	env := newTestEnv(t)
	env.createUser(t, "alice", "")
	tok, p := env.login(t, "alice")

	snapshot := func() string {
		var s string
		err := env.db.QueryRowContext(ctx, `
			SELECT s.created_at || '|' || s.last_used_at || '|' || s.expires_at || '|' || hex(s.refresh_hash) || '|' ||
			       s.user_agent || '|' || s.ip || '|' || coalesce(s.revoked_at, '-') || '|' || u.updated_at || '|' || u.password_hash
			FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ?`, p.SessionID).Scan(&s)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	totalChanges := func() int64 {
		var n int64
		if err := env.db.Writer().QueryRowContext(ctx, "SELECT total_changes()").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before, changesBefore := snapshot(), totalChanges()
	for range 50 {
		env.clock.Advance(time.Second)
		if _, err := env.svc.Authenticate(ctx, tok.AccessToken); err != nil {
			t.Fatal(err)
		}
	}
	if after := snapshot(); after != before {
		t.Errorf("the session or user row changed during Authenticate:\nbefore %s\nafter  %s", before, after)
	}
	if after := totalChanges(); after != changesBefore {
		t.Errorf("the writer connection made %d changes during Authenticate", after-changesBefore)
	}
}

func TestMaxSessionsPerUser(t *testing.T) {
	ctx := context.Background()
	env := newTestEnv(t)
	alice := env.createUser(t, "alice", "")
	bob := env.createUser(t, "bob", "")
	_, bobP := env.login(t, "bob")
	env.rec = env.recordRevocations()

	const extra = 3
	var tokens []*Tokens
	for range maxSessionsPerUser + extra {
		env.clock.Advance(time.Second) // oldest = least recently used
		tok, err := env.svc.Login(ctx, "alice", testPassword, Client{})
		if err != nil {
			t.Fatal(err)
		}
		tokens = append(tokens, tok)
	}
	live := env.count(t, "SELECT count(*) FROM sessions WHERE user_id = ? AND revoked_at IS NULL", alice.ID)
	if live != maxSessionsPerUser {
		t.Errorf("live sessions = %d, want %d", live, maxSessionsPerUser)
	}
	for i, tok := range tokens {
		_, err := env.svc.Authenticate(ctx, tok.AccessToken)
		if i < extra {
			wantCode(t, err, errs.Unauthorized, ReasonSessionRevoked)
		} else if err != nil {
			t.Errorf("session %d of %d: %v, want live", i+1, len(tokens), err)
		}
	}
	got, _ := env.rec.take()
	var dropped []int64
	for _, r := range got {
		if r.UserID != alice.ID || r.Deactivated {
			t.Errorf("hook got %+v", r)
		}
		dropped = append(dropped, r.SessionIDs...)
	}
	if len(dropped) != extra {
		t.Errorf("hook named %d dropped sessions (%v), want %d", len(dropped), dropped, extra)
	}
	if n := env.count(t, "SELECT count(*) FROM sessions WHERE user_id = ? AND revoked_at IS NULL", bob.ID); n != 1 {
		t.Errorf("bob's live sessions = %d, want 1", n)
	}
	if _, err := env.svc.Authenticate(ctx, mustToken(t, env, bobP)); err != nil {
		t.Errorf("bob's session: %v", err)
	}
}

func TestPruneSessions(t *testing.T) {
	ctx := context.Background()
	env := newTestEnv(t, func(o *Options) { o.RefreshTTL = 48 * time.Hour })
	env.createUser(t, "alice", "")

	// revoked: logged out, after a refresh (so it has a used refresh token).
	revokedTok, revokedP := env.login(t, "alice")
	rotated, err := env.svc.Refresh(ctx, revokedTok.RefreshToken, Client{})
	if err != nil {
		t.Fatal(err)
	}
	if err := env.svc.Logout(ctx, revokedP); err != nil {
		t.Fatal(err)
	}
	// expiring: runs out after 48 h.
	_, expiringP := env.login(t, "alice")
	usedFor := func(sid int64) int {
		return env.count(t, "SELECT count(*) FROM used_refresh_tokens WHERE session_id = ?", sid)
	}
	if usedFor(revokedP.SessionID) != 1 {
		t.Fatalf("used_refresh_tokens rows of the refreshed session = %d, want 1", usedFor(revokedP.SessionID))
	}
	exists := func(sid int64) bool {
		return env.count(t, "SELECT count(*) FROM sessions WHERE id = ?", sid) == 1
	}

	steps := []struct {
		name        string
		advance     time.Duration
		wantPruned  int64
		wantRevoked bool // the revoked session still exists
		wantExpired bool // the expiring session still exists
	}{
		{"RevokedJustNow", 0, 0, true, true},
		{"RevokedUnderADayAgo", 23 * time.Hour, 0, true, true},
		{"RevokedOverADayAgo", 2 * time.Hour, 1, false, true},
		{"ExpiredUnderADayAgo", 30 * time.Hour, 0, false, true},
		{"ExpiredOverADayAgo", 20 * time.Hour, 1, false, false},
	}
	// live is kept alive by a refresh at every step, which also leaves it
	// used refresh tokens that pruning must keep.
	live, liveP := env.login(t, "alice")
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			env.clock.Advance(s.advance)
			var err error
			if live, err = env.svc.Refresh(ctx, live.RefreshToken, Client{}); err != nil {
				t.Fatal(err)
			}
			n, err := env.svc.PruneSessions(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n != s.wantPruned {
				t.Errorf("pruned %d, want %d", n, s.wantPruned)
			}
			if got := exists(revokedP.SessionID); got != s.wantRevoked {
				t.Errorf("revoked session exists = %v, want %v", got, s.wantRevoked)
			}
			if got := exists(expiringP.SessionID); got != s.wantExpired {
				t.Errorf("expired session exists = %v, want %v", got, s.wantExpired)
			}
			if !s.wantRevoked && usedFor(revokedP.SessionID) != 0 {
				t.Errorf("the pruned session's used refresh tokens are left behind")
			}
			if _, err := env.svc.Authenticate(ctx, live.AccessToken); err != nil {
				t.Errorf("live session after pruning: %v", err)
			}
		})
	}
	if got, want := env.count(t, "SELECT count(*) FROM used_refresh_tokens"), usedFor(liveP.SessionID); got != want || want != len(steps) {
		t.Errorf("used_refresh_tokens rows = %d, of the live session %d; want only the live session's %d", got, want, len(steps))
	}
	// The pruned session's old and current refresh tokens are simply
	// unknown now.
	for _, tok := range []string{revokedTok.RefreshToken, rotated.RefreshToken} {
		_, err := env.svc.Refresh(ctx, tok, Client{})
		wantCode(t, err, errs.Unauthorized, ReasonTokenInvalid)
	}
}

func TestLoginUnknownAndWrongPasswordAlike(t *testing.T) {
	ctx := context.Background()
	env := newTestEnv(t)
	env.createUser(t, "admin", RoleAdmin)
	alice := env.createUser(t, "alice", "")
	tests := []struct {
		name, username, password string
		want                     error
	}{
		{"Right", "alice", testPassword, nil},
		{"RightOtherCase", " Alice ", testPassword, nil},
		{"WrongPassword", "alice", "wrong password!", ErrBadCredentials},
		{"UnknownUser", "mallory", testPassword, ErrBadCredentials},
		{"EmptyUsername", "", testPassword, ErrBadCredentials},
		{"HugeUsername", strings.Repeat("a", 10000), testPassword, ErrBadCredentials},
		{"HugePassword", "alice", strings.Repeat("p", 100000), ErrBadCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := env.svc.Login(ctx, tt.username, tt.password, Client{})
			if err != tt.want {
				t.Fatalf("Login = %v, want %v", err, tt.want)
			}
			if err == nil && tok.User.ID != alice.ID {
				t.Errorf("signed in as %+v", tok.User)
			}
		})
	}
	t.Run("InactiveNeedsTheRightPassword", func(t *testing.T) {
		env.exec(t, "UPDATE users SET is_active = 0 WHERE id = ?", alice.ID)
		if _, err := env.svc.Login(ctx, "alice", "wrong password!", Client{}); err != ErrBadCredentials {
			t.Errorf("inactive user, wrong password: %v, want bad credentials", err)
		}
		_, err := env.svc.Login(ctx, "alice", testPassword, Client{})
		wantCode(t, err, errs.Forbidden, "")
	})
}
