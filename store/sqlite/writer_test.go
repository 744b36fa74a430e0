package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// TestGroupCommit: concurrent write transactions committed in groups keep
// their own outcomes: each one that fails (after writing) is rolled back
// alone, each one that succeeds is committed, a duplicate key fails only
// the second writer of it, and a writer whose context ends while it waits
// gives up without running.
func TestGroupCommit(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "db.sqlite3"))
	ctx := context.Background()
	if err := s.inTx(ctx, func(tx *txn) error {
		_, err := tx.Tx.ExecContext(ctx, `CREATE TABLE "g" ("v" INTEGER NOT NULL UNIQUE)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	insert := func(ctx context.Context, v int) func(*txn) error {
		return func(tx *txn) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO "g" ("v") VALUES (?)`, v)
			return err
		}
	}
	errOdd := errors.New("odd")
	const n = 200
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs[i] = s.inTx(ctx, func(tx *txn) error {
				if err := insert(ctx, i)(tx); err != nil {
					return err
				}
				if i%2 == 1 {
					return errOdd // after its write: rolled back alone
				}
				return insert(ctx, 1000+i%10)(tx) // all but one per value: duplicate key
			})
		})
	}
	wg.Wait()
	firsts := map[int]bool{}
	for i, err := range errs {
		switch {
		case i%2 == 1 && !errors.Is(err, errOdd):
			t.Errorf("writer %d: %v, want its own error", i, err)
		case i%2 == 0 && err != nil && !isUniqueViolation(err):
			t.Errorf("writer %d: %v", i, err)
		case i%2 == 0 && err == nil:
			if firsts[i%10] {
				t.Errorf("writer %d committed a second row %d", i, 1000+i%10)
			}
			firsts[i%10] = true
		}
	}
	var rows, evens int
	if err := s.db.QueryRow(`SELECT count(*), count(*) FILTER (WHERE "v" < 1000) FROM "g"`).Scan(&rows, &evens); err != nil {
		t.Fatal(err)
	}
	if evens != len(firsts) || rows != 2*len(firsts) || len(firsts) != 5 {
		t.Errorf("%d rows, %d below 1000; want the %d committed writers' two rows each (one per even value mod 10)", rows, evens, len(firsts))
	}

	// A writer that gives up while another holds the queue never runs.
	hold, release := make(chan struct{}), make(chan struct{})
	go s.inTx(ctx, func(*txn) error { close(hold); <-release; return nil })
	<-hold
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	ran := false
	err := s.inTx(cctx, func(*txn) error { ran = true; return nil })
	close(release)
	if !errors.Is(err, context.DeadlineExceeded) || ran {
		t.Errorf("a writer whose context ended in the queue: %v, ran %v; want DeadlineExceeded without running", err, ran)
	}
	if err := s.inTx(ctx, insert(ctx, 5000)); err != nil {
		t.Errorf("a write after the queue emptied: %v", err)
	}
}
