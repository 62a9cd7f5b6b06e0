// Command cookiesession manages the keyring files that the cookiesession
// package seals and opens session cookies with.
//
// Usage:
//
//	cookiesession keyring init FILE
//	cookiesession keyring rotate FILE [--activate-in DURATION | --activate-at TIME] [--retire-after DURATION]
//	cookiesession keyring promote FILE ID
//	cookiesession keyring retire FILE ID [--until TIME | --in DURATION]
//	cookiesession keyring revoke FILE ID
//	cookiesession keyring prune FILE
//	cookiesession keyring list FILE [--json] [--show-secrets] [--at TIME]
//	cookiesession keyring usage [--keyring FILE] [--json] URL...
//	cookiesession decode --keyring FILE --name NAME [--purpose P] [--show-all] [VALUE | -]
//	cookiesession version
//
// Every command takes --help. Durations are Go durations ("90m", "48h")
// or whole days ("30d"); times are RFC 3339 ("2026-12-01T00:00:00Z").
// Changes are written atomically with mode 0600.
//
// The exit status is 0 on success, 1 when the command failed and 2 when
// it was used wrongly. Errors go to standard error.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// cli is one run of the command: its streams and its clock.
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	now            func() time.Time
}

// run runs the command with args (without the program name) and returns
// its exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := &cli{stdin: stdin, stdout: stdout, stderr: stderr, now: time.Now}
	return c.dispatch("cookiesession", topUsage, map[string]func([]string) int{
		"keyring": c.keyring,
		"decode":  c.decode,
		"version": c.version,
	}, args)
}

const topUsage = `Usage: cookiesession COMMAND [ARGS]

Manage the keyring files of cookiesession, the Go package that keeps web
sessions in sealed browser cookies.

Commands:
  keyring   create a keyring file, rotate its keys and list them
  decode    open a session cookie and print what it holds, or why not
  version   print the version of this command and of the Go it was built with

Run 'cookiesession COMMAND --help' for the details of a command.
`

// dispatch runs the subcommand that args name.
func (c *cli) dispatch(name, usage string, cmds map[string]func([]string) int, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(c.stderr, usage)
		return exitUsage
	}
	if name == "cookiesession" && args[0] == "--version" {
		return c.version(nil)
	}
	if args[0] == "help" && len(args) > 1 {
		// "help COMMAND" is "COMMAND --help"; help for no such command
		// is a usage error, not the overview and success.
		if cmd, ok := cmds[args[1]]; ok {
			// The help of the last command named: "help keyring
			// rotate" is "keyring rotate --help".
			return cmd(append(append([]string(nil), args[2:]...), "--help"))
		}
		if !isHelp(args[1]) { // "help help" is help
			return c.usageError(name, fmt.Sprintf("unknown command %q", args[1]))
		}
	}
	if isHelp(args[0]) {
		fmt.Fprint(c.stdout, usage)
		return exitOK
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		return c.usageError(name, fmt.Sprintf("unknown command %q", args[0]))
	}
	return cmd(args[1:])
}

func isHelp(arg string) bool {
	switch arg {
	case "-h", "-help", "--help", "help":
		return true
	}
	return false
}

// usageError reports a command used wrongly.
func (c *cli) usageError(cmd, msg string) int {
	prefix := "cookiesession: "
	if sub, ok := strings.CutPrefix(cmd, "cookiesession "); ok {
		prefix += sub + ": "
	}
	fmt.Fprintf(c.stderr, "%s%s\nRun '%s --help' for usage.\n", prefix, msg, cmd)
	return exitUsage
}

// fail reports a failed command.
func (c *cli) fail(err error) int {
	msg := err.Error()
	if !strings.HasPrefix(msg, "cookiesession: ") {
		msg = "cookiesession: " + msg
	}
	fmt.Fprintln(c.stderr, msg)
	return exitFailure
}

// A subcommand describes how a command is called.
type subcommand struct {
	name     string   // "keyring rotate"
	synopsis string   // the arguments, "FILE ID"
	help     string   // what it does, in paragraphs
	args     []string // the names of its positional arguments
	flags    *flag.FlagSet
}

func newSubcommand(name, synopsis, help string, args ...string) *subcommand {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &subcommand{name: name, synopsis: synopsis, help: help, args: args, flags: fs}
}

// parse parses args, in which flags and positional arguments may come in
// any order, and returns the positional ones. It returns ok false with
// the exit status when the command should stop: --help, or a usage error.
func (s *subcommand) parse(c *cli, args []string) (pos []string, status int, ok bool) {
	return s.parseN(c, args, len(s.args), len(s.args))
}

// parseOptional is parse for a command taking up to most positional
// arguments, all optional.
func (s *subcommand) parseOptional(c *cli, args []string, most int) (pos []string, status int, ok bool) {
	return s.parseN(c, args, 0, most)
}

