package caddymodule

import (
	"context"
	"time"

	"github.com/jwtgate/jwtgate/store"
	"github.com/jwtgate/jwtgate/store/postgres"
)

func openPostgres(ctx context.Context, r resolvedStore) (store.Store, error) {
	s, err := postgres.Open(ctx, postgres.Options{
		URL:            r.URL,
		Schema:         r.Schema,
		MaxConns:       r.MaxConns,
		MinConns:       r.MinConns,
		ConnectTimeout: time.Duration(r.ConnectTimeout),
	})
	if err != nil {
		return nil, err // not a typed nil in the interface
	}
	return s, nil
}
