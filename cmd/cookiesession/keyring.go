package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cookiesession/cookiesession"
)

const keyringUsage = `Usage: cookiesession keyring SUBCOMMAND FILE [ARGS] [FLAGS]

Create and change a keyring file: the keys that seal and open session
cookies, shared by every server of an application. Each key has an id (8
hex digits), a state (active, retired or revoked) and times: created,
activates (from when it may seal) and retire-after (from when it opens
nothing). The primary is the active key activated last; it seals every
new value, the others only open values.

A rotation adds a key that activates after a delay, long enough for the
new file to reach every server; the keys it replaces go on opening values
until their retire-after time, so that nobody is logged out, and are
pruned afterwards. Revoking a key logs out every session it sealed.

Subcommands:
  init      create a keyring file with one key
  rotate    add a key that becomes the primary after a delay
  promote   make a key the primary now
  retire    stop a key sealing, and opening values after a time
  revoke    stop a key opening anything (logs out its sessions)
  prune     remove the keys past their retire-after time
  list      show the keys and their status
  usage     sum how often a fleet's servers saw each key

Changes are written atomically (a new file renamed over the old one) with
mode 0600, and one at a time: a change holds FILE.lock while it runs, and
another one fails while that file exists. A keyring file that its group
or other users may read is refused unless --allow-group-readable (group
read only, as a Kubernetes fsGroup makes it) or --allow-readable-by-others
is given.

Run 'cookiesession keyring SUBCOMMAND --help' for the details.
`

func (c *cli) keyring(args []string) int {
	return c.dispatch("cookiesession keyring", keyringUsage, map[string]func([]string) int{
		"init":    c.keyringInit,
		"rotate":  c.keyringRotate,
		"promote": c.keyringPromote,
		"retire":  c.keyringRetire,
		"revoke":  c.keyringRevoke,
		"prune":   c.keyringPrune,
		"list":    c.keyringList,
		"usage":   c.keyringUsage,
	}, args)
}

// fileFlags are the flags of every subcommand that reads a keyring file.
type fileFlags struct {
	allowGroup, allowReadable bool
}

func (f *fileFlags) register(s *subcommand) {
	s.flags.BoolVar(&f.allowGroup, "allow-group-readable", false,
		"read FILE even if its group may read it (mode 0440 or 0640, as a Kubernetes fsGroup makes it)")
	s.flags.BoolVar(&f.allowReadable, "allow-readable-by-others", false,
		"read FILE even if its group or other users may access it")
}

// load reads the keyring file at path.
func (c *cli) load(path string, ff fileFlags) (*cookiesession.Keyring, error) {
	ring, err := cookiesession.LoadKeyring(path, &cookiesession.KeyringFileOptions{
		AllowGroupReadable:    ff.allowGroup,
		AllowReadableByOthers: ff.allowReadable,
	})
	if err != nil {
		return nil, loadError(path, ff, err)
	}
	return ring, nil
}

// A cliError words an error of the package for an operator of this
// command, and still matches what it wraps.
type cliError struct {
	msg string
	err error
}

func (e *cliError) Error() string { return e.msg }
func (e *cliError) Unwrap() error { return e.err }

// keyringShape shows what a keyring file holds, for a file that is not
// one. Its secret is a description, not base64, so that nobody copies a
// working key out of an error message.
const keyringShape = `cookiesession: a keyring file is one JSON object like this (FORMAT.md, "Keyring file, version 1"):
  {"version": 1,
   "keys": [{"id": "1a2b3c4d", "state": "active", "secret": "<32 random bytes in standard base64>",
             "created": "2026-12-01T00:00:00Z", "activates_at": "2026-12-01T00:00:00Z"}],
   "deleted": []}`

