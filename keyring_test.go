package cookiesession

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io"
	"io/fs"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

var t0 = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

// secretB64 returns a fixed, valid base64 secret distinct per seed.
func secretB64(seed byte) string {
	return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{seed}, KeySize))
}

const validKeyring = `{
  "version": 1,
  "keys": [
    {
      "id": "0000000a",
      "state": "active",
      "secret": "CgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgo=",
      "created": "2026-11-01T00:00:00Z",
      "activates_at": "2026-11-01T00:00:00Z"
    },
    {
      "id": "0000000b",
      "state": "active",
      "secret": "CwsLCwsLCwsLCwsLCwsLCwsLCwsLCwsLCwsLCwsLCws=",
      "created": "2026-11-20T00:00:00Z",
      "activates_at": "2026-11-22T00:00:00Z"
    },
    {
      "id": "0000000c",
      "state": "retired",
      "secret": "DAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAw=",
      "created": "2026-10-01T00:00:00Z",
      "activates_at": "2026-10-01T00:00:00Z",
      "retire_after": "2026-12-01T00:00:00Z"
    },
    {
      "id": "0000000d",
      "state": "revoked",
      "secret": "DQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0NDQ0=",
      "created": "2026-09-01T00:00:00Z",
      "activates_at": "2026-09-01T00:00:00Z"
    }
  ],
  "deleted": ["00000009"]
}
`

func TestParseKeyringValid(t *testing.T) {
	r, err := ParseKeyring([]byte(validKeyring))
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		ID      string
		Pending bool
		CanOpen bool
	}
	var got []row
	for _, k := range r.Keys() {
		got = append(got, row{k.ID.String(), k.Pending(t0), k.CanOpen(t0)})
	}
	want := []row{
		{"0000000a", false, true},
		{"0000000b", true, true}, // pending keys open: another server may already seal with them
		{"0000000c", false, true},
		{"0000000d", false, false},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("keys (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]KeyID{9}, r.Deleted()); d != "" {
		t.Errorf("deleted (-want +got):\n%s", d)
	}

	// The primary is the newest active key whose activation has passed.
	for _, tc := range []struct {
		now  time.Time
		want KeyID
	}{
		{t0, 0x0a},
		{time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC), 0x0b},
		{time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), 0x0b},
	} {
		p, err := r.Primary(tc.now)
		if err != nil || p.ID != tc.want {
			t.Errorf("Primary(%v) = %v, %v; want %v", tc.now, p.ID, err, tc.want)
		}
	}
	if _, err := r.Primary(time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)); !errors.Is(err, ErrNoPrimaryKey) {
		t.Errorf("Primary before any activation: err = %v, want ErrNoPrimaryKey", err)
	}

	// Marshal then parse gives the same keyring.
	if d := cmp.Diff(r.Keys(), reparse(t, r).Keys(), sameSecrets); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
}

