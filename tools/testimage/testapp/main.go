// testapp: the one program of the local cluster's test image (docs/cluster.md, "Real node").
// Static, no shell in the image: every check a cluster test needs is a sub-command. Output is one
// JSON object per line on stdout so tests can parse `kubectl logs` / `kubectl exec` output.
//
//	testapp env                        print the environment (sorted KEY=VALUE lines)
//	testapp files PATH...              for every file under PATH (dirs recursive, symlinks followed):
//	                                   mode, uid, gid, and whether the current user can read it
//	testapp read PATH                  print the file's content
//	testapp write PATH TEXT            write TEXT to PATH (creating parent dirs)
//	testapp sizes PATH...              statfs of each path: filesystem type and size in bytes
//	testapp ssh-key PATH               OpenSSH's permission rule for identity files, then parse the key
//	testapp serve [-port N] [-ready-after D] [-report PATH...]
//	                                   HTTP server: / answers, /ready is 503 until D has passed
//	testapp connect [-tries N] [-interval D] [-path P] HOST:PORT
//	                                   TCP connect (and HTTP GET P when given), bounded retries
//	testapp rendezvous [-timeout D] [-fail-rank N]
//	                                   rank PET_NODE_RANK of PET_NNODES; rank 0 listens on
//	                                   PET_MASTER_PORT, the others dial PET_MASTER_ADDR; all exit 0
//	                                   once every rank has met
//	testapp model-server [-hf|--model M] [--host H] [--port N] [--download-dir D] [--tensor-parallel-size N]
//	                                   stands in for an LLM server's command line (llama.cpp's
//	                                   llama-server, vLLM's OpenAI server) in the examples' real-node
//	                                   test: refuses other flags, writes a file to its cache dir
//	                                   (--download-dir, else $LLAMA_CACHE, else $HF_HOME), serves
//	                                   /health and /v1/models on N (default 8080)
//	testapp pause                      sleep until SIGTERM/SIGINT (the pod sandbox image)
//	testapp sleep D                    sleep for a Go duration
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"
)

func main() {
	if len(os.Args) < 2 {
		fail(2, "usage: testapp env|files|read|write|sizes|ssh-key|serve|connect|rendezvous|pause|sleep ...")
	}
	args := os.Args[2:]
	switch os.Args[1] {
	case "env":
		env := os.Environ()
		sort.Strings(env)
		for _, e := range env {
			fmt.Println(e)
		}
	case "files":
		files(args)
	case "read":
		need(args, 1)
		b, err := os.ReadFile(args[0])
		if err != nil {
			fail(1, err.Error())
		}
		os.Stdout.Write(b)
	case "write":
		need(args, 2)
		if err := os.MkdirAll(filepath.Dir(args[0]), 0o755); err != nil {
			fail(1, err.Error())
		}
		if err := os.WriteFile(args[0], []byte(args[1]), 0o644); err != nil {
			fail(1, err.Error())
		}
		emit(map[string]any{"wrote": args[0], "bytes": len(args[1])})
	case "sizes":
		sizes(args)
	case "ssh-key":
		need(args, 1)
		sshKey(args[0])
	case "serve":
		serve(args)
	case "connect":
		connect(args)
	case "rendezvous":
		rendezvous(args)
	case "model-server":
		modelServer(args)
	case "pause":
		pause()
	case "sleep":
		need(args, 1)
		d, err := time.ParseDuration(args[0])
		if err != nil {
			fail(2, err.Error())
		}
		time.Sleep(d)
	default:
		fail(2, "unknown sub-command "+os.Args[1])
	}
}

func need(args []string, n int) {
	if len(args) < n {
		fail(2, fmt.Sprintf("%s needs %d argument(s)", os.Args[1], n))
	}
}

func emit(v any) {
	b, _ := json.Marshal(v)
	fmt.Println(string(b))
}

// fail prints the message, writes it to the termination log (the container's terminated.message),
// and exits with code.
func fail(code int, msg string) {
	fmt.Fprintln(os.Stderr, "testapp: "+msg)
	_ = os.WriteFile("/dev/termination-log", []byte(msg), 0o644)
	os.Exit(code)
}