func (s *subcommand) parseN(c *cli, args []string, least, most int) (pos []string, status int, ok bool) {
	for {
		err := s.flags.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			s.printHelp(c.stdout)
			return nil, exitOK, false
		}
		if err != nil {
			return nil, c.usageError("cookiesession "+s.name, flagMessage(err)), false
		}
		rest := s.flags.Args()
		if len(rest) == 0 {
			break
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			pos = append(pos, rest...) // everything after "--" is positional
			break
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
	if len(pos) < least || len(pos) > most {
		want := fmt.Sprintf("%s (%s)", arguments(most), strings.Join(s.args, " "))
		switch {
		case most == 0:
			return nil, c.usageError("cookiesession "+s.name, fmt.Sprintf("takes no arguments, got %d", len(pos))), false
		case least != most:
			want = "at most " + arguments(most)
		}
		return nil, c.usageError("cookiesession "+s.name, fmt.Sprintf("want %s, got %d", want, len(pos))), false
	}
	return pos, exitOK, true
}

// arguments returns "1 argument", "2 arguments", ….
func arguments(n int) string {
	if n == 1 {
		return "1 argument"
	}
	return strconv.Itoa(n) + " arguments"
}

// flagMessages match the errors of the flag package, which names a flag
// with one dash ("-bogus"), while this command documents and expects two.
var flagMessages = regexp.MustCompile(`^(flag provided but not defined|flag needs an argument): -(.*)$|` +
	`^invalid (?:boolean )?value ("(?:[^"\\]|\\.)*") for (?:flag )?-([^:]*): (.*)$`)

// flagMessage rewords an error of the flag package so that it names each
// flag as it is written on the command line: --bogus, not -bogus.
func flagMessage(err error) string {
	msg := err.Error()
	m := flagMessages.FindStringSubmatch(msg)
	switch {
	case m == nil:
		return msg
	case m[1] == "flag provided but not defined":
		return "unknown flag --" + m[2]
	case m[1] != "":
		return "flag --" + m[2] + " needs a value"
	}
	return fmt.Sprintf("invalid value %s for --%s: %s", m[3], m[4], m[5])
}

func (s *subcommand) printHelp(w io.Writer) {
	fmt.Fprintf(w, "Usage: %s\n\n%s", strings.TrimSpace("cookiesession "+s.name+" "+s.synopsis), s.help)
	first := true
	s.flags.VisitAll(func(f *flag.Flag) {
		if first {
			fmt.Fprint(w, "\nFlags:\n")
			first = false
		}
		value, usage := flag.UnquoteUsage(f)
		if value != "" {
			value = " " + value
		}
		if _, isBool := f.Value.(interface{ IsBoolFlag() bool }); isBool {
			value = ""
		}
		fmt.Fprintf(w, "  --%s%s\n", f.Name, value)
		hidden, _ := f.Value.(interface{ hideDefault() bool })
		if f.DefValue != "" && f.DefValue != "false" && (hidden == nil || !hidden.hideDefault()) {
			usage += " (default " + f.DefValue + ")"
		}
		fmt.Fprintf(w, "      %s\n", usage)
	})
}

// durationFlag is a duration flag that also accepts whole days ("30d")
// and remembers whether it was set.
type durationFlag struct {
	d   time.Duration
	set bool
	// optional: left out, the flag is no duration at all (the command
	// does something else), so the help shows no default.
	optional bool
}

func (f *durationFlag) hideDefault() bool { return f.optional }

func (f *durationFlag) String() string {
	if f == nil {
		return ""
	}
	return formatDuration(f.d)
}

func (f *durationFlag) Set(s string) error {
	d, err := parseDuration(s)
	if err != nil {
		return err
	}
	f.d, f.set = d, true
	return nil
}

// maxDays bounds a duration given in days, well inside time.Duration.
const maxDays = 100 * 365

func parseDuration(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.ParseUint(n, 10, 32)
		if err != nil || days > maxDays {
			return 0, fmt.Errorf("%q is not a number of days from 0 to %d", s, maxDays)
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration such as 90m, 48h or 30d", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("%q is negative", s)
	}
	return d, nil
}

func formatDuration(d time.Duration) string {
	if d > 0 && d%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	}
	return d.String()
}

// timeFlag is an RFC 3339 time flag that remembers whether it was set.
type timeFlag struct {
	t   time.Time
	set bool
}

func (f *timeFlag) String() string {
	if f == nil || !f.set {
		return ""
	}
	return f.t.Format(time.RFC3339Nano)
}

func (f *timeFlag) Set(s string) error {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("%q is not an RFC 3339 time such as 2026-12-01T00:00:00Z", s)
	}
	f.t, f.set = t, true
	return nil
}
