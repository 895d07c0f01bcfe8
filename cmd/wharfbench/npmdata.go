package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha1"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"
)

// npmPackage is one version of a package to load into the registries.
type npmPackage struct {
	Name    string
	Version string
	Deps    map[string]string
	// Filler is how many bytes of incompressible content the tarball
	// carries beside package.json and index.js.
	Filler int
}

// tarball builds the package's .tgz as npm pack would lay it out:
// package/package.json, package/index.js, and the filler.
func (p npmPackage) tarball() ([]byte, error) {
	var buf bytes.Buffer
	gz, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	tw := tar.NewWriter(gz)
	manifest, _ := json.MarshalIndent(map[string]any{"name": p.Name, "version": p.Version, "main": "index.js",
		"description": "A package for the Wharf benchmark", "license": "MIT", "dependencies": p.Deps}, "", "  ")
	files := []struct {
		name string
		body []byte
	}{
		{"package/package.json", manifest},
		{"package/index.js", []byte("module.exports = " + fmt.Sprintf("%q", p.Name+"@"+p.Version) + ";\n")},
	}
	if p.Filler > 0 {
		rng := rand.New(rand.NewPCG(uint64(len(p.Name)), uint64(p.Filler)))
		b := make([]byte, p.Filler)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		files = append(files, struct {
			name string
			body []byte
		}{"package/data.bin", b})
	}
	mtime := time.Date(1985, 10, 26, 8, 15, 0, 0, time.UTC) // npm pack's fixed date
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.body)), ModTime: mtime, Typeflag: tar.TypeReg}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.body); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// publishDoc is the body of the PUT npm publish sends: the version's
// manifest, the dist-tag and the tarball as a base64 attachment.
func (p npmPackage) publishDoc(registry string) ([]byte, error) {
	tgz, err := p.tarball()
	if err != nil {
		return nil, err
	}
	s1 := sha1.Sum(tgz)
	s512 := sha512.Sum512(tgz)
	file := p.Name + "-" + p.Version + ".tgz"
	ver := map[string]any{
		"name": p.Name, "version": p.Version, "description": "A package for the Wharf benchmark", "main": "index.js", "license": "MIT",
		"scripts": map[string]string{"test": "node index.js"}, "dependencies": p.Deps, "_id": p.Name + "@" + p.Version,
		"_nodeVersion": "20.20.2", "_npmVersion": "11.19.1",
		"dist": map[string]any{"integrity": "sha512-" + base64.StdEncoding.EncodeToString(s512[:]), "shasum": hex.EncodeToString(s1[:]),
			"tarball": strings.TrimSuffix(registry, "/") + "/" + p.Name + "/-/" + file},
	}
	return json.Marshal(map[string]any{
		"_id": p.Name, "name": p.Name, "description": "A package for the Wharf benchmark",
		"dist-tags": map[string]string{"latest": p.Version},
		"versions":  map[string]any{p.Version: ver},
		"access":    nil,
		"_attachments": map[string]any{file: map[string]any{"content_type": "application/octet-stream",
			"data": base64.StdEncoding.EncodeToString(tgz), "length": len(tgz)}},
	})
}

// npmRegistry is a registry the bench loads and measures: its base URL
// (ending in "/") and the bearer token npm would send.
type npmRegistry struct {
	Name  string
	Base  string
	Token string
	Pid   int
	Debug string
}

// publishRequest builds the PUT npm publish sends for one version.
func (r *npmRegistry) publishRequest(ctx context.Context, p npmPackage) (*http.Request, error) {
	doc, err := p.publishDoc(r.Base)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, "PUT", r.Base+p.Name, bytes.NewReader(doc))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+r.Token)
	return req, nil
}

// publish PUTs one version, as npm publish does.
func (r *npmRegistry) publish(ctx context.Context, c *http.Client, p npmPackage) error {
	req, err := r.publishRequest(ctx, p)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := readAll(resp)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s: publish %s@%s: %w", r.Name, p.Name, p.Version, &errStatus{resp.StatusCode, string(b)})
	}
	return nil
}

// get builds a GET with npm's headers for a packument or tarball.
func (r *npmRegistry) get(ctx context.Context, url, accept string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+r.Token)
	req.Header.Set("Accept", accept)
	req.Header.Set("Accept-Encoding", "gzip,deflate")
	req.Header.Set("User-Agent", "npm/11.19.1 node/v20.20.2 linux x64 workspaces/false")
	return req, nil
}

// Accept headers npm sends: the full document (npm view, publish) and
// the abbreviated one first (npm install).
const (
	acceptFull   = "application/json"
	acceptAbbrev = "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*"
)

// semverOf names the i-th of many versions: 1.MINOR.PATCH.
func semverOf(i int) string { return fmt.Sprintf("1.%d.%d", i/100, i%100) }

// depTree is a 50-package tree: ten packages the project depends on, each
// depending on four more, each with three versions to choose from.
func depTree(prefix string) (roots []string, pkgs []npmPackage) {
	for i := 0; i < 50; i++ {
		deps := map[string]string{}
		if i < 10 {
			for k := 0; k < 4; k++ {
				deps[fmt.Sprintf("%s-%d", prefix, 10+4*i+k)] = "^1.0.0"
			}
			roots = append(roots, fmt.Sprintf("%s-%d", prefix, i))
		}
		for _, v := range []string{"1.0.0", "1.1.0", "1.2.0"} {
			pkgs = append(pkgs, npmPackage{Name: fmt.Sprintf("%s-%d", prefix, i), Version: v, Deps: deps, Filler: 4 << 10})
		}
	}
	return roots, pkgs
}