// loadError words a failure to read the keyring file at path in the
// command's terms: its flags rather than the package's options, and what
// to run when there is no keyring yet.
func loadError(path string, ff fileFlags, err error) error {
	var pe *cookiesession.PermissionError
	var ke *cookiesession.KeyringError
	switch {
	case errors.As(err, &pe):
		return permissionError(pe, ff)
	case errors.Is(err, fs.ErrNotExist):
		if dir := filepath.Dir(path); !exists(dir) {
			return &cliError{fmt.Sprintf("cookiesession: keyring %s does not exist, nor does the folder %s", path, dir), err}
		}
		return &cliError{fmt.Sprintf("cookiesession: keyring %s does not exist\n"+
			"cookiesession: to create one, run: cookiesession keyring init %s", path, shellQuote(path)), err}
	case errors.As(err, &ke) && ke.Key == "":
		// A problem with the file as a whole (an empty object, another
		// version, not JSON): it is likely not a keyring file at all.
		// init never overwrites a file, and this one may still hold keys
		// someone needs: it is moved aside, not removed.
		return &cliError{fmt.Sprintf("%v\n%s\ncookiesession: to start a new keyring instead, move %s aside and run: cookiesession keyring init %s",
			err, keyringShape, path, shellQuote(path)), err}
	}
	return err
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// permissionError words a refused mode in the command's flags. It names
// the narrowest flag that would accept the file; the one given already
// (and refused) is never suggested again.
func permissionError(pe *cookiesession.PermissionError, ff fileFlags) error {
	mode := pe.Mode.Perm()
	var who []string
	if mode&0o070 != 0 {
		who = append(who, "its group")
	}
	if mode&0o007 != 0 {
		who = append(who, "other users")
	}
	msg := fmt.Sprintf("cookiesession: keyring %s has mode %04o, which gives %s access to the keys "+
		"(whoever reads them can forge every session); run chmod 600 %s",
		pe.Path, uint32(mode), strings.Join(who, " and "), shellQuote(pe.Path))
	// Group read alone (0440, 0640) is what a Kubernetes pod with an
	// fsGroup gets; --allow-group-readable accepts exactly that.
	if groupReadOnly := mode&0o037 == 0; groupReadOnly && !ff.allowGroup {
		msg += ", or pass --allow-group-readable to read it anyway (a Kubernetes Secret volume of a pod with an fsGroup has mode 0440)"
	} else {
		msg += ", or pass --allow-readable-by-others to read it anyway"
	}
	return &cliError{msg, pe}
}

// saveError words a failure to write the keyring file at path. The
// package writes a temporary file beside it first; an operator needs to
// hear about the folder, not about that file.
func saveError(path string, err error) error {
	dir := filepath.Dir(path)
	fi, serr := os.Stat(dir)
	switch {
	case errors.Is(serr, fs.ErrNotExist):
		return &cliError{fmt.Sprintf("cookiesession: cannot write %s: folder %s does not exist; create it first", path, dir), err}
	case serr == nil && !fi.IsDir():
		return &cliError{fmt.Sprintf("cookiesession: cannot write %s: %s is not a folder", path, dir), err}
	}
	var pathErr *fs.PathError
	if errors.As(err, &pathErr) && strings.HasPrefix(filepath.Base(pathErr.Path), "."+filepath.Base(path)+".tmp") {
		return &cliError{fmt.Sprintf("cookiesession: cannot write %s: creating a file in folder %s: %v", path, dir, pathErr.Err), err}
	}
	return err
}

// shellQuote quotes s for a POSIX shell if it needs it, so that a command
// an error suggests can be pasted as it is.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./@%+=:,-") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// noPrimaryError adds to a refusal that would leave no key able to seal
// the command that fixes it: a key that seals must come first.
func noPrimaryError(path string, ring *cookiesession.Keyring, now time.Time, err error) error {
	if !errors.Is(err, cookiesession.ErrLeavesNoPrimary) || ring == nil {
		return err
	}
	fix := fmt.Sprintf("first add a key that seals at once: cookiesession keyring rotate %s --activate-in 0", shellQuote(path))
	for _, k := range ring.Keys() {
		if k.State == cookiesession.KeyActive && k.Pending(now) {
			// Rotating is refused while a key is pending: promoting it is
			// the way to a new primary.
			fix = fmt.Sprintf("first make the pending key %s the primary: cookiesession keyring promote %s %s",
				k.ID, shellQuote(path), k.ID)
		}
	}
	return &cliError{fmt.Sprintf("%v\ncookiesession: to replace it, %s; then run this again", err, fix), err}
}

// pendingError adds to a refused rotation the commands that deal with the
// key still pending: make it the primary now, or revoke it.
func pendingError(path string, ring *cookiesession.Keyring, now time.Time, err error) error {
	for _, k := range ring.Keys() {
		if k.State == cookiesession.KeyActive && k.Pending(now) {
			return &cliError{fmt.Sprintf("%v\ncookiesession: to rotate now, first make it the primary (cookiesession keyring promote %s %s) "+
				"or revoke it (cookiesession keyring revoke %s %s); or wait until it activates", err,
				shellQuote(path), k.ID, shellQuote(path), k.ID), err}
		}
	}
	return err
}

// parseID parses a key id argument; a malformed one is a usage error.
func (c *cli) parseID(s *subcommand, arg string) (cookiesession.KeyID, int, bool) {
	id, err := cookiesession.ParseKeyID(arg)
	if err != nil {
		return 0, c.usageError("cookiesession "+s.name, strings.TrimPrefix(err.Error(), "cookiesession: ")), false
	}
	return id, exitOK, true
}

func (c *cli) keyringInit(args []string) int {
	s := newSubcommand("keyring init", "FILE", `Create a keyring file at FILE with one new key, which is the primary at
once. FILE is created with mode 0600; if it exists, nothing is written.
`, "FILE")
	pos, status, ok := s.parse(c, args)
	if !ok {
		return status
	}
	path := pos[0]
	ring, err := cookiesession.NewKeyring(c.now())
	if err != nil {
		return c.fail(err)
	}
	if err := ring.SaveNew(path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return c.fail(fmt.Errorf("%s already exists; refusing to overwrite it", path))
		}
		return c.fail(saveError(path, err))
	}
	k := ring.Keys()[0]
	fmt.Fprintf(c.stdout, "created %s with key %s (primary)\n", path, k.ID)
	return exitOK
}

