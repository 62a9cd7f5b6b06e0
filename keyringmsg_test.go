package cookiesession

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A first start without a keyring file, or with an empty object in it,
// says what to run and what the file looks like.
func TestKeyringMessagesSayWhatToDo(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.json")
	_, err := LoadKeyring(missing, nil)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing file: err = %v, want fs.ErrNotExist", err)
	}
	// A first start creates one; a running fleet must not, or every
	// session ends: the message says both.
	for _, want := range []string{`cookiesession keyring init ` + missing, "put back the file the other servers hold"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing file: %q does not contain %q", err, want)
		}
	}
	if _, err := NewKeyringFile(missing, KeyringFileConfig{}); err == nil || !strings.Contains(err.Error(), "keyring init") {
		t.Errorf("NewKeyringFile of a missing file: %v, want the command to run", err)
	}

	empty := filepath.Join(dir, "empty.json")
	if err := os.WriteFile(empty, []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = LoadKeyring(empty, nil)
	if !errors.Is(err, ErrInvalidKeyring) {
		t.Fatalf("{}: err = %v, want ErrInvalidKeyring", err)
	}
	for _, want := range []string{`{"version": 1, "keys": [`, "cookiesession keyring init"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("{}: %q does not contain %q", err, want)
		}
	}
}

// A file with nothing in it (created empty, or truncated) says so.
func TestKeyringMessageEmptyFile(t *testing.T) {
	dir := t.TempDir()
	for _, content := range []string{"", " \n\t\r\n"} {
		path := filepath.Join(dir, "keys.json")
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := LoadKeyring(path, nil)
		if !errors.Is(err, ErrInvalidKeyring) || !strings.Contains(err.Error(), "the file is empty") {
			t.Errorf("%q: %v, want ErrInvalidKeyring saying the file is empty", content, err)
		}
	}
}

// A value under a key the server does not hold says whether the key was
// pruned, or was never in this server's keyring: the operator's first
// question when every request logs it.
func TestUnknownKeySaysWhy(t *testing.T) {
	sealer := testRing(t)
	c, _ := testCodec(t, sealer, CodecConfig{})
	value, err := c.Encode("session", "x")
	if err != nil {
		t.Fatal(err)
	}
	id := sealer.keys[sealer.primary(t0)].ID
	var others []Key
	for _, k := range sealer.keys {
		if k.ID != id {
			others = append(others, k)
		}
	}
	pruned, err := buildKeyring(others, []KeyID{id}, "")
	if err != nil {
		t.Fatal(err)
	}
	unknown, err := buildKeyring(others, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		ring *Keyring
		says string
	}{
		{pruned, "pruned from the keyring: no server opens it any more"},
		{unknown, "in no keyring this server holds: sealed by a server with another keyring file"},
	} {
		var s string
		c, _ := testCodec(t, tc.ring, CodecConfig{})
		err := c.Decode("session", value, &s)
		if !errors.Is(err, ErrUnknownKey) || !strings.Contains(err.Error(), "key "+id.String()+": unknown key ("+tc.says) {
			t.Errorf("err %v, want ErrUnknownKey saying %q", err, tc.says)
		}
	}
}
