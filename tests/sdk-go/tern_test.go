package sdkgo_test

// The server for the package: TestMain starts one real Tern (scripts/start-dev: a private
// PostgreSQL and tern-server with namespace `default`) on free loopback ports, dials one shared
// client, runs the tests and stops everything it started. Nothing waits a fixed time: every wait
// polls a condition until a deadline.

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
)

const (
	namespace    = "default"
	startTimeout = 120 * time.Second
	stopTimeout  = 30 * time.Second
)

// tern is the server every test uses, set by TestMain.
var tern struct {
	address string
	client  client.Client
}

func TestMain(m *testing.M) {
	os.Exit(runWithServer(m))
}

func runWithServer(m *testing.M) int {
	srv, err := startServer()
	if err != nil {
		fmt.Fprintln(os.Stderr, "sdk-go: starting Tern failed:", err)
		return 1
	}
	defer srv.stop()

	c, err := client.Dial(client.Options{HostPort: srv.address, Namespace: namespace, Logger: quietLogger{}})
	if err != nil {
		fmt.Fprintln(os.Stderr, "sdk-go: dial:", err)
		return 1
	}
	defer c.Close()
	tern.address, tern.client = srv.address, c

	code := m.Run()
	if code != 0 {
		// The data directory goes with stop(): keep the server's log for a look.
		kept := filepath.Join(os.TempDir(), fmt.Sprintf("tern-sdk-go-%d.log", os.Getpid()))
		if data, err := os.ReadFile(srv.log); err == nil && os.WriteFile(kept, data, 0o644) == nil {
			fmt.Fprintf(os.Stderr, "sdk-go: server log kept in %s; its last lines:\n%s\n", kept, tail(kept, 40))
		}
	}
	return code
}

type server struct {
	address string
	dir     string
	log     string
	cmd     *exec.Cmd
	// The write end of the watchdog's stdin (see startServer): the kernel closes it if the test
	// binary dies without stop().
	lifeline *os.File
}

func repoRoot() string {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		panic(err)
	}
	return root
}

// startServer starts scripts/start-dev and waits until the SDK can use the `default`
// namespace. It tries other ports when a start fails (a port taken between choosing and binding).
func startServer() (*server, error) {
	binDir := os.Getenv("TERN_BIN_DIR")
	if binDir == "" {
		binDir = filepath.Join(repoRoot(), "build", "bin")
	}
	for _, bin := range []string{"tern", "tern-server"} {
		if _, err := os.Stat(filepath.Join(binDir, bin)); err != nil {
			return nil, fmt.Errorf("%s missing in %s (run scripts/build or set TERN_BIN_DIR)", bin, binDir)
		}
	}
	var errs []error
	for attempt := 1; attempt <= 3; attempt++ {
		srv, err := startServerOnce(binDir)
		if err == nil {
			return srv, nil
		}
		errs = append(errs, fmt.Errorf("attempt %d: %w", attempt, err))
	}
	return nil, errors.Join(errs...)
}