func (c *cli) keyringRotate(args []string) int {
	s := newSubcommand("keyring rotate", "FILE [--activate-in DURATION | --activate-at TIME] [--retire-after DURATION]",
		`Add a new key to FILE that becomes the primary after a delay. Until then
it is pending: it opens values but does not seal them, while the new file
reaches every server. Every key that has already activated is given a
retire-after time of the new key's activation plus --retire-after, unless
it stops opening values earlier already; it goes on sealing until the new
key activates, and opening values until that time. Run 'prune' after it.

--retire-after should be at least the longest lifetime of a session (its
absolute lifetime) plus the servers' clock skew, or sessions sealed just
before the rotation end early.

Rotating while a key is still pending is refused: promote or revoke that
key first. To replace a compromised key, rotate with --activate-in 0 and
then revoke the old key.
`, "FILE")
	activateIn := &durationFlag{d: cookiesession.DefaultActivationDelay}
	retireAfter := &durationFlag{d: cookiesession.DefaultRetireAfter}
	activateAt := &timeFlag{}
	var ff fileFlags
	s.flags.Var(activateIn, "activate-in", "make the new key the primary after `DURATION`; 0 means at once")
	s.flags.Var(activateAt, "activate-at", "make the new key the primary at `TIME` instead")
	s.flags.Var(retireAfter, "retire-after", "keep the replaced keys opening values for `DURATION` after the activation")
	ff.register(s)
	pos, status, ok := s.parse(c, args)
	if !ok {
		return status
	}
	if activateIn.set && activateAt.set {
		return c.usageError("cookiesession "+s.name, "--activate-in and --activate-at exclude each other")
	}
	if retireAfter.d <= 0 {
		return c.usageError("cookiesession "+s.name, "--retire-after must be longer than 0")
	}
	now := c.now()
	opts := &cookiesession.RotateOptions{ActivationDelay: activateIn.d, RetireAfter: retireAfter.d}
	if activateAt.set {
		if !activateAt.t.After(now) {
			return c.fail(fmt.Errorf("--activate-at %s is not in the future; use --activate-in 0 to activate the new key at once",
				activateAt.t.Format(time.RFC3339)))
		}
		opts.ActivationDelay = activateAt.t.Sub(now)
		if !now.Add(opts.ActivationDelay).Equal(activateAt.t) {
			// Sub saturates at about 292 years: the key would activate
			// at another time than the one asked for.
			return c.usageError("cookiesession "+s.name, fmt.Sprintf("--activate-at %s is too far in the future: at most %v from now",
				activateAt.t.Format(time.RFC3339), time.Duration(math.MaxInt64).Truncate(time.Hour)))
		}
	}
	if opts.ActivationDelay == 0 {
		opts.ActivationDelay = -1 // at once, rather than the default
	}

	var k cookiesession.Key
	ring, next, err := c.change(pos[0], ff, func(ring *cookiesession.Keyring) (next *cookiesession.Keyring, err error) {
		next, k, err = ring.Rotate(now, opts)
		if errors.Is(err, cookiesession.ErrKeyPending) {
			err = pendingError(pos[0], ring, now, err)
		}
		return next, err
	})
	if err != nil {
		return c.fail(err)
	}
	state := "pending"
	if !k.Pending(now) {
		state = "primary"
	}
	fmt.Fprintf(c.stdout, "added key %s (%s): the primary from %s\n", k.ID, state, formatTime(k.ActivatesAt))
	before := map[cookiesession.KeyID]time.Time{}
	for _, o := range ring.Keys() {
		before[o.ID] = o.RetireAfter
	}
	for _, o := range next.Keys() {
		if o.ID != k.ID && !o.RetireAfter.Equal(before[o.ID]) {
			fmt.Fprintf(c.stdout, "key %s opens values until %s\n", o.ID, formatTime(o.RetireAfter))
		}
	}
	return exitOK
}

