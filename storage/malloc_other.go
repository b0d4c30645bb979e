//go:build !linux || !cgo

package storage

// tuneMalloc is for glibc's allocator (malloc_linux.go); elsewhere the
// allocator's defaults stand.
func tuneMalloc() {}
