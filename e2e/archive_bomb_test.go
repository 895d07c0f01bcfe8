package e2e

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ca "github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/wharf-dev/wharf/internal/archive/archivetest"
)

// Uploads the real clients send that the server must refuse: decompression
// bombs and archives that are not what they claim. Each must be a 400 the
// client reports, and leave nothing behind.

// rewrapWheel copies the wheel at src into a new zip, leaving out the
// entries named in drop, then lets add append entries.
func rewrapWheel(t *testing.T, src string, drop []string, add func(zw *zip.Writer)) []byte {
	t.Helper()
	b := pyRead(t, src)
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		if !slices.Contains(drop, f.Name) {
			if err := zw.Copy(f); err != nil {
				t.Fatal(err)
			}
		}
	}
	add(zw)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// writeAs writes content as a file named name in a fresh folder, since
// twine sends the file's own name.
func writeAs(t *testing.T, name string, content []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, content, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPyPIBombUploads: twine uploads a zip-bomb wheel, wheels that are
// not zips, a wheel whose METADATA names another project and a gzip-bomb
// sdist; each is a 400 twine reports, nothing is created, and a valid
// upload then works.
func TestPyPIBombUploads(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	c := s.Client()
	const dom, repo = "pybomb", "repo"
	Setup(t, c, dom, repo)
	env := pyClients(t, s, dom, repo)

	d := pyDist{name: "Wharf_Bomb", version: "1.0.0", summary: "bomb", marker: "x"}
	good := pyBuildWheel(t, t.TempDir(), d)
	wheelName := filepath.Base(good)
	goodBytes := pyRead(t, good)
	distInfo := "wharf_bomb-1.0.0.dist-info/"

	bomb := rewrapWheel(t, good, nil, func(zw *zip.Writer) {
		if err := archivetest.AddZeros(zw, "wharf_bomb/zeros.bin", 1<<30, 1<<30); err != nil {
			t.Fatal(err)
		}
	})
	// twine takes the form's name from the first METADATA it finds (the
	// shortest path): a decoy at the root names this project while the
	// wheel's own METADATA, the one pip installs, names another.
	otherMeta := rewrapWheel(t, good, []string{distInfo + "METADATA"}, func(zw *zip.Writer) {
		for name, body := range map[string]string{
			"METADATA":            d.metadata(),
			distInfo + "METADATA": pyDist{name: "Other_Project", version: "1.0.0", summary: "not this one"}.metadata(),
		} {
			w, _ := zw.Create(name)
			io.WriteString(w, body)
		}
	})
	// Python's zipfile reads both of these; they are not zip archives.
	scriptThenZip := append([]byte("#!/bin/sh\necho this is not a wheel\nexit 0\n"), goodBytes...)
	zipThenJunk := append(append([]byte{}, goodBytes...), "and then some trailing bytes"...)

	root := d.name + "-" + d.version
	sdistBomb := archivetest.TarGzBomb([]archivetest.File{{Name: root + "/PKG-INFO", Body: d.metadata()}}, root+"/zeros.bin", 256<<20)

	cases := []struct {
		name, file string
		content    []byte
		why        string // what the server says, as twine shows it
	}{
		{"zip-bomb wheel (1 GiB of zeros in 1 MB)", wheelName, bomb, `expands more than 100:1`},
		{"wheel behind a shell script", wheelName, scriptThenZip, "is not the archive its name says"},
		{"wheel with bytes after its end", wheelName, zipThenJunk, "data after the zip archive's end record"},
		{"wheel whose METADATA names another project", wheelName, otherMeta, `names project "Other_Project"`},
		{"gzip-bomb sdist (256 MiB of zeros in 256 KB)", root + ".tar.gz", sdistBomb, `expands more than 100:1`},
	}
	for _, tc := range cases {
		start := time.Now()
		out, err := twineUpload(env, writeAs(t, tc.file, tc.content))
		// twine wraps the server's JSON answer across lines.
		flat := strings.Join(strings.Fields(strings.ReplaceAll(out, `\"`, `"`)), " ")
		if err == nil || !strings.Contains(out, "400 Bad Request") || !strings.Contains(flat, tc.why) {
			t.Errorf("%s: twine upload: %v, want a 400 saying %q\n%s", tc.name, err, tc.why, out)
		}
		t.Logf("%s: refused in %s", tc.name, time.Since(start).Round(time.Millisecond))
	}

	pkgs, err := c.ListPackages(ctx, &ca.ListPackagesInput{Domain: aws.String(dom), Repository: aws.String(repo)})
	if err != nil || len(pkgs.Packages) != 0 {
		t.Fatalf("after refused uploads ListPackages = %+v, %v; want none", pkgs, err)
	}
	_, err = c.ListPackageVersions(ctx, &ca.ListPackageVersionsInput{Domain: aws.String(dom), Repository: aws.String(repo),
		Format: types.PackageFormatPypi, Package: aws.String("wharf-bomb")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("after refused uploads ListPackageVersions = %v, want ResourceNotFoundException", err)
	}

	if out, err := twineUpload(env, good); err != nil {
		t.Fatalf("valid upload after the refusals: %v\n%s", err, out)
	}
	if vs := pypiVersions(t, c, dom, repo, "wharf-bomb", ""); strings.Join(vs, ",") != "1.0.0" {
		t.Fatalf("versions after the valid upload = %v", vs)
	}
	assets, err := c.ListPackageVersionAssets(ctx, &ca.ListPackageVersionAssetsInput{Domain: aws.String(dom), Repository: aws.String(repo),
		Format: types.PackageFormatPypi, Package: aws.String("wharf-bomb"), PackageVersion: aws.String("1.0.0")})
	if err != nil || len(assets.Assets) != 1 || aws.ToString(assets.Assets[0].Name) != wheelName || assets.Assets[0].Hashes["SHA-256"] != pySHA256(goodBytes) {
		t.Fatalf("assets after the valid upload = %+v, %v", assets, err)
	}
}

// TestMavenBombDeploy: mvn deploy-file of a zip-bomb jar fails with a
// 400 and leaves nothing; a jar that is not a zip fails the same way
// while the POM mvn uploads beside it (in parallel, and whatever the
// jar's fate) is kept as an Unfinished version no client can resolve; a
// valid jar then deploys and publishes the version.
func TestMavenBombDeploy(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	c := s.Client()
	const domain, repo = "mvnbomb", "repo"
	Setup(t, c, domain, repo)
	endpoint := s.Endpoint(t, domain, repo, types.PackageFormatMaven)
	m := newMvnRig(t, endpoint)
	tok := s.Token(t, domain)
	settings, _ := m.settings("deploy", tok)
	coords := []string{"-DgroupId=com.acme", "-DartifactId=bomb", "-Dversion=1.0", "-Dpackaging=jar"}

	bomb := archivetest.ZipBomb([]archivetest.File{{Name: "META-INF/MANIFEST.MF", Body: "Manifest-Version: 1.0\r\n\r\n"}}, "zeros.bin", 1<<30)
	out, err := m.deploy(settings, append(coords, "-DgeneratePom=false", "-Dfile="+m.file("bomb.jar", bomb))...)
	if err == nil || !strings.Contains(out, "bomb-1.0.jar, status: 400") {
		t.Fatalf("deploy-file of a zip bomb: %v, want the jar's upload to fail with 400\n%s", err, out)
	}
	pkgs, err := c.ListPackages(ctx, &ca.ListPackagesInput{Domain: aws.String(domain), Repository: aws.String(repo)})
	if err != nil || len(pkgs.Packages) != 0 {
		t.Fatalf("after the refused bomb ListPackages = %+v, %v; want none", pkgs.Packages, err)
	}

	out, err = m.deploy(settings, append(coords, "-Dfile="+m.file("text.jar", []byte("just some text, not a jar")))...)
	if err == nil || !strings.Contains(out, "bomb-1.0.jar, status: 400") {
		t.Fatalf("deploy-file of a jar that is not a zip: %v, want the jar's upload to fail with 400\n%s", err, out)
	}
	if got := mvnVersions(t, c, domain, repo, "com.acme", "bomb", ""); len(got) != 1 || got["1.0"] != types.PackageVersionStatusUnfinished {
		t.Fatalf("versions after the refused jar = %v, want at most the POM's Unfinished 1.0", got)
	}
	assets, err := c.ListPackageVersionAssets(ctx, &ca.ListPackageVersionAssetsInput{Domain: aws.String(domain), Repository: aws.String(repo),
		Format: types.PackageFormatMaven, Namespace: aws.String("com.acme"), Package: aws.String("bomb"), PackageVersion: aws.String("1.0")})
	if err != nil || len(assets.Assets) != 1 || aws.ToString(assets.Assets[0].Name) != "bomb-1.0.pom" {
		t.Fatalf("assets after the refused jar = %+v, %v; want only the POM", assets, err)
	}
	resp := pyGet(t, endpoint+"com/acme/bomb/maven-metadata.xml", tok, "")
	pyBody(t, resp)
	if resp.StatusCode != 404 {
		t.Fatalf("maven-metadata.xml after the refused jar = %d, want 404", resp.StatusCode)
	}

	jar := jarOf(t, "a real jar")
	out, err = m.deploy(settings, append(coords, "-Dfile="+m.file("good.jar", jar))...)
	mustMvn(t, "deploy of a valid jar", out, err)
	if got := mvnVersions(t, c, domain, repo, "com.acme", "bomb", ""); len(got) != 1 || got["1.0"] != types.PackageVersionStatusPublished {
		t.Fatalf("versions after the valid deploy = %v, want 1.0 Published", got)
	}
}
