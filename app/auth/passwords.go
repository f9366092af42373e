package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/argon2"

	"tack/app/errs"
)

// HashParams are argon2id's cost parameters. They are written into every
// hash, so raising them later still verifies old hashes (and Login rehashes
// a password whose hash is weaker than the current parameters).
type HashParams struct {
	MemoryKiB uint32
	Passes    uint32
	Lanes     uint8
}

// DefaultHashParams are the SPEC's: 19 MiB, 2 passes, 1 lane (OWASP's
// minimum for argon2id), about 20 ms on a small box.
var DefaultHashParams = HashParams{MemoryKiB: 19 * 1024, Passes: 2, Lanes: 1}

const (
	saltLen = 16
	keyLen  = 32
	// maxHashWaiters bounds the queue for a hashing slot: beyond it a
	// sign-in is refused at once with 429 instead of piling up.
	maxHashWaiters = 64
	// hashWait is how long a sign-in may wait for a slot.
	hashWait = 5 * time.Second
)

// Hasher hashes and verifies passwords with at most a few hashes running at
// once, so that a flood of sign-ins can neither exhaust memory (each hash
// holds MemoryKiB) nor starve other requests of CPU.
type Hasher struct {
	params  HashParams
	slots   chan struct{}
	waiters atomic.Int32
	// dummy is verified against when the user does not exist, so that an
	// unknown username costs the same time as a wrong password. It is made
	// on first use, so commands that never verify never pay for it.
	dummyOnce sync.Once
	dummy     string
}

// NewHasher returns a Hasher running at most concurrency hashes at once.
func NewHasher(p HashParams, concurrency int) *Hasher {
	return &Hasher{params: p, slots: make(chan struct{}, max(1, concurrency))}
}

// Hash returns the PHC-format argon2id hash of password.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	release, err := h.acquire(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	return h.hash(password), nil
}

func (h *Hasher) hash(password string) string {
	salt := make([]byte, saltLen)
	rand.Read(salt)
	key := argon2.IDKey([]byte(password), salt, h.params.Passes, h.params.MemoryKiB, h.params.Lanes, keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		h.params.MemoryKiB, h.params.Passes, h.params.Lanes, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// Verify reports whether password matches encoded. An empty encoded (no such
// user) is verified against a dummy hash and is never a match, so it takes
// the same time. needsRehash is true when encoded used weaker parameters.
func (h *Hasher) Verify(ctx context.Context, encoded, password string) (ok, needsRehash bool, err error) {
	release, err := h.acquire(ctx)
	if err != nil {
		return false, false, err
	}
	defer release()
	known := encoded != ""
	if !known {
		h.dummyOnce.Do(func() { h.dummy = h.hash("not a real password: timing equaliser") })
		encoded = h.dummy
	}
	p, salt, want, err := parseHash(encoded)
	if err != nil {
		return false, false, err
	}
	got := argon2.IDKey([]byte(password), salt, p.Passes, p.MemoryKiB, p.Lanes, uint32(len(want)))
	match := subtle.ConstantTimeCompare(got, want) == 1
	return known && match, p.weakerThan(h.params), nil
}

// weakerThan reports whether any cost of p is below c's: such a hash is
// upgraded at the next sign-in, a stronger one is left alone.
func (p HashParams) weakerThan(c HashParams) bool {
	return p.MemoryKiB < c.MemoryKiB || p.Passes < c.Passes || p.Lanes < c.Lanes
}

func (h *Hasher) acquire(ctx context.Context) (func(), error) {
	if h.waiters.Add(1) > maxHashWaiters {
		h.waiters.Add(-1)
		return nil, busy()
	}
	defer h.waiters.Add(-1)
	t := time.NewTimer(hashWait)
	defer t.Stop()
	select {
	case h.slots <- struct{}{}:
		return func() { <-h.slots }, nil
	case <-t.C:
		return nil, busy()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func busy() error {
	return &errs.Error{Code: errs.RateLimited, Message: "too many sign-ins at once; try again shortly", RetryAfter: time.Second}
}

func parseHash(encoded string) (HashParams, []byte, []byte, error) {
	var p HashParams
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return p, nil, nil, errors.New("auth: not an argon2id hash")
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return p, nil, nil, errors.New("auth: unsupported argon2 version")
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Passes, &p.Lanes); err != nil || p.Passes == 0 || p.Lanes == 0 {
		return p, nil, nil, fmt.Errorf("auth: bad argon2 parameters %q", parts[3])
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return p, nil, nil, fmt.Errorf("auth: bad salt: %w", err)
	}
	key, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(key) == 0 {
		return p, nil, nil, errors.New("auth: bad key")
	}
	return p, salt, key, nil
}