// flags parses "-name value" pairs after the sub-command; the rest are positional.
func flags(args []string, known ...string) (map[string]string, []string) {
	out := map[string]string{}
	var pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "-") && i+1 < len(args) {
			name := strings.TrimLeft(a, "-")
			ok := false
			for _, k := range known {
				ok = ok || k == name
			}
			if !ok {
				fail(2, "unknown flag "+a)
			}
			out[name] = args[i+1]
			i++
			continue
		}
		pos = append(pos, a)
	}
	return out, pos
}

func duration(s string, def time.Duration) time.Duration {
	if s == "" {
		return def
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		fail(2, err.Error())
	}
	return d
}

func integer(s string, def int) int {
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		fail(2, err.Error())
	}
	return n
}

type fileInfo struct {
	Path     string `json:"path"`
	Mode     string `json:"mode"`
	UID      uint32 `json:"uid"`
	GID      uint32 `json:"gid"`
	Readable bool   `json:"readable"`
	Error    string `json:"error,omitempty"`
	Bytes    int    `json:"bytes"`
}

// files reports every regular file under the paths and whether the current user can read it.
// Symlinks are followed (Secret volumes hold `key -> ..data/key`, and `dir -> ..data/dir` for nested
// paths); the kubelet's own `..data` / `..<timestamp>` entries are skipped.
func files(paths []string) {
	emit(map[string]any{"uid": os.Getuid(), "gid": os.Getgid(), "groups": groups()})
	for _, root := range paths {
		walk(root, 0)
	}
}

func walk(p string, depth int) {
	st, err := os.Stat(p) // follows symlinks
	if err != nil {
		emit(fileInfo{Path: p, Error: err.Error()})
		return
	}
	if st.IsDir() {
		if depth > 16 {
			return
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			emit(fileInfo{Path: p, Error: err.Error()})
			return
		}
		for _, e := range entries {
			if !strings.HasPrefix(e.Name(), "..") {
				walk(filepath.Join(p, e.Name()), depth+1)
			}
		}
		return
	}
	sys := st.Sys().(*syscall.Stat_t)
	fi := fileInfo{Path: p, Mode: fmt.Sprintf("%04o", st.Mode().Perm()), UID: sys.Uid, GID: sys.Gid}
	b, err := os.ReadFile(p)
	if err != nil {
		fi.Error = err.Error()
	} else {
		fi.Readable = true
		fi.Bytes = len(b)
	}
	emit(fi)
}

func groups() []int {
	g, _ := os.Getgroups()
	return g
}

func sizes(paths []string) {
	for _, p := range paths {
		var s syscall.Statfs_t
		if err := syscall.Statfs(p, &s); err != nil {
			emit(map[string]any{"path": p, "error": err.Error()})
			continue
		}
		kind := fmt.Sprintf("0x%x", s.Type)
		if s.Type == 0x01021994 {
			kind = "tmpfs"
		}
		emit(map[string]any{"path": p, "fs": kind, "bytes": uint64(s.Blocks) * uint64(s.Bsize)})
	}
}

// sshKey applies OpenSSH's sshkey_perm_ok rule (authfile.c): a key file owned by the invoking user
// must not be accessible by group or others ("UNPROTECTED PRIVATE KEY FILE!"); a file owned by
// someone else (root, for Secret volumes) is only subject to being readable. Then the key is parsed.
func sshKey(p string) {
	st, err := os.Stat(p)
	if err != nil {
		fail(1, err.Error())
	}
	sys := st.Sys().(*syscall.Stat_t)
	mode := st.Mode().Perm()
	if int(sys.Uid) == os.Getuid() && mode&0o077 != 0 {
		fail(1, fmt.Sprintf("UNPROTECTED PRIVATE KEY FILE: permissions %04o for '%s' are too open", mode, p))
	}
	b, err := os.ReadFile(p)
	if err != nil {
		fail(1, "Load key \""+p+"\": "+err.Error())
	}
	signer, err := ssh.ParsePrivateKey(b)
	if err != nil {
		fail(1, "Load key \""+p+"\": invalid format: "+err.Error())
	}
	emit(map[string]any{"path": p, "mode": fmt.Sprintf("%04o", mode), "uid": sys.Uid, "gid": sys.Gid,
		"type": signer.PublicKey().Type(), "fingerprint": ssh.FingerprintSHA256(signer.PublicKey())})
}

