package maven

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// decodeStrict unmarshals exactly one root element into v and refuses
// anything but whitespace, comments and processing instructions after it:
// xml.Unmarshal alone stops at the root's end and would accept trailing
// garbage. Latin-1 and ASCII declarations are accepted (old POMs use
// them); other encodings are refused.
func decodeStrict(data []byte, v any) error {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.CharsetReader = charsetReader
	if err := d.Decode(v); err != nil {
		return err
	}
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.Comment, xml.ProcInst:
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return errors.New("text after the root element")
			}
		default:
			return errors.New("content after the root element")
		}
	}
}

// checkWellFormed refuses a document that is not exactly one well-formed
// XML element, under the same rules as decodeStrict.
func checkWellFormed(data []byte) error {
	var root struct{}
	return decodeStrict(data, &root)
}

func charsetReader(label string, in io.Reader) (io.Reader, error) {
	switch strings.ToLower(label) {
	case "utf-8", "utf8":
		return in, nil
	case "iso-8859-1", "iso8859-1", "latin1", "latin-1", "us-ascii", "ascii":
		b, err := io.ReadAll(in)
		if err != nil {
			return nil, err
		}
		// Every Latin-1 byte is the code point of the same value.
		out := make([]byte, 0, len(b))
		for _, c := range b {
			out = utf8.AppendRune(out, rune(c))
		}
		return bytes.NewReader(out), nil
	}
	return nil, fmt.Errorf("unsupported XML encoding %q", label)
}

// text is an element's character data with surrounding whitespace
// removed, as Maven's model reader trims values.
type text string

func (t *text) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	var s string
	if err := d.DecodeElement(&s, &start); err != nil {
		return err
	}
	*t = text(strings.TrimSpace(s))
	return nil
}

// escape writes s as XML character data.
func escape(b *bytes.Buffer, s string) {
	xml.EscapeText(b, []byte(s))
}