func TestParseKeyringInvalid(t *testing.T) {
	key := func(fields string) string {
		return `{"version":1,"keys":[` + fields + `]}`
	}
	good := `"id":"0000000a","state":"active","secret":"` + secretB64(1) + `","created":"2026-11-01T00:00:00Z","activates_at":"2026-11-01T00:00:00Z"`
	for _, tc := range []struct {
		name, data, key, problem string
	}{
		{"empty", ``, "", `the file is empty (see FORMAT.md for what it holds); create one with "cookiesession keyring init FILE"`},
		{"not json", `hello`, "", "not a single strict JSON object"},
		{"truncated", validKeyring[:200], "", "not a single strict JSON object"},
		{"array", `[]`, "", "bad JSON"},
		{"trailing data", key("{"+good+"}") + `{}`, "", "not a single strict JSON object"},
		{"repeated field", `{"version":1,"version":1,"keys":[{` + good + `}]}`, "", "not a single strict JSON object"},
		{"repeated key field", key(`{` + good + `,"secret":"` + secretB64(2) + `"}`), "", "not a single strict JSON object"},
		{"unknown field", `{"version":1,"keys":[{` + good + `}],"comment":"x"}`, "", "bad JSON"},
		{"unknown key field", key(`{` + good + `,"algorithm":"aes"}`), "", "bad JSON"},
		{"deep nesting", strings.Repeat("[", 100) + strings.Repeat("]", 100), "", "not a single strict JSON object"},
		{"version missing", `{"keys":[{` + good + `}]}`, "", `no "version": a keyring file looks like {"version": 1, "keys": [{"id": …, "secret": …}]} (see FORMAT.md); create one with "cookiesession keyring init FILE", which never overwrites a file`},
		{"version 2", `{"version":2,"keys":[{` + good + `}]}`, "", "version 2 is not supported (want 1)"},
		{"no keys", `{"version":1,"keys":[]}`, "", "no keys"},
		{"keys null", `{"version":1,"keys":null}`, "", "no keys"},
		{"bad id", key(`{` + strings.Replace(good, "0000000a", "xyz", 1) + `}`), "xyz", "id: not 8 lowercase hex digits"},
		{"upper-case id", key(`{` + strings.Replace(good, "0000000a", "0000000A", 1) + `}`), "0000000A", "id: not 8 lowercase hex digits"},
		{"missing id", key(`{` + strings.Replace(good, `"id":"0000000a",`, "", 1) + `}`), "#0", "id: not 8 lowercase hex digits"},
		{"bad state", key(`{` + strings.Replace(good, "active", "enabled", 1) + `}`), "0000000a", `state: "enabled" is not active, retired or revoked`},
		{"bad base64", key(`{` + strings.Replace(good, secretB64(1), "!!!!", 1) + `}`), "0000000a", "secret: not standard base64"},
		{"url base64", key(`{` + strings.Replace(good, secretB64(1), base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{0xff}, 32)), 1) + `}`), "0000000a", "secret: not standard base64"},
		{"short secret", key(`{` + strings.Replace(good, secretB64(1), base64.StdEncoding.EncodeToString(make([]byte, 31)), 1) + `}`), "0000000a", "secret: 31 bytes, want 32"},
		{"long secret", key(`{` + strings.Replace(good, secretB64(1), base64.StdEncoding.EncodeToString(make([]byte, 64)), 1) + `}`), "0000000a", "secret: 64 bytes, want 32"},
		{"bad time", key(`{` + strings.Replace(good, "2026-11-01T00:00:00Z", "yesterday", 1) + `}`), "0000000a", `created: "yesterday" is not an RFC 3339 time`},
		{"missing activation", key(`{` + strings.Replace(good, `,"activates_at":"2026-11-01T00:00:00Z"`, "", 1) + `}`), "0000000a", "activates_at: missing"},
		{"duplicate id", key(`{` + good + `},{` + strings.Replace(good, secretB64(1), secretB64(2), 1) + `}`), "0000000a", "duplicate id"},
		{"deleted id reused", `{"version":1,"keys":[{` + good + `}],"deleted":["0000000a"]}`, "0000000a", "id was deleted and may not be reused"},
		{"bad deleted id", `{"version":1,"keys":[{` + good + `}],"deleted":["zz"]}`, "", `deleted: key id "zz" is not 8 hex digits`},
		{"retired without time", key(`{` + strings.Replace(good, "active", "retired", 1) + `}`), "0000000a", "a retired key needs retire_after"},
		{"retire before activation", key(`{` + good + `,"retire_after":"2026-10-01T00:00:00Z"}`), "0000000a", "retire_after is not after activates_at"},
		{"no active key", key(`{` + strings.Replace(good, "active", "revoked", 1) + `}`), "", "no usable key: no key is active"},
		{"secret with a line break", key(`{` + strings.Replace(good, secretB64(1), secretB64(1)[:20]+`\n`+secretB64(1)[20:], 1) + `}`), "0000000a", "secret: not standard base64"},
		{"field in upper case", `{"VERSION":1,"keys":[{` + good + `}]}`, "", "not a single strict JSON object"},
		{"field spelled twice in two cases", key(`{` + good + `,"Secret":"` + secretB64(2) + `"}`), "", "not a single strict JSON object"},
		{"field with a folding letter", key(`{` + strings.Replace(good, `"secret"`, `"ſecret"`, 1) + `}`), "", "not a single strict JSON object"},
		// A secret pasted into another field reaches no error, which a
		// log may keep: the key is named by its place, the value by its length.
		{"secret as id", key(`{` + strings.Replace(good, "0000000a", secretB64(2), 1) + `}`), "#0", "id: not 8 lowercase hex digits"},
		{"secret as state", key(`{` + strings.Replace(good, `"active"`, `"`+secretB64(2)+`"`, 1) + `}`), "0000000a", "state: a value of 44 bytes (not shown: it may hold a secret) is not active, retired or revoked"},
		{"secret as time", key(`{` + strings.Replace(good, `"created":"2026-11-01T00:00:00Z"`, `"created":"`+secretB64(2)+`"`, 1) + `}`), "0000000a", "created: a value of 44 bytes (not shown: it may hold a secret) is not an RFC 3339 time"},
		{"secret as deleted id", `{"version":1,"keys":[{` + good + `}],"deleted":["` + secretB64(2) + `"]}`, "", "deleted: key id a value of 44 bytes (not shown: it may hold a secret) is not 8 hex digits"},
		{"unpadded secret as id", key(`{` + strings.Replace(good, "0000000a", secretB64(2)[:43], 1) + `}`), "#0", "id: not 8 lowercase hex digits"},
		{"part of a secret as state", key(`{` + strings.Replace(good, `"active"`, `"`+secretB64(2)[22:]+`"`, 1) + `}`), "0000000a", "state: a value of 22 bytes (not shown: it may hold a secret) is not active, retired or revoked"},
		{"part of a secret as time", key(`{` + strings.Replace(good, `"created":"2026-11-01T00:00:00Z"`, `"created":"`+secretB64(2)[:11]+`"`, 1) + `}`), "0000000a", "created: a value of 11 bytes (not shown: it may hold a secret) is not an RFC 3339 time"},
		{"mistyped state", key(`{` + strings.Replace(good, `"active"`, `"deactivated"`, 1) + `}`), "0000000a", `state: "deactivated" is not active, retired or revoked`},
		{"mistyped time", key(`{` + strings.Replace(good, "2026-11-01T00:00:00Z", "2026-11-01 00:00:00+01", 1) + `}`), "0000000a", `created: "2026-11-01 00:00:00+01" is not an RFC 3339 time`},
		{"too large", `{"version":1,"keys":[],"x":"` + strings.Repeat("a", maxKeyringFile) + `"}`, "", "file is 1048606 bytes, larger than 1048576"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ParseKeyring([]byte(tc.data))
			if r != nil || !errors.Is(err, ErrInvalidKeyring) {
				t.Fatalf("ParseKeyring = %v, %v; want ErrInvalidKeyring", r, err)
			}
			var ke *KeyringError
			if !errors.As(err, &ke) {
				t.Fatalf("error %T is not a *KeyringError", err)
			}
			if ke.Key != tc.key || ke.Problem != tc.problem {
				t.Errorf("got key %q problem %q; want key %q problem %q", ke.Key, ke.Problem, tc.key, tc.problem)
			}
		})
	}
}

