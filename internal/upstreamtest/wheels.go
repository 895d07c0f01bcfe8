package upstreamtest

import (
	"archive/zip"
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// DebianWheels is where Debian keeps the wheels it ships
// (python3-pip-whl, python3-setuptools-whl, ...).
const DebianWheels = "/usr/share/python-wheels"

// DebianSitePackages is where Debian installs its Python distributions.
const DebianSitePackages = "/usr/lib/python3/dist-packages"

// InstalledWheel rebuilds the wheel a pure-Python distribution was
// installed from, out of its .dist-info in site-packages: the files its
// RECORD lists under site-packages (scripts and other data outside it are
// left out), its dist-info files, and a RECORD of what the wheel holds.
// Debian builds python3-* packages by installing upstream wheels, so the
// result carries the upstream code and core metadata (Requires-Dist
// included), which /usr/share/python-wheels lacks: none of the wheels
// there depends on anything.
func InstalledWheel(distInfo string) (filename string, data []byte, err error) {
	distInfo = filepath.Clean(distInfo)
	site, dirName := filepath.Dir(distInfo), filepath.Base(distInfo)
	if !strings.HasSuffix(dirName, ".dist-info") {
		return "", nil, fmt.Errorf("%s is not a .dist-info directory", distInfo)
	}
	wheelInfo, err := os.ReadFile(filepath.Join(distInfo, "WHEEL"))
	if err != nil {
		return "", nil, err
	}
	var tag string
	pure := false
	for line := range strings.SplitSeq(string(wheelInfo), "\n") {
		k, v, _ := strings.Cut(line, ":")
		switch strings.TrimSpace(k) {
		case "Tag":
			if tag == "" {
				tag = strings.TrimSpace(v)
			}
		case "Root-Is-Purelib":
			pure = strings.TrimSpace(v) == "true"
		}
	}
	if !pure || tag == "" {
		return "", nil, fmt.Errorf("%s: not a pure-Python wheel install (WHEEL: %q)", distInfo, wheelInfo)
	}
	record, err := os.ReadFile(filepath.Join(distInfo, "RECORD"))
	if err != nil {
		return "", nil, err
	}
	names := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(record))
	for sc.Scan() {
		path, _, _ := strings.Cut(sc.Text(), ",")
		path = strings.Trim(path, `"`)
		if path == "" || strings.HasPrefix(path, "../") || strings.HasPrefix(path, "/") || strings.Contains(path, "__pycache__") ||
			path == dirName+"/RECORD" || strings.HasPrefix(path, dirName+"/INSTALLER") || strings.HasPrefix(path, dirName+"/REQUESTED") ||
			strings.HasPrefix(path, dirName+"/direct_url.json") {
			continue
		}
		names[path] = true
	}
	ents, err := os.ReadDir(distInfo)
	if err != nil {
		return "", nil, err
	}
	for _, e := range ents {
		if !e.IsDir() && e.Name() != "RECORD" && e.Name() != "INSTALLER" && e.Name() != "REQUESTED" && e.Name() != "direct_url.json" {
			names[dirName+"/"+e.Name()] = true
		}
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	var rec strings.Builder
	for _, n := range sorted {
		b, err := os.ReadFile(filepath.Join(site, filepath.FromSlash(n)))
		if err != nil {
			return "", nil, fmt.Errorf("%s lists %s: %w", distInfo, n, err)
		}
		w, err := zw.Create(n)
		if err != nil {
			return "", nil, err
		}
		w.Write(b)
		sum := sha256.Sum256(b)
		fmt.Fprintf(&rec, "%s,sha256=%s,%d\n", n, base64.RawURLEncoding.EncodeToString(sum[:]), len(b))
	}
	fmt.Fprintf(&rec, "%s/RECORD,,\n", dirName)
	w, err := zw.Create(dirName + "/RECORD")
	if err != nil {
		return "", nil, err
	}
	w.Write([]byte(rec.String()))
	if err := zw.Close(); err != nil {
		return "", nil, err
	}
	dist := strings.TrimSuffix(dirName, ".dist-info") // NAME-VERSION, already in wheel spelling
	if !strings.Contains(dist, "-") {
		return "", nil, errors.New(dirName + ": no version in the directory name")
	}
	return dist + "-" + tag + ".whl", buf.Bytes(), nil
}

// FindDistInfo finds the .dist-info of an installed distribution by its
// name (any spelling) in a site-packages directory.
func FindDistInfo(site, project string) (string, error) {
	ents, err := os.ReadDir(site)
	if err != nil {
		return "", err
	}
	want := NormalizePyPIName(project)
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".dist-info")
		if !ok || !e.IsDir() {
			continue
		}
		if i := strings.LastIndex(name, "-"); i > 0 && NormalizePyPIName(name[:i]) == want {
			return filepath.Join(site, e.Name()), nil
		}
	}
	return "", fmt.Errorf("no %s.dist-info in %s", project, site)
}
