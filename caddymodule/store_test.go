package caddymodule

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/zap"
)

// TestStorePoolSharedAcrossReload: a reload's new config gets the store
// the old config opened (one pool, one user feed); the old config's
// Cleanup leaves it open for the new one, and the last Cleanup closes it.
func TestStorePoolSharedAcrossReload(t *testing.T) {
	ctx, dir := context.Background(), t.TempDir()
	r := resolvedStore{Driver: "sqlite", SQLitePath: filepath.Join(dir, "pool.sqlite3"), Migrate: true}
	key := r.poolKey()
	old, err := loadStore(ctx, r, key, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	cur, err := loadStore(ctx, r, key, zap.NewNop()) // the reload's new config
	if err != nil {
		t.Fatal(err)
	}
	if cur != old {
		t.Fatal("the reloaded config opened the store again")
	}
	other := r
	other.SQLitePath = filepath.Join(dir, "other.sqlite3")
	if h, err := loadStore(ctx, other, other.poolKey(), zap.NewNop()); err != nil || h == cur {
		t.Errorf("another path: %v, same handle %v", err, h == cur)
	} else if deleted, err := stores.Delete(other.poolKey()); !deleted || err != nil {
		t.Errorf("the only user's Delete: deleted %v, %v", deleted, err)
	}

	// The old config's Cleanup.
	if deleted, err := stores.Delete(key); deleted || err != nil {
		t.Fatalf("the old config's Delete: deleted %v, %v", deleted, err)
	}
	if _, err := cur.store.ListUsers(ctx); err != nil {
		t.Fatalf("the store closed under the new config: %v", err)
	}
	for i := 0; !cur.users.Loaded(); i++ { // the feed is still running
		if i == 500 {
			t.Fatal("the user feed never loaded the index")
		}
		time.Sleep(20 * time.Millisecond)
	}

	// The new config's Cleanup: the last user closes it and its feed.
	if deleted, err := stores.Delete(key); !deleted || err != nil {
		t.Fatalf("the last Delete: deleted %v, %v", deleted, err)
	}
	select {
	case <-cur.done:
	default:
		t.Error("the user feed outlived the store")
	}
	// It closes in the background, at once with no request in flight.
	for i := 0; ; i++ {
		if _, err := cur.store.ListUsers(ctx); err != nil {
			break
		}
		if i == 500 {
			t.Fatal("the store is still open 10 s after the last config let go")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
