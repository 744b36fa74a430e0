package caddymodule

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/user"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/spf13/cobra"
	"go.uber.org/zap"
	"golang.org/x/term"

	"github.com/jwtgate/jwtgate/password"
	"github.com/jwtgate/jwtgate/simplejwt"
	"github.com/jwtgate/jwtgate/store"
)

// The manage.py habits of Django operators, under one Caddy command,
// `caddy jwtgate <sub>`, so that no generic name (migrate, user …) is
// taken in Caddy's command namespace, where a second plugin with the same
// name would make the binary panic at start. Each store command finds the
// store from the same config `caddy run` uses (--config, default
// ./Caddyfile), so one environment variable moves both, and each works
// while the gateway runs: the gateway sees user changes within a second.
func init() {
	caddycmd.RegisterCommand(caddycmd.Command{
		Name:  "jwtgate",
		Usage: "<command> [--verbose] [flags]",
		Short: "Manages jwtgate's users and store (as Django's manage.py), makes signing keys and Django password hashes",
		Long: `
The jwtgate commands. Those that use the store (createsuperuser,
changepassword, user, migrate, flushexpiredtokens) find it from the config
` + "`caddy run`" + ` uses (--config, default ./Caddyfile, and the same environment:
DATABASE_URL, XDG_DATA_HOME …), print the store they opened on standard
error ("store: sqlite /path" or a PostgreSQL URL without its password), and
refuse a store that does not exist or has no tables yet unless the command
is migrate or --create-store is given: a typo or a missing environment
variable then fails instead of creating a new, empty store the gateway never
sees. Caddy's log lines are printed only with --verbose.
`,
		CobraFunc: func(cmd *cobra.Command) {
			cmd.PersistentFlags().Bool("verbose", false, "Print Caddy's log lines too")
			cmd.PersistentPreRun = func(cmd *cobra.Command, _ []string) {
				if v, _ := cmd.Flags().GetBool("verbose"); !v {
					// Caddy's default logger only changes through
					// BufferedLog; the buffer is never flushed, so its
					// lines (and the standard log's) are dropped.
					buffered, _, _ := caddy.BufferedLog()
					zap.RedirectStdLog(buffered)
				}
			}
			cmd.AddCommand(storeCommands()...)
			cmd.AddCommand(keyCommands()...)
		},
	})
}