func serve(args []string) {
	f, _ := flags(args, "port", "ready-after")
	port := integer(f["port"], 8000)
	readyAt := time.Now().Add(duration(f["ready-after"], 0))
	host, _ := os.Hostname()
	mux := http.NewServeMux()
	mux.HandleFunc("/ready", func(w http.ResponseWriter, r *http.Request) {
		if time.Now().Before(readyAt) {
			http.Error(w, "not ready yet", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello from %s\n", host)
	})
	srv := &http.Server{Addr: fmt.Sprintf(":%d", port), Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
		<-sig
		_ = srv.Close()
	}()
	emit(map[string]any{"serving": port, "host": host})
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fail(1, err.Error())
	}
}

func connect(args []string) {
	f, pos := flags(args, "tries", "interval", "path")
	need(pos, 1)
	tries := integer(f["tries"], 1)
	interval := duration(f["interval"], time.Second)
	var last error
	for i := 1; i <= tries; i++ {
		body, err := dial(pos[0], f["path"])
		if err == nil {
			emit(map[string]any{"target": pos[0], "ok": true, "try": i, "body": body})
			return
		}
		last = err
		emit(map[string]any{"target": pos[0], "ok": false, "try": i, "error": err.Error()})
		if i < tries {
			time.Sleep(interval)
		}
	}
	fail(1, fmt.Sprintf("connect %s: %v", pos[0], last))
}

func dial(target, path string) (string, error) {
	if path == "" {
		c, err := net.DialTimeout("tcp", target, 3*time.Second)
		if err != nil {
			return "", err
		}
		return "", c.Close()
	}
	client := http.Client{Timeout: 3 * time.Second}
	resp, err := client.Get("http://" + target + path)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return string(b), fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return strings.TrimSpace(string(b)), nil
}

// rendezvous: torchrun's static rendezvous in miniature. Every rank reads the variables torchrun
// would (PET_NNODES, PET_NODE_RANK, PET_MASTER_ADDR, PET_MASTER_PORT). Rank 0 listens on the
// master port; each other rank resolves PET_MASTER_ADDR (cluster DNS), connects and sends its rank;
// when all PET_NNODES ranks are there rank 0 answers "go" to each, and everyone exits 0.
func rendezvous(args []string) {
	f, _ := flags(args, "timeout", "fail-rank")
	deadline := time.Now().Add(duration(f["timeout"], 3*time.Minute))
	nnodes := integer(os.Getenv("PET_NNODES"), -1)
	rank := integer(os.Getenv("PET_NODE_RANK"), -1)
	addr, port := os.Getenv("PET_MASTER_ADDR"), os.Getenv("PET_MASTER_PORT")
	if nnodes < 1 || rank < 0 || addr == "" || port == "" {
		fail(2, fmt.Sprintf("rendezvous needs PET_NNODES, PET_NODE_RANK, PET_MASTER_ADDR, PET_MASTER_PORT (got %q %q %q %q)",
			os.Getenv("PET_NNODES"), os.Getenv("PET_NODE_RANK"), addr, port))
	}
	if fr := f["fail-rank"]; fr != "" && integer(fr, -1) == rank {
		fail(3, fmt.Sprintf("rank %d failed on purpose", rank))
	}
	emit(map[string]any{"rank": rank, "nnodes": nnodes, "master": addr + ":" + port})
	if rank == 0 {
		ln, err := net.Listen("tcp", ":"+port)
		if err != nil {
			fail(1, err.Error())
		}
		var mu sync.Mutex
		var conns []net.Conn
		met := map[string]bool{"0": true}
		for len(met) < nnodes {
			_ = ln.(*net.TCPListener).SetDeadline(deadline)
			c, err := ln.Accept()
			if err != nil {
				fail(1, fmt.Sprintf("rank 0: only %d of %d ranks met before the timeout: %v", len(met), nnodes, err))
			}
			_ = c.SetDeadline(deadline)
			line, err := bufio.NewReader(c).ReadString('\n')
			if err != nil {
				c.Close()
				continue
			}
			mu.Lock()
			met[strings.TrimSpace(line)] = true
			conns = append(conns, c)
			mu.Unlock()
		}
		for _, c := range conns {
			fmt.Fprintln(c, "go")
			c.Close()
		}
		emit(map[string]any{"rank": 0, "met": len(met)})
		return
	}
	target := net.JoinHostPort(addr, port)
	for {
		c, err := net.DialTimeout("tcp", target, 3*time.Second)
		if err == nil {
			_ = c.SetDeadline(deadline)
			fmt.Fprintf(c, "%d\n", rank)
			line, err := bufio.NewReader(c).ReadString('\n')
			c.Close()
			if err == nil && strings.TrimSpace(line) == "go" {
				emit(map[string]any{"rank": rank, "met": nnodes})
				return
			}
		}
		if time.Now().After(deadline) {
			fail(1, fmt.Sprintf("rank %d: could not meet rank 0 at %s: %v", rank, target, err))
		}
		time.Sleep(time.Second)
	}
}

// pause is PID 1 of the pod sandbox: wait for a signal, reap orphans meanwhile.
func pause() {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)
	for s := range sig {
		if s == syscall.SIGCHLD {
			for {
				pid, _ := syscall.Wait4(-1, nil, syscall.WNOHANG, nil)
				if pid <= 0 {
					break
				}
			}
			continue
		}
		return
	}
}

