// Command tack is a self-hosted, real-time task board in one binary.
//
//	tack [serve]                  run the server (the default)
//	tack migrate up|down|status   apply, revert one, or list migrations
//	tack backup FILE              write a consistent online copy of the database
//	tack user add|passwd|deactivate|activate|list   manage users
//	tack version                  print the version
//
// Every command takes --config FILE and one flag per config key
// (--server.addr, --db.path, ...). Exit codes: 0 done, 1 failed at run time,
// 2 bad usage or config.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"

	"tack/app"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// usageError is bad usage of the command line: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

const usage = `Tack: a self-hosted, real-time task board.

Usage:
  tack [serve]                  run the server (the default)
  tack migrate up|down|status   apply, revert one, or list migrations
  tack backup FILE              write a consistent online copy of the database
  tack user add --username U [--admin] [--display-name N] [--email E]
                                create a user; the password is read from stdin
  tack user passwd U            set a user's password (stdin); signs them out everywhere
  tack user deactivate U        deactivate a user; their sessions end at once
  tack user activate U          activate a user again
  tack user list                list users
  tack version                  print version, commit and Go version

Every command takes --config FILE (default ./tack.yaml if present) and a flag
per config key, such as --server.addr=:9090 or --db.path=/var/lib/tack/tack.db;
see config.example.yaml. Run "tack COMMAND -h" for a command's flags.
`

// run is main without the process exit, so that tests can call it.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "serve":
		err = cmdServe(args, stderr)
	case "migrate":
		err = cmdMigrate(args, stdout, stderr)
	case "backup":
		err = cmdBackup(args, stdout, stderr)
	case "user":
		err = cmdUser(args, stdin, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, versionString())
	case "help":
		fmt.Fprint(stdout, usage)
	default:
		err = &usageError{fmt.Sprintf("unknown command %q\n\n%s", cmd, usage)}
	}
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintln(stderr, "tack:", err)
	var ue *usageError
	var ce *configError
	if errors.As(err, &ue) || errors.As(err, &ce) {
		return 2
	}
	return 1
}

// setup parses a command's flags and loads the config. It returns the
// positional arguments left over.
// extra, when not nil, registers the command's own flags.
func setup(name string, args []string, stderr io.Writer, extra ...func(*flag.FlagSet)) (*Config, []string, error) {
	fs := flag.NewFlagSet("tack "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	configFile, applyFlags := configFlags(fs)
	for _, f := range extra {
		if f != nil {
			f(fs)
		}
	}
	var rest []string
	// Flags may come before or after the positional arguments.
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, nil, err
			}
			return nil, nil, &usageError{err.Error()}
		}
		if fs.NArg() == 0 {
			break
		}
		rest = append(rest, fs.Arg(0))
		args = fs.Args()[1:]
	}
	cfg, err := loadConfig(*configFile, applyFlags)
	if err != nil {
		return nil, nil, err
	}
	return cfg, rest, nil
}

func newLogger(cfg *Config, w io.Writer) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(cfg.Log.Level)) // validated by loadConfig
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	if cfg.Log.Format == "json" {
		h = slog.NewJSONHandler(w, opts)
	} else {
		h = slog.NewTextHandler(w, opts)
	}
	return slog.New(app.NewLogHandler(h))
}

func versionString() string {
	commit := "unknown"
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				commit = s.Value
			}
		}
	}
	return fmt.Sprintf("tack %s (commit %s, %s %s/%s)", version, commit, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// signalContext is the root context of commands other than serve: Ctrl-C
// cancels what they are doing.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}
