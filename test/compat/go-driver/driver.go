// Package driver is what the Go client drivers of Tributary's compatibility tests (test/compat/go for
// franz-go, test/compat/go-sarama for Sarama) share: JSON observations on stdout, failing with a
// message on stderr, bounded waits, and the command line (one scenario step per command).
package driver

import (
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"
)

var stdout = json.NewEncoder(os.Stdout)
var outMu sync.Mutex

// Out prints one observation as a JSON line; safe from several goroutines.
func Out(v any) {
	outMu.Lock()
	defer outMu.Unlock()
	if err := stdout.Encode(v); err != nil {
		panic(err)
	}
}

// Fail ends the driver with exit code 1 and the message on stderr.
func Fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

// WaitUntil polls fn until it holds, for at most 30 s; it fails with fn's last error after that.
func WaitUntil(what string, fn func() (bool, error)) {
	deadline := time.Now().Add(30 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		ok, err := fn()
		if ok {
			return
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	Fail("%s not reached in 30 s: %v", what, last)
}

// Str is a pointer to a copy of s (client libraries take optional strings as pointers).
func Str(s string) *string { return &s }

// Command is one step a test can ask for: how many arguments it takes and what it does with them.
type Command struct {
	Args int
	Run  func(args []string)
}

// Main runs the command named by the first argument: usage on -h/--help, exit code 2 (with the usage)
// for an unknown command or a wrong number of arguments.
func Main(usage string, commands map[string]Command) {
	if len(os.Args) < 2 || os.Args[1] == "-h" || os.Args[1] == "--help" {
		fmt.Print(usage)
		if len(os.Args) < 2 {
			os.Exit(2)
		}
		return
	}
	cmd, ok := commands[os.Args[1]]
	args := os.Args[2:]
	if !ok || len(args) != cmd.Args {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	cmd.Run(args)
}