func TestParseKeyringTooManyKeys(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"version":1,"keys":[`)
	for i := range MaxKeys + 1 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`{"id":"` + KeyID(i+1).String() + `","state":"active","secret":"` + secretB64(1) +
			`","created":"2026-11-01T00:00:00Z","activates_at":"2026-11-01T00:00:00Z"}`)
	}
	b.WriteString(`]}`)
	_, err := ParseKeyring([]byte(b.String()))
	var ke *KeyringError
	if !errors.As(err, &ke) || ke.Problem != "65 keys, at most 64 allowed" {
		t.Fatalf("err = %v", err)
	}
}

func TestParseKeyID(t *testing.T) {
	for _, s := range []string{"", "0", "0000000", "000000000", "0000000g", "0000000A", "+0000001", " 0000001"} {
		if _, err := ParseKeyID(s); err == nil {
			t.Errorf("ParseKeyID(%q) succeeded", s)
		}
	}
	id, err := ParseKeyID("deadbeef")
	if err != nil || id != 0xdeadbeef || id.String() != "deadbeef" {
		t.Errorf("ParseKeyID(deadbeef) = %v, %v", id, err)
	}
}

func TestNewKeyring(t *testing.T) {
	r, err := NewKeyring(t0.Add(123 * time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	keys := r.Keys()
	if len(keys) != 1 || keys[0].State != KeyActive || !keys[0].Created.Equal(t0) || !keys[0].ActivatesAt.Equal(t0) {
		t.Fatalf("keys = %+v", keys)
	}
	if p, err := r.Primary(t0); err != nil || p.ID != keys[0].ID {
		t.Fatalf("Primary = %v, %v", p.ID, err)
	}
	if bytes.Equal(keys[0].secret.bytes(), make([]byte, KeySize)) {
		t.Fatal("secret is zero")
	}
	r2, _ := NewKeyring(t0)
	if bytes.Equal(r2.Keys()[0].secret.bytes(), keys[0].secret.bytes()) {
		t.Fatal("two keyrings share a secret")
	}
	if _, err := newKeyring(failingReader{}, t0); err == nil {
		t.Fatal("newKeyring with a failing random source succeeded")
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("entropy source failed") }

func TestLoadKeyringPermissions(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "keys.json")
	if err := os.WriteFile(path, []byte(validKeyring), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKeyring(path, nil); err != nil {
		t.Fatalf("0600: %v", err)
	}
	for _, mode := range []fs.FileMode{0o644, 0o640, 0o604, 0o620, 0o660} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		_, err := LoadKeyring(path, nil)
		var pe *PermissionError
		if !errors.Is(err, ErrKeyringPermissions) || !errors.As(err, &pe) || pe.Mode.Perm() != mode {
			t.Errorf("mode %04o: err = %v, want a *PermissionError", mode, err)
			continue
		}
		for _, hint := range []string{"chmod 600", "defaultMode: 0400", "AllowReadableByOthers"} {
			if !strings.Contains(err.Error(), hint) {
				t.Errorf("mode %04o: error %q does not mention %q", mode, err, hint)
			}
		}
		if _, err := LoadKeyring(path, &KeyringFileOptions{AllowReadableByOthers: true}); err != nil {
			t.Errorf("mode %04o with AllowReadableByOthers: %v", mode, err)
		}
		// AllowGroupReadable accepts the group's read bit, and nothing else.
		_, err = LoadKeyring(path, &KeyringFileOptions{AllowGroupReadable: true})
		if wantOK := mode == 0o640; (err == nil) != wantOK {
			t.Errorf("mode %04o with AllowGroupReadable: err = %v", mode, err)
		}
	}
	if _, err := LoadKeyring(filepath.Join(dir, "missing.json"), nil); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: err = %v", err)
	}
	if _, err := LoadKeyring(dir, nil); !errors.Is(err, ErrInvalidKeyring) {
		t.Errorf("directory: err = %v", err)
	}
}

func TestLoadKeyringFollowsSymlinks(t *testing.T) {
	// The layout of a Kubernetes Secret volume.
	dir := t.TempDir()
	data := filepath.Join(dir, "..2026_11_21_10_00_00.000000001")
	if err := os.Mkdir(data, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data, "keys.json"), []byte(validKeyring), 0o400); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Base(data), filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("..data/keys.json", filepath.Join(dir, "keys.json")); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKeyring(filepath.Join(dir, "keys.json"), nil); err != nil {
		t.Fatal(err)
	}
}

