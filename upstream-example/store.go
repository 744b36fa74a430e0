package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver
)

// Movie is a row of movieapi_movie with its reviews.
type Movie struct {
	ID           int64
	Title        string
	Storyline    string
	Active       bool
	AvgRating    float64
	NumberRating int64
	Reviews      []Review
}

// Review is a row of movieapi_review. The reviewer is whoever the gateway
// said made the request: an id and the name shown for it.
type Review struct {
	ID           int64
	MovieID      int64
	ReviewerID   int64
	ReviewerName string
	Rating       int64
	Description  *string // NULL when never given
	Active       bool
	Created      time.Time
	Updated      time.Time
}

// Errors of the store's write operations.
var (
	errNoMovie         = errors.New("movie not found")
	errNoReview        = errors.New("review not found")
	errAlreadyReviewed = errors.New("already reviewed")
)

// Store keeps movies and reviews in a SQLite file.
type Store struct{ db *sql.DB }

// schema is the tutorial's two tables as Django names them, with the
// reviewer kept as the gateway's user id plus a display name instead of a
// foreign key to auth_user. Times are microseconds since the Unix epoch.
var schema = []string{
	`CREATE TABLE "movieapi_movie" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "title" varchar(100) NOT NULL, "storyline" varchar(500) NOT NULL, "active" bool NOT NULL, "avg_rating" real NOT NULL, "number_rating" integer NOT NULL, "created" integer NOT NULL)`,
	`CREATE TABLE "movieapi_review" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "movie_id" bigint NOT NULL REFERENCES "movieapi_movie" ("id") ON DELETE CASCADE, "reviewer_id" bigint NOT NULL, "reviewer_name" text NOT NULL, "rating" integer NOT NULL, "description" varchar(200) NULL, "active" bool NOT NULL, "created" integer NOT NULL, "update" integer NOT NULL)`,
	`CREATE INDEX "movieapi_review_movie_id" ON "movieapi_review" ("movie_id", "id")`,
}

// seedMovies are the reference's three movies, inserted on first start.
var seedMovies = [][2]string{
	{"The Shawshank Redemption", "Two imprisoned men bond over a number of years."},
	{"Inception", "A thief who steals corporate secrets through dream-sharing."},
	{"Spirited Away", "A girl wanders into a world ruled by gods and spirits."},
}

// openStore opens (creating the directory and file if needed) the database
// at path. A database without the tables gets them and the seed movies.
func openStore(ctx context.Context, path string) (*Store, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("creating the database directory: %w", err)
		}
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate") // write transactions take the lock up front
	db, err := sql.Open("sqlite", path+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	s := &Store{db: db}
	if err := s.init(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	return s, nil
}

func (s *Store) init(ctx context.Context) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var n int
		err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'movieapi_movie'`).Scan(&n)
		if err != nil || n > 0 {
			return err
		}
		for _, stmt := range schema {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return err
			}
		}
		for _, m := range seedMovies {
			if _, err := insertMovie(ctx, tx, m[0], m[1], true); err != nil {
				return err
			}
		}
		return nil
	})
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// tx runs f in a write transaction.
func (s *Store) tx(ctx context.Context, f func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := f(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// now is the time Django's auto_now fields would store: UTC, microseconds.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

func insertMovie(ctx context.Context, tx *sql.Tx, title, storyline string, active bool) (int64, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO "movieapi_movie" ("title", "storyline", "active", "avg_rating", "number_rating", "created") VALUES (?, ?, ?, 0, 0, ?)`,
		title, storyline, active, now().UnixMicro())
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

const movieColumns = `m."id", m."title", m."storyline", m."active", m."avg_rating", m."number_rating"`
const reviewColumns = `r."id", r."movie_id", r."reviewer_id", r."reviewer_name", r."rating", r."description", r."active", r."created", r."update"`

// Movies returns every movie with its reviews, both ordered by id.
func (s *Store) Movies(ctx context.Context) ([]Movie, error) {
	return s.movies(ctx, `1`)
}

// Movie returns one movie with its reviews; false when there is none.
func (s *Store) Movie(ctx context.Context, id int64) (Movie, bool, error) {
	ms, err := s.movies(ctx, `m."id" = ?`, id)
	if err != nil || len(ms) == 0 {
		return Movie{}, false, err
	}
	return ms[0], true, nil
}

