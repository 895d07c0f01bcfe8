package npm

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/wharf-dev/wharf/internal/model"
)

// A publish body is a packument with the tarball inlined as base64 under
// _attachments, up to 2 GB. It is read as a stream: every value except
// attachment data is buffered (bounded by a metadata budget), and each
// attachment's data is handed over as a reader of the decoded string, so
// a publish never holds the tarball in memory.

// maxMetadata bounds the buffered part of a publish or metadata update
// (manifests, readme, dist-tags). A variable so tests can lower it.
var maxMetadata int64 = 32 << 20

// putDoc is a PUT packument body with attachment data streamed away.
type putDoc struct {
	Fields      map[string]json.RawMessage
	Attachments []attachment
}

// attachment describes one _attachments entry. Its data went to the
// callback given to readPutDoc.
type attachment struct {
	Name        string
	ContentType string
	Length      int64 // -1 when absent
	HasData     bool
}

// readPutDoc parses a packument from r. For each attachment whose data is
// a string, onData is called with a reader of the unescaped string; it
// may stop early (what it leaves is discarded) and its error aborts the
// parse.
func readPutDoc(r io.Reader, onData func(name string, data io.Reader) error) (*putDoc, error) {
	s := &scanner{r: bufio.NewReaderSize(r, 256<<10), budget: maxMetadata}
	doc := &putDoc{Fields: map[string]json.RawMessage{}}
	err := s.object(func(key string) error {
		if _, dup := doc.Fields[key]; dup {
			return s.errorf("key %q appears twice", key)
		}
		if key != "_attachments" {
			raw, err := s.value()
			doc.Fields[key] = raw
			return err
		}
		doc.Fields[key] = nil
		return s.attachments(doc, onData)
	})
	if err != nil {
		return nil, err
	}
	if c, err := s.peek(); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, s.wrap(err)
		}
		return nil, s.errorf("unexpected %q after the document", c)
	}
	return doc, nil
}

func (s *scanner) attachments(doc *putDoc, onData func(string, io.Reader) error) error {
	if c, err := s.peek(); err == nil && c == 'n' {
		_, err := s.value() // null
		return err
	}
	return s.object(func(name string) error {
		a := attachment{Name: name, Length: -1}
		err := s.object(func(field string) error {
			c, err := s.peek()
			if err != nil {
				return s.wrap(err)
			}
			if field == "data" && c == '"' {
				if a.HasData {
					return s.errorf("attachment %q has data twice", name)
				}
				a.HasData = true
				s.r.Discard(1)
				sr := &stringReader{r: s.r}
				if err := onData(name, sr); err != nil {
					return s.wrap(err)
				}
				if _, err := io.Copy(io.Discard, sr); err != nil {
					return s.wrap(err)
				}
				return nil
			}
			raw, err := s.value()
			if err != nil {
				return err
			}
			switch field {
			case "content_type":
				_ = json.Unmarshal(raw, &a.ContentType)
			case "length":
				if json.Unmarshal(raw, &a.Length) != nil || a.Length < 0 {
					return s.errorf("attachment %q has an invalid length %s", name, raw)
				}
			}
			return nil
		})
		doc.Attachments = append(doc.Attachments, a)
		return err
	})
}

// scanner reads JSON structure from a buffered stream.
type scanner struct {
	r      *bufio.Reader
	budget int64
}

func (s *scanner) errorf(format string, args ...any) error {
	return model.InvalidParameter("The request body is not a valid npm packument: %s.", fmt.Sprintf(format, args...))
}

// wrap turns read errors into client errors, except those a reader
// further down (a size limit) already made meaningful.
func (s *scanner) wrap(err error) error {
	var me *model.Error
	var mb *maxBytesError
	switch {
	case errors.As(err, &me):
		return err
	case errors.As(err, &mb):
		return model.QuotaExceeded(model.ResourcePackageVersion, "", "The request body is larger than the %d bytes an npm publish may send.", mb.limit)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return s.errorf("it ends early")
	}
	return fmt.Errorf("read request body: %w", err)
}