func TestSaveKeyring(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "keys.json")
	r, err := ParseKeyring([]byte(validKeyring))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.SaveNew(path); err != nil {
		t.Fatal(err)
	}
	if err := r.SaveNew(path); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("SaveNew over an existing file: err = %v, want fs.ErrExist", err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode = %v, %v; want 0600", fi.Mode(), err)
	}
	// Save replaces, keeps 0600 even over a file that had another mode,
	// and leaves no temporary file behind.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	r2, _ := NewKeyring(t0)
	if err := r2.Save(path); err != nil {
		t.Fatal(err)
	}
	got, err := LoadKeyring(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(r2.Keys(), got.Keys(), sameSecrets); d != "" {
		t.Errorf("saved keyring differs (-want +got):\n%s", d)
	}
	assertOnlyFiles(t, dir, "keys.json")
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("over a file of mode 0644: mode = %v, %v; want 0600", fi.Mode(), err)
	}

	// A file its group may read (0640, for servers that allow it) keeps
	// that permission when it is replaced.
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := r.Save(path); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("over a file of mode 0640: mode = %v, %v; want 0640", fi.Mode(), err)
	}
}

// TestSaveKeepsOwner replaces, as root, a keyring file that another user
// and group own, as an operator's "sudo cookiesession keyring rotate"
// does: the servers that run as that user must still read it.
func TestSaveKeepsOwner(t *testing.T) {
	if runtime.GOOS == "windows" || os.Geteuid() != 0 {
		t.Skip("needs root on a Unix system, to give a file to another user")
	}
	path := filepath.Join(t.TempDir(), "keys.json")
	r, _ := NewKeyring(t0)
	if err := r.SaveNew(path); err != nil {
		t.Fatal(err)
	}
	const uid, gid = 65534, 65533
	if err := os.Chown(path, uid, gid); err != nil {
		t.Fatal(err)
	}
	if err := r.Save(path); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if u, g, ok := fileOwner(fi); !ok || u != uid || g != gid || fi.Mode().Perm() != 0o600 {
		t.Errorf("owner %d:%d (%v), mode %v; want %d:%d, 0600", u, g, ok, fi.Mode(), uid, gid)
	}
}

