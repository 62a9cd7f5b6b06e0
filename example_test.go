package cookiesession_test

import (
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/cookiesession/cookiesession"
)

func ExampleCodec() {
	ring, err := cookiesession.NewKeyring(time.Now())
	if err != nil {
		log.Fatal(err)
	}
	codec, err := cookiesession.NewCodec(ring, cookiesession.CodecConfig{
		Purpose: "session",
		MaxAge:  time.Hour,
	})
	if err != nil {
		log.Fatal(err)
	}

	type login struct {
		UserID int64
		Roles  []string
	}
	value, err := codec.Encode("sid", login{UserID: 42, Roles: []string{"admin"}})
	if err != nil {
		log.Fatal(err)
	}

	var got login
	if err := codec.Decode("sid", value, &got); err != nil {
		log.Fatal(err)
	}
	fmt.Println(got.UserID, got.Roles)

	// The value is bound to its cookie name.
	err = codec.Decode("other", value, &got)
	fmt.Println(errors.Is(err, cookiesession.ErrTampered))
	// Output:
	// 42 [admin]
	// true
}

func ExampleLoadKeyring() {
	dir, err := os.MkdirTemp("", "keyring")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "keys.json")

	ring, err := cookiesession.NewKeyring(time.Now())
	if err != nil {
		log.Fatal(err)
	}
	// SaveNew refuses to overwrite; the file gets mode 0600.
	if err := ring.SaveNew(path); err != nil {
		log.Fatal(err)
	}

	loaded, err := cookiesession.LoadKeyring(path, nil)
	if err != nil {
		log.Fatal(err)
	}
	primary, err := loaded.Primary(time.Now())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(primary.ID == ring.Keys()[0].ID, primary.State)

	// A keyring others can read is refused, with the fix in the message.
	os.Chmod(path, 0o644)
	_, err = cookiesession.LoadKeyring(path, nil)
	fmt.Println(errors.Is(err, cookiesession.ErrKeyringPermissions))
	// Output:
	// true active
	// true
}
