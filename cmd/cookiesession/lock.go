package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/cookiesession/cookiesession"
)

// errLocked is what lockKeyring returns when another change holds the lock.
var errLocked = errors.New("cookiesession: keyring file locked")

// lockKeyring takes the lock of the keyring file at path for a change:
// a file beside it named after it with ".lock" added, which only one
// process can create. Each change reads the file, changes the keyring and
// writes it again; two at once would each write their own change and lose
// the other's (a lost rotation silently drops its new key). The lock is
// next to the file a symlink points to, so that two paths to one file
// share it. It returns a function that releases the lock.
func lockKeyring(path string, now time.Time) (unlock func(), err error) {
	if target, err := filepath.EvalSymlinks(path); err == nil {
		path = target
	}
	name := path + ".lock"
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil, &cliError{fmt.Sprintf("cookiesession: %s exists: another cookiesession command is changing %s; "+
			"wait for it, or if none is running (one was killed), remove %s and run this again", name, path, name), errLocked}
	}
	if err != nil {
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	// Who holds the lock, for whoever finds it left behind.
	_, werr := fmt.Fprintf(f, "pid %d since %s\n", os.Getpid(), now.UTC().Format(time.RFC3339))
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(name)
		return nil, fmt.Errorf("locking %s: %w", path, werr)
	}
	return func() { os.Remove(name) }, nil
}

// change makes one change to the keyring file at path: under its lock,
// it reads the file, applies op, and saves what op returns unless that is
// the keyring it was given (nothing changed). It returns both keyrings.
// Every command that writes an existing keyring file goes through here,
// so none can skip the lock.
func (c *cli) change(path string, ff fileFlags,
	op func(*cookiesession.Keyring) (*cookiesession.Keyring, error)) (before, after *cookiesession.Keyring, err error) {
	unlock, err := lockKeyring(path, c.now())
	if err != nil {
		// A lock that cannot be made beside a file that cannot be read
		// (no such folder, no such file): the file is the news.
		if !errors.Is(err, errLocked) {
			if _, lerr := c.load(path, ff); lerr != nil {
				return nil, nil, lerr
			}
		}
		return nil, nil, err
	}
	defer unlock()
	before, err = c.load(path, ff)
	if err != nil {
		return nil, nil, err
	}
	after, err = op(before)
	if err != nil {
		return nil, nil, err
	}
	if after != before {
		if err := after.Save(path); err != nil {
			return nil, nil, saveError(path, err)
		}
	}
	return before, after, nil
}
