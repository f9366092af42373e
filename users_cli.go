package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"golang.org/x/term"

	"tack/app/auth"
	"tack/app/errs"
	"tack/app/opt"
	"tack/migrations"
)

const userUsage = `usage:
  tack user add --username U [--admin] [--display-name N] [--email E]
  tack user passwd U
  tack user deactivate U
  tack user activate U
  tack user list
Passwords are read from stdin (asked for twice on a terminal), never from
the command line, where other users could see them.`

// cmdUser is "tack user ...". It works on the database directly, so it runs
// with or without a server beside it; a running server sees a deactivation
// or password reset on the very next request, because every request checks
// its session in the database.
func cmdUser(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
		fmt.Fprintln(stdout, userUsage)
		return nil
	}
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return &usageError{userUsage}
	}
	sub, args := args[0], args[1:]
	var username, displayName, email string
	var admin bool
	var extra func(*flag.FlagSet)
	if sub == "add" {
		extra = func(fs *flag.FlagSet) {
			fs.StringVar(&username, "username", "", "the new user's `name` (3-32 of a-z 0-9 _ . -)")
			fs.StringVar(&displayName, "display-name", "", "the name shown to others (default: the username)")
			fs.StringVar(&email, "email", "", "an optional email address")
			fs.BoolVar(&admin, "admin", false, "make the user a site admin")
		}
	}
	cfg, rest, err := setup("user "+sub, args, stderr, extra)
	if err != nil {
		return err
	}
	switch sub {
	case "add", "list":
		if len(rest) != 0 {
			return &usageError{userUsage}
		}
	case "passwd", "deactivate", "activate":
		if len(rest) != 1 {
			return &usageError{userUsage}
		}
		username = rest[0]
	default:
		return &usageError{fmt.Sprintf("unknown user command %q\n%s", sub, userUsage)}
	}
	if sub == "add" && username == "" {
		return &usageError{"tack user add needs --username"}
	}

	ctx, cancel := signalContext()
	defer cancel()
	d, err := openDB(ctx, cfg, sub != "add", false, stderr)
	if err != nil {
		return err
	}
	defer d.Close()
	m, err := d.NewMigrator(migrations.FS)
	if err != nil {
		return err
	}
	if _, err := m.Up(ctx); err != nil {
		return err
	}
	svc := auth.New(auth.Options{DB: d, Logger: newLogger(cfg, stderr)})

	switch sub {
	case "list":
		return listUsers(ctx, svc, stdout)
	case "add":
		password, err := readPassword(stdin, stderr)
		if err != nil {
			return err
		}
		in := auth.NewUser{Username: username, Password: password}
		if displayName != "" {
			in.DisplayName = &displayName
		}
		if email != "" {
			in.Email = &email
		}
		if admin {
			role := auth.RoleAdmin
			in.Role = &role
		}
		u, err := svc.CreateUser(ctx, nil, in)
		if err != nil {
			return userError(err)
		}
		fmt.Fprintf(stdout, "created user %s (id %d, %s)\n", u.Username, u.ID, u.Role)
		return nil
	}

	u, err := svc.UserByName(ctx, username)
	if err != nil {
		return userError(err)
	}
	switch sub {
	case "passwd":
		password, err := readPassword(stdin, stderr)
		if err != nil {
			return err
		}
		if err := svc.SetPassword(ctx, u.ID, password); err != nil {
			return userError(err)
		}
		fmt.Fprintf(stdout, "password of %s changed; their sessions are signed out\n", u.Username)
	case "deactivate", "activate":
		active := sub == "activate"
		if _, err := svc.UpdateUser(ctx, nil, u.ID, auth.UserPatch{IsActive: opt.Of(active)}); err != nil {
			return userError(err)
		}
		fmt.Fprintf(stdout, "%s %sd\n", u.Username, sub)
	}
	return nil
}

// userError turns a service error into a plain message for the terminal.
func userError(err error) error {
	e := errs.As(err)
	if e == nil {
		return err
	}
	msg := e.Message
	for k, v := range e.Details {
		if k != "reason" && !strings.Contains(msg, k) {
			msg += fmt.Sprintf(" (%s: %v)", k, v)
		}
	}
	return errors.New(msg)
}

func listUsers(ctx context.Context, svc *auth.Service, stdout io.Writer) error {
	users, err := svc.AllUsers(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tUSERNAME\tDISPLAY NAME\tROLE\tACTIVE\tCREATED")
	for _, u := range users {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%v\t%s\n", u.ID, u.Username, u.DisplayName, u.Role, u.IsActive, u.CreatedAt.Format("2006-01-02"))
	}
	return tw.Flush()
}

// readPassword reads a password: on a terminal it asks twice without echo;
// otherwise it reads the first line of stdin.
func readPassword(stdin io.Reader, stderr io.Writer) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stderr, "Password: ")
		p1, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		fmt.Fprint(stderr, "Again: ")
		p2, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if string(p1) != string(p2) {
			return "", errors.New("the passwords differ")
		}
		return string(p1), nil
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("no password on stdin (pipe it in, e.g. printf '%s\\n' \"$PASSWORD\" | tack user add ...)")
	}
	return line, nil
}