// modelServer: the stand-in for an LLM server image (mlkube.local/model-server:v1, which runs as root
// like llama.cpp's and vLLM's images). It checks what a pod spec decides — its flags, a writable
// cache directory for the pod's user, the port — and serves an OpenAI-style /v1/models; no model.
func modelServer(args []string) {
	valued := map[string]string{"-hf": "model", "--model": "model", "--host": "host", "--port": "port", "--download-dir": "cache", "--tensor-parallel-size": "tp"}
	f := map[string]string{}
	for i := 0; i < len(args); i++ {
		k, ok := valued[args[i]]
		if !ok || i+1 == len(args) {
			fail(2, "model-server: unknown flag or missing value: "+args[i])
		}
		f[k] = args[i+1]
		i++
	}
	if f["model"] == "" {
		fail(2, "model-server: no model (-hf or --model)")
	}
	cache := f["cache"]
	for _, e := range []string{"LLAMA_CACHE", "HF_HOME"} {
		if cache == "" {
			cache = os.Getenv(e)
		}
	}
	if cache == "" {
		fail(2, "model-server: no cache directory (--download-dir, LLAMA_CACHE or HF_HOME)")
	}
	marker := filepath.Join(cache, "model-server-"+strconv.Itoa(os.Getuid()))
	if err := os.MkdirAll(cache, 0o755); err != nil {
		fail(1, "model-server: cache directory: "+err.Error())
	}
	if err := os.WriteFile(marker, []byte(f["model"]), 0o644); err != nil {
		fail(1, "model-server: cache directory not writable: "+err.Error())
	}
	port := integer(f["port"], 8080)
	mux := http.NewServeMux()
	mux.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, `{"status":"ok"}`) })
	mux.HandleFunc("/v1/models", func(w http.ResponseWriter, r *http.Request) {
		b, _ := json.Marshal(map[string]any{"object": "list", "data": []map[string]string{{"id": f["model"], "object": "model"}}})
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	})
	srv := &http.Server{Addr: net.JoinHostPort(f["host"], strconv.Itoa(port)), Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
		<-sig
		_ = srv.Close()
	}()
	emit(map[string]any{"model-server": port, "model": f["model"], "uid": os.Getuid(), "gid": os.Getgid(), "cache": marker})
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fail(1, err.Error())
	}
}
