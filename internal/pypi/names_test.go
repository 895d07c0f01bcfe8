package pypi

import "testing"

func TestVersionKey(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" for invalid
	}{
		{"1.0", "0!1"},
		{"1.0.0", "0!1"},
		{"v1.0", "0!1"},
		{"01.002", "0!1.2"},
		{"1!2.0", "1!2"},
		{"1.0a1", "0!1a1"},
		{"1.0-alpha.1", "0!1a1"},
		{"1.0.BETA2", "0!1b2"},
		{"1.0c1", "0!1rc1"},
		{"1.0pre", "0!1rc0"},
		{"1.0-1", "0!1.post1"},
		{"1.0.post", "0!1.post0"},
		{"1.0rev3", "0!1.post3"},
		{"1.0.dev", "0!1.dev0"},
		{"1.0rc1.post2.dev3", "0!1rc1.post2.dev3"},
		{"1.0+Ubuntu-1.007", "0!1+ubuntu.1.7"},
		{" 2.1 ", "0!2.1"},
		{"", ""},
		{"one", ""},
		{"1.0-", ""},
		{"1..0", ""},
		{"1.0+", ""},
		{"1.0_foo", ""},
	}
	for _, tc := range tests {
		got, ok := versionKey(tc.in)
		if tc.want == "" {
			if ok {
				t.Errorf("versionKey(%q) = %q, want invalid", tc.in, got)
			}
			continue
		}
		if !ok || got != tc.want {
			t.Errorf("versionKey(%q) = %q, %v; want %q", tc.in, got, ok, tc.want)
		}
	}
}

func TestSameVersion(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"1.0", "1.0.0", true},
		{"1.0.0rc1", "1.0.0-RC1", true},
		{"1.0", "1.1", false},
		{"1.0", "1.0.post0", false},
		{"1.0", "bad", false},
	}
	for _, tc := range tests {
		if got := sameVersion(tc.a, tc.b); got != tc.want {
			t.Errorf("sameVersion(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestValidName(t *testing.T) {
	for name, want := range map[string]bool{
		"requests": true, "Wharf_Demo": true, "zope.interface": true, "a": true, "A-1": true,
		"": false, "-a": false, "a-": false, "a b": false, "a/b": false, "é": false, "_a": false,
	} {
		if got := validName.MatchString(name); got != want {
			t.Errorf("validName(%q) = %v, want %v", name, got, want)
		}
	}
	if got := normalize("Wharf_Demo.Core--X"); got != "wharf-demo-core-x" {
		t.Errorf("normalize = %q", got)
	}
}

func TestCheckFilename(t *testing.T) {
	tests := []struct {
		file, filetype, name, version string
		ok                            bool
	}{
		{"wharf_demo-1.0.0-py3-none-any.whl", fileWheel, "Wharf-Demo", "1.0.0", true},
		{"Wharf_Demo-1.0-py3-none-any.whl", fileWheel, "wharf.demo", "1.0.0", true},
		{"wharf_demo-1.0.0-1-py3-none-any.whl", fileWheel, "wharf-demo", "1.0.0", true},
		{"wharf_demo-1.0.0rc1-cp311-cp311-manylinux_2_17_x86_64.whl", fileWheel, "wharf-demo", "1.0.0-RC1", true},
		{"wharf_demo-1.0.0-x1-py3-none-any.whl", fileWheel, "wharf-demo", "1.0.0", false}, // build tag not a digit
		{"wharf_demo-1.0.0-py3-none.whl", fileWheel, "wharf-demo", "1.0.0", false},
		{"wharf_demo-1.0.0--none-any.whl", fileWheel, "wharf-demo", "1.0.0", false},
		{"other-1.0.0-py3-none-any.whl", fileWheel, "wharf-demo", "1.0.0", false},
		{"wharf_demo-1.0.1-py3-none-any.whl", fileWheel, "wharf-demo", "1.0.0", false},
		{"wharf_demo-1.0.0.tar.gz", fileWheel, "wharf-demo", "1.0.0", false},
		{"wharf_demo-1.0.0.tar.gz", fileSdist, "Wharf_Demo", "1.0.0", true},
		{"Wharf-Demo-1.0.0.tar.gz", fileSdist, "wharf_demo", "1.0", true},
		{"wharf-demo-1.0-1.tar.gz", fileSdist, "wharf-demo", "1.0.post1", true},
		{"wharf-demo-1.0.0.zip", fileSdist, "wharf-demo", "1.0.0", true},
		{"wharf-demo-1.0.0.tar.bz2", fileSdist, "wharf-demo", "1.0.0", false},
		{"wharf-1.0.0.tar.gz", fileSdist, "wharf-demo", "1.0.0", false},
		{"wharf-demo-2.0.tar.gz", fileSdist, "wharf-demo", "1.0", false},
		{"wharf-demo.tar.gz", fileSdist, "wharf-demo", "1.0", false},
		{"wharf_demo-1.0.0-py3-none-any.whl", "bdist_egg", "wharf-demo", "1.0.0", false},
		{"", fileWheel, "wharf-demo", "1.0.0", false},
		{"..", fileSdist, "wharf-demo", "1.0.0", false},
		{"a/wharf_demo-1.0.0.tar.gz", fileSdist, "wharf-demo", "1.0.0", false},
	}
	for _, tc := range tests {
		err := checkFilename(tc.file, tc.filetype, tc.name, tc.version)
		if (err == nil) != tc.ok {
			t.Errorf("checkFilename(%q, %s, %s, %s) = %v, want ok=%v", tc.file, tc.filetype, tc.name, tc.version, err, tc.ok)
		}
	}
}