// storeCommands are the commands that use the store.
func storeCommands() []*cobra.Command {
	createsuperuser := &cobra.Command{
		Use:   "createsuperuser [--username <name>] [--email <address>] [--noinput]",
		Short: "Creates a superuser in the jwtgate store (as Django's createsuperuser)",
		Long: `
Creates a user with is_staff and is_superuser set, in the store the config
names. Without --noinput it prompts for what the flags do not give, and runs
Django's password validators (you may bypass them). With --noinput the
password comes from JWTGATE_SUPERUSER_PASSWORD (or DJANGO_SUPERUSER_PASSWORD)
and --username is required, as Django's --noinput with
DJANGO_SUPERUSER_PASSWORD.
`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmdCreateSuperuser(cmd) },
	}
	createsuperuser.Flags().String("username", "", "Username of the new superuser")
	createsuperuser.Flags().String("email", "", "Email address of the new superuser")
	createsuperuser.Flags().Bool("noinput", false, "Do not prompt; take the password from JWTGATE_SUPERUSER_PASSWORD")
	createsuperuser.Flags().Bool("no-input", false, "Same as --noinput")

	changepassword := &cobra.Command{
		Use:   "changepassword [--password-stdin] [<username>]",
		Short: "Changes a user's password in the jwtgate store (as Django's changepassword)",
		Long: `
Prompts twice for a new password of the user (default: the name of the
current system user) and stores it hashed as Django would. As Django's
changepassword, it runs Django's password validators and asks again when
the two entries differ or the validators refuse the password (saying why),
and gives up after three attempts; an empty password aborts. With
--password-stdin the password is read from the first line of standard input
instead, for scripts, and a password the validators refuse is refused.
`,
		Args: cobra.MaximumNArgs(1),
		RunE: cmdChangePassword,
	}
	changepassword.Flags().Bool("password-stdin", false, "Read the new password from standard input")

	user := &cobra.Command{
		Use:   "user list|show|activate|deactivate|delete|revoke|sessions [<username>]",
		Short: "Lists, shows, activates, deactivates, deletes users of the jwtgate store, ends their tokens, lists their sessions",
		Long: `
Manages users of the store the config names. A deactivated or deleted user is
refused on protected routes within a second, by every running gateway on the
store; activating the user makes their unexpired tokens work again, as in
Django. Delete refuses a user other tables still reference (deactivate it, or
delete it through Django). Revoke ends every token of the user issued before
now (as the logout_all view) and blacklists its refresh tokens for Django too.
When a gateway runs on this host with this config, the command returns once
that gateway enforces the change (through Caddy's admin endpoint).
`,
	}
	for _, sub := range []struct {
		use, short string
		args       cobra.PositionalArgs
		run        func(*cobra.Command, []string) error
	}{
		{"list", "Lists users", cobra.NoArgs, cmdUserList},
		{"show <username>", "Shows a user", cobra.ExactArgs(1), cmdUserShow},
		{"activate <username>", "Sets is_active", cobra.ExactArgs(1), userChange("User '%s' activated",
			func(ctx context.Context, s store.Store, id int64) error { return s.SetActive(ctx, id, true) })},
		{"deactivate <username>", "Clears is_active", cobra.ExactArgs(1), userChange("User '%s' deactivated",
			func(ctx context.Context, s store.Store, id int64) error { return s.SetActive(ctx, id, false) })},
		{"delete <username>", "Deletes a user", cobra.ExactArgs(1), userChange("User '%s' deleted",
			func(ctx context.Context, s store.Store, id int64) error { return s.DeleteUser(ctx, id) })},
		// As the logout_all view does.
		{"revoke <username>", "Ends every token of the user issued before now", cobra.ExactArgs(1), userChange(
			"Every token of user '%s' issued before now is ended", func(ctx context.Context, s store.Store, id int64) error {
				now := time.Now()
				return s.RevokeUser(ctx, id, now.Unix()+1, now.UTC())
			})},
		{"sessions <username>", "Lists the user's live sessions", cobra.ExactArgs(1), cmdUserSessions},
	} {
		c := &cobra.Command{Use: sub.use, Short: sub.short, Args: sub.args, RunE: sub.run}
		storeFlags(c)
		user.AddCommand(c)
	}

	migrate := &cobra.Command{
		Use:   "migrate",
		Short: "Creates jwtgate's tables in the store, in Django's layout (as Django's migrate)",
		Long: `
Creates auth_user, token_blacklist_outstandingtoken and
token_blacklist_blacklistedtoken as Django's migrations make them, when they
do not exist, and jwtgate's change feed. Tables that exist are left as they
are. The gateway does the same at start-up unless the store sets migrate off.
This is the command that creates a new store (a new SQLite file).
`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withStore(cmd, func(ctx context.Context, e *cliEnv) error {
				fmt.Fprintf(cmd.OutOrStdout(), "Tables ready in %s\n", e.desc)
				return nil
			})
		},
	}

	flush := &cobra.Command{
		Use:   "flushexpiredtokens",
		Short: "Deletes expired outstanding and blacklisted tokens (as simplejwt's flushexpiredtokens)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withStore(cmd, func(ctx context.Context, e *cliEnv) error {
				n, err := e.store.FlushExpired(ctx, time.Now())
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Deleted %d expired tokens\n", n)
				return nil
			})
		},
	}

	cmds := []*cobra.Command{createsuperuser, changepassword, migrate, flush}
	for _, c := range cmds {
		storeFlags(c)
	}
	return append(cmds, user)
}

