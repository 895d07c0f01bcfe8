package s3test

import "syscall"

// sysProcAttr kills the gateway with the test process, so a test binary
// killed by -timeout leaves no server behind.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
