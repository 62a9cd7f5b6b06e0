//go:build !unix

package cookiesession

import "os"

// openNoBlock opens path for reading. Systems other than Unix have no
// FIFOs in the file system that an open would wait on.
func openNoBlock(path string) (*os.File, error) {
	return os.Open(path)
}

// fileOwner reports no owner: other systems have no uid and gid to keep.
func fileOwner(os.FileInfo) (uid, gid int, ok bool) { return 0, 0, false }