// storeFlags adds the flags that find the store; migrate always creates
// it, the other commands only with --create-store.
func storeFlags(cmd *cobra.Command) {
	cmd.Flags().StringP("config", "c", "", "Configuration file (default: ./Caddyfile)")
	cmd.Flags().StringP("adapter", "a", "", "Name of config adapter to apply")
	if cmd.Name() != "migrate" {
		cmd.Flags().Bool("create-store", false, "Create the store and its tables when they do not exist, as migrate does")
	}
}

// cliEnv is what a command needs: the app's settings and its store, and
// the config it came from (to find the admin endpoint).
type cliEnv struct {
	app       *App
	cfgJSON   []byte
	cfgFile   string
	stderr    io.Writer
	store     store.Store
	desc      string
	passwords *password.Set
}

// loadApp reads the jwtgate app's settings from the config, as `caddy run`
// would find them.
func loadApp(cmd *cobra.Command) (*cliEnv, error) {
	configFile, _ := cmd.Flags().GetString("config")
	adapter, _ := cmd.Flags().GetString("adapter")
	cfgJSON, cfgFile, _, err := caddycmd.LoadConfig(configFile, adapter)
	if err != nil {
		return nil, err
	}
	if len(cfgJSON) == 0 {
		return nil, errors.New("no config: give --config, or run where the Caddyfile is")
	}
	var cfg struct {
		Apps struct {
			JWTGate json.RawMessage `json:"jwtgate"`
		} `json:"apps"`
	}
	if err := json.Unmarshal(cfgJSON, &cfg); err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	e := &cliEnv{app: new(App), cfgJSON: cfgJSON, cfgFile: cfgFile, stderr: cmd.ErrOrStderr()}
	if len(cfg.Apps.JWTGate) > 0 {
		if err := json.Unmarshal(cfg.Apps.JWTGate, e.app); err != nil {
			return nil, fmt.Errorf("reading the jwtgate app config: %w", err)
		}
	}
	return e, nil
}

// withStore opens the config's store, runs f, and closes it. It names the
// store on stderr, and refuses one that does not exist yet or has no
// tables (see missingStore) unless the command is migrate or has
// --create-store; it creates any missing table of an existing store when
// the config lets the gateway do so (migrate on), as the gateway would at
// start.
func withStore(cmd *cobra.Command, f func(context.Context, *cliEnv) error) error {
	e, err := loadApp(cmd)
	if err != nil {
		return err
	}
	rs, err := e.app.Store.resolve(caddy.NewReplacer(), e.app.UserIDField == "username")
	if err != nil {
		return err
	}
	e.desc = rs.describe()
	fmt.Fprintln(e.stderr, "store: "+e.desc)
	create := cmd.Name() == "migrate"
	if !create {
		create, _ = cmd.Flags().GetBool("create-store")
	}
	if rs.Driver == "sqlite" && !create {
		if _, err := os.Stat(rs.SQLitePath); errors.Is(err, fs.ErrNotExist) {
			return missingStore(rs, "does not exist")
		}
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), 2*time.Minute)
	defer cancel()
	s, err := rs.open(ctx)
	if err != nil {
		return fmt.Errorf("opening %s: %w", e.desc, err)
	}
	defer s.Close()
	if !create {
		// A store the gateway or migrate prepared has auth_user: the
		// lookup finds no user 0 rather than no table.
		if _, err := s.UserByID(ctx, 0); !errors.Is(err, store.ErrNotFound) {
			return missingStore(rs, fmt.Sprintf("cannot be read (%v)", err))
		}
	}
	if create || rs.Migrate {
		if err := s.Migrate(ctx); err != nil {
			return fmt.Errorf("preparing %s: %w", e.desc, err)
		}
	}
	e.store, e.passwords = s, password.DefaultSet(e.app.PasswordIterations)
	return f(ctx, e)
}

