package maven

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/archive/archivetest"
	"github.com/wharf-dev/wharf/internal/service"
)

var manifest = archivetest.File{Name: "META-INF/MANIFEST.MF", Body: "Manifest-Version: 1.0\r\n\r\n"}

// jarOf is a small real jar.
func jarOf(text string) []byte {
	return archivetest.Zip(manifest, archivetest.File{Name: "content.txt", Body: text})
}

// blobCount counts the files in the fixture's blob store, finished or not.
func (f *fixture) blobCount() int { return f.fx.BlobCount(f.t) }

func TestArchiveUploadsAreInspected(t *testing.T) {
	f := newFixture(t)
	dir := "com/acme/lib/1.0/"
	var liar bytes.Buffer
	zw := zip.NewWriter(&liar)
	archivetest.AddZeros(zw, "zeros", 1<<30, 1000)
	zw.Close()
	valid := jarOf("x")
	refused := []struct {
		name, file string
		body       []byte
		want       string
	}{
		{"bomb jar", "lib-1.0.jar", archivetest.ZipBomb([]archivetest.File{manifest}, "zeros", 1<<30), `lib-1.0.jar is not a valid jar archive: entry "zeros" expands more than 100:1`},
		{"bomb jar lying about its size", "lib-1.0.jar", liar.Bytes(), "expands past its declared 1000 bytes"},
		{"5 GiB entry", "lib-1.0.jar", archivetest.ZipBomb(nil, "zeros", 5<<30), "larger than 4294967296 bytes"},
		{"not a zip", "lib-1.0.jar", []byte("jar bytes"), "not a zip archive"},
		{"truncated zip", "lib-1.0.jar", valid[:len(valid)-30], "not a zip archive"},
		{"empty", "lib-1.0.jar", []byte{}, "not a zip archive"},
		{"path traversal entry", "lib-1.0.jar", archivetest.Zip(manifest, archivetest.File{Name: "../../../etc/cron.d/x", Body: "x"}), "climbs out"},
		{"war bomb", "lib-1.0.war", archivetest.ZipBomb(nil, "WEB-INF/zeros", 1<<30), "not a valid war archive"},
		{"ear that is text", "lib-1.0.ear", []byte("<application/>"), "not a valid ear archive"},
		{"aar bomb", "lib-1.0.aar", archivetest.ZipBomb(nil, "classes.jar", 1<<30), "not a valid aar archive"},
		{"sources jar bomb", "lib-1.0-sources.jar", archivetest.ZipBomb(nil, "Lib.java", 1<<30), "lib-1.0-sources.jar is not a valid jar archive"},
		{"javadoc jar, not a zip", "lib-1.0-javadoc.jar", []byte("<html>"), "lib-1.0-javadoc.jar is not a valid jar archive"},
		{"classified POM, not XML", "lib-1.0-extra.pom", []byte("<project><groupId>"), "lib-1.0-extra.pom is not well-formed XML"},
		{"classified POM with trailing junk", "lib-1.0-extra.pom", []byte("<project/>junk"), "not well-formed XML"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			st, body, _ := f.do("PUT", dir+tt.file, tt.body)
			var msg struct{ Error string }
			json.Unmarshal(body, &msg)
			if st != http.StatusBadRequest || !strings.Contains(msg.Error, tt.want) {
				t.Fatalf("PUT %s = %d %s, want 400 containing %q", tt.file, st, body, tt.want)
			}
			if got := f.statuses("com.acme", "lib"); len(got) != 0 {
				t.Fatalf("a refused upload stored %v", got)
			}
			if n := f.blobCount(); n != 0 {
				t.Fatalf("a refused upload left %d blobs", n)
			}
		})
	}

	// What is accepted: sound archives (duplicate entries too, as the JDK
	// reads them), well-formed classified POMs, and files that are not
	// Java archives, whatever their bytes.
	dup := archivetest.Zip(manifest, archivetest.File{Name: "a.class", Body: "1"}, archivetest.File{Name: "a.class", Body: "2"})
	for _, tt := range []struct{ file string }{{"lib-1.0.jar"}, {"lib-1.0-tests.jar"}, {"lib-1.0.war"}, {"lib-1.0.aar"}} {
		f.expect("PUT", dir+tt.file, valid, http.StatusCreated)
	}
	f.expect("PUT", dir+"lib-1.0-dup.jar", dup, http.StatusCreated)
	f.expect("PUT", dir+"lib-1.0-extra.pom", []byte(`<?xml version="1.0"?><project><!-- c --></project>`+"\n"), http.StatusCreated)
	f.expect("PUT", dir+"lib-1.0.jar.asc", []byte("-----BEGIN PGP SIGNATURE-----"), http.StatusCreated)
	f.expect("PUT", dir+"lib-1.0-dist.zip", []byte("not inspected"), http.StatusCreated)

	// A refusal for an existing version leaves it as it was.
	before := f.assets("1.0")
	f.expect("PUT", dir+"lib-1.0-more.jar", archivetest.ZipBomb(nil, "z", 1<<30), http.StatusBadRequest)
	if after := f.assets("1.0"); strings.Join(after, ",") != strings.Join(before, ",") {
		t.Fatalf("assets changed by a refused upload: %v -> %v", before, after)
	}
}

func (f *fixture) assets(version string) []string {
	f.t.Helper()
	res, err := f.svc.ListPackageVersionAssets(ctx, admin, service.ListPackageVersionAssetsInput{VersionRef: service.VersionRef{PackageRef: f.ref("com.acme", "lib"), PackageVersion: version}})
	if err != nil {
		f.t.Fatal(err)
	}
	var names []string
	for _, a := range res.Assets {
		names = append(names, a.Name)
	}
	return names
}
