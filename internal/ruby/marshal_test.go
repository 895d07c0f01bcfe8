package ruby

import (
	"encoding/hex"
	"strings"
	"testing"
	"time"
)

// TestMarshalDump compares the encoder with bytes the real Ruby 3.1.2
// wrote on this machine for the same values:
// ruby -e 'print Marshal.dump(VALUE).unpack1("H*")'.
func TestMarshalDump(t *testing.T) {
	version := func(v string) userMarshal { return userMarshal{Class: "Gem::Version", Data: []any{v}} }
	tests := []struct {
		name string // and the Ruby value
		v    any
		want string
	}{
		{"nil", nil, "040830"},
		{"true", true, "040854"},
		{"false", false, "040846"},
		{"0", 0, "04086900"},
		{"1", 1, "04086906"},
		{"122", 122, "0408697f"},
		{"123", 123, "040869017b"},
		{"255", 255, "04086901ff"},
		{"256", 256, "040869020001"},
		{"-1", -1, "040869fa"},
		{"-123", -123, "04086980"},
		{"-124", -124, "040869ff84"},
		{"-256", -256, "040869ff00"},
		{"-257", -257, "040869fefffe"},
		{"65536", 65536, "04086903000001"},
		{"2**30-1", 1<<30 - 1, "04086904ffffff3f"},
		{"-2**30", -1 << 30, "040869fc000000c0"},
		{`"hello"`, "hello", "040849220a68656c6c6f063a064554"},
		{`""`, "", "0408492200063a064554"},
		{`"héllo"`, "héllo", "040849220b68c3a96c6c6f063a064554"},
		{`"UTC".encode("US-ASCII")`, asciiString("UTC"), "0408492208555443063a064546"},
		{`"\x00\xff".b`, []byte{0, 0xff}, "0408220700ff"},
		{`"x"*250`, strings.Repeat("x", 250), "0408492201fa" + strings.Repeat("78", 250) + "063a064554"},
		{":runtime", symbol("runtime"), "04083a0c72756e74696d65"},
		{"[:a, :b, :a, :b]", []any{symbol("a"), symbol("b"), symbol("a"), symbol("b")}, "04085b093a06613a06623b003b06"},
		{`["a", 1, nil]`, []any{"a", 1, nil}, "04085b0849220661063a064554690630"},
		{`{name: "x", number: "1.0"}`, hash{{symbol("name"), "x"}, {symbol("number"), "1.0"}},
			"04087b073a096e616d6549220678063a0645543a0b6e756d626572492208312e30063b0654"},
		{`Gem::Version.new("1.2.3")`, version("1.2.3"), "0408553a1147656d3a3a56657273696f6e5b0649220a312e322e33063a064554"},
		{`Gem::Requirement.new(">= 1.0", "< 3")`,
			userMarshal{Class: "Gem::Requirement", Data: []any{[]any{[]any{">=", version("1.0")}, []any{"<", version("3")}}}},
			"0408553a1547656d3a3a526571756972656d656e745b065b075b074922073e3d063a064554553a1147656d3a3a56657273696f6e5b06492208312e30063b06545b074922063c063b0654553b075b0649220633063b0654"},
		{"Time.utc(2024,1,2)", rubyTime(time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)),
			"040849753a0954696d650d40001fc000000000063a097a6f6e65492208555443063a064546"},
		{"Time.utc(1999,12,31)", rubyTime(time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC)),
			"040849753a0954696d650de0ef18c000000000063a097a6f6e65492208555443063a064546"},
		{`Gem::Platform.new("x86_64-linux")`, platformObject(parsePlatform("x86_64-linux")),
			"04086f3a1247656d3a3a506c6174666f726d083a094063707549220b7838365f3634063a0645543a08406f7349220a6c696e7578063b07543a0d4076657273696f6e30"},
		{`[{name: "x", number: "1.0", platform: "ruby", dependencies: [["dep", ">= 1.0, < 3"]]}, {name: "y", number: "2.0", platform: "java", dependencies: []}]`,
			[]any{
				hash{{symbol("name"), "x"}, {symbol("number"), "1.0"}, {symbol("platform"), "ruby"}, {symbol("dependencies"), []any{[]any{"dep", ">= 1.0, < 3"}}}},
				hash{{symbol("name"), "y"}, {symbol("number"), "2.0"}, {symbol("platform"), "java"}, {symbol("dependencies"), []any{}}},
			},
			"04085b077b093a096e616d6549220678063a0645543a0b6e756d626572492208312e30063b06543a0d706c6174666f726d49220972756279063b06543a11646570656e64656e636965735b065b07492208646570063b06544922103e3d20312e302c203c2033063b06547b093b0049220679063b06543b07492208322e30063b06543b084922096a617661063b06543b095b00"},
	}
	for _, tt := range tests {
		if got := hex.EncodeToString(marshalDump(tt.v)); got != tt.want {
			t.Errorf("Marshal.dump(%s)\n got %s\nwant %s", tt.name, got, tt.want)
		}
	}
}

// TestMarshalShared: a value written twice through one *shared is one
// object to Ruby: the second write is a link to the index Ruby's own dump
// gives it. ruby -e 's = "a"; print Marshal.dump([["x"], s, s]).unpack1("H*")'
func TestMarshalShared(t *testing.T) {
	s := &shared{"a"}
	got := hex.EncodeToString(marshalDump([]any{[]any{"x"}, s, s}))
	if want := "04085b085b0649220678063a06455449220661063b00544008"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestMarshalPanicsOnUnknownTypes(t *testing.T) {
	for _, v := range []any{3.5, int64(1), 1 << 40, map[string]string{}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("marshalDump(%T %v) did not panic", v, v)
				}
			}()
			marshalDump(v)
		}()
	}
}