// movies reads movies and their reviews in one statement, so the answer
// is a consistent snapshot.
func (s *Store) movies(ctx context.Context, where string, args ...any) ([]Movie, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+movieColumns+`, `+reviewColumns+`
		FROM "movieapi_movie" m LEFT JOIN "movieapi_review" r ON r."movie_id" = m."id"
		WHERE `+where+` ORDER BY m."id", r."id"`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Movie
	for rows.Next() {
		var m Movie
		var rid, rmovie, rreviewer, rrating, rcreated, rupdated sql.NullInt64
		var rname, rdesc sql.NullString
		var ractive sql.NullBool
		if err := rows.Scan(&m.ID, &m.Title, &m.Storyline, &m.Active, &m.AvgRating, &m.NumberRating,
			&rid, &rmovie, &rreviewer, &rname, &rrating, &rdesc, &ractive, &rcreated, &rupdated); err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].ID != m.ID {
			m.Reviews = []Review{}
			out = append(out, m)
		}
		if rid.Valid {
			r := Review{ID: rid.Int64, MovieID: rmovie.Int64, ReviewerID: rreviewer.Int64, ReviewerName: rname.String,
				Rating: rrating.Int64, Active: ractive.Bool,
				Created: time.UnixMicro(rcreated.Int64).UTC(), Updated: time.UnixMicro(rupdated.Int64).UTC()}
			if rdesc.Valid {
				r.Description = &rdesc.String
			}
			last := &out[len(out)-1]
			last.Reviews = append(last.Reviews, r)
		}
	}
	return out, rows.Err()
}

// CreateMovie adds a movie with no ratings.
func (s *Store) CreateMovie(ctx context.Context, title, storyline string, active bool) (Movie, error) {
	var id int64
	err := s.tx(ctx, func(tx *sql.Tx) (err error) {
		id, err = insertMovie(ctx, tx, title, storyline, active)
		return err
	})
	if err != nil {
		return Movie{}, err
	}
	return Movie{ID: id, Title: title, Storyline: storyline, Active: active, Reviews: []Review{}}, nil
}

// MovieChanges are the fields a PUT or PATCH sets; nil leaves one as is.
type MovieChanges struct {
	Title, Storyline *string
	Active           *bool
}

