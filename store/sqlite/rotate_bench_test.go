package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/store"
)

// BenchmarkRotateSession measures a refresh with rotation and blacklisting
// (RotateSession with blacklist) from 16 goroutines, each rotating its own
// session's chain, as the refresh route does under load.
func BenchmarkRotateSession(b *testing.B) {
	s := openStore(b, filepath.Join(b.TempDir(), "db.sqlite3"))
	ctx := context.Background()
	if err := s.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	u, err := s.CreateUser(ctx, store.User{Username: "bench", Password: "x", Email: "b@example.com", IsActive: true, DateJoined: now}, store.CreateUserOptions{})
	if err != nil {
		b.Fatal(err)
	}
	// A token the size of a real refresh token.
	body := strings.Repeat("x", 200)
	tok := func(sid string, n int64) store.OutstandingToken {
		jti := fmt.Sprintf("%s%016x", sid, n)
		return store.OutstandingToken{UserID: &u.ID, JTI: jti, Token: body + jti, CreatedAt: &now, ExpiresAt: now.Add(24 * time.Hour)}
	}
	var sessions atomic.Int64
	b.SetParallelism(8) // 16 goroutines on 2 CPUs
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		sid := fmt.Sprintf("%016x", sessions.Add(1))
		cur := tok(sid, 0)
		if err := s.StartSession(ctx, store.Session{ID: sid, UserID: u.ID, CreatedAt: now.Unix(), LastRefreshedAt: now.Unix(), ExpiresAt: now.Add(25 * time.Hour).Unix()}, cur); err != nil {
			b.Error(err)
			return
		}
		for n := int64(1); pb.Next(); n++ {
			next := tok(sid, n)
			if err := s.RotateSession(ctx, cur, next, now, now.Add(25*time.Hour).Unix(), true); err != nil {
				b.Error(err)
				return
			}
			cur = next
		}
	})
}
