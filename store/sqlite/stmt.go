package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// stmts keeps the statements of the hot queries (the token routes' reads)
// prepared, so SQLite does not parse them again on every request.
// database/sql prepares a statement on each connection that runs it and
// SQLite re-prepares it itself after a schema change, so one *sql.Stmt per
// query text serves the whole pool.
type stmts struct {
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

// cached returns the prepared statement for query, or nil when it has not
// been prepared yet.
func (s *Store) cached(query string) *sql.Stmt {
	s.stmts.mu.Lock()
	defer s.stmts.mu.Unlock()
	return s.stmts.m[query]
}

// prepared returns the prepared statement for query, preparing it on first
// use. A statement that fails to prepare (the tables do not exist yet, say)
// is not kept, so the next call tries again.
func (s *Store) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	s.stmts.mu.Lock()
	defer s.stmts.mu.Unlock()
	if st, ok := s.stmts.m[query]; ok {
		return st, nil
	}
	st, err := s.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if s.stmts.m == nil {
		s.stmts.m = map[string]*sql.Stmt{}
	}
	s.stmts.m[query] = st
	return st, nil
}

// queryRow is QueryRowContext on the prepared statement of query.
func (s *Store) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := s.prepared(ctx, query)
	if err != nil {
		// The row reports the query's own error, unprepared.
		return s.db.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// query is QueryContext on the prepared statement of query.
func (s *Store) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := s.prepared(ctx, query)
	if err != nil {
		return s.db.QueryContext(ctx, query, args...)
	}
	return st.QueryContext(ctx, args...)
}

// closeStmts closes the prepared statements.
func (s *Store) closeStmts() {
	s.stmts.mu.Lock()
	defer s.stmts.mu.Unlock()
	for _, st := range s.stmts.m {
		st.Close()
	}
	s.stmts.m = nil
}

// txn is a write transaction whose statements run prepared: SQLite's
// parser is about a third of a refresh with rotation's CPU when each
// statement is parsed again. A statement the store has not prepared yet
// runs unprepared and is prepared by inTx once the transaction has
// released its connection: preparing on the pool meanwhile could wait for
// a connection held by a transaction that waits in turn.
type txn struct {
	*sql.Tx
	s      *Store
	missed []string
}

// stmt returns the transaction's form of query's prepared statement, or
// nil (and notes query) when it is not prepared yet.
func (t *txn) stmt(ctx context.Context, query string) *sql.Stmt {
	if st := t.s.cached(query); st != nil {
		return t.Tx.StmtContext(ctx, st)
	}
	t.missed = append(t.missed, query)
	return nil
}

// ExecContext is sql.Tx's, on the prepared statement of query.
func (t *txn) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := t.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return t.Tx.ExecContext(ctx, query, args...)
}

// QueryRowContext is sql.Tx's, on the prepared statement of query.
func (t *txn) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := t.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return t.Tx.QueryRowContext(ctx, query, args...)
}

// QueryContext is sql.Tx's, on the prepared statement of query.
func (t *txn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := t.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return t.Tx.QueryContext(ctx, query, args...)
}