// peek skips whitespace and returns the next byte without consuming it.
func (s *scanner) peek() (byte, error) {
	for {
		c, err := s.r.ReadByte()
		if err != nil {
			return 0, err
		}
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		}
		s.r.UnreadByte()
		return c, nil
	}
}

func (s *scanner) expect(want byte) error {
	c, err := s.peek()
	if err != nil {
		return s.wrap(err)
	}
	if c != want {
		return s.errorf("expected %q, found %q", want, c)
	}
	s.r.Discard(1)
	return nil
}

// object reads {"key": value, ...}, calling field for each key with the
// scanner positioned at the value, which field must consume.
func (s *scanner) object(field func(key string) error) error {
	if err := s.expect('{'); err != nil {
		return err
	}
	if c, err := s.peek(); err == nil && c == '}' {
		s.r.Discard(1)
		return nil
	}
	for {
		raw, err := s.value()
		if err != nil {
			return err
		}
		var key string
		if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &key) != nil {
			return s.errorf("object keys must be strings")
		}
		if err := s.expect(':'); err != nil {
			return err
		}
		if err := field(key); err != nil {
			return err
		}
		c, err := s.peek()
		if err != nil {
			return s.wrap(err)
		}
		s.r.Discard(1)
		switch c {
		case ',':
			continue
		case '}':
			return nil
		}
		return s.errorf("expected ',' or '}', found %q", c)
	}
}

// value reads one complete JSON value and returns its bytes, checked for
// validity. It counts against the metadata budget.
func (s *scanner) value() (json.RawMessage, error) {
	c, err := s.peek()
	if err != nil {
		return nil, s.wrap(err)
	}
	var out []byte
	take := func(p []byte) error {
		if s.budget -= int64(len(p)); s.budget < 0 {
			return model.QuotaExceeded(model.ResourcePackage, "", "The packument's metadata (everything but attachment data) is larger than %d bytes.", maxMetadata)
		}
		out = append(out, p...)
		return nil
	}
	if c != '"' && c != '{' && c != '[' {
		// A literal (number, true, false, null) ends at a delimiter.
		for {
			b, err := s.r.ReadByte()
			if err != nil {
				return nil, s.wrap(err)
			}
			if strings.IndexByte(",}]: \t\r\n", b) >= 0 {
				s.r.UnreadByte()
				break
			}
			if err := take([]byte{b}); err != nil {
				return nil, err
			}
		}
		return s.valid(out)
	}
	depth, inString := 0, false
	for {
		if inString {
			// Copy a run of plain string bytes at once: readmes are long.
			if _, err := s.r.Peek(1); err != nil {
				return nil, s.wrap(err)
			}
			buf, _ := s.r.Peek(s.r.Buffered())
			i := quoteOrBackslash(buf)
			if i > 0 {
				if err := take(buf[:i]); err != nil {
					return nil, err
				}
				s.r.Discard(i)
				continue
			}
			if i < 0 {
				if err := take(buf); err != nil {
					return nil, err
				}
				s.r.Discard(len(buf))
				continue
			}
			n := 1
			if buf[0] == '\\' {
				n = 2 // the escaped byte, whatever it is, stays in the string
				if _, err := s.r.Peek(2); err != nil {
					return nil, s.wrap(err)
				}
				buf, _ = s.r.Peek(2)
			} else {
				inString = false
			}
			if err := take(buf[:n]); err != nil {
				return nil, err
			}
			s.r.Discard(n)
			if !inString && depth == 0 {
				return s.valid(out)
			}
			continue
		}
		b, err := s.r.ReadByte()
		if err != nil {
			return nil, s.wrap(err)
		}
		if err := take([]byte{b}); err != nil {
			return nil, err
		}
		switch b {
		case '"':
			inString = true
		case '{', '[':
			depth++
		case '}', ']':
			if depth--; depth == 0 {
				return s.valid(out)
			}
		}
	}
}

// quoteOrBackslash is the index of the first '"' or '\\' in b, or -1.
func quoteOrBackslash(b []byte) int {
	i := bytes.IndexByte(b, '"')
	if j := bytes.IndexByte(b, '\\'); j >= 0 && (i < 0 || j < i) {
		return j
	}
	return i
}