func (c *cli) keyringPromote(args []string) int {
	s := newSubcommand("keyring promote", "FILE ID", `Make the key ID the primary now: from now on it seals every new value.
Promote a pending key when the new file has reached every server earlier
than its activation time. The key that was the primary stays active and
opens values; retire it afterwards.
`, "FILE", "ID")
	return c.changeKey(s, args, (*cookiesession.Keyring).Promote,
		"key %s is already the primary\n", "key %s is the primary\n")
}

// changeKey runs a subcommand that changes the key ID of FILE with op and
// saves the result, or says unchanged when op changed nothing.
func (c *cli) changeKey(s *subcommand, args []string,
	op func(*cookiesession.Keyring, cookiesession.KeyID, time.Time) (*cookiesession.Keyring, error),
	unchanged, done string) int {
	var ff fileFlags
	ff.register(s)
	pos, status, ok := s.parse(c, args)
	if !ok {
		return status
	}
	id, status, ok := c.parseID(s, pos[1])
	if !ok {
		return status
	}
	now := c.now()
	var read *cookiesession.Keyring
	ring, next, err := c.change(pos[0], ff, func(ring *cookiesession.Keyring) (*cookiesession.Keyring, error) {
		read = ring
		return op(ring, id, now)
	})
	if err != nil {
		return c.fail(noPrimaryError(pos[0], read, now, err))
	}
	if next == ring {
		fmt.Fprintf(c.stdout, unchanged, id)
		return exitOK
	}
	fmt.Fprintf(c.stdout, done, id)
	return exitOK
}