// missingStore is the refusal to work on a store that is not there, with
// what to do about it.
func missingStore(rs resolvedStore, why string) error {
	hint := ""
	if rs.Driver == "sqlite" && os.Getenv("XDG_DATA_HOME") == "" && strings.HasPrefix(rs.SQLitePath, caddy.AppDataDir()) {
		hint = "; XDG_DATA_HOME is not set here, so Caddy's data directory is " + caddy.AppDataDir()
	}
	return fmt.Errorf("the store %s %s%s. Run the command with the config and environment the gateway runs with; "+
		"a new store is made by `caddy jwtgate migrate` (or --create-store)", rs.describe(), why, hint)
}

func cmdCreateSuperuser(cmd *cobra.Command) error {
	fl := cmd.Flags()
	username, _ := fl.GetString("username")
	email, _ := fl.GetString("email")
	noinput, _ := fl.GetBool("noinput")
	if ni, _ := fl.GetBool("no-input"); ni {
		noinput = true
	}
	return withStore(cmd, func(ctx context.Context, e *cliEnv) error {
		out := cmd.OutOrStdout()
		in := bufio.NewReader(cmd.InOrStdin())
		var pw string
		if noinput {
			if username == "" {
				return errors.New("you must use --username with --noinput")
			}
			pw = firstSet(os.Getenv, "JWTGATE_SUPERUSER_PASSWORD", "DJANGO_SUPERUSER_PASSWORD")
			if pw == "" {
				return errors.New("set JWTGATE_SUPERUSER_PASSWORD to the password with --noinput")
			}
			if email == "" {
				email = firstSet(os.Getenv, "JWTGATE_SUPERUSER_EMAIL", "DJANGO_SUPERUSER_EMAIL")
			}
		} else {
			for username == "" {
				def := ""
				if u, err := user.Current(); err == nil {
					def = u.Username
				}
				v, err := prompt(out, in, fmt.Sprintf("Username (leave blank to use '%s'): ", def))
				if err != nil {
					return err
				}
				v = simplejwt.NormalizeUsername(cmp.Or(v, def))
				if msg := validUsernameCLI(v); msg != "" {
					fmt.Fprintln(out, "Error: "+msg)
					continue
				}
				if _, err := e.store.UserByUsername(ctx, v); err == nil {
					fmt.Fprintln(out, "Error: That username is already taken.")
					continue
				}
				username = v
			}
			if !fl.Changed("email") {
				v, err := prompt(out, in, "Email address: ")
				if err != nil {
					return err
				}
				email = v
			}
			var err error
			pw, err = promptNewPassword(out, in, cmd.InOrStdin(), password.UserAttributes{Username: username, Email: email})
			if err != nil {
				return err
			}
		}
		// Django's create_user stores normalize_username(username).
		username = simplejwt.NormalizeUsername(username)
		if msg := validUsernameCLI(username); msg != "" {
			return errors.New(msg)
		}
		enc, err := e.passwords.Encode(pw)
		if err != nil {
			return err
		}
		created, err := e.store.CreateUser(ctx, store.User{
			Password: enc, Username: username, Email: email,
			IsStaff: true, IsSuperuser: true, IsActive: true, DateJoined: time.Now().UTC(),
		}, store.CreateUserOptions{IgnoreCase: e.app.registerIgnoreCase()})
		if errors.Is(err, store.ErrUsernameTaken) {
			return errors.New("that username is already taken")
		}
		if err != nil {
			return err
		}
		e.notifyRunning(created.ID)
		fmt.Fprintln(out, "Superuser created successfully.")
		return nil
	})
}