func (s *scanner) valid(out []byte) (json.RawMessage, error) {
	if !json.Valid(out) {
		return nil, s.errorf("invalid JSON value %.40q", out)
	}
	return out, nil
}

// stringReader reads the content of a JSON string whose opening quote
// has been consumed, unescaping it, and stops after the closing quote.
type stringReader struct {
	r    *bufio.Reader
	pend []byte
	done bool
}

func (sr *stringReader) Read(p []byte) (int, error) {
	if len(sr.pend) > 0 {
		n := copy(p, sr.pend)
		sr.pend = sr.pend[n:]
		return n, nil
	}
	if sr.done {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	if _, err := sr.r.Peek(1); err != nil {
		return 0, noEOF(err)
	}
	buf, _ := sr.r.Peek(min(len(p), sr.r.Buffered()))
	i := 0
	for i < len(buf) {
		c := buf[i]
		if c == '"' || c == '\\' || c < 0x20 {
			break
		}
		i++
	}
	if i > 0 {
		copy(p, buf[:i])
		sr.r.Discard(i)
		return i, nil
	}
	switch c := buf[0]; {
	case c == '"':
		sr.r.Discard(1)
		sr.done = true
		return 0, io.EOF
	case c < 0x20:
		return 0, model.InvalidParameter("The request body is not a valid npm packument: control character in a string.")
	}
	sr.r.Discard(1)
	r, err := sr.escape()
	if err != nil {
		return 0, err
	}
	sr.pend = utf8.AppendRune(nil, r)
	n := copy(p, sr.pend)
	sr.pend = sr.pend[n:]
	return n, nil
}

// escape reads what follows a backslash.
func (sr *stringReader) escape() (rune, error) {
	e, err := sr.r.ReadByte()
	if err != nil {
		return 0, noEOF(err)
	}
	switch e {
	case '"', '\\', '/':
		return rune(e), nil
	case 'b':
		return '\b', nil
	case 'f':
		return '\f', nil
	case 'n':
		return '\n', nil
	case 'r':
		return '\r', nil
	case 't':
		return '\t', nil
	case 'u':
		r, err := sr.hex4()
		if err != nil || !utf16.IsSurrogate(r) {
			return r, err
		}
		// A surrogate pair is two escapes; a lone half is invalid text.
		if b, _ := sr.r.Peek(2); string(b) != `\u` {
			return utf8.RuneError, nil
		}
		sr.r.Discard(2)
		lo, err := sr.hex4()
		if err != nil {
			return 0, err
		}
		return utf16.DecodeRune(r, lo), nil
	}
	return 0, model.InvalidParameter("The request body is not a valid npm packument: invalid escape \\%c.", e)
}

func (sr *stringReader) hex4() (rune, error) {
	var r rune
	for range 4 {
		c, err := sr.r.ReadByte()
		if err != nil {
			return 0, noEOF(err)
		}
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, model.InvalidParameter("The request body is not a valid npm packument: invalid \\u escape.")
		}
		r = r<<4 | rune(d)
	}
	return r, nil
}

func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// maxBytesError is returned by limitBody past its limit.
type maxBytesError struct{ limit int64 }

func (e *maxBytesError) Error() string { return fmt.Sprintf("request body over %d bytes", e.limit) }

// limitBody fails reads past limit bytes with a *maxBytesError, so the
// parser can answer with the limit rather than a generic read error.
type limitBody struct {
	r         io.Reader
	remaining int64
	limit     int64
}

func (l *limitBody) Read(p []byte) (int, error) {
	if l.remaining <= 0 {
		// One byte beyond the limit tells a body of exactly limit bytes
		// from a longer one.
		var one [1]byte
		n, err := l.r.Read(one[:])
		if n > 0 {
			return 0, &maxBytesError{l.limit}
		}
		return 0, err
	}
	if int64(len(p)) > l.remaining {
		p = p[:l.remaining]
	}
	n, err := l.r.Read(p)
	l.remaining -= int64(n)
	return n, err
}
