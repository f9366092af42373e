package auth

import (
	"context"
	"testing"
)

// BenchmarkHash is one argon2id hash at the production cost (SPEC: 19 MiB,
// 2 passes, 1 lane, "about 20 ms on a small box").
func BenchmarkHash(b *testing.B) {
	ctx := context.Background()
	h := NewHasher(DefaultHashParams, 1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Hash(ctx, testPassword); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLogin compares a wrong password for a known user with any
// password for an unknown one: both must cost one production-cost hash, so
// that timing does not tell which usernames exist.
func BenchmarkLogin(b *testing.B) {
	ctx := context.Background()
	env := newTestEnv(b, func(o *Options) { o.Hasher = NewHasher(DefaultHashParams, 2) })
	env.createUser(b, "alice", "")
	for _, bc := range []struct{ name, username string }{
		{"known", "alice"},
		{"unknown", "mallory"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := env.svc.Login(ctx, bc.username, "wrong password!", Client{}); err != ErrBadCredentials {
					b.Fatalf("Login = %v, want bad credentials", err)
				}
			}
		})
	}
}

// BenchmarkAuthenticate is the per-request check: token verification plus
// one indexed read of the session and user.
func BenchmarkAuthenticate(b *testing.B) {
	ctx := context.Background()
	env := newTestEnv(b)
	env.createUser(b, "alice", "")
	tok, _ := env.login(b, "alice")
	b.Run("sequential", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := env.svc.Authenticate(ctx, tok.AccessToken); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := env.svc.Authenticate(ctx, tok.AccessToken); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
