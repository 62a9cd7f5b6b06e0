//go:build !unix

package cookiesession

import "os"

// openNoBlock opens path for reading. Systems other than Unix have no
// FIFOs in the file system that an open would wait on.
func openNoBlock(path string) (*os.File, error) {
	return os.Open(path)
}