func (c *cli) keyringRetire(args []string) int {
	s := newSubcommand("keyring retire", "FILE ID [--until TIME | --in DURATION]",
		`Retire the key ID: it never seals again, and opens values until a time,
so that the sessions it sealed are re-sealed under the primary as their
users come back. Without --until or --in, the key keeps the retire-after
time it has (a rotation sets one), or else opens values for 30 days.
Retiring the only key that can seal is refused: rotate with
--activate-in 0 first (or promote the pending key).
`, "FILE", "ID")
	until := &timeFlag{}
	in := &durationFlag{optional: true}
	var ff fileFlags
	s.flags.Var(until, "until", "open values until `TIME`")
	s.flags.Var(in, "in", "open values for `DURATION` from now; 0 means stop at once")
	ff.register(s)
	pos, status, ok := s.parse(c, args)
	if !ok {
		return status
	}
	if until.set && in.set {
		return c.usageError("cookiesession "+s.name, "--until and --in exclude each other")
	}
	id, status, ok := c.parseID(s, pos[1])
	if !ok {
		return status
	}
	now := c.now()
	t := now.Add(cookiesession.DefaultRetireAfter)
	var read *cookiesession.Keyring
	_, _, err := c.change(pos[0], ff, func(ring *cookiesession.Keyring) (*cookiesession.Keyring, error) {
		read = ring
		switch {
		case until.set:
			t = until.t
		case in.set:
			t = now.Add(in.d)
		default:
			for _, k := range ring.Keys() {
				if k.ID == id && !k.RetireAfter.IsZero() {
					t = k.RetireAfter
				}
			}
		}
		return ring.Retire(id, t, now)
	})
	if err != nil {
		return c.fail(noPrimaryError(pos[0], read, now, err))
	}
	fmt.Fprintf(c.stdout, "key %s retired: it opens values until %s\n", id, formatTime(t))
	return exitOK
}

func (c *cli) keyringRevoke(args []string) int {
	s := newSubcommand("keyring revoke", "FILE ID", `Revoke the key ID: from now on it opens nothing, which logs out every
session it sealed, on every server as soon as the file reaches it. The key
stays in the file, so that its values are refused as revoked. Revoking the
only key that can seal is refused: rotate with --activate-in 0 first
(or promote the pending key).
`, "FILE", "ID")
	return c.changeKey(s, args, (*cookiesession.Keyring).Revoke,
		"key %s is already revoked\n", "key %s revoked: values it sealed no longer open\n")
}

func (c *cli) keyringPrune(args []string) int {
	s := newSubcommand("keyring prune", "FILE", `Remove from FILE the keys whose retire-after time has passed. Their ids
are kept in the file's deleted list, so that no new key takes them.
Revoked keys are kept. If nothing is to be removed, FILE is not written.
`, "FILE")
	var ff fileFlags
	ff.register(s)
	pos, status, ok := s.parse(c, args)
	if !ok {
		return status
	}
	var pruned []cookiesession.KeyID
	_, _, err := c.change(pos[0], ff, func(ring *cookiesession.Keyring) (next *cookiesession.Keyring, err error) {
		next, pruned, err = ring.Prune(c.now()) // ring itself if nothing is pruned
		return next, err
	})
	if err != nil {
		return c.fail(err)
	}
	if len(pruned) == 0 {
		fmt.Fprintln(c.stdout, "nothing to prune")
		return exitOK
	}
	for _, id := range pruned {
		fmt.Fprintf(c.stdout, "pruned key %s\n", id)
	}
	return exitOK
}

type listKey struct {
	ID          string `json:"id"`
	State       string `json:"state"`
	Status      string `json:"status"`
	Created     string `json:"created"`
	ActivatesAt string `json:"activates_at"`
	RetireAfter string `json:"retire_after,omitempty"`
	Secret      string `json:"secret,omitempty"`
}

type listOutput struct {
	At      string    `json:"at"`
	Primary string    `json:"primary,omitempty"`
	Keys    []listKey `json:"keys"`
	Deleted []string  `json:"deleted"`
}

