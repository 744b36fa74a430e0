package simplejwt

// This file is the seed tutorial's userprofiles app: its register and users
// views, and what only they use (the RegistrationSerializer's field rules,
// the users list rendering). simplejwt's own views never call into it; the
// dispatch in views.go and the View values Register and Users are its only
// links to the rest of the package. Django's username rules, which the
// command line shares, are in username.go.

import (
	"errors"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.uber.org/zap"
	"golang.org/x/net/idna"

	"github.com/jwtgate/jwtgate/drf"
	"github.com/jwtgate/jwtgate/password"
	"github.com/jwtgate/jwtgate/store"
)

const (
	msgUsernameTaken = "A user with that username already exists."
	msgEmailInvalid  = "Enter a valid email address."
)

var (
	emailUserRE = regexp.MustCompile(`(?i)^(?:[-!#$%&'*+/=?^_` + "`" + `{}|~0-9A-Z]+(?:\.[-!#$%&'*+/=?^_` + "`" + `{}|~0-9A-Z]+)*` +
		`|"(?:[\x01-\x08\x0b\x0c\x0e-\x1f!#-\[\]-\x7f]|\\[\x01-\x09\x0b\x0c\x0e-\x7f])*")\z`)
	// The last label is checked by hand: RE2 has no (?<!-) look-behind.
	emailDomainRE  = regexp.MustCompile(`(?i)^((?:[A-Z0-9](?:[A-Z0-9-]{0,61}[A-Z0-9])?\.)+)([A-Z0-9-]{2,63})\z`)
	emailLiteralRE = regexp.MustCompile(`(?i)^\[([A-F0-9:.]+)\]\z`)
)

// validEmail is Django 3.2's EmailValidator, which DRF's EmailField runs.
func validEmail(s string) string {
	at := strings.LastIndexByte(s, '@')
	if s == "" || at < 0 || utf8.RuneCountInString(s) > 320 {
		return msgEmailInvalid
	}
	user, domain := s[:at], s[at+1:]
	if !emailUserRE.MatchString(user) {
		return msgEmailInvalid
	}
	if domain == "localhost" || validEmailDomain(domain) {
		return ""
	}
	// Try the IDN form of the domain, as Django does with punycode.
	if ascii, err := idna.ToASCII(domain); err == nil && validEmailDomain(ascii) {
		return ""
	}
	return msgEmailInvalid
}

func validEmailDomain(d string) bool {
	if m := emailDomainRE.FindStringSubmatch(d); m != nil {
		return !strings.HasSuffix(m[2], "-")
	}
	if m := emailLiteralRE.FindStringSubmatch(d); m != nil {
		return net.ParseIP(m[1]) != nil
	}
	return false
}

type registerBody struct {
	Response string   `json:"response"`
	Username string   `json:"username"`
	Email    string   `json:"email"`
	Token    pairBody `json:"token"`
}

// register is the tutorial's RegistrationSerializer and registration_view,
// with the fixes of docs/simplejwt.md, "Deviations": field errors are 400 (not
// 201), a missing email is a field error (not a 500), the username is
// NFKC-normalized before it is validated and stored (as Django's forms and
// create_user do), and, unless RegisterCaseSensitive, a username or email
// that differs from a user's only in case is taken. The exact username
// check answers before the hash; the case-insensitive ones are made with
// the insert, atomically (store.CreateUserOptions).
//
// The throttle answers before the hash: every registration that would hash
// counts toward the client's registration limit and hash budget. (Field
// errors, which answer without hashing, are not counted: they reveal
// whether a username is taken, which the register view does anyway.)
func (s *Service) register(w http.ResponseWriter, r *http.Request, data drf.Data) *drf.Error {
	release, e := s.admit(r)
	if e != nil {
		return e
	}
	defer release()
	ctx, cancel := s.dbContext(r)
	defer cancel()
	var dbErr error
	unique := func(name string) string {
		_, err := s.store.UserByUsername(ctx, name)
		switch {
		case err == nil:
			return msgUsernameTaken
		case !errors.Is(err, store.ErrNotFound):
			dbErr = err
		}
		return ""
	}
	fields := []drf.CharField{
		{Name: "username", MaxLength: 150, Normalize: NormalizeUsername, Validators: []func(string) string{ValidUsername, unique}},
		// DRF's EmailField appends its EmailValidator after CharField's
		// own checks, so its message comes after theirs.
		{Name: "email", AllowBlank: true, MaxLength: 254, ValidatorsAfter: []func(string) string{validEmail}},
		{Name: "password", MaxLength: 128},
		{Name: "password2"},
	}
	vals, errs := drf.ValidateChars(data, fields...)
	if dbErr != nil {
		return s.dbFault(Register, "username exists", dbErr)
	}
	if s.set.ValidatePasswords && fieldValid(errs, "password") {
		// validate_password runs on a password that passed its field
		// checks, and its messages become the field's errors.
		attrs := password.UserAttributes{Username: vals[0], Email: vals[1]}
		for _, msg := range password.Validate(vals[2], attrs) {
			if errs == nil {
				errs = &drf.Errors{}
			}
			errs.Add("password", msg)
		}
	}
	if errs != nil {
		return drf.FieldErrors(reorder(errs, "username", "email", "password", "password2"))
	}
	username, email, pw, pw2 := vals[0], vals[1], vals[2], vals[3]
	if pw != pw2 {
		return errorBody(`{"error":"P1 and P2 should be same!"}`)
	}
	if s.throttle != nil {
		d, err := s.throttle.Register(ctx, s.clientIP(r), s.now())
		if err != nil {
			return s.dbFault(Register, "register throttle", err)
		}
		if d.Wait > 0 {
			if s.hooks.RegisterThrottled != nil {
				s.hooks.RegisterThrottled(r, d)
			}
			return Throttled(d.Wait)
		}
	}
	cancel()
	var enc string
	var err error
	if e := s.hash(r.Context(), r, func() { enc, err = s.passwords.Encode(pw) }); e != nil {
		return e
	}
	ctx, cancel = s.dbContext(r)
	defer cancel()
	if err != nil {
		s.log.Error("hashing password", zap.Error(err))
		return drf.Detail(http.StatusInternalServerError, "A server error occurred.")
	}
	now := s.now().UTC()
	u, err := s.store.CreateUser(ctx, store.User{
		Password: enc, Username: username, Email: email, IsActive: true, DateJoined: now,
	}, store.CreateUserOptions{UniqueEmail: true, IgnoreCase: !s.set.RegisterCaseSensitive})
	switch {
	case errors.Is(err, store.ErrEmailTaken):
		return errorBody(`{"error":"Email already exists!"}`)
	case errors.Is(err, store.ErrUsernameTaken):
		var errs drf.Errors
		errs.Add("username", msgUsernameTaken)
		return drf.FieldErrors(&errs)
	case err != nil:
		return s.dbFault(Register, "create user", err)
	}
	pair, e := s.forUser(ctx, r, Register, u, now)
	if e != nil {
		return e
	}
	return writeTokens(w, http.StatusCreated, registerBody{
		Response: "Registration Successfully !!!", Username: u.Username, Email: u.Email, Token: pair,
	})
}

