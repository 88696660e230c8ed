package runtime

import (
	"os"
	"syscall"
	"unsafe"
)

// pipeUnread returns the bytes waiting in the pipe (FIONREAD), or 0 when it
// cannot tell.
func pipeUnread(f *os.File) int {
	rc, err := f.SyscallConn()
	if err != nil {
		return 0
	}
	var n int32
	_ = rc.Control(func(fd uintptr) {
		_, _, _ = syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCINQ, uintptr(unsafe.Pointer(&n)))
	})
	return int(n)
}
