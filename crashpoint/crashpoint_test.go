package crashpoint

import (
	"os"
	"os/exec"
	"testing"
)

// hitInChild runs this test binary again with the environment naming a
// crash point, hits that point there, and returns how the child ended.
func hitInChild(t *testing.T, name string) error {
	if os.Getenv("CRASHPOINT_TEST_CHILD") != "" {
		Hit(AfterProcess)
		os.Exit(0)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+name+"$")
	cmd.Env = append(os.Environ(), "CRASHPOINT_TEST_CHILD=1", EnvVar+"="+AfterProcess)
	return cmd.Run()
}