func startServerOnce(binDir string) (_ *server, err error) {
	port, err := freePortBlock()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "tern-sdk-go-")
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			_ = os.RemoveAll(dir)
		}
	}()
	// The postgres user must reach its data directory inside.
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	srv := &server{address: "127.0.0.1:" + strconv.Itoa(port), dir: dir, log: filepath.Join(dir, "start-dev.log")}
	logFile, err := os.Create(srv.log)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	readEnd, writeEnd, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer readEnd.Close()

	// A bash watchdog runs start-dev. When its stdin reaches end of file, i.e. when this process
	// dies without stop() (a panic in a test, -timeout), it sends start-dev SIGTERM (start-dev
	// then stops tern-server and PostgreSQL) and removes the directory. Both run in a process
	// group of their own, which stop() signals; the watchdog then only waits, so start-dev gets
	// one SIGTERM (a second one would cut its cleanup short).
	script := `dir=$1; shift; "$@" & pid=$!; trap 'wait "$pid"; exit' TERM; ` +
		`read -r _; kill -TERM "$pid"; wait "$pid"; rm -rf "$dir"`
	srv.cmd = exec.Command("bash", "-c", script, "watchdog", dir,
		filepath.Join(repoRoot(), "scripts", "start-dev"), "--no-build",
		"--port", strconv.Itoa(port), "--data-dir", filepath.Join(dir, "data"))
	srv.cmd.Env = append(os.Environ(), "TERN_BIN_DIR="+binDir,
		// A throwaway cluster: no fsync, no shutdown checkpoint.
		"PG_FAST=1", "PG_STOP_MODE=immediate")
	srv.cmd.Stdin, srv.cmd.Stdout, srv.cmd.Stderr = readEnd, logFile, logFile
	srv.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := srv.cmd.Start(); err != nil {
		writeEnd.Close()
		return nil, err
	}
	srv.lifeline = writeEnd
	exited := make(chan struct{})
	go func() { _ = srv.cmd.Wait(); close(exited) }()

	err = waitFor(startTimeout, func() error {
		select {
		case <-exited:
			return errStop{errors.New("start-dev exited during start-up")}
		default:
		}
		return probe(srv.address)
	})
	if err != nil {
		err = fmt.Errorf("%w\n%s:\n%s", err, srv.log, tail(srv.log, 40))
		srv.stop()
		return nil, err
	}
	return srv, nil
}

// probe succeeds once the SDK can dial, the health check serves and the namespace exists.
func probe(address string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := client.DialContext(ctx, client.Options{HostPort: address, Namespace: namespace, Logger: quietLogger{}})
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		return err
	}
	_, err = c.WorkflowService().DescribeNamespace(ctx, describeNamespace(namespace))
	return err
}

// stop ends start-dev's process group: SIGTERM, then SIGKILL if it is still there after
// stopTimeout; then PostgreSQL (which pg_ctl detaches into its own session) if start-dev could
// not stop it; then removes the data directory.
func (s *server) stop() {
	defer s.lifeline.Close()
	pgid := s.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	if !groupGoneWithin(pgid, stopTimeout) {
		fmt.Fprintf(os.Stderr, "sdk-go: start-dev ignored SIGTERM for %s; SIGKILL\n", stopTimeout)
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		groupGoneWithin(pgid, stopTimeout)
	}
	stopPostgres(filepath.Join(s.dir, "data", "postgres"))
	_ = os.RemoveAll(s.dir)
}

func groupGoneWithin(pgid int, timeout time.Duration) bool {
	return waitFor(timeout, func() error {
		if err := syscall.Kill(-pgid, 0); errors.Is(err, syscall.ESRCH) {
			return nil
		}
		return errors.New("process group still running")
	}) == nil
}

// stopPostgres kills the postmaster named in postmaster.pid, if it still runs.
func stopPostgres(pgDir string) {
	data, err := os.ReadFile(filepath.Join(pgDir, "postmaster.pid"))
	if err != nil {
		return
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(data), "\n", 2)[0]))
	if err != nil || pid <= 0 || syscall.Kill(pid, 0) != nil {
		return
	}
	fmt.Fprintf(os.Stderr, "sdk-go: PostgreSQL (pid %d) still running; stopping it\n", pid)
	_ = syscall.Kill(pid, syscall.SIGQUIT) // immediate shutdown
	gone := waitFor(stopTimeout, func() error {
		if syscall.Kill(pid, 0) == nil {
			return errors.New("postmaster still running")
		}
		return nil
	})
	if gone != nil {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

// freePortBlock returns a port P such that P, P+1, P+2 and P+6 (start-dev's frontend, history,
// matching and worker ports) are free on 127.0.0.1.
func freePortBlock() (int, error) {
	for range 100 {
		port := 20000 + rand.IntN(40000)
		ok := true
		for _, offset := range []int{0, 1, 2, 6} {
			l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port+offset))
			if err != nil {
				ok = false
				break
			}
			l.Close()
		}
		if ok {
			return port, nil
		}
	}
	return 0, errors.New("no free block of ports found")
}

func tail(path string, lines int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", path, err)
	}
	all := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	return strings.Join(all[max(0, len(all)-lines):], "\n")
}