func assertOnlyFiles(t *testing.T, dir string, want ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("files in %s (-want +got):\n%s", dir, d)
	}
}

func TestSaveKeyringInterrupted(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "keys.json")
	if err := os.WriteFile(path, []byte(validKeyring), 0o600); err != nil {
		t.Fatal(err)
	}
	// A write that fails halfway: the old file stays, the temporary goes.
	err := writeFileAtomic(path, true, func(w io.Writer) error {
		w.Write([]byte(`{"version":1,"ke`))
		return errors.New("disk full")
	})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("err = %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != validKeyring {
		t.Fatal("the old keyring changed")
	}
	assertOnlyFiles(t, dir, "keys.json")
}

// TestSaveKeyringCrash kills a process in the middle of a save: the old
// file must survive intact, whatever temporary file is left over.
func TestSaveKeyringCrash(t *testing.T) {
	if path := os.Getenv("COOKIESESSION_CRASH_SAVE"); path != "" {
		writeFileAtomic(path, true, func(w io.Writer) error {
			w.Write([]byte(`{"version":1,"ke`))
			os.Exit(3) // no cleanup, no rename: as if the power failed
			return nil
		})
		return
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "keys.json")
	if err := os.WriteFile(path, []byte(validKeyring), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestSaveKeyringCrash$")
	cmd.Env = append(os.Environ(), "COOKIESESSION_CRASH_SAVE="+path)
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Fatalf("child: %v", err)
	}
	if _, err := LoadKeyring(path, nil); err != nil {
		t.Fatalf("after a crash mid-save: %v", err)
	}
	// The next save succeeds despite the leftover temporary file.
	r, _ := NewKeyring(t0)
	if err := r.Save(path); err != nil {
		t.Fatal(err)
	}
}

func TestSaveThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real.json")
	link := filepath.Join(dir, "keys.json")
	if err := os.WriteFile(target, []byte(validKeyring), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real.json", link); err != nil {
		t.Fatal(err)
	}
	r, _ := NewKeyring(t0)
	if err := r.Save(link); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Fatalf("the symlink was replaced: %v, %v", fi.Mode(), err)
	}
	got, err := LoadKeyring(target, nil)
	if err != nil || got.Keys()[0].ID != r.Keys()[0].ID {
		t.Fatalf("target not updated: %v", err)
	}
}

func TestKeyringStatus(t *testing.T) {
	r := testRing(t) // 0a primary, 0b pending until 2026-11-22, 0c retired until 2026-12-01, 0d revoked, 09 deleted
	for _, tc := range []struct {
		id   KeyID
		at   time.Time
		want string
	}{
		{0x0a, t0, "primary"},
		{0x0b, t0, "pending"},
		{0x0c, t0, "retired-until"},
		{0x0d, t0, "revoked"},
		{0x09, t0, "deleted"},
		{0x42, t0, "unknown"},
		{0x0a, time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC), "open"},
		{0x0b, time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC), "primary"},
		{0x0c, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), "expired"},
	} {
		if got := r.Status(tc.id, tc.at); got != tc.want {
			t.Errorf("Status(%v) at %v = %q, want %q", tc.id, tc.at, got, tc.want)
		}
	}
}

// sameSecrets has go-cmp compare keys with their secrets.
var sameSecrets = cmp.Options{
	cmp.AllowUnexported(Key{}),
	cmp.Comparer(func(a, b *keySecret) bool { return bytes.Equal(a.bytes(), b.bytes()) }),
}

