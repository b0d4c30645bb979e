//go:build !crashpoint

package crashpoint

// Hit does nothing: crash points exist only in a -tags crashpoint build.
func Hit(string) {}