func cmdChangePassword(cmd *cobra.Command, args []string) error {
	username := ""
	if len(args) == 1 {
		username = args[0]
	} else if u, err := user.Current(); err == nil {
		username = u.Username
	}
	fromStdin, _ := cmd.Flags().GetBool("password-stdin")
	return withUser(cmd, username, func(ctx context.Context, e *cliEnv, u store.User) error {
		out := cmd.OutOrStdout()
		attrs := password.UserAttributes{Username: u.Username, FirstName: u.FirstName, LastName: u.LastName, Email: u.Email}
		var pw string
		if fromStdin {
			line, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
			if err != nil && !errors.Is(err, io.EOF) {
				return err
			}
			pw = strings.TrimRight(line, "\r\n")
			if pw == "" {
				return errors.New("no password on standard input")
			}
			if msgs := password.Validate(pw, attrs); len(msgs) > 0 {
				return fmt.Errorf("password not changed: %s", strings.Join(msgs, " "))
			}
		} else {
			fmt.Fprintf(out, "Changing password for user '%s'\n", username)
			var err error
			pw, err = promptChangedPassword(out, cmd.ErrOrStderr(), bufio.NewReader(cmd.InOrStdin()), cmd.InOrStdin(), username, attrs)
			if err != nil {
				return err
			}
		}
		enc, err := e.passwords.Encode(pw)
		if err != nil {
			return err
		}
		if err := e.store.SetPassword(ctx, u.ID, enc); err != nil {
			return err
		}
		e.notifyRunning(u.ID)
		fmt.Fprintf(out, "Password changed successfully for user '%s'\n", username)
		return nil
	})
}

func cmdUserList(cmd *cobra.Command, _ []string) error {
	return withStore(cmd, func(ctx context.Context, e *cliEnv) error {
		users, err := e.store.ListUsers(ctx)
		if err != nil {
			return err
		}
		w := cmd.OutOrStdout()
		fmt.Fprintf(w, "%-6s %-20s %-30s %-6s %-5s %s\n", "ID", "USERNAME", "EMAIL", "ACTIVE", "STAFF", "SUPERUSER")
		for _, u := range users {
			fmt.Fprintf(w, "%-6d %-20s %-30s %-6t %-5t %t\n", u.ID, u.Username, u.Email, u.IsActive, u.IsStaff, u.IsSuperuser)
		}
		return nil
	})
}

func cmdUserShow(cmd *cobra.Command, args []string) error {
	return withUser(cmd, args[0], func(ctx context.Context, e *cliEnv, u store.User) error {
		w := cmd.OutOrStdout()
		last := "never"
		if u.LastLogin != nil {
			last = u.LastLogin.UTC().Format(time.RFC3339)
		}
		algo, _, _ := strings.Cut(u.Password, "$")
		if !password.IsUsable(u.Password) {
			algo = "unusable"
		}
		fmt.Fprintf(w, "id:           %d\nusername:     %s\nemail:        %s\nactive:       %t\nstaff:        %t\nsuperuser:    %t\ndate joined:  %s\nlast login:   %s\nhash:         %s\n",
			u.ID, u.Username, u.Email, u.IsActive, u.IsStaff, u.IsSuperuser, u.DateJoined.UTC().Format(time.RFC3339), last, algo)
		return nil
	})
}

// userChange is a user subcommand that changes the user with change, makes
// the running gateway apply it, and says so with done (a format of the
// username).
func userChange(done string, change func(context.Context, store.Store, int64) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		return withUser(cmd, args[0], func(ctx context.Context, e *cliEnv, u store.User) error {
			if err := change(ctx, e.store, u.ID); err != nil {
				return err
			}
			e.notifyRunning(u.ID)
			fmt.Fprintf(cmd.OutOrStdout(), done+"\n", u.Username)
			return nil
		})
	}
}

// cmdUserSessions lists the user's live sessions.
func cmdUserSessions(cmd *cobra.Command, args []string) error {
	return withUser(cmd, args[0], func(ctx context.Context, e *cliEnv, u store.User) error {
		list, err := e.store.Sessions(ctx, u.ID, time.Now())
		if err != nil {
			return err
		}
		out := cmd.OutOrStdout()
		fmt.Fprintf(out, "%-16s  %-20s  %-20s  %-15s  %s\n", "ID", "CREATED", "LAST REFRESHED", "CLIENT IP", "USER AGENT")
		for _, x := range list {
			fmt.Fprintf(out, "%-16s  %-20s  %-20s  %-15s  %q\n", x.ID, time.Unix(x.CreatedAt, 0).UTC().Format(time.DateTime),
				time.Unix(x.LastRefreshedAt, 0).UTC().Format(time.DateTime), x.ClientIP, x.UserAgent)
		}
		return nil
	})
}

