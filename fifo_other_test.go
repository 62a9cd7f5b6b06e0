//go:build !unix

package cookiesession

import "errors"

func syscallMkfifo(string) error { return errors.New("no FIFOs") }