// UpdateMovie applies c to movie id and returns it (errNoMovie if gone).
func (s *Store) UpdateMovie(ctx context.Context, id int64, c MovieChanges) (Movie, error) {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE "movieapi_movie" SET "title" = coalesce(?, "title"),
			"storyline" = coalesce(?, "storyline"), "active" = coalesce(?, "active") WHERE "id" = ?`,
			c.Title, c.Storyline, c.Active, id)
		return affected(res, err, errNoMovie)
	})
	if err != nil {
		return Movie{}, err
	}
	m, ok, err := s.Movie(ctx, id)
	if err == nil && !ok {
		err = errNoMovie
	}
	return m, err
}

// DeleteMovie removes a movie and its reviews (errNoMovie if none).
func (s *Store) DeleteMovie(ctx context.Context, id int64) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM "movieapi_review" WHERE "movie_id" = ?`, id); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM "movieapi_movie" WHERE "id" = ?`, id)
		return affected(res, err, errNoMovie)
	})
}

// affected turns "no row changed" into notFound.
func affected(res sql.Result, err, notFound error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err == nil && n == 0 {
		err = notFound
	}
	return err
}

// Reviews returns the reviews of a movie ordered by id (none for an
// unknown movie).
func (s *Store) Reviews(ctx context.Context, movieID int64) ([]Review, error) {
	return s.reviews(ctx, `r."movie_id" = ?`, movieID)
}

// Review returns one review; false when there is none.
func (s *Store) Review(ctx context.Context, id int64) (Review, bool, error) {
	rs, err := s.reviews(ctx, `r."id" = ?`, id)
	if err != nil || len(rs) == 0 {
		return Review{}, false, err
	}
	return rs[0], true, nil
}

func (s *Store) reviews(ctx context.Context, where string, args ...any) ([]Review, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+reviewColumns+` FROM "movieapi_review" r WHERE `+where+` ORDER BY r."id"`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Review{}
	for rows.Next() {
		var r Review
		var desc sql.NullString
		var created, updated int64
		if err := rows.Scan(&r.ID, &r.MovieID, &r.ReviewerID, &r.ReviewerName, &r.Rating, &desc, &r.Active, &created, &updated); err != nil {
			return nil, err
		}
		if desc.Valid {
			r.Description = &desc.String
		}
		r.Created, r.Updated = time.UnixMicro(created).UTC(), time.UnixMicro(updated).UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}

// NewReview is what ReviewCreate saves.
type NewReview struct {
	MovieID      int64
	ReviewerID   int64
	ReviewerName string
	Rating       int64
	Description  *string
	Active       bool
}

// CreateReview saves a review as the tutorial's ReviewCreate.perform_create
// does, in one transaction: errNoMovie for an unknown movie,
// errAlreadyReviewed when this reviewer has a review of it, else the
// movie's avg_rating becomes the rating (first one) or (avg + rating) / 2,
// and number_rating grows by one.
func (s *Store) CreateReview(ctx context.Context, n NewReview) (Review, error) {
	r := Review{MovieID: n.MovieID, ReviewerID: n.ReviewerID, ReviewerName: n.ReviewerName, Rating: n.Rating,
		Description: n.Description, Active: n.Active}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var avg float64
		var count int64
		err := tx.QueryRowContext(ctx, `SELECT "avg_rating", "number_rating" FROM "movieapi_movie" WHERE "id" = ?`, n.MovieID).Scan(&avg, &count)
		if errors.Is(err, sql.ErrNoRows) {
			return errNoMovie
		}
		if err != nil {
			return err
		}
		var dup int
		err = tx.QueryRowContext(ctx, `SELECT count(*) FROM "movieapi_review" WHERE "movie_id" = ? AND "reviewer_id" = ?`, n.MovieID, n.ReviewerID).Scan(&dup)
		if err != nil {
			return err
		}
		if dup > 0 {
			return errAlreadyReviewed
		}
		if count == 0 {
			avg = float64(n.Rating)
		} else {
			avg = (avg + float64(n.Rating)) / 2
		}
		if _, err := tx.ExecContext(ctx, `UPDATE "movieapi_movie" SET "avg_rating" = ?, "number_rating" = ? WHERE "id" = ?`, avg, count+1, n.MovieID); err != nil {
			return err
		}
		r.Created = now()
		r.Updated = r.Created
		res, err := tx.ExecContext(ctx, `INSERT INTO "movieapi_review" ("movie_id", "reviewer_id", "reviewer_name", "rating", "description", "active", "created", "update") VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			n.MovieID, n.ReviewerID, n.ReviewerName, n.Rating, n.Description, n.Active, r.Created.UnixMicro(), r.Updated.UnixMicro())
		if err != nil {
			return err
		}
		r.ID, err = res.LastInsertId()
		return err
	})
	return r, err
}

// ReviewChanges are the fields a PUT or PATCH sets; a nil field is left
// as is. SetDescription with a nil Description stores NULL.
type ReviewChanges struct {
	Rating         *int64
	SetDescription bool
	Description    *string
	Active         *bool
}

// UpdateReview applies c to review id, stamps its update time and returns
// it (errNoReview if gone).
func (s *Store) UpdateReview(ctx context.Context, id int64, c ReviewChanges) (Review, error) {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE "movieapi_review" SET "rating" = coalesce(?, "rating"),
			"description" = CASE WHEN ? THEN ? ELSE "description" END, "active" = coalesce(?, "active"), "update" = ?
			WHERE "id" = ?`, c.Rating, c.SetDescription, c.Description, c.Active, now().UnixMicro(), id)
		return affected(res, err, errNoReview)
	})
	if err != nil {
		return Review{}, err
	}
	r, ok, err := s.Review(ctx, id)
	if err == nil && !ok {
		err = errNoReview
	}
	return r, err
}

// DeleteReview removes a review (errNoReview if none). The movie's rating
// figures stay as they are, as in the tutorial.
func (s *Store) DeleteReview(ctx context.Context, id int64) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM "movieapi_review" WHERE "id" = ?`, id)
		return affected(res, err, errNoReview)
	})
}