func withUser(cmd *cobra.Command, username string, f func(context.Context, *cliEnv, store.User) error) error {
	return withStore(cmd, func(ctx context.Context, e *cliEnv) error {
		u, err := e.store.UserByUsername(ctx, username)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("user '%s' does not exist", username)
		}
		if err != nil {
			return err
		}
		return f(ctx, e, u)
	})
}

// prompt asks question and reads the answer, trimmed.
func prompt(out io.Writer, in *bufio.Reader, question string) (string, error) {
	line, err := readSecret(out, in, nil, question)
	return strings.TrimSpace(line), err
}

// readSecret asks question and reads a line, without echo when raw is a
// terminal.
func readSecret(out io.Writer, in *bufio.Reader, raw io.Reader, question string) (string, error) {
	fmt.Fprint(out, question)
	if f, ok := raw.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(out)
		return string(b), err
	}
	line, err := in.ReadString('\n')
	if err != nil && (!errors.Is(err, io.EOF) || line == "") {
		return "", fmt.Errorf("reading input: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// promptNewPassword asks twice, as Django's createsuperuser does, runs the
// password validators and lets a person bypass them.
func promptNewPassword(out io.Writer, in *bufio.Reader, raw io.Reader, attrs password.UserAttributes) (string, error) {
	for tries := 0; tries < 3; tries++ {
		p1, err := readSecret(out, in, raw, "Password: ")
		if err != nil {
			return "", err
		}
		p2, err := readSecret(out, in, raw, "Password (again): ")
		if err != nil {
			return "", err
		}
		if p1 != p2 {
			fmt.Fprintln(out, "Error: Your passwords didn't match.")
			continue
		}
		if strings.TrimSpace(p1) == "" {
			fmt.Fprintln(out, "Error: Blank passwords aren't allowed.")
			continue
		}
		if msgs := password.Validate(p1, attrs); len(msgs) > 0 {
			fmt.Fprintln(out, strings.Join(msgs, "\n"))
			ans, err := prompt(out, in, "Bypass password validation and create user anyway? [y/N]: ")
			if err != nil {
				return "", err
			}
			if !strings.EqualFold(ans, "y") {
				continue
			}
		}
		return p1, nil
	}
	return "", errors.New("aborting: too many attempts")
}

// promptChangedPassword asks for a user's new password as Django's
// changepassword does: twice; a mismatch, or a password the validators
// refuse (their reasons go to errw), costs one of three attempts; an empty
// password aborts. There is no bypass.
func promptChangedPassword(out, errw io.Writer, in *bufio.Reader, raw io.Reader, username string, attrs password.UserAttributes) (string, error) {
	const maxTries = 3
	for count := 0; count < maxTries; count++ {
		var p [2]string
		for i, q := range []string{"Password: ", "Password (again): "} {
			v, err := readSecret(out, in, raw, q)
			if err != nil {
				return "", err
			}
			if v == "" {
				return "", errors.New("aborted")
			}
			p[i] = v
		}
		p1, p2 := p[0], p[1]
		if p1 != p2 {
			fmt.Fprintln(out, "Passwords do not match. Please try again.")
			continue
		}
		if msgs := password.Validate(p1, attrs); len(msgs) > 0 {
			fmt.Fprintln(errw, strings.Join(msgs, "\n"))
			continue
		}
		return p1, nil
	}
	return "", fmt.Errorf("Aborting password change for user '%s' after %d attempts", username, maxTries)
}

// validUsernameCLI applies Django's username rules to a username typed at
// the command line.
func validUsernameCLI(s string) string {
	if s == "" {
		return "This field cannot be blank."
	}
	if len([]rune(s)) > 150 {
		return "Ensure this value has at most 150 characters."
	}
	return simplejwt.ValidUsername(s)
}
