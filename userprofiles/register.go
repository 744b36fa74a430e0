package userprofiles

import (
	"errors"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"go.uber.org/zap"
	"golang.org/x/net/idna"

	"github.com/jwtgate/jwtgate/drf"
	"github.com/jwtgate/jwtgate/password"
	"github.com/jwtgate/jwtgate/simplejwt"
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
	Response string         `json:"response"`
	Username string         `json:"username"`
	Email    string         `json:"email"`
	Token    simplejwt.Pair `json:"token"`
}

// serveRegister is the tutorial's RegistrationSerializer and registration_view,
// with the fixes of docs/simplejwt.md, "Deviations": field errors are 400 (not
// 201), a missing email is a field error (not a 500), the username is
// NFKC-normalized before it is validated and stored (as Django's forms and
// create_user do), and, unless CaseSensitive, a username or email
// that differs from a user's only in case is taken. The exact username
// check answers before the hash; the case-insensitive ones are made with
// the insert, atomically (store.CreateUserOptions).
//
// The throttle answers before the hash: every registration that would hash
// counts toward the client's registration limit and hash budget. (Field
// errors, which answer without hashing, are not counted: they reveal
// whether a username is taken, which the register view does anyway.)
func (v *views) serveRegister(w http.ResponseWriter, r *http.Request, data drf.Data) *drf.Error {
	s := v.Service
	release, e := s.Admit(r)
	if e != nil {
		return e
	}
	defer release()
	ctx, cancel := s.DBContext(r)
	defer cancel()
	var dbErr error
	unique := func(name string) string {
		_, err := v.Store.UserByUsername(ctx, name)
		switch {
		case err == nil:
			return msgUsernameTaken
		case !errors.Is(err, store.ErrNotFound):
			dbErr = err
		}
		return ""
	}
	fields := []drf.CharField{
		{Name: "username", MaxLength: 150, Normalize: simplejwt.NormalizeUsername, Validators: []func(string) string{simplejwt.ValidUsername, unique}},
		// DRF's EmailField appends its EmailValidator after CharField's
		// own checks, so its message comes after theirs.
		{Name: "email", AllowBlank: true, MaxLength: 254, ValidatorsAfter: []func(string) string{validEmail}},
		{Name: "password", MaxLength: 128},
		{Name: "password2"},
	}
	vals, errs := drf.ValidateChars(data, fields...)
	if dbErr != nil {
		return s.DBFault(&v.register, "username exists", dbErr)
	}
	if v.ValidatePasswords && (errs.Empty() || len(errs.Messages("password")) == 0) {
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
	if v.Throttle != nil {
		d, err := v.Throttle.Register(ctx, s.ClientIP(r), v.Now())
		if err != nil {
			return s.DBFault(&v.register, "register throttle", err)
		}
		if d.Wait > 0 {
			if v.OnThrottled != nil {
				v.OnThrottled(r, d)
			}
			return simplejwt.Throttled(d.Wait)
		}
	}
	cancel()
	var enc string
	var err error
	if e := s.Hash(r.Context(), r, func() { enc, err = v.Passwords.Encode(pw) }); e != nil {
		return e
	}
	ctx, cancel = s.DBContext(r)
	defer cancel()
	if err != nil {
		v.Logger.Error("hashing password", zap.Error(err))
		return drf.Detail(http.StatusInternalServerError, "A server error occurred.")
	}
	now := v.Now().UTC()
	u, err := v.Store.CreateUser(ctx, store.User{
		Password: enc, Username: username, Email: email, IsActive: true, DateJoined: now,
	}, store.CreateUserOptions{UniqueEmail: true, IgnoreCase: !v.CaseSensitive})
	switch {
	case errors.Is(err, store.ErrEmailTaken):
		return errorBody(`{"error":"Email already exists!"}`)
	case errors.Is(err, store.ErrUsernameTaken):
		var errs drf.Errors
		errs.Add("username", msgUsernameTaken)
		return drf.FieldErrors(&errs)
	case err != nil:
		return s.DBFault(&v.register, "create user", err)
	}
	pair, e := s.IssuePair(ctx, r, &v.register, u, now)
	if e != nil {
		return e
	}
	return simplejwt.WriteTokens(w, http.StatusCreated, registerBody{
		Response: "Registration Successfully !!!", Username: u.Username, Email: u.Email, Token: pair,
	})
}

func errorBody(body string) *drf.Error {
	return &drf.Error{Status: http.StatusBadRequest, Body: []byte(body)}
}

// reorder returns errs with its fields in the declared order (messages
// added after validation, such as the password validators', keep the
// field's place).
func reorder(errs *drf.Errors, order ...string) *drf.Errors {
	var out drf.Errors
	rest := slices.DeleteFunc(slices.Clone(errs.Fields()), func(f string) bool { return slices.Contains(order, f) })
	for _, f := range append(rest, order...) {
		for _, m := range errs.Messages(f) {
			out.Add(f, m)
		}
	}
	return &out
}
