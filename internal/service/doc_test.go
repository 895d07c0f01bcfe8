package service

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// identLike is a first word that can only be an identifier's name: a
// lowercase word with an uppercase letter in it (camelCase).
var identLike = regexp.MustCompile(`^[a-z]+[A-Z][A-Za-z0-9]*$`)

// TestDocComments: every exported function, method, type, constant and
// variable of the package has a doc comment, and a doc comment that opens
// with an identifier names the declaration it documents, so a rename
// cannot leave a stale comment behind.
func TestDocComments(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var problems []string
	report := func(pos token.Pos, format string, args ...any) {
		p := fset.Position(pos)
		problems = append(problems, fmt.Sprintf("%s:%d: ", p.Filename, p.Line)+fmt.Sprintf(format, args...))
	}
	// check reports a missing comment on an exported name, and a comment
	// that opens with another identifier's name.
	check := func(pos token.Pos, name string, doc *ast.CommentGroup, exported bool) {
		if doc == nil {
			if exported {
				report(pos, "%s has no doc comment", name)
			}
			return
		}
		first, _, _ := strings.Cut(strings.TrimSpace(doc.Text()), " ")
		first = strings.TrimRight(first, ".,:;")
		switch {
		case first == name:
		case exported && !isArticle(first):
			report(pos, "the doc comment of %s opens with %q, not its name", name, first)
		case !exported && identLike.MatchString(first):
			report(pos, "the doc comment of %s names %s", name, first)
		}
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		af, err := parser.ParseFile(fset, f, src, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range af.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				exported := d.Name.IsExported()
				if d.Recv != nil && !receiverExported(d.Recv) {
					exported = false
				}
				check(d.Pos(), d.Name.Name, d.Doc, exported)
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					switch sp := spec.(type) {
					case *ast.TypeSpec:
						doc := sp.Doc
						if doc == nil && len(d.Specs) == 1 {
							doc = d.Doc
						}
						check(sp.Pos(), sp.Name.Name, doc, sp.Name.IsExported())
					case *ast.ValueSpec:
						// A group's comment documents its members, as godoc
						// shows it.
						for _, n := range sp.Names {
							if !n.IsExported() {
								continue
							}
							if sp.Doc == nil && d.Doc == nil && sp.Comment == nil {
								report(n.Pos(), "%s has no doc comment", n.Name)
							}
						}
					}
				}
			}
		}
	}
	for _, p := range problems {
		t.Error(p)
	}
}

// isArticle allows "A Foo is ..." and "The Foo ...", which godoc accepts.
func isArticle(w string) bool { return w == "A" || w == "An" || w == "The" }

func receiverExported(fl *ast.FieldList) bool {
	if len(fl.List) == 0 {
		return false
	}
	typ := fl.List[0].Type
	if st, ok := typ.(*ast.StarExpr); ok {
		typ = st.X
	}
	if ix, ok := typ.(*ast.IndexExpr); ok {
		typ = ix.X
	}
	id, ok := typ.(*ast.Ident)
	return ok && id.IsExported()
}