// TestPrimarySpans holds the primary that a keyring remembers, with the
// span of time it stays the primary, to the one found by looking at
// every key: on random keyrings, at random times and at each key's
// activation and retire-after time and a nanosecond either side, asked
// in an order that jumps back and forth.
func TestPrimarySpans(t *testing.T) {
	rng := mrand.New(mrand.NewPCG(7, 11))
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func() time.Time { return base.Add(time.Duration(rng.IntN(100)) * time.Hour) }
	for round := range 300 {
		var keys []Key
		for i := range 1 + rng.IntN(6) {
			k, err := generateKey(rand.Reader, at(), at(), nil)
			if err != nil {
				t.Fatal(err)
			}
			k.ID = KeyID(i + 1)
			k.State = []KeyState{KeyActive, KeyActive, KeyRetired, KeyRevoked}[rng.IntN(4)]
			if k.State == KeyRetired || rng.IntN(2) == 0 {
				k.RetireAfter = k.ActivatesAt.Add(time.Duration(1+rng.IntN(50)) * time.Hour)
			}
			keys = append(keys, k)
		}
		ring, err := buildKeyring(keys, nil, "")
		if err != nil {
			continue // a keyring the parser refuses: nothing to ask
		}
		var times []time.Time
		for _, k := range keys {
			for _, b := range []time.Time{k.ActivatesAt, k.RetireAfter} {
				if !b.IsZero() {
					times = append(times, b.Add(-time.Nanosecond), b, b.Add(time.Nanosecond))
				}
			}
		}
		for range 20 {
			times = append(times, at().Add(time.Duration(rng.IntN(3600))*time.Second))
		}
		for range 3 {
			rng.Shuffle(len(times), func(i, j int) { times[i], times[j] = times[j], times[i] })
			for _, now := range times {
				if got, want := ring.primary(now), ring.findPrimary(now); got != want {
					t.Fatalf("round %d at %v: primary %d, want %d (keys %v)", round, now, got, want, ring.Keys())
				}
			}
		}
	}
}

// TestKeyringErrorBounded: a keyring file that quotes itself into its
// error (a number of 500,000 digits, a state as long) makes an error text
// of bounded length, which still says what is wrong.
func TestKeyringErrorBounded(t *testing.T) {
	long := strings.Repeat("1", 500000)
	for name, file := range map[string]string{
		"version":          `{"version": ` + long + `, "keys": []}`,
		"state":            strings.Replace(validKeyring, `"active"`, `"`+long+`"`, 1),
		"state, multibyte": strings.Replace(validKeyring, `"active"`, `"`+strings.Repeat("é", 200000)+`"`, 1),
	} {
		_, err := ParseKeyring([]byte(file))
		if !errors.Is(err, ErrInvalidKeyring) {
			t.Fatalf("%s: %v", name, err)
		}
		msg := err.Error()
		// Cut short, or (a value as long as a secret) not shown at all.
		cut := strings.Contains(msg, "bytes more)") || strings.Contains(msg, "(not shown: it may hold a secret)")
		if len(msg) > 4*maxErrorText || !utf8.ValidString(msg) || !cut {
			t.Errorf("%s: error of %d bytes (valid UTF-8: %v): %.200s", name, len(msg), utf8.ValidString(msg), msg)
		}
	}
}

// TestKeyringErrorHidesSecretAsMemberName checks that a secret pasted as
// a member name of the keyring file reaches no error, which a log may keep.
func TestKeyringErrorHidesSecretAsMemberName(t *testing.T) {
	secret := secretB64(2)
	for _, file := range []string{
		strings.Replace(validKeyring, `"version"`, `"`+secret+`":1,"version"`, 1),
		strings.Replace(validKeyring, `"state"`, `"`+secret+`":"x","state"`, 1),
		strings.Replace(validKeyring, `"state"`, `"`+secret[:30]+`":"x","state"`, 1),
	} {
		_, err := ParseKeyring([]byte(file))
		if !errors.Is(err, ErrInvalidKeyring) {
			t.Fatalf("ParseKeyring = %v; want ErrInvalidKeyring", err)
		}
		if msg := err.Error(); strings.Contains(msg, secret[:11]) || !strings.Contains(msg, "not shown: it may hold a secret") {
			t.Errorf("error %q shows the secret, or does not say it left it out", msg)
		}
	}
}

// TestKeyringErrorShowsMemberNames checks that the member names of a
// keyring file, made of lower-case letters, are quoted in its errors,
// whatever their length: they help find the mistake, and hold no secret.
func TestKeyringErrorShowsMemberNames(t *testing.T) {
	for file, want := range map[string]string{
		strings.Replace(validKeyring, `"state"`, `"activates_at":"2026-11-01T00:00:00Z","state"`, 1): `field "activates_at" repeated`,
		strings.Replace(validKeyring, `"state"`, `"retire_aftr":"x","state"`, 1):                     `unknown field "retire_aftr"`,
	} {
		if _, err := ParseKeyring([]byte(file)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseKeyring = %v; want an error saying %s", err, want)
		}
	}
}
