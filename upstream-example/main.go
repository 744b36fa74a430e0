// Command upstream-example is the tutorial's Django movieapi (movies and
// their reviews) rewritten as a plain Go service, standing in for the
// unchanged legacy app behind the jwtgate gateway.
//
// It has no authentication code. The gateway verifies the Bearer token and
// passes the user in headers, which this service trusts: X-User-Id (the
// user's id; without it a request is anonymous) and, when the gateway is
// configured to send it, X-Username (percent-encoded UTF-8, shown decoded
// as reviewer_name; "user <id>" otherwise). It must therefore only be reachable through the gateway.
//
// Routes, bodies, status codes and error messages are those of the Django
// REST framework original (testdata/django_ref/movieapi):
//
//	GET, POST              /movieapi/movie/
//	GET, PUT, PATCH, DELETE /movieapi/movie/<pk>/
//	GET                    /movieapi/movie/<pk>/reviews/
//	POST                   /movieapi/movie/<pk>/review-create/
//	GET, PUT, PATCH, DELETE /movieapi/movie/<review pk>/review_detail/
//	GET                    /healthz (answers "ok")
//
// Environment:
//
//	UPSTREAM_ADDR             listen address (default 127.0.0.1:9000)
//	UPSTREAM_DB               SQLite file (default ./var/upstream.sqlite3)
//	UPSTREAM_USER_ID_HEADER   identity header (default X-User-Id)
//	UPSTREAM_USERNAME_HEADER  username header (default X-Username)
//
// An empty database gets the tutorial's three movies. SIGINT or SIGTERM
// stops the server gracefully.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// config is the service's settings, read from the environment.
type config struct {
	Addr           string
	DBPath         string
	UserIDHeader   string
	UsernameHeader string
}

// configFromEnv reads config from the environment, with defaults.
func configFromEnv() config {
	get := func(name, def string) string {
		if v := os.Getenv(name); v != "" {
			return v
		}
		return def
	}
	return config{
		Addr:           get("UPSTREAM_ADDR", "127.0.0.1:9000"),
		DBPath:         get("UPSTREAM_DB", "./var/upstream.sqlite3"),
		UserIDHeader:   get("UPSTREAM_USER_ID_HEADER", "X-User-Id"),
		UsernameHeader: get("UPSTREAM_USERNAME_HEADER", "X-Username"),
	}
}

// newApp returns the HTTP handler over an open store.
func newApp(st *Store, cfg config, logger *log.Logger) http.Handler {
	return &app{store: st, userIDHeader: cfg.UserIDHeader, usernameHeader: cfg.UsernameHeader, log: logger}
}

// shutdownTimeout bounds how long in-flight requests get after a signal.
const shutdownTimeout = 10 * time.Second

// run serves until ctx is cancelled, then shuts down gracefully.
func run(ctx context.Context, cfg config, logOut io.Writer) error {
	logger := log.New(logOut, "upstream-example: ", log.LstdFlags)
	st, err := openStore(ctx, cfg.DBPath)
	if err != nil {
		return err
	}
	defer st.Close()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           newApp(st, cfg, logger),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          logger,
	}
	logger.Printf("listening on http://%s, database %s", ln.Addr(), cfg.DBPath)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	logger.Printf("stopped")
	return nil
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, configFromEnv(), os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "upstream-example:", err)
		os.Exit(1)
	}
}
