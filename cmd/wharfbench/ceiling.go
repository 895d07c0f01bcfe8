package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// The ceilings: what this machine's HTTP stack can do at all, measured
// with the same load. A separate process (this binary, re-executed with
// the "ceiling" command) so that it competes for the CPUs exactly as a
// server under test does.
//
//	/fixed/NAME   the trivial handler: one write of bytes held in memory,
//	              with the headers the real server sent for them
//	/files/...    http.FileServer over a directory
//	/healthz      ok

// fixedBody is one canned answer of the trivial handler.
type fixedBody struct {
	Header http.Header `json:"header"`
	File   string      `json:"file"` // body bytes, read once at start
}

// ceilingSpec is what the ceiling server serves, written by the parent.
type ceilingSpec struct {
	Fixed map[string]fixedBody `json:"fixed"`
	Dir   string               `json:"dir"`
}

func ceilingMain(args []string) error {
	fs := flag.NewFlagSet("ceiling", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:0", "address")
	specPath := fs.String("spec", "", "ceiling spec JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var spec ceilingSpec
	b, err := os.ReadFile(*specPath)
	if err == nil {
		err = json.Unmarshal(b, &spec)
	}
	if err != nil {
		return fmt.Errorf("spec: %w", err)
	}
	mux := http.NewServeMux()
	for name, fb := range spec.Fixed {
		body, err := os.ReadFile(fb.File)
		if err != nil {
			return err
		}
		h := fb.Header
		mux.HandleFunc("/fixed/"+name, func(w http.ResponseWriter, r *http.Request) {
			for k, v := range h {
				w.Header()[k] = v
			}
			w.Write(body)
		})
	}
	mux.Handle("/files/", http.StripPrefix("/files/", http.FileServer(http.Dir(spec.Dir))))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second}
	return srv.Serve(ln)
}

// startCeiling writes the spec and starts the ceiling server.
func startCeiling(runDir string, spec ceilingSpec) (*Proc, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	specPath := filepath.Join(runDir, "ceiling.json")
	b, _ := json.Marshal(spec)
	if err := os.WriteFile(specPath, b, 0o644); err != nil {
		return nil, err
	}
	addr, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "ceiling", "-listen", addr, "-spec", specPath)
	return startProc("ceiling", filepath.Join(runDir, "ceiling.log"), "/healthz", cmd, "http://"+addr)
}

// captureFixed fetches a real server's answer to req and stores its body
// and headers for the trivial handler to replay byte for byte.
func captureFixed(c *http.Client, req *http.Request, dir, name string) (fixedBody, []byte, error) {
	resp, err := c.Do(req)
	if err != nil {
		return fixedBody{}, nil, err
	}
	defer resp.Body.Close()
	body, err := readAll(resp)
	if err != nil {
		return fixedBody{}, nil, err
	}
	if resp.StatusCode != 200 {
		return fixedBody{}, nil, fmt.Errorf("capture %s: %w", req.URL.Path, &errStatus{resp.StatusCode, string(body)})
	}
	h := http.Header{}
	for _, k := range []string{"Content-Type", "Content-Encoding", "Etag", "Last-Modified", "Cache-Control", "Vary"} {
		if v := resp.Header.Values(k); len(v) > 0 {
			h[k] = v
		}
	}
	path := filepath.Join(dir, "fixed-"+name)
	if err := os.WriteFile(path, body, 0o644); err != nil {
		return fixedBody{}, nil, err
	}
	return fixedBody{Header: h, File: path}, body, nil
}
