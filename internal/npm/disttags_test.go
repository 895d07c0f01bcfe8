package npm

import (
	"errors"
	"maps"
	"reflect"
	"testing"
)

// memState is package state in memory, as the service's hooks see it.
type memState struct {
	pkgs map[int64]map[string]string
	fail error
}

func (m *memState) PackageState(id int64) (map[string]string, error) {
	return maps.Clone(m.pkgs[id]), m.fail
}

func (m *memState) SetPackageState(id int64, k, v string) error {
	if m.pkgs[id] == nil {
		m.pkgs[id] = map[string]string{}
	}
	m.pkgs[id][k] = v
	return nil
}

func (m *memState) DeletePackageState(id int64, k string) error {
	delete(m.pkgs[id], k)
	return nil
}

func TestTagRules(t *testing.T) {
	tags := func() map[int64]map[string]string {
		return map[int64]map[string]string{
			1: {"latest": "2.0.0", "beta": "3.0.0-beta.1", "old": "1.0.0", "lts": "1.0.0"},
			2: {"latest": "9.0.0", "beta": "9.1.0-rc.1"},
		}
	}
	cases := []struct {
		name string
		run  func(*memState) error
		want map[int64]map[string]string
	}{
		{"delete drops the tags of deleted versions", func(m *memState) error { return dropTags(m, 1, []string{"1.0.0", "3.0.0-beta.1"}) },
			map[int64]map[string]string{1: {"latest": "2.0.0"}, 2: tags()[2]}},
		{"delete of untagged versions keeps every tag", func(m *memState) error { return dropTags(m, 1, []string{"1.5.0"}) }, tags()},
		{"copy brings the tags of copied versions, overwriting", func(m *memState) error { return copyTags(m, 1, 2, []string{"1.0.0", "3.0.0-beta.1"}) },
			map[int64]map[string]string{1: tags()[1], 2: {"latest": "9.0.0", "beta": "3.0.0-beta.1", "old": "1.0.0", "lts": "1.0.0"}}},
		{"copy into a new package", func(m *memState) error { return copyTags(m, 1, 3, []string{"2.0.0"}) },
			map[int64]map[string]string{1: tags()[1], 2: tags()[2], 3: {"latest": "2.0.0"}}},
	}
	for _, c := range cases {
		m := &memState{pkgs: tags()}
		if err := c.run(m); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !reflect.DeepEqual(m.pkgs, c.want) {
			t.Errorf("%s:\n got %v\nwant %v", c.name, m.pkgs, c.want)
		}
	}
	boom := errors.New("boom")
	if err := dropTags(&memState{fail: boom}, 1, []string{"1.0.0"}); !errors.Is(err, boom) {
		t.Errorf("dropTags hid a store error: %v", err)
	}
	if err := copyTags(&memState{fail: boom}, 1, 2, []string{"1.0.0"}); !errors.Is(err, boom) {
		t.Errorf("copyTags hid a store error: %v", err)
	}
	if got := tagsOf(map[string]string{"latest": "2.0.0", "next": "3.0.0", "v2": "2.0.0"}, "2.0.0"); !reflect.DeepEqual(got, map[string]string{"latest": "2.0.0", "v2": "2.0.0"}) {
		t.Errorf("tagsOf = %v", got)
	}
	if got := latestTag(map[string]string{"latest": "2.0.0"}); got != "2.0.0" {
		t.Errorf("latestTag = %q", got)
	}
}