// fieldValid reports whether errs has no message for the field.
func fieldValid(errs *drf.Errors, field string) bool {
	return errs.Empty() || len(errs.Messages(field)) == 0
}

func errorBody(body string) *drf.Error {
	return &drf.Error{Status: http.StatusBadRequest, Body: []byte(body)}
}

// reorder returns errs with its fields in the declared order (messages
// added after validation, such as the password validators', keep the
// field's place).
func reorder(errs *drf.Errors, order ...string) *drf.Errors {
	var out drf.Errors
	for _, f := range errs.Fields() {
		if !contains(order, f) {
			for _, m := range errs.Messages(f) {
				out.Add(f, m)
			}
		}
	}
	for _, f := range order {
		for _, m := range errs.Messages(f) {
			out.Add(f, m)
		}
	}
	return &out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// usersPageSize is how many users listUsers reads per query: the view
// holds one page in memory, never the table.
var usersPageSize = 500

// listUsers is the tutorial's user_list_view: every user's id, username
// and email, as a JSON array ordered by id. It reads the table a page at a
// time (UsersAfter: those three columns, never a password hash) and streams
// the array; a list of one page is sent whole, with its length. A database
// fault on the first page is a 503; on a later one the response is
// aborted, so a client never receives a well-formed partial list.
func (s *Service) listUsers(w http.ResponseWriter, r *http.Request) *drf.Error {
	ctx, cancel := s.dbContext(r)
	page, err := s.store.UsersAfter(ctx, 0, usersPageSize)
	cancel()
	if err != nil {
		return s.dbFault(Users, "list users", err)
	}
	sep := byte('[')
	buf := appendUsers(make([]byte, 0, 64*len(page)+2), &sep, page)
	if len(page) < usersPageSize {
		if len(page) == 0 {
			buf = append(buf, '[')
		}
		drf.WriteBody(w, http.StatusOK, append(buf, ']'))
		return nil
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	for len(page) == usersPageSize {
		if _, err := w.Write(buf); err != nil {
			return nil // the client went away
		}
		ctx, cancel := s.dbContext(r)
		page, err = s.store.UsersAfter(ctx, page[len(page)-1].ID, usersPageSize)
		cancel()
		if err != nil {
			s.log.Error("list users: aborting the response", zap.Error(err))
			panic(http.ErrAbortHandler)
		}
		buf = appendUsers(buf[:0], &sep, page)
	}
	_, _ = w.Write(append(buf, ']'))
	return nil
}

// appendUsers appends the users as DRF renders them, each preceded by
// *sep, which becomes "," after the first: start with '[' for the array's
// opening.
func appendUsers(b []byte, sep *byte, page []store.UserSummary) []byte {
	for _, u := range page {
		b = append(b, *sep)
		*sep = ','
		b = append(b, `{"id":`...)
		b = strconv.AppendInt(b, u.ID, 10)
		b = append(b, `,"username":`...)
		b = drf.AppendJSONString(b, u.Username)
		b = append(b, `,"email":`...)
		b = drf.AppendJSONString(b, u.Email)
		b = append(b, '}')
	}
	return b
}