func (c *cli) keyringList(args []string) int {
	s := newSubcommand("keyring list", "FILE [--json] [--show-secrets] [--at TIME]",
		`List the keys of FILE: id, status, and the times they were created,
activate and retire after. The status is what the key does now (or at
--at):

  primary        seals new values, and opens them
  pending        opens values; becomes the primary at its activation
  open           opens values, but another key is the primary
  retired-until  opens values until its retire-after time, never seals
  expired        past its retire-after time: opens nothing; prune removes it
  revoked        opens nothing

With --json, each key also has its "state" as the file records it
(active, retired or revoked), from which its status follows. Secrets are
never shown without --show-secrets.
`, "FILE")
	asJSON := s.flags.Bool("json", false, "print JSON instead of a table")
	showSecrets := s.flags.Bool("show-secrets", false, "include each key's secret (standard base64)")
	at := &timeFlag{}
	s.flags.Var(at, "at", "show the status at `TIME` rather than now")
	var ff fileFlags
	ff.register(s)
	pos, status, ok := s.parse(c, args)
	if !ok {
		return status
	}
	ring, err := c.load(pos[0], ff)
	if err != nil {
		return c.fail(err)
	}
	now := c.now()
	if at.set {
		now = at.t
	}
	var secrets map[string]string
	if *showSecrets {
		if secrets, err = keySecrets(ring); err != nil {
			return c.fail(err)
		}
	}
	out := listOutput{At: now.UTC().Format(time.RFC3339Nano), Deleted: []string{}}
	primary, perr := ring.Primary(now)
	if perr == nil {
		out.Primary = primary.ID.String()
	}
	for _, k := range ring.Keys() {
		lk := listKey{
			ID:          k.ID.String(),
			State:       k.State.String(),
			Status:      ring.Status(k.ID, now),
			Created:     k.Created.UTC().Format(time.RFC3339Nano),
			ActivatesAt: k.ActivatesAt.UTC().Format(time.RFC3339Nano),
			Secret:      secrets[k.ID.String()],
		}
		if !k.RetireAfter.IsZero() {
			lk.RetireAfter = k.RetireAfter.UTC().Format(time.RFC3339Nano)
		}
		out.Keys = append(out.Keys, lk)
	}
	for _, id := range ring.Deleted() {
		out.Deleted = append(out.Deleted, id.String())
	}

	if *asJSON {
		b, err := json.MarshalIndent(out, "", "  ")
		if err != nil {
			return c.fail(err)
		}
		fmt.Fprintf(c.stdout, "%s\n", b)
		return exitOK
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	header := "ID\tSTATUS\tCREATED\tACTIVATES\tRETIRE-AFTER"
	if *showSecrets {
		header += "\tSECRET"
	}
	fmt.Fprintln(tw, header)
	for i, k := range ring.Keys() {
		retire := "-"
		if !k.RetireAfter.IsZero() {
			retire = formatTime(k.RetireAfter)
		}
		lk := out.Keys[i]
		line := strings.Join([]string{lk.ID, lk.Status, formatTime(k.Created), formatTime(k.ActivatesAt), retire}, "\t")
		if *showSecrets {
			line += "\t" + lk.Secret
		}
		fmt.Fprintln(tw, line)
	}
	if err := tw.Flush(); err != nil {
		return c.fail(err)
	}
	if len(out.Deleted) > 0 {
		fmt.Fprintf(c.stdout, "deleted: %s\n", strings.Join(out.Deleted, " "))
	}
	if perr != nil {
		fmt.Fprintf(c.stdout, "no key can seal at %s\n", formatTime(now))
	}
	return exitOK
}

// keySecrets returns each key's secret as the file holds it, by id. The
// package exposes secrets only in the file format, so they are taken
// from there.
func keySecrets(ring *cookiesession.Keyring) (map[string]string, error) {
	data, err := ring.Marshal()
	if err != nil {
		return nil, err
	}
	defer clear(data)
	var f struct {
		Keys []struct {
			ID     string `json:"id"`
			Secret string `json:"secret"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, err
	}
	m := make(map[string]string, len(f.Keys))
	for _, k := range f.Keys {
		m[k.ID] = k.Secret
	}
	return m, nil
}

func formatTime(t time.Time) string {
	return t.UTC().Format(time.RFC3339)
}
